"""Benchmark JD generation: naive HF `generate` against `girl_nb.generate.generate_jds`, back to back in one process.

    python bench/generate.py                          # SmolLM2-135M in the pipeline's dtype; HF: 5 CVs in one batch; ours: 64 CVs
    python bench/generate.py --n-cvs 128 --batch-size 64 --max-new-tokens 200 --threads 1
    python bench/generate.py --device cuda --n-cvs 512 --batch-size 256 --json gen.json   # a GPU: adds MFU against its bf16 peak
    python bench/generate.py --device cuda --static both     # a GPU: the dynamic loop and the static-cache/CUDA-graph loop, back to back
    python bench/generate.py --ct2 int8,float32              # adds CTranslate2 rows (pip install girl_nb[bench]); default: int8 when installed
    python bench/generate.py --int8-dynamic --profile        # a CPU: adds torch's dynamic int8 Linear row; where one batch's time goes
    python bench/generate.py --skip-baseline --ct2 off --n-cvs 32 --sweep 8,32,64   # decode step by batch size against the matrix products alone

Baseline: HF `generate`, greedy, the first `--baseline-cvs` CVs left-padded in one batch (the call the pipeline used
to make). Ours: `generate_jds` on `--n-cvs` CVs (greedy, `--batch-size` rows at a time). Tokens/s counts generated
tokens (each completion up to and including its EOS) over wall time, prompts' prefill included. Greedy check: our
completions for the baseline CVs must equal HF's token for token. Prints the machine, date, load average and peak RSS.
CTranslate2 (optional, `--ct2`): the same model converted once (`ct2-transformers-converter`'s Python API) and decoded
greedily on the same CVs and batch size, one row per compute type, with how many completions equal ours token for token
(int8 changes the arithmetic, so its texts may differ; float32 should match). `--int8-dynamic` (CPU): the same
`generate_jds` on a copy of the model whose Linear layers are quantised by `torch.ao.quantization.quantize_dynamic`
(int8 weights, activations quantised per call), with its token-for-token agreement. `--profile`: one batch of
`--batch-size` prompts decoded for 1 and for `--max-new-tokens` tokens (prefill time, then the decode step's time
as the difference over the extra steps), and the share of self CPU time per op over the long call (torch.profiler).
`--sweep 8,32,64`: at each batch size, a batch of prompts through `decode_batch` with no EOS (every row decodes all
`--sweep-tokens` steps): prefill tokens/s, the decode step's time and tokens/s, and the model's matrix products at that
batch timed alone (`F.linear` on each Linear layer's shape, the LM head included), i.e. how close decoding runs to the
matrix library's own rate on this machine.
"""
import argparse, datetime, json, os, platform, resource, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._peaks import peak_tflops  # noqa: E402



def hf_generate(model, tok, enc, max_new_tokens):
    "Naive HF `generate` on one left-padded batch, greedy; completions up to their EOS"
    from girl_nb.generate import left_pad, until_eos
    ids, mask, _ = left_pad(enc, tok.pad_token_id)
    ids, mask = ids.to(model.device), mask.to(model.device)
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return [until_eos(r[ids.shape[1]:].tolist(), tok.eos_token_id, tok.pad_token_id) for r in out]


def ct2_generator(model_name, tok, folder, compute_type):
    "A CTranslate2 Generator of `model_name` (an fp32 HF copy converted into `folder`)"
    import ctranslate2
    from ctranslate2.converters import TransformersConverter
    from girl_nb.models import load_generator
    import torch
    hf, ct = Path(folder)/"hf", Path(folder)/f"ct2-{compute_type}"
    if not hf.exists():
        load_generator(model_name, dtype=torch.float32).save_pretrained(hf, safe_serialization=True); tok.save_pretrained(hf)
    if not ct.exists(): TransformersConverter(str(hf)).convert(str(ct), quantization=compute_type)
    return ctranslate2.Generator(str(ct), device="cpu", compute_type=compute_type, intra_threads=os.cpu_count() or 0)


def ct2_generate(gen, tok, enc, max_new_tokens, batch_size):
    "Greedy CTranslate2 completions of the prompts `enc` (token ids), `batch_size` at a time, each up to and including its EOS"
    out = []
    for i in range(0, len(enc), batch_size):
        res = gen.generate_batch([tok.convert_ids_to_tokens(e) for e in enc[i:i + batch_size]], max_length=max_new_tokens,
                                 sampling_topk=1, include_prompt_in_result=False, end_token=tok.eos_token)
        out += [r.sequences_ids[0] + ([tok.eos_token_id] if len(r.sequences_ids[0]) < max_new_tokens else []) for r in res]
    return out


