"""Fault drill: SIGKILL each training stage at a random point, rerun the pipeline, and check nothing was lost or done twice.

    python tools/drill.py [--preset tiny] [--seed 0] [--keep DIR]

1. A reference run: `girl pipeline --preset P --stages data,sft,reward,rlrf` into REF, uninterrupted.
2. The drill run into DRILL, on a copy of REF's data folder (the data stage salts ids afresh on every run): for each of sft, reward, rlrf the pipeline is started, killed with SIGKILL (whole process group)
   a random 0-3 s after the stage's first checkpoint appears, and started again; the last start runs to the end.
3. Checks: every stage finished (pipeline.json); SFT and reward metrics equal the reference (losses within 1e-3 relative);
   RLRF's log.csv has iterations 1..N exactly once each and the same rewards as the reference (within 1e-3).
Exit 0 when all checks pass; prints one line per check.
"""
import argparse, csv, json, os, random, signal, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ("sft", "reward", "rlrf")


def girl(*args) -> list[str]: return [sys.executable, "-m", "girl_nb.cli", *args]


def run(out:Path, preset:str, stages:str) -> int:
    return subprocess.run(girl("pipeline", "--preset", preset, "--out", str(out), "--stages", stages), cwd=ROOT).returncode


def kill_during(out:Path, preset:str, stage:str, rnd:random.Random) -> bool:
    "Start the pipeline up to `stage`, SIGKILL it after the stage's first checkpoint; True when it was killed mid-stage"
    stages = ",".join(("data",) + TRAIN[:TRAIN.index(stage) + 1])
    p = subprocess.Popen(girl("pipeline", "--preset", preset, "--out", str(out), "--stages", stages), cwd=ROOT, start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ck = out/stage/"checkpoints"
    while p.poll() is None:
        if ck.is_dir() and any(ck.glob("*")):
            time.sleep(rnd.uniform(0, 3))
            if p.poll() is None: os.killpg(p.pid, signal.SIGKILL); p.wait(); return True
        time.sleep(0.2)
    return False


def _metrics(out:Path, stage:str) -> dict: return json.loads((out/stage/"metrics.json").read_text())["metrics"]


def _log(out:Path) -> list[dict]: return list(csv.DictReader(open(out/"rlrf"/"log.csv")))


def close(a, b, tol=1e-3) -> bool: return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a)), abs(float(b)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny"); ap.add_argument("--seed", type=int, default=0); ap.add_argument("--keep")
    a = ap.parse_args(argv)
    rnd = random.Random(a.seed)
    base = Path(a.keep or tempfile.mkdtemp(prefix="girl-drill-")); ref, drill = base/"ref", base/"drill"
    stages = "data," + ",".join(TRAIN)
    print(f"drill folder {base}", flush=True)
    if run(ref, a.preset, stages): print("FAIL: the reference run failed"); return 1
    # the data stage de-links ids with a fresh secret salt on every run (by design), which reorders rows: the drill
    # therefore trains on the reference's data folder, so the two runs differ only by the kills
    import shutil; shutil.copytree(ref/"data", drill/"data")
    killed = {s: kill_during(drill, a.preset, s, rnd) for s in TRAIN}
    if run(drill, a.preset, stages): print("FAIL: the rerun after the kills failed"); return 1
    checks = [(f"{s} was killed mid-stage", killed[s]) for s in TRAIN]
    checks += [(f"{s} finished", (drill/s/"pipeline.json").is_file()) for s in TRAIN]
    for s, keys in (("sft", ("train_loss_last", "eval_loss", "train_steps")), ("reward", ("train_loss_last", "pairwise_accuracy", "train_steps"))):
        r, d = _metrics(ref, s), _metrics(drill, s)
        checks += [(f"{s} {k}: {d.get(k)} vs reference {r.get(k)}", r.get(k) is not None and close(r[k], d.get(k, float("nan")))) for k in keys]
    lr, ld = _log(ref), _log(drill)
    its = [int(r["iteration"]) for r in ld]
    checks.append((f"rlrf iterations logged once each: {its}", its == list(range(1, len(lr) + 1))))
    checks.append(("rlrf rewards equal the reference", len(lr) == len(ld) and all(close(x["rm_reward"], y["rm_reward"]) for x, y in zip(lr, ld))))
    for name, ok in checks: print(("ok   " if ok else "FAIL ") + name)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__": sys.exit(main())
