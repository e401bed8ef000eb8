"""SFT speed: training tokens/s, peak memory and model FLOPs utilisation of girl_nb's SFT trainer against a bare TRL SFTTrainer.

    python bench/sft.py [--model smollm2-135m-instruct] [--pairs 64] [--steps 6] [--batch 8] [--full] [--dtype auto] [--device auto]
    python bench/sft.py --sides ours            # only ours (e.g. to compare --full or --dtype fp32 runs)
    python bench/sft.py --sides ours --full --batching pad,group_by_length,padding_free   # the padding options, back to back

Both sides train `--steps` optimizer steps on the same matched pairs of a tiny data stage (prompt-completion rows, CVs cut to 256
tokens as in the demo) with the same batch, dtype and LoRA settings (r 16, alpha 32, all-linear), after one warm-up step that is left
out; the clock runs from the end of that step to the end of the last, so the checkpoint the Trainer writes after the last step
(ours saves one, bare does not) is not timed. `ours` is `girl_nb.sft.make_trainer` (what `girl sft` runs); `bare` is `trl.SFTTrainer` given the text rows with its own defaults
(tokenisation inside TRL, gradient checkpointing on as TRL defaults). The sides run back to back in one process, ours first, `--rounds`
times in turn (the last round is reported: the first pays CUDA/oneDNN warm-up), and the ratio ours / bare of tokens/s is printed. Tokens/s counts every token of every sequence (prompt + JD + EOS; padding excluded) as the trainer counts them.
With --batching, ours runs once per batching (ours:pad, ours:group_by_length, ours:padding_free) and each one's ratio to ours:pad is printed.
MFU = FLOPs per token * tokens/s / peak. FLOPs per token: 6N for full fine-tuning (forward 2N, backward 2N for activations and 2N for
weights); 4N + 6N_adapter under LoRA, whose frozen weights get no weight gradients (counting 6N there would overstate MFU by 1.5x).
Attention's score FLOPs are left out (a slight underestimate). The peak is --peak-tflops, or the bf16 dense peak of a known GPU (H100/H200 SXM: 989 TFLOP/s); on CPU only with --peak-tflops.
Peak memory: the process's peak RSS so far (CPU; it never falls, so the second side's figure is an upper bound) and
torch.cuda.max_memory_allocated per side (GPU). Prints one JSON object; --json also writes it.
"""
import argparse, json, platform, resource, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._peaks import peak_tflops  # noqa: E402


def _timer(device):
    "A Trainer callback recording the wall clock and the tokens seen at the end of each step (the GPU synchronised first)"
    import torch
    from transformers import TrainerCallback
    ends, seen = [], []
    class _T(TrainerCallback):
        # on_step_end runs before the Trainer logs or saves, so the checkpoint written after the last step is not timed
        def on_step_end(self, args, state, *x, **k):
            if device == "cuda": torch.cuda.synchronize()
            ends.append(time.perf_counter()); seen.append(state.num_input_tokens_seen)
    return _T(), ends, seen


