"""Enhanced-recommender speed: encoding texts/s (girl_nb's length-sorted EmbeddingCache against a plain batched loop over the same texts
in their given order) and scoring pairs/s of the trained predictors from cached embeddings (goal: >= 50k pairs/s on CPU).

    python bench/rec.py [--encoder all-minilm-l6-v2] [--texts 512] [--pairs 200000] [--rounds 3] [--device auto] [--data runs/demo]

Texts are the CVs and JDs of `--data`'s rec splits (OUT/data/splits) or, without it, of a tiny data stage. The encoding runs use a fresh
cache each round (nothing is read back from disk). Scoring uses predictors of the configured width (hidden 256, towers 128) over random
unit vectors of the encoder's width: MLP and Dot, base (Eq. 10/11) and enhanced (Eq. 13/15), `predict`'s default batch (seeker/job parts computed once per call). Prints one JSON object with
medians over rounds; --json also writes it to a file.
"""
import argparse, json, platform, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _texts(n:int, data:str|None, tmp:Path) -> list[str]:
    from girl_nb.pipeline import load_config
    from girl_nb.data import load_splits
    if data is None:
        from girl_nb.data_stage import run_data
        run_data(load_config(Path(__file__).resolve().parents[1]/"configs"/"tiny.yaml", ["data.rec_pairs=1200", "data.n_jobs=400"]), tmp)
        data = tmp
    sp = load_splits(Path(data)/"data"/"splits")
    seen, out = set(), []
    for r in sp["rec_train"]:
        for t in (r["cv"], r["jd"]):
            if t not in seen: seen.add(t); out.append(t)
    return out[:n]


def _sync(device):
    import torch
    if device == "cuda": torch.cuda.synchronize()


def encode_ours(texts, a, device, tmp):
    from girl_nb.recommender import EmbeddingCache
    ec = EmbeddingCache(tempfile.mkdtemp(dir=tmp), a.encoder, a.max_length, a.batch, device)
    ec(texts[:8], progress=False); ec.parts.clear(); ec.index.clear()  # load + warm-up outside the timing
    t = time.perf_counter(); ec(texts, progress=False); _sync(device)
    return len(texts) / (time.perf_counter() - t)


def encode_plain(texts, a, device):
    "The textbook loop: tokenize each batch in the given order, forward, mean-pool, normalise"
    import torch
    from girl_nb.models import load_encoder, mean_pool
    model, tok = load_encoder(a.encoder, device=device)
    def run(ts):
        with torch.inference_mode():
            for b in range(0, len(ts), a.batch):
                enc = tok(ts[b:b+a.batch], padding=True, truncation=True, max_length=a.max_length, return_tensors="pt").to(device)
                torch.nn.functional.normalize(mean_pool(model(**enc).last_hidden_state, enc["attention_mask"]), dim=-1).cpu()
    run(texts[:8]); _sync(device)
    t = time.perf_counter(); run(texts); _sync(device)
    return len(texts) / (time.perf_counter() - t)


def scoring(a, d, device):
    import numpy as np, torch
    from girl_nb.recommender import RecConfig
    from girl_nb.recommender import RecData, make_predictor, predict
    rng = np.random.default_rng(0); n_s, n_j = 5000, 3000
    unit = lambda n: torch.nn.functional.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(n)), dim=-1).to(device)
    C, J, G = unit(n_s), unit(n_j), unit(n_s + 1)[:n_s]
    data = RecData(rng.integers(0, n_s, a.pairs), rng.integers(0, n_j, a.pairs), rng.integers(0, 2, a.pairs))
    data.si, data.ji = data.si.to(device), data.ji.to(device)
    res = {}
    for kind in ("mlp", "dot"):
        for enh in (False, True):
            m = make_predictor(kind, d, RecConfig(), enh).to(device)
            predict(m, data, C, J, G if enh else None)  # warm-up
            _sync(device); t = time.perf_counter(); predict(m, data, C, J, G if enh else None); _sync(device)
            res[f"{kind}{'_enhanced' if enh else ''}"] = a.pairs / (time.perf_counter() - t)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--encoder", default="all-minilm-l6-v2"); p.add_argument("--texts", type=int, default=512)
    p.add_argument("--pairs", type=int, default=200_000); p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=64); p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--device", default="auto"); p.add_argument("--data", help="run folder with OUT/data (default: a tiny data stage)")
    p.add_argument("--json", help="also write the result here")
    a = p.parse_args(argv)
    import torch
    from girl_nb.core import get_device
    device = get_device(a.device); torch.set_grad_enabled(False)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); texts = _texts(a.texts, a.data, tmp)
        ours, plain, score = [], [], []
        for _ in range(a.rounds):  # alternate the two sides so drifting machine load hits both alike
            plain.append(encode_plain(texts, a, device)); ours.append(encode_ours(texts, a, device, tmp))
        from girl_nb.models import load_encoder
        dim = load_encoder(a.encoder)[0].config.hidden_size
        for _ in range(a.rounds): score.append(scoring(a, dim, device))
    med = statistics.median
    res = dict(machine=f"{platform.machine()} {torch.get_num_threads()} threads" + (f", {torch.cuda.get_device_name()}" if device == "cuda" else ""),
               device=device, encoder=a.encoder, texts=len(texts), rounds=a.rounds,
               encode_texts_per_s=dict(ours=med(ours), plain=med(plain), ratio=med(ours) / med(plain)),
               score_pairs_per_s={k: med(s[k] for s in score) for k in score[0]}, score_goal_pairs_per_s=50_000)
    print(json.dumps(res, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__": main()
