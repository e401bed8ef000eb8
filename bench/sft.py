"""SFT speed: training tokens/s and model FLOPs utilisation of girl_nb's SFT trainer (TRL SFTTrainer, LoRA by default).

    python bench/sft.py [--model smollm2-135m-instruct] [--pairs 64] [--steps 6] [--batch 8] [--full] [--device auto] [--peak-tflops X]

Trains `--steps` optimizer steps on matched pairs of a tiny data stage (CVs cut to 256 tokens, as the demo), after one warm-up step that is
left out. Tokens/s counts every token of every sequence (prompt + JD; padding excluded). MFU = 6 * N_params * tokens/s / peak (forward +
backward FLOPs of a dense decoder, attention left out, so a slight underestimate); the peak is --peak-tflops, or the bf16 dense peak of a
known GPU (H100/H200 SXM: 989 TFLOP/s); on CPU it is only printed when --peak-tflops is given. Prints one JSON object.
"""
import argparse, json, platform, resource, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
PEAKS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct"); ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=6); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA"); ap.add_argument("--device", default="auto")
    ap.add_argument("--peak-tflops", type=float); ap.add_argument("--json")
    a = ap.parse_args(argv)
    import torch
    from transformers import TrainerCallback
    from girl_nb.core import SFTConfig, get_device, get_dtype, load_config, load_generator, load_tokenizer
    from girl_nb.data import load_splits
    from girl_nb.data_stage import run_data_stage
    from girl_nb.sft import make_trainer, sft_rows
    device = get_device(a.device); dtype = get_dtype("auto", device)
    with tempfile.TemporaryDirectory() as d:
        run_data_stage(load_config(Path(__file__).resolve().parents[1]/"configs"/"tiny.yaml", [f"data.sft_pairs={max(a.pairs, 40)}"]), d)
        tok = load_tokenizer(a.model)
        rows, _ = sft_rows(list(load_splits(Path(d)/"data"/"splits")["sft"])[:a.pairs], tok)
        model = load_generator(a.model, dtype=dtype, device=device)
        n_params = sum(p.numel() for p in model.parameters())
        cfg = SFTConfig(max_steps=a.steps + 1, batch_size=a.batch, full_finetune=a.full, save_steps=10**6, logging_steps=10**6, warmup=0)
        times = []
        class _T(TrainerCallback):
            def on_step_begin(self, *x, **k):
                if device == "cuda": torch.cuda.synchronize()
                times.append(time.perf_counter())
            def on_train_end(self, *x, **k):
                if device == "cuda": torch.cuda.synchronize()
                times.append(time.perf_counter())
        tr = make_trainer(model, tok, rows, [], cfg, Path(d)/"out", bf16=dtype == torch.bfloat16, device=device, callbacks=[_T()])
        ntok = [len(tok(r["prompt"] + r["completion"], add_special_tokens=False)["input_ids"]) + 1 for r in rows]
        tr.train()
    secs = times[-1] - times[1]  # step 0 is the warm-up
    per_step = sum(ntok) / len(ntok) * a.batch
    tps = per_step * a.steps / secs
    peak = a.peak_tflops or next((v for k, v in PEAKS.items() if device == "cuda" and k in torch.cuda.get_device_name()), None)
    res = dict(machine=f"{platform.machine()} {torch.get_num_threads()} threads" + (f", {torch.cuda.get_device_name()}" if device == "cuda" else ""),
               device=device, dtype=str(dtype).replace("torch.", ""), model=a.model, params=n_params, lora=not a.full, batch=a.batch, steps=a.steps,
               mean_seq_tokens=sum(ntok) / len(ntok), s_per_step=secs / a.steps, train_tokens_per_s=tps,
               mfu=(6 * n_params * tps / (peak * 1e12)) if peak else None, peak_tflops=peak,
               peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    print(json.dumps(res, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__": main()