def _bare(model, tok, rows, a, dtype, device, out, cb):
    "trl.SFTTrainer with its defaults, given the text rows, LoRA as ours"
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig as TRLConfig, SFTTrainer
    args = TRLConfig(output_dir=str(out), max_steps=a.steps + 1, per_device_train_batch_size=a.batch, learning_rate=2e-4, lr_scheduler_type="constant",
                     bf16=dtype == torch.bfloat16, use_cpu=device == "cpu", report_to="none", save_strategy="no", logging_steps=10**6, disable_tqdm=True)
    peft = None if a.full else LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    return SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list([dict(prompt=r["prompt"], completion=r["completion"]) for r in rows]),
                      processing_class=tok, peft_config=peft, callbacks=[cb])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct"); ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=6); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--full", action="store_true", help="full fine-tuning instead of LoRA"); ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--sides", default="ours,bare", help="comma-separated: ours, bare")
    ap.add_argument("--batching", default="pad", help="comma-separated batchings of ours: pad, group_by_length, padding_free "
                                                         "(each is one more side, ours:<batching>; sft.group_by_length / sft.padding_free)")
    ap.add_argument("--rounds", type=int, default=2, help="the sides this many times in turn; the last round is reported (the first pays warm-up costs)")
    ap.add_argument("--peak-tflops", type=float); ap.add_argument("--json")
    a = ap.parse_args(argv)
    sides = [s.strip() for s in a.sides.split(",") if s.strip()]
    if not set(sides) <= {"ours", "bare"} or not sides: ap.error("--sides takes ours and/or bare")
    batchings = [b.strip() for b in a.batching.split(",") if b.strip()]
    if not set(batchings) <= {"pad", "group_by_length", "padding_free"} or not batchings:
        ap.error("--batching takes pad, group_by_length and/or padding_free")
    if "ours" in sides and batchings != ["pad"]:
        sides = [s for s in sides if s != "ours"] + [f"ours:{b}" for b in batchings]
    import torch
    from girl_nb.core import get_device, get_dtype
    from girl_nb.sft import SFTConfig
    from girl_nb.pipeline import load_config
    from girl_nb.models import load_generator, load_tokenizer
    from girl_nb.data import load_splits
    from girl_nb.data_stage import run_data
    from girl_nb.sft import make_trainer, sft_rows
    device = get_device(a.device); dtype = get_dtype(a.dtype, device)
    res = dict(machine=f"{platform.machine()} {torch.get_num_threads()} threads" + (f", {torch.cuda.get_device_name()}" if device == "cuda" else ""),
               device=device, dtype=str(dtype).replace("torch.", ""), model=a.model, lora=not a.full, batch=a.batch, steps=a.steps, rounds=a.rounds)
    peak = peak_tflops(torch.cuda.get_device_name() if device == "cuda" else None, a.peak_tflops)
    with tempfile.TemporaryDirectory() as d:
        run_data(load_config(Path(__file__).resolve().parents[1]/"configs"/"tiny.yaml", [f"data.sft_pairs={max(a.pairs, 40)}"]), d)
        tok = load_tokenizer(a.model)
        rows, _ = sft_rows(list(load_splits(Path(d)/"data"/"splits")["sft"])[:a.pairs], tok)
        ntok = [len(tok(r["prompt"] + r["completion"], add_special_tokens=False)["input_ids"]) + 1 for r in rows]
        res["mean_seq_tokens"] = sum(ntok) / len(ntok)
        def side_run(side):
            "Train one side from a fresh copy of the model; its figures"
            torch.manual_seed(0)
            model = load_generator(a.model, dtype=torch.float32, device=device)  # fp32 weights, bf16 autocast: as `girl sft`
            n_params = sum(p.numel() for p in model.parameters()); res["params"] = n_params
            cb, ends, seen = _timer(device)
            if device == "cuda": torch.cuda.reset_peak_memory_stats()
            if side.startswith("ours"):
                b = side.partition(":")[2]
                cfg = SFTConfig(max_steps=a.steps + 1, batch_size=a.batch, full_finetune=a.full, save_steps=10**6, logging_steps=10**6, warmup=0,
                                group_by_length=b == "group_by_length", padding_free=b == "padding_free")
                tr = make_trainer(model, tok, rows, [], cfg, Path(d)/side, bf16=dtype == torch.bfloat16, device=device, callbacks=[cb])
            else: tr = _bare(model, tok, rows, a, dtype, device, Path(d)/side, cb)
            tr.train()
            secs = ends[-1] - ends[0]  # the end of step 0 (the warm-up) to the end of the last: `--steps` steps, no checkpoint save
            # the tokens of the timed steps as the trainer counted them (padding excluded), else the pairs' mean length x batch
            tps = ((seen[-1] - seen[0]) if seen and seen[-1] > seen[0] else sum(ntok) / len(ntok) * a.batch * a.steps) / secs
            n_adapter = 0 if a.full else sum(p.numel() for p in tr.model.parameters() if p.requires_grad)
            fpt = 6 * n_params if a.full else 4 * n_params + 6 * n_adapter
            r = dict(s_per_step=secs / a.steps, train_tokens_per_s=tps, flops_per_token=fpt, mfu=(fpt * tps / (peak * 1e12)) if peak else None,
                     peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                     activation_checkpointing=bool(getattr(tr.args, "activation_checkpointing", None) or getattr(tr.args, "gradient_checkpointing", False)))
            if device == "cuda": r["peak_gpu_mem_gib"] = torch.cuda.max_memory_allocated() / 2**30
            return r
        rounds = [{side: side_run(side) for side in sides} for _ in range(a.rounds)]
        res["sides"], res["earlier_rounds"] = rounds[-1], rounds[:-1]
    res["peak_tflops"] = peak
    if "ours:pad" in res["sides"]:
        base = res["sides"]["ours:pad"]["train_tokens_per_s"]
        res["ratio_over_pad"] = {k: v["train_tokens_per_s"] / base for k, v in res["sides"].items() if k.startswith("ours:")}
    if {"ours", "bare"} <= set(res["sides"]):
        res["ratio_ours_over_bare"] = res["sides"]["ours"]["train_tokens_per_s"] / res["sides"]["bare"]["train_tokens_per_s"]
    print(json.dumps(res, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__": main()
