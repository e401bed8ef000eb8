"""Reward-model speed: training pairs/s and scoring pairs/s of girl_nb.reward against a bare TRL RewardTrainer on the same pairs.

    python bench/reward.py [--backbone all-minilm-l6-v2] [--pairs 128] [--steps 8] [--batch 16] [--max-length 512] [--device auto]
    python bench/reward.py --pairs 512 --dump-rows rows.jsonl        # then on a GPU machine: --rows rows.jsonl --backbone FOLDER

Both sides train the same backbone on the same (CV, J+, J-) pairs from the tiny data preset, with the same batch size, steps, learning
rate, dtype and gradient checkpointing off. The bare side gives TRL untokenized text (prompt = CV, chosen/rejected = JD), so TRL
tokenizes and appends EOS itself (a BERT tokenizer has none: it is set to SEP, else TRL raises `endswith first arg must be str`), and
TRL *drops* pairs longer than max_length (reported as bare_dropped). Scoring: `girl_nb.reward.score` (length-sorted batches) against a
plain loop of `tokenizer(cv, jd, padding, truncation)` + forward. Prints one JSON object; --json also writes it to a file.
"""
import argparse, json, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _data(n_pairs:int, tmp:Path, rows_file:str|None=None):
    "n_pairs (CV, J+, J-) rows from `rows_file` (jsonl) or a tiny data stage"
    if rows_file: return [json.loads(l) for l in open(rows_file)][:n_pairs]
    from girl_nb.pipeline import load_config
    from girl_nb.data import load_splits
    from girl_nb.data_stage import run_data
    from girl_nb.reward import pair_rows
    cvs = max(40, n_pairs // 2 + 1)
    cfg = load_config(Path(__file__).resolve().parents[1]/"configs"/"tiny.yaml", [f"data.rm_cvs={cvs}", "data.rm_neg_per_cv=2", "data.n_jobs=400"])
    run_data(cfg, tmp)
    rows, _ = pair_rows(load_splits(tmp/"data"/"splits")["rm"])
    return rows[:n_pairs]


def _sync(device):
    import torch
    if device == "cuda": torch.cuda.synchronize()


def ours(backbone, rows, a, device, bf16, tmp):
    "girl_nb: tokenize_pairs (cut CVs) + make_reward_trainer + train; then score()"
    from girl_nb.reward import RewardConfig, load_backbone, make_reward_trainer, score, tokenize_pairs
    model, tok = load_backbone(backbone, device)
    rc = RewardConfig(max_steps=a.steps, batch_size=a.batch, max_length=a.max_length, lr=5e-5, save_steps=10**6, logging_steps=10**6)
    t = time.perf_counter()
    tr_rows, st = tokenize_pairs(rows, tok, a.max_length)
    tr = make_reward_trainer(model, tok, tr_rows, [], rc, tmp/"ours", bf16=bf16, device=device); t1 = time.perf_counter()
    tr.train(); _sync(device); t2 = time.perf_counter()
    model = tr.model.eval(); model.config.girl_reward = dict(max_length=a.max_length, segment_a="auto", language="en")
    cvs, jds = [r["cv"] for r in rows] * 2, [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    score(model, tok, cvs[:8], jds[:8]); _sync(device)  # warm-up
    ts = time.perf_counter(); score(model, tok, cvs, jds, batch_size=a.score_batch); _sync(device)
    return dict(prep_s=t1 - t, train_pairs_per_s=a.steps * a.batch / (t2 - t1), end_to_end_pairs_per_s=a.steps * a.batch / (t2 - t),
                score_pairs_per_s=len(cvs) / (time.perf_counter() - ts), cv_truncated=st["n_cv_truncated"])


def bare(backbone, rows, a, device, bf16, tmp):
    "A bare TRL RewardTrainer on text; scoring by a plain tokenizer + forward loop"
    import torch
    from datasets import Dataset
    from trl import RewardConfig, RewardTrainer
    from girl_nb.reward import load_backbone
    model, tok = load_backbone(backbone, device)
    if tok.eos_token is None: tok.eos_token = tok.sep_token  # TRL's add_eos needs a string EOS
    args = RewardConfig(output_dir=str(tmp/"bare"), max_steps=a.steps, per_device_train_batch_size=a.batch, learning_rate=5e-5,
                        max_length=a.max_length, activation_checkpointing=False, bf16=bf16, use_cpu=device == "cpu", report_to="none",
                        save_strategy="no", logging_steps=10**6, disable_tqdm=True, dataloader_pin_memory=False)
    ds = Dataset.from_list([dict(prompt=r["cv"] + " ", chosen=r["chosen"], rejected=r["rejected"]) for r in rows])
    t = time.perf_counter()
    tr = RewardTrainer(model=model, args=args, train_dataset=ds, processing_class=tok); kept = len(tr.train_dataset); t1 = time.perf_counter()
    res = dict(bare_kept_pairs=kept, bare_dropped=len(rows) - kept, prep_s=t1 - t)
    if kept >= a.batch:
        tr.train(); _sync(device); t2 = time.perf_counter()
        res |= dict(train_pairs_per_s=a.steps * a.batch / (t2 - t1), end_to_end_pairs_per_s=a.steps * a.batch / (t2 - t))
    model = tr.model.eval(); cvs, jds = [r["cv"] for r in rows] * 2, [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    t = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(cvs), a.score_batch):
            b = tok(cvs[i:i+a.score_batch], jds[i:i+a.score_batch], padding=True, truncation=True, max_length=a.max_length, return_tensors="pt").to(device)
            model(**b).logits
    _sync(device); res["score_pairs_per_s"] = len(cvs) / (time.perf_counter() - t)
    return res


def _warm(backbone, a, device, bf16):
    "One forward/backward at the benchmark's shapes, so neither side pays for CUDA start-up or first-call kernels"
    import torch, datasets, trl.trainer.reward_trainer, girl_nb.sft  # imports too: the first side would pay for them
    from girl_nb.reward import load_backbone
    model, tok = load_backbone(backbone, device)
    ids = torch.randint(1000, 2000, (2 * a.batch, a.max_length), device=device)
    with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16): model(input_ids=ids).logits.sum().backward()
    _sync(device)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", default="all-minilm-l6-v2"); ap.add_argument("--pairs", type=int, default=128)
    ap.add_argument("--steps", type=int, default=8); ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--score-batch", type=int, default=64); ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--device", default="auto"); ap.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--rounds", type=int, default=2, help="ours then bare, this many times; the last round is reported")
    ap.add_argument("--json", help="also write the result here")
    ap.add_argument("--rows", help="jsonl of (seeker_id, cv, chosen, rejected) rows instead of a tiny data stage (for machines without the data packages)")
    ap.add_argument("--dump-rows", help="write the rows used to this jsonl and stop")
    a = ap.parse_args(argv)
    import torch
    from girl_nb.core import get_device, get_dtype, seed_everything
    device = get_device(a.device); bf16 = get_dtype(a.dtype, device) == torch.bfloat16
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); rows = _data(a.pairs, tmp, a.rows)
        if a.dump_rows:
            with open(a.dump_rows, "w") as f: f.writelines(json.dumps(r) + "\n" for r in rows)
            return rows
        _warm(a.backbone, a, device, bf16); rounds = []
        for r in range(a.rounds):  # the last round counts: earlier ones pay for first-call kernels at each new shape (GPU)
            seed_everything(0); o = ours(a.backbone, rows, a, device, bf16, tmp/f"o{r}")
            seed_everything(0); b = bare(a.backbone, rows, a, device, bf16, tmp/f"b{r}"); rounds.append(dict(ours=o, bare=b))
    res = dict(device=device, gpu=torch.cuda.get_device_name() if device == "cuda" else None, backbone=a.backbone, bf16=bf16, pairs=len(rows),
               steps=a.steps, batch=a.batch, max_length=a.max_length, ours=o, bare=b,
               train_ratio=o["train_pairs_per_s"] / b["train_pairs_per_s"] if "train_pairs_per_s" in b else None,
               end_to_end_ratio=o["end_to_end_pairs_per_s"] / b["end_to_end_pairs_per_s"] if "train_pairs_per_s" in b else None,
               score_ratio=o["score_pairs_per_s"] / b["score_pairs_per_s"], earlier_rounds=rounds[:-1])
    print(json.dumps(res, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__": main()
