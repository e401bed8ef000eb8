"""Benchmark the labour-market simulator (`girl_nb.simulator.simulate`).

    python bench/data_gen.py              # scale 0.1 of Table I
    python bench/data_gen.py --scale 1.0  # Table I: 153,006 SFT pairs, 151,965 RM CVs, 37,600 RL CVs, 48,000 rec pairs, 20,000 jobs

Prints a Markdown table of rows/s (rows divided by the wall time of the whole simulate() call) for seekers, jobs and
interactions, and the wall time, with the machine and date. `--limit-s 180` makes it exit 1 when slower than the 3-minute budget.
"""
import argparse, datetime, os, platform, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from girl_nb.occupations import load_snapshot
from girl_nb.simulator import simulate

TABLE_I = dict(sft_pairs=153006, rm_cvs=151965, rl_cvs=37600, rec_pairs=48000, n_jobs=20000)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', type=float, default=0.1, help='fraction of Table I sizes (1.0 = Table I)')
    ap.add_argument('--language', default='en', choices=['en', 'zh'])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--limit-s', type=float, default=None, help='exit 1 if the wall time exceeds this many seconds')
    a = ap.parse_args(argv)
    if a.scale <= 0: ap.error('--scale must be > 0')
    sizes = {k: max(20 if k == 'n_jobs' else 1, round(v * a.scale)) for k, v in TABLE_I.items()}
    t0 = time.perf_counter(); load_snapshot(a.language); t_load = time.perf_counter() - t0
    t0 = time.perf_counter(); sim = simulate(**sizes, language=a.language, seed=a.seed); wall = time.perf_counter() - t0
    n_s, n_j, n_i = len(sim.seekers), len(sim.jobs), len(sim.interactions)
    print(f"### simulate() at scale {a.scale:g} ({a.language})\n")
    print(f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; date {datetime.date.today().isoformat()}\n")
    print("| what | rows | rows/s |\n|---|---:|---:|")
    for name, n in (('seekers (CVs)', n_s), ('jobs (JDs)', n_j), ('interactions', n_i)):
        print(f"| {name} | {n:,} | {n / wall:,.0f} |")
    print(f"| wall time of simulate() | {wall:.1f} s | |\n| snapshot load (once per process) | {t_load:.1f} s | |")
    print(f"\nsizes: {sizes}")
    if a.limit_s is not None and wall > a.limit_s:
        print(f"FAIL: {wall:.1f} s > limit {a.limit_s:g} s"); return 1
    return 0


if __name__ == '__main__': sys.exit(main())