def profile_batch(model, tok, cvs, batch_size, max_new_tokens, top=8):
    "Prefill and decode-step seconds of one batch through `generate_jds`, and the ops' shares of its self CPU time"
    from torch.profiler import profile, ProfilerActivity
    from girl_nb.generate import generate_jds
    cvs = cvs[:batch_size]
    kw = dict(batch_size=batch_size, return_ids=True)
    t0 = time.perf_counter(); _, enc, _ = generate_jds(model, tok, cvs, max_new_tokens=1, **kw); t_pre = time.perf_counter() - t0
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter(); comp = generate_jds(model, tok, cvs, max_new_tokens=max_new_tokens, **kw)[2]
        t_all = time.perf_counter() - t0
    steps = max(map(len, comp)) - 1
    ev = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    tot = sum(e.self_cpu_time_total for e in ev)
    n_pre = sum(map(len, enc))
    print(f"\n### One batch of {len(cvs)} prompts ({n_pre:,} prompt tokens), profiled\n")
    print(f"prefill (a 1-token call): {t_pre:.2f} s, {n_pre / t_pre:.0f} prompt tokens/s; decode, under the profiler: "
          f"{(t_all - t_pre) / max(steps, 1) * 1e3:.1f} ms a step over {steps} further steps "
          f"(a row leaves the batch at its EOS: the shortest ended after {min(map(len, comp))})\n")
    print("| op | share of self CPU time | calls |\n|---|---:|---:|")
    for e in ev[:top]: print(f"| `{e.key}` | {e.self_cpu_time_total / tot:.1%} | {e.count:,} |")
    return dict(prefill_s=round(t_pre, 3), prompt_tokens=n_pre, decode_ms_per_step=round((t_all - t_pre) / max(steps, 1) * 1e3, 2),
                ops={e.key: round(e.self_cpu_time_total / tot, 4) for e in ev[:top]})


def linear_floor(model, batch_size, reps=20):
    "Seconds a decode step's matrix products take alone at `batch_size` rows (median `F.linear` per distinct Linear shape), and their FLOPs"
    import collections, statistics, torch
    F = torch.nn.functional
    shapes = collections.Counter(tuple(m.weight.shape) for m in model.modules() if isinstance(m, torch.nn.Linear))
    secs = flops = 0.0
    sync = torch.cuda.synchronize if model.device.type == 'cuda' else (lambda: None)
    with torch.inference_mode():
        for (n_out, n_in), k in shapes.items():
            w = torch.randn(n_out, n_in, dtype=model.dtype, device=model.device)
            x = torch.randn(batch_size, n_in, dtype=model.dtype, device=model.device)
            F.linear(x, w); sync()  # warm-up
            ts = []
            for _ in range(reps): t0 = time.perf_counter(); F.linear(x, w); sync(); ts.append(time.perf_counter() - t0)
            secs += k * statistics.median(ts); flops += k * 2 * batch_size * n_in * n_out
    return secs, flops


