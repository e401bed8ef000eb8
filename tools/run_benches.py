"""Run every bench/*.py with its standard arguments and write bench/results.md (machine, date, load, command, figures).

    python tools/run_benches.py [--quick] [--only rec,generate] [--out bench/results.md]

Every figure is written to results.md as the script printed it, with the wall time and the load average at its start (a
loaded machine slows everything: run it alone). `rl_peers` needs a finished demo run in runs/demo.

Each script prints its own figures (JSON or a Markdown table), with ratios against the baselines its docstring names; this
collects them, one section per script, in the order below. --quick uses smaller sizes (a smoke run, not figures to quote).
"""
import argparse, datetime, os, platform, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = {  # name -> (script, standard args, quick args)
    "data_gen": ("data_gen.py", ["--scale", "1.0"], ["--scale", "0.05"]),
    "generate": ("generate.py", ["--n-cvs", "64", "--max-new-tokens", "200"], ["--n-cvs", "8", "--max-new-tokens", "32", "--baseline-cvs", "2"]),
    "sft": ("sft.py", ["--pairs", "64", "--steps", "4", "--batch", "8"], ["--model", "tiny", "--pairs", "16", "--steps", "2", "--batch", "2", "--rounds", "1"]),
    "sft_full": ("sft.py", ["--pairs", "64", "--steps", "4", "--batch", "8", "--full", "--sides", "ours", "--rounds", "1"],
                 ["--model", "tiny", "--pairs", "16", "--steps", "2", "--batch", "2", "--full", "--sides", "ours", "--rounds", "1"]),
    "sft_fp32": ("sft.py", ["--pairs", "64", "--steps", "4", "--batch", "8", "--dtype", "fp32", "--sides", "ours", "--rounds", "1"],
                 ["--model", "tiny", "--pairs", "16", "--steps", "2", "--batch", "2", "--dtype", "fp32", "--sides", "ours", "--rounds", "1"]),
    "reward": ("reward.py", ["--pairs", "128", "--steps", "8"], ["--pairs", "32", "--steps", "2", "--rounds", "1"]),
    "rlrf": ("rlrf.py", ["--cvs", "8", "--max-new-tokens", "128", "--iterations", "3"], ["--generator", "tiny", "--reward", "tiny", "--cvs", "4", "--max-new-tokens", "16", "--iterations", "2"]),
    "rec": ("rec.py", ["--texts", "512", "--pairs", "200000", "--rounds", "3"], ["--texts", "32", "--pairs", "20000", "--rounds", "1"]),
    # needs a finished demo run (sft, reward, rlrf): skipped with a note otherwise
    "rl_peers": ("rl_peers.py", ["--run", "runs/demo", "--config", "configs/demo.yaml"], None),
}
NEEDS = {"rl_peers": ROOT/"runs"/"demo"/"rlrf"/"metrics.json"}
PREP = {"rlrf": ["bash", "bench/trl112-venv.sh"]}  # run first: the TRL 1.12 virtualenv of rlrf's peer (on failure rlrf reports it skipped)


def machine() -> str:
    try: cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): cpu = platform.processor()
    try:
        import torch; gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"
    except ImportError: gpu = ""
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){gpu}, Python {platform.python_version()}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true"); ap.add_argument("--only", help="comma-separated script names (without .py)")
    ap.add_argument("--out", default=str(ROOT/"bench"/"results.md"))
    a = ap.parse_args(argv)
    names = [n for n in BENCHES if not a.only or n in a.only.split(",")]
    parts = [f"# Benchmark results\n\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC · {machine()}"
             + (" · **quick run (smoke sizes, not figures to quote)**" if a.quick else "") + "\n"]
    failed = []
    for n in names:
        script, std, quick = BENCHES[n]; args = quick if a.quick else std
        if args is None or (n in NEEDS and not NEEDS[n].exists()):
            why = "no quick size" if args is None else f"needs {NEEDS[n].relative_to(ROOT)} (run `make demo` first)"
            parts.append(f"## {n}\n\nskipped: {why}\n"); print(f"{n}: skipped ({why})", flush=True); continue
        if n in PREP and not a.quick: subprocess.run(PREP[n], cwd=ROOT, capture_output=True)
        cmd = [sys.executable, f"bench/{script}", *args]
        load = os.getloadavg()[0]; t = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        secs = time.perf_counter() - t
        out = r.stdout.strip() or "(no output)"
        if r.returncode: failed.append(n); out += "\n\n" + "\n".join(r.stderr.strip().splitlines()[-15:])
        parts.append(f"## {n}\n\n`python bench/{script} {' '.join(args)}` · {secs:.0f} s wall · load {load:.1f} at start · exit {r.returncode}\n\n"
                     + (out if out.lstrip().startswith("|") else f"```\n{out}\n```") + "\n")
        print(f"{n}: exit {r.returncode} in {secs:.0f} s", flush=True)
        Path(a.out).write_text("\n".join(parts))  # after each script: an interrupted run keeps what it measured
    Path(a.out).write_text("\n".join(parts)); print(f"wrote {a.out}")
    return 1 if failed else 0


if __name__ == "__main__": sys.exit(main())
