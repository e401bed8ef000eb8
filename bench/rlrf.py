"""RLRF speed: generated JDs/s, seconds per PPO iteration split into generation / reference log-probs / scoring / training,
and peak RSS, for girl_nb.rlrf_trainer's PPO.

    python bench/rlrf.py [--generator smollm2-135m-instruct] [--reward all-minilm-l6-v2] [--cvs 8] [--max-new-tokens 128]
                         [--iterations 3] [--ppo-epochs 1] [--dtype auto] [--device auto] [--no-rollout-merge]
                         [--trl112 PY|none] [--json out.json]

Same shape as the TRL 1.12 PPO figure in shared/notes/offline-facts.md (LoRA, 8 prompts x 128-token JDs, 1 PPO epoch: 51 s per
iteration, 33% generation, 13.9 GiB peak). The reward model is the backbone with a fresh scalar head (speed does not depend on its
training). The first iteration is a warm-up and is left out of the means.

With --trl112 PY (default: .bench-venv/trl112/bin/python when it exists; build it with `bash bench/trl112-venv.sh`), the same
shape then runs through TRL 1.12's PPOTrainer (bench/rlrf_trl112.py, in that separate virtualenv: TRL 1.12 is never a project
dependency) and the JSON gains its figures and `speedup_vs_trl_1_12` = its seconds per iteration / ours, back to back on one
machine. `--trl112 none` skips it.
"""
import argparse, json, resource, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", default="smollm2-135m-instruct"); ap.add_argument("--reward", default="all-minilm-l6-v2")
    ap.add_argument("--cvs", type=int, default=8); ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=3); ap.add_argument("--ppo-epochs", type=int, default=1)
    ap.add_argument("--minibatch", type=int, default=4); ap.add_argument("--dtype", default="auto"); ap.add_argument("--device", default="auto")
    ap.add_argument("--no-rollout-merge", action="store_true", help="sample rollouts with the LoRA actor itself (rlrf.rollout_merge=false)")
    ap.add_argument("--trl112", default=str(ROOT/".bench-venv"/"trl112"/"bin"/"python"),
                    help="python of the TRL 1.12 virtualenv (bench/trl112-venv.sh); `none` skips the TRL 1.12 side")
    ap.add_argument("--json", help="also write the result here")
    a = ap.parse_args(argv)
    import torch
    from transformers import AutoModelForSequenceClassification
    from girl_nb.core import get_device, get_dtype, mixed_precision
    from girl_nb.generate import GenConfig
    from girl_nb.models import load_generator, load_tokenizer, resolve_model
    from girl_nb.reward import RewardEnsemble
    from girl_nb.rlrf import Critic, RLRFConfig
    from girl_nb.rlrf_trainer import RLRF, make_actor
    device = get_device(a.device); dtype = get_dtype(a.dtype, device)
    rc = RLRFConfig(iterations=a.iterations, cvs_per_iter=a.cvs, minibatch=a.minibatch, ppo_epochs=a.ppo_epochs,
                    rollout=GenConfig(temperature=1.0, max_new_tokens=a.max_new_tokens, batch_size=a.cvs),
                    n_eval_cvs=0, rollout_merge=not a.no_rollout_merge)
    tok = load_tokenizer(a.generator); torch.manual_seed(0)
    actor = make_actor(load_generator(a.generator, dtype=torch.float32), rc)
    rp = resolve_model(a.reward, "encoder"); rtok = load_tokenizer(rp, "encoder")
    rm = AutoModelForSequenceClassification.from_pretrained(rp, num_labels=1).to(device)
    critic = Critic(AutoModelForSequenceClassification.from_pretrained(rp, num_labels=1), rtok, rc.critic_max_length)
    cvs = [f"Basic information: {25 + i} years old, bachelor's degree. Work experience: {i % 9 + 1} years as a "
           f"{['nurse', 'Java developer', 'accountant', 'data analyst'][i % 4]}. Skills: teamwork, planning, reporting." for i in range(4 * a.cvs)]
    tr = RLRF(actor, tok, critic, RewardEnsemble([(rm, rtok)], batch_size=rc.score_batch_size), rc, cvs, mixed_precision=mixed_precision(dtype), cpu=device == "cpu")
    log = tr.fit()
    rows = log[1:] or log  # the first iteration warms up
    mean = lambda k: sum(r[k] for r in rows) / len(rows)
    res = dict(generator=a.generator, reward=a.reward, device=device, dtype=str(dtype), cvs_per_iter=a.cvs, max_new_tokens=a.max_new_tokens,
               ppo_epochs=a.ppo_epochs, rollout_merge=rc.rollout_merge, iterations_measured=len(rows), s_per_iter=mean("t_total"), s_gen=mean("t_gen"), s_ref_logprobs=mean("t_ref"),
               s_score=mean("t_score"), s_train=mean("t_train"), jds_per_s_generation=a.cvs / mean("t_gen"), jds_per_s_overall=a.cvs / mean("t_total"),
               mean_jd_tokens=mean("jd_len"), peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
               peak_gpu_gib=torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None,
               trl_1_12_ppo_reference=dict(s_per_iter=51.0, note="offline-facts.md, same CPU, an earlier day"))
    del tr, actor, critic, rm
    res |= _trl112(a)
    if isinstance(res.get("trl_1_12_ppo"), dict): res["speedup_vs_trl_1_12"] = res["trl_1_12_ppo"]["s_per_iter"] / res["s_per_iter"]
    print(json.dumps(res, indent=2))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=2))
    return res


def _trl112(a) -> dict:
    "TRL 1.12 PPO on the same shape, in its own virtualenv (a subprocess); {} when skipped, with the reason"
    import subprocess
    py = Path(a.trl112)
    if a.trl112 == "none": return {}
    if not py.exists(): return dict(trl_1_12_ppo=f"skipped: no {py} (bash bench/trl112-venv.sh builds it)")
    with tempfile.TemporaryDirectory() as d:
        cmd = [str(py), str(ROOT/"bench"/"rlrf_trl112.py"), "--generator", a.generator, "--cvs", str(a.cvs), "--max-new-tokens",
               str(a.max_new_tokens), "--iterations", str(a.iterations), "--minibatch", str(a.minibatch), "--json", f"{d}/trl.json"]
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode: return dict(trl_1_12_ppo=f"failed (exit {r.returncode}): " + " | ".join(r.stderr.strip().splitlines()[-3:]))
        trl = json.loads(Path(f"{d}/trl.json").read_text())
    trl.pop("per_iteration", None); trl.pop("trl_1_12_ppo_reference", None)
    return dict(trl_1_12_ppo=trl)


if __name__ == "__main__": main()