def sweep(model, tok, cvs, batch_sizes, new_tokens):
    "Prefill and fixed-batch decode-step figures at each batch size, beside the step's matrix products timed alone"
    import torch
    from girl_nb.generate import build_prompt, decode_batch, prompt_ids
    enc = [prompt_ids(tok, build_prompt(cv, tok)) for cv in cvs[:max(batch_sizes)]]
    print(f"\n### Batch sweep: every row decodes {new_tokens} tokens (no EOS), prompts of {min(map(len, enc))}–{max(map(len, enc))} tokens\n")
    print("| batch | prefill prompt tokens/s | decode ms a step | decode tokens/s | matrix products alone, ms a step | their GFLOP/s alone "
          "| products' GFLOP/s in the step | step time in products (floor) |\n|---:|---:|---:|---:|---:|---:|---:|---:|")
    out = []
    with torch.inference_mode():
        decode_batch(model, enc[:2], -1, tok.pad_token_id, 2)  # warm-up
        for b in batch_sizes:
            e = [enc[i % len(enc)] for i in range(b)]
            t0 = time.perf_counter(); decode_batch(model, e, -1, tok.pad_token_id, 1); t1 = time.perf_counter() - t0
            t0 = time.perf_counter(); decode_batch(model, e, -1, tok.pad_token_id, new_tokens); tn = time.perf_counter() - t0
            step = (tn - t1) / (new_tokens - 1)
            floor, flops = linear_floor(model, b)
            n_pre = sum(map(len, e))
            r = dict(batch=b, prefill_tokens_per_s=round(n_pre / t1, 1), decode_ms_per_step=round(step * 1e3, 2),
                     decode_tokens_per_s=round(b / step, 1), linear_ms_alone=round(floor * 1e3, 2), linear_gflops_alone=round(flops / floor / 1e9, 1),
                     linear_gflops_in_step=round(flops / step / 1e9, 1), floor_share=round(floor / step, 3))
            print(f"| {b} | {r['prefill_tokens_per_s']:.0f} | {r['decode_ms_per_step']:.1f} | {r['decode_tokens_per_s']:.0f} | "
                  f"{r['linear_ms_alone']:.1f} | {r['linear_gflops_alone']:.0f} | {r['linear_gflops_in_step']:.0f} | {r['floor_share']:.0%} |")
            out.append(r)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default='smollm2-135m-instruct', help='bundled name, `tiny`, or an HF folder')
    ap.add_argument('--n-cvs', type=int, default=64, help='CVs for our generate_jds')
    ap.add_argument('--baseline-cvs', type=int, default=5, help='CVs in the one HF generate batch')
    ap.add_argument('--max-new-tokens', type=int, default=200)
    ap.add_argument('--batch-size', type=int, default=32, help='generate_jds batch size')
    ap.add_argument('--dtype', default='auto', choices=['auto', 'bf16', 'fp32'],
                    help='auto: what the pipeline computes in (bf16 where the device has it natively, else fp32)')
    ap.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    ap.add_argument('--skip-baseline', action='store_true')
    ap.add_argument('--static', default='auto', choices=['auto', 'on', 'off', 'both'],
                    help="generate_jds's static_cache: auto (on for CUDA), on, off, or both (off, then on, compared)")
    ap.add_argument('--device', default='cpu', help='cpu, cuda or auto')
    ap.add_argument('--peak-tflops', type=float, help='bf16 dense peak for MFU (default: known GPUs; none on CPU)')
    ap.add_argument('--ct2', default='auto', help="CTranslate2 compute types to add as rows (int8, int8_float32, float32; comma-separated), "
                                                   "off, or auto: int8 when ctranslate2 is installed")
    ap.add_argument('--int8-dynamic', action='store_true', help="add generate_jds on a copy with torch's dynamic int8 Linear layers (CPU)")
    ap.add_argument('--profile', action='store_true', help="one batch's prefill and decode-step times and its ops' shares of CPU time")
    ap.add_argument('--sweep', help="batch sizes, e.g. 8,32,64: fixed-batch decode step against the matrix products alone (see above)")
    ap.add_argument('--sweep-tokens', type=int, default=64, help='decode steps per --sweep batch (>= 2)')
    ap.add_argument('--json', help='also write the figures to this file')
    a = ap.parse_args(argv)
    import torch
    from girl_nb.core import get_device, get_dtype
    from girl_nb.models import load_generator, load_tokenizer
    from girl_nb.generate import build_prompt, generate_jds, prompt_ids
    from girl_nb.simulator import simulate
    if a.threads: torch.set_num_threads(a.threads)
    dev = get_device(a.device)
    dtype = get_dtype(a.dtype, dev)
    if a.int8_dynamic and dev != 'cpu': ap.error('--int8-dynamic: CPU only (torch dynamic quantisation)')
    sweep_bs = [b.strip() for b in (a.sweep or '').split(',') if b.strip()]
    if a.sweep and not all(b.isdigit() and int(b) > 0 for b in sweep_bs or ['']):
        ap.error(f'--sweep: batch sizes must be positive integers, got {a.sweep!r}')
    sweep_bs = [int(b) for b in sweep_bs]
    if a.sweep_tokens < 2: ap.error(f'--sweep-tokens: must be >= 2, got {a.sweep_tokens}')
    dtype_name = dict(bfloat16='bf16', float32='fp32', float16='fp16')[str(dtype).replace('torch.', '')]
    tok, model = load_tokenizer(a.model), load_generator(a.model, dtype=dtype, device=dev).eval()
    sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
    seekers = simulate(sft_pairs=max(200, a.n_cvs, a.baseline_cvs), rm_cvs=0, rl_cvs=0, rec_pairs=0, n_jobs=100).seekers
    cvs = [s['cv'] for s in seekers]
    print(f"### Generation: naive HF generate vs generate_jds ({a.model}, {dtype_name}, max_new_tokens {a.max_new_tokens})\n")
    print(f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads); date {datetime.datetime.now().isoformat(timespec='seconds')}\n")
    with torch.inference_mode(): generate_jds(model, tok, cvs[:2], max_new_tokens=2)  # warm-up (oneDNN kernels)
    rows = []
    def run(name, f, n_cvs):
        la0 = os.getloadavg()[0]; sync(); t0 = time.perf_counter(); comp = f(); sync(); secs = time.perf_counter() - t0
        ntok = sum(map(len, comp)); rows.append((name, n_cvs, ntok, secs, ntok / secs, la0, os.getloadavg()[0]))
        return comp
    if not a.skip_baseline:
        enc = [prompt_ids(tok, build_prompt(cv, tok)) for cv in cvs[:a.baseline_cvs]]
        with torch.inference_mode(): hf = run(f"HF generate, batch {a.baseline_cvs}", lambda: hf_generate(model, tok, enc, a.max_new_tokens), a.baseline_cvs)
    static = dict(auto=[None], on=[True], off=[False], both=[False, True])[a.static]
    label = {None: '', True: ', static cache' + (' + CUDA graphs' if dev == 'cuda' else ''), False: ', dynamic loop'}
    if True in static: generate_jds(model, tok, cvs[:2], max_new_tokens=4, static_cache=True)  # warm-up of the static path
    outs = [run(f"generate_jds, batch {a.batch_size}{label[st]}", lambda st=st: generate_jds(model, tok, cvs[:a.n_cvs], max_new_tokens=a.max_new_tokens,
                batch_size=a.batch_size, return_ids=True, static_cache=st)[2], a.n_cvs) for st in static]
    ours = outs[0]; i_ours = len(rows) - len(static)   # the first of our rows
    ct2_same = {}
    try: import ctranslate2  # noqa: F401
    except ImportError: ctranslate2 = None
    ct2_types = [] if a.ct2 == 'off' or dev != 'cpu' else ['int8'] if a.ct2 == 'auto' else [c.strip() for c in a.ct2.split(',') if c.strip()]
    if ct2_types and ctranslate2 is None and a.ct2 != 'auto': ap.error("--ct2: ctranslate2 is not installed (pip install girl_nb[bench])")
    if ct2_types and ctranslate2 is not None:
        import tempfile
        enc_all = [prompt_ids(tok, build_prompt(cv, tok)) for cv in cvs[:a.n_cvs]]
        with tempfile.TemporaryDirectory() as d:
            for ct in ct2_types:
                g = ct2_generator(a.model, tok, d, ct)
                ct2_generate(g, tok, enc_all[:2], 2, 2)  # warm-up
                comp = run(f"CTranslate2 {ctranslate2.__version__} {ct}, batch {a.batch_size}", lambda: ct2_generate(g, tok, enc_all, a.max_new_tokens, a.batch_size), a.n_cvs)
                ct2_same[ct] = sum(o == c for o, c in zip(ours, comp))
    int8_same = None
    if a.int8_dynamic:
        import copy, warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # torch.ao's deprecation notice (torchao is its successor)
            q8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model).float(), {torch.nn.Linear}, dtype=torch.qint8)
        with torch.inference_mode(): generate_jds(q8, tok, cvs[:2], max_new_tokens=2)  # warm-up
        comp = run(f"generate_jds, torch int8 dynamic (Linear), batch {a.batch_size}", lambda: generate_jds(q8, tok, cvs[:a.n_cvs],
                   max_new_tokens=a.max_new_tokens, batch_size=a.batch_size, return_ids=True)[2], a.n_cvs)
        int8_same = sum(o == c for o, c in zip(ours, comp))
        del q8
    same_graph = None
    if a.static == 'both' and dev == 'cuda':  # the graphs must replay exactly what the same static loop computes eagerly
        import functools, girl_nb.generate as G
        graphed = G.decode_batch_static; G.decode_batch_static = functools.partial(graphed, cuda_graph=False)
        try: eager = generate_jds(model, tok, cvs[:a.n_cvs], max_new_tokens=a.max_new_tokens, batch_size=a.batch_size, return_ids=True, static_cache=True)[2]
        finally: G.decode_batch_static = graphed
        same_graph = sum(o == g for o, g in zip(eager, outs[1]))
        print(f"static cache, CUDA graphs vs the same loop run eagerly: {same_graph}/{len(eager)} completions token for token the same")
    print("| what | CVs | tokens | seconds | tokens/s | load avg (1 min) before / after |\n|---|---:|---:|---:|---:|---|")
    for name, n, ntok, secs, tps, l0, l1 in rows: print(f"| {name} | {n} | {ntok:,} | {secs:.1f} | {tps:.1f} | {l0:.2f} / {l1:.2f} |")
    if not a.skip_baseline:
        print(f"\nratio generate_jds / HF generate: **{rows[i_ours][4] / rows[0][4]:.1f}x** tokens/s")
        k = min(a.baseline_cvs, a.n_cvs)
        same_big = sum(o == h for o, h in zip(ours[:k], hf[:k]))
        small = generate_jds(model, tok, cvs[:a.baseline_cvs], max_new_tokens=a.max_new_tokens, batch_size=a.baseline_cvs, return_ids=True)[2]
        same_small = sum(o == h for o, h in zip(small, hf))
        print(f"greedy check (token ids equal to HF generate): same batch of {a.baseline_cvs}: {same_small}/{a.baseline_cvs}; "
              f"inside the {a.n_cvs}-CV run: {same_big}/{k}")
    for ct, n in ct2_same.items():
        r = next(r for r in rows if r[0].startswith("CTranslate2") and f" {ct}," in r[0])
        print(f"generate_jds / CTranslate2 {ct}: **{rows[i_ours][4] / r[4]:.2f}x** tokens/s; completions token for token the same: {n}/{len(ours)}")
    if int8_same is not None:
        r = next(r for r in rows if 'int8 dynamic' in r[0])
        print(f"torch int8 dynamic / generate_jds: **{r[4] / rows[i_ours][4]:.2f}x** tokens/s; completions token for token the same: {int8_same}/{len(ours)}")
    same_static = None
    if len(outs) == 2:
        same_static = sum(o == g for o, g in zip(outs[0], outs[1]))
        print(f"static / dynamic: **{rows[i_ours + 1][4] / rows[i_ours][4]:.2f}x** tokens/s; completions token for token the same: {same_static}/{len(outs[0])}")
    lens = sorted(map(len, ours))
    print(f"completion lengths (ours): min {lens[0]}, median {lens[len(lens)//2]}, max {lens[-1]}; ended with EOS: "
          f"{sum(c[-1] == tok.eos_token_id for c in ours)}/{len(ours)}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS: {rss:.2f} GiB; load average now {os.getloadavg()}")
    # model FLOPs of decoding: 2 * N_params per generated token (attention over the cache left out: an underestimate)
    n_params = sum(p.numel() for p in model.parameters())
    gpu = torch.cuda.get_device_name() if dev == 'cuda' else None
    peak = peak_tflops(gpu, a.peak_tflops)
    res = dict(model=a.model, device=dev, gpu=gpu, dtype=dtype_name, dtype_asked=a.dtype, max_new_tokens=a.max_new_tokens, batch_size=a.batch_size, n_params=n_params,
               runs=[dict(what=r[0], cvs=r[1], tokens=r[2], seconds=round(r[3], 3), tokens_per_s=round(r[4], 1)) for r in rows],
               peak_rss_gib=round(rss, 2), ratio=round(rows[i_ours][4] / rows[0][4], 2) if not a.skip_baseline else None,
               static_vs_dynamic=round(rows[i_ours + 1][4] / rows[i_ours][4], 2) if len(outs) == 2 else None, static_same=same_static, graph_same_as_eager=same_graph,
               ct2_same_as_ours=ct2_same or None, int8_dynamic_same_as_ours=int8_same)
    if a.profile: res['profile'] = profile_batch(model, tok, cvs, a.batch_size, a.max_new_tokens)
    if sweep_bs: res['sweep'] = sweep(model, tok, cvs, sweep_bs, a.sweep_tokens)
    if peak:
        for r in res['runs']: r['mfu'] = round(2 * n_params * r['tokens_per_s'] / (peak * 1e12), 5)
        res['peak_tflops'] = peak
        print("MFU (2 N tokens/s / peak " + f"{peak:g} TFLOP/s): " + ", ".join(f"{r['what']}: {r['mfu']:.2%}" for r in res['runs']))
    if dev == 'cuda': res['peak_gpu_mem_gib'] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == '__main__': sys.exit(main())
