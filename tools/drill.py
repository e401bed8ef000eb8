"""Fault drill: SIGKILL each training stage at a random point, rerun the pipeline, and check nothing was lost or done twice.

    python tools/drill.py [--preset tiny] [--seed 0] [--keep DIR] [--checks kills,stale]

1. A reference run: `girl pipeline --preset P --stages data,sft,reward,rlrf` into REF, uninterrupted.
2. The drill run into DRILL, on a copy of REF's data folder (the data stage salts ids afresh on every run): for each of sft, reward, rlrf the pipeline is started, killed with SIGKILL (whole process group)
   a random 0-3 s after the stage's first checkpoint appears, and started again; the last start runs to the end.
3. Checks: every stage finished (pipeline.json); SFT and reward metrics equal the reference (losses within 1e-3 relative);
   RLRF's log.csv has iterations 1..N exactly once each and the same rewards as the reference (within 1e-3).
4. Stale data (`--checks stale`): the pipeline up to rec on a user-data folder (the preset's simulated tables written as
   seekers/jobs/interactions.jsonl, with data.source pointing at it); then one CV in seekers.jsonl is edited and the
   pipeline rerun: every stage must run again, none be skipped, each with a new key in OUT/<stage>/pipeline.json;
   then seekers.jsonl is only touched (same bytes) and the pipeline rerun: every stage must be skipped.
Exit 0 when all checks pass; prints one line per check.
"""
import argparse, csv, json, os, random, signal, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ("sft", "reward", "rlrf")
USER_STAGES = ("data", "sft", "reward", "rlrf", "rec")  # eval's default judge needs the simulator's gold


def girl(*args) -> list[str]: return [sys.executable, "-m", "girl_nb.cli", *args]


def run(out:Path, preset:str, stages:str) -> int:
    return subprocess.run(girl("pipeline", "--preset", preset, "--out", str(out), "--stages", stages), cwd=ROOT).returncode


def statuses(out:Path, preset:str, source:Path) -> dict[str, str]:
    "Run the whole pipeline on the user data in `source`; stage -> status, from the printed `[i/n] stage status` lines"
    p = subprocess.run(girl("pipeline", "--preset", preset, "--out", str(out), "--stages", ",".join(USER_STAGES),
                            "--set", f"data.source={source}"),
                       cwd=ROOT, capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("[")]
    for l in lines: print("     " + l, flush=True)
    if p.returncode: print(p.stderr[-2000:])
    return {l.split()[1]: l.split()[2] for l in lines} if p.returncode == 0 else {}


def stage_keys(out:Path) -> dict[str, str]:
    "stage -> the key recorded in OUT/<stage>/pipeline.json"
    return {d.name: json.loads((d/"pipeline.json").read_text())["key"] for d in out.iterdir()
            if (d/"pipeline.json").is_file()}


def write_user_data(folder:Path, preset:str):
    "The preset's simulated seekers, jobs and interactions as the three JSONL files of a user-data folder"
    from girl_nb.data_stage import simulate_tables
    from girl_nb.pipeline import load_config, preset_path
    folder.mkdir(parents=True)
    tables = simulate_tables(load_config(preset_path(preset)))[:3]
    for name, rows in zip(("seekers", "jobs", "interactions"), tables):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (folder/f"{name}.jsonl").write_text(text, encoding="utf-8")


def stale_checks(base:Path, preset:str) -> list[tuple[str, bool]]:
    "Edit an input file between pipeline runs: everything reruns; touch it only: everything is skipped"
    sys.path.insert(0, str(ROOT))  # the girl_nb the pipeline subprocesses run
    src, out = base/"user_data", base/"stale"
    write_user_data(src, preset)
    print("stale data: first run", flush=True)
    first = statuses(out, preset, src)
    k1 = stage_keys(out)
    f = src/"seekers.jsonl"
    rows = f.read_text(encoding="utf-8").splitlines(True)
    r = json.loads(rows[0])
    r["cv"] += " Also fluent in Portuguese."
    rows[0] = json.dumps(r, ensure_ascii=False) + "\n"
    f.write_text("".join(rows), encoding="utf-8")
    print("stale data: after editing one CV in seekers.jsonl", flush=True)
    edited = statuses(out, preset, src)
    k2 = stage_keys(out)
    os.utime(f)
    print("stale data: after touching seekers.jsonl (same bytes)", flush=True)
    touched = statuses(out, preset, src)
    ran, skipped = {s: "ran" for s in USER_STAGES}, {s: "skipped" for s in USER_STAGES}
    return [("stale data: first run ran every stage", first == ran),
            (f"stale data: an edited input reran every stage, none skipped: {edited}", edited == ran),
            ("stale data: every stage's key in OUT/<stage>/pipeline.json changed",
             set(k1) == set(k2) == set(USER_STAGES) and all(k1[s] != k2[s] for s in USER_STAGES)),
            (f"stale data: an input touched only (same bytes) skipped every stage: {touched}",
             touched == skipped)]


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
    ap.add_argument("--checks", default="kills,stale",
                    help="comma-separated: kills (SIGKILL and resume), stale (edited input files)")
    a = ap.parse_args(argv)
    rnd = random.Random(a.seed)
    base = Path(a.keep or tempfile.mkdtemp(prefix="girl-drill-")); ref, drill = base/"ref", base/"drill"
    stages = "data," + ",".join(TRAIN)
    print(f"drill folder {base}", flush=True)
    checks = stale_checks(base, a.preset) if "stale" in a.checks.split(",") else []
    if "kills" not in a.checks.split(","): return report(checks)
    if run(ref, a.preset, stages): print("FAIL: the reference run failed"); return 1
    # the data stage de-links ids with a fresh secret salt on every run (by design), which reorders rows: the drill
    # therefore trains on the reference's data folder, so the two runs differ only by the kills
    import shutil; shutil.copytree(ref/"data", drill/"data")
    killed = {s: kill_during(drill, a.preset, s, rnd) for s in TRAIN}
    if run(drill, a.preset, stages): print("FAIL: the rerun after the kills failed"); return 1
    checks += [(f"{s} was killed mid-stage", killed[s]) for s in TRAIN]
    checks += [(f"{s} finished", (drill/s/"pipeline.json").is_file()) for s in TRAIN]
    for s, keys in (("sft", ("train_loss_last", "eval_loss", "train_steps")), ("reward", ("train_loss_last", "pairwise_accuracy", "train_steps"))):
        r, d = _metrics(ref, s), _metrics(drill, s)
        checks += [(f"{s} {k}: {d.get(k)} vs reference {r.get(k)}", r.get(k) is not None and close(r[k], d.get(k, float("nan")))) for k in keys]
    lr, ld = _log(ref), _log(drill)
    its = [int(r["iteration"]) for r in ld]
    checks.append((f"rlrf iterations logged once each: {its}", its == list(range(1, len(lr) + 1))))
    checks.append(("rlrf rewards equal the reference", len(lr) == len(ld) and all(close(x["rm_reward"], y["rm_reward"]) for x, y in zip(lr, ld))))
    return report(checks)


def report(checks:list[tuple[str, bool]]) -> int:
    "Print one line per check; 0 when there were checks and all passed"
    for name, ok in checks: print(("ok   " if ok else "FAIL ") + name)
    return 0 if checks and all(ok for _, ok in checks) else 1


if __name__ == "__main__": sys.exit(main())
