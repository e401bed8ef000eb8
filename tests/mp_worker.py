"""Run tiny SFT and RLRF stages and record what each process did: the launcher of tests/test_multiprocess.py.

    python tests/mp_worker.py SPEC.json                                                        # one process
    accelerate launch --config_file configs/accelerate/cpu2.yaml tests/mp_worker.py SPEC.json    # two (or more)

SPEC.json is a list of jobs, run in order in the same processes: {"stage": "sft"|"rlrf", "out": a prepared run folder,
"overrides": ["section.key=value", ...] on configs/tiny.yaml, "deterministic_rollouts": bool and "scorer": "short" (rlrf only)}.
Every process writes OUT/mp/<stage>-rank<R>.json (world size, the stage's log, the CVs it rolled out, the metrics it returned)
and OUT/mp/<stage>-rank<R>.pt (its trainable weights after training).

`deterministic_rollouts` samples each CV's JD on its own, seeded by (iteration, CV text), instead of one seeded stream per batch:
a JD then depends neither on the process nor on the batch that generated it, so one and two processes see the same rollouts
and their PPO updates can be compared. Rollouts are otherwise untouched (same model, temperature, top_p, length).
`"scorer": "short"` scores a JD by its length in characters (-len/100, as tests/test_rlrf.py does) instead of OUT/reward's model:
an exact reward with a real spread, where the untrained tiny reward model's scores differ by ~1e-5 and reward normalisation
would magnify float rounding 10^4-fold.
"""
import hashlib, json, os, sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
_SEED = [0]  # the seed the current rollout's JDs are drawn with (deterministic_rollouts)


def _trainable(model) -> dict:
    return {k: p.detach().float().cpu().clone() for k, p in model.named_parameters() if p.requires_grad}


def _deterministic_rollouts():
    "Patch `girl_nb.generate.generate_jds` (the RLRF rollout imports it at call time) to sample one CV at a time, seeded by CV"
    from girl_nb import generate
    orig = generate.generate_jds
    def one_by_one(model, tok, cvs, gen=None, seed=0, **kw):
        outs = [orig(model, tok, [cv], gen, seed=_SEED[0] * 1_000_003 + int(hashlib.sha256(cv.encode()).hexdigest()[:8], 16), **kw) for cv in cvs]
        if not kw.get("return_ids"): return [o[0] for o in outs]
        return [o[0][0] for o in outs], [o[1][0] for o in outs], [o[2][0] for o in outs]
    one_by_one.__wrapped__ = orig; generate.generate_jds = one_by_one


def run_job(job:dict):
    from girl_nb.pipeline import load_config
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    stage, out = job["stage"], Path(job["out"]); mp = out/"mp"; mp.mkdir(parents=True, exist_ok=True)
    cfg = load_config(ROOT/"configs"/"tiny.yaml", job.get("overrides", []))
    rec = dict(rank=rank, world=world)
    if stage == "sft":
        from transformers import TrainerCallback
        from girl_nb.sft import run_sft
        class Snap(TrainerCallback):
            def on_train_end(self, args, state, control, model=None, **kw):
                rec["log_history"] = state.log_history; torch.save(_trainable(model), mp/f"sft-rank{rank}.pt")
        rec["metrics"] = run_sft(cfg, out, callbacks=[Snap()])
    elif stage == "rlrf":
        from girl_nb.rlrf_trainer import RLRF
        from girl_nb.rlrf_stage import run_rlrf
        rec["rollouts"], orig = [], RLRF.rollout
        def rollout(self, cvs, seed):  # record which CVs this process rolled out (training iterations and evaluations)
            ev = cvs is self.eval_cvs; _SEED[0] = 2 * self.iteration + ev
            rec["rollouts"].append(dict(iteration=self.iteration, eval=ev, cvs=list(cvs))); return orig(self, cvs, seed)
        def cb(tr, row):
            rec["log"], rec["num_processes"] = list(tr.log), tr.acc.num_processes
            if tr.iteration == tr.rc.iterations: torch.save(_trainable(tr.acc.unwrap_model(tr.actor)), mp/f"rlrf-rank{rank}.pt")
        RLRF.rollout = rollout
        try:
            if job.get("deterministic_rollouts"): _deterministic_rollouts()
            scorer = (lambda cvs, jds: torch.tensor([-len(j) / 100 for j in jds])) if job.get("scorer") == "short" else None
            rec["metrics"] = run_rlrf(cfg, out, scorer=scorer, callbacks=[cb])
        finally:
            RLRF.rollout = orig
            from girl_nb import generate; generate.generate_jds = getattr(generate.generate_jds, "__wrapped__", generate.generate_jds)
    else: raise SystemExit(f"unknown stage {stage!r}: sft or rlrf")
    (mp/f"{stage}-rank{rank}.json").write_text(json.dumps(rec, default=float))


def main(spec:str):
    for job in json.loads(Path(spec).read_text()): run_job(job)


if __name__ == "__main__": main(*sys.argv[1:])
