"""Our PPO (girl_nb.rlrf_trainer) beside TRL 1.16's RLOOTrainer, GRPOTrainer and DPOTrainer on the same SFT model and data.

    python bench/rl_peers.py --run runs/demo [--trainers rloo,grpo,dpo] [--split gen_val] [--json peers.json]

The settings are the run's own (OUT/pipeline.json's `config`: its seed, sizes and rlrf section), so a draw made with
`--set seed=5` is evaluated with seed 5; `--config FILE` and `--set section.key=value` replace or amend them.

Needs a run folder where `girl pipeline` (or the sft, feedback, reward and rlrf stages) has finished: OUT/sft, OUT/reward,
OUT/data and OUT/rlrf/metrics.json (our row); DPO also needs OUT/feedback/pairs. The online peers (RLOO, GRPO) start from the
same SFT model with the same LoRA settings (rlrf.lora_*), use the same reward model through `reward_funcs` (a callable scoring
(CV, JD) with OUT/reward, the scorer our PPO uses: the paper's reward U(C, J), their own KL term beside it), the same rollout
temperature, top-p, JD length limit, actor learning rate and CV cut, and generate the same number of JDs in all as our run did
(iterations x cvs_per_iter; they need 2 JDs per prompt, so they see half as many CVs). DPO is offline: one epoch over the
preference pairs the reward model also learned from (OUT/feedback/pairs: the simulated panel's choice between two sampled SFT
JDs of one CV), same LoRA and learning rate, 8 pairs an optimizer step (2 a forward pass, 4 accumulated: at 8 a forward pass,
chosen and rejected JDs with fp32 logits over the 49k vocabulary, the process passed 24 GiB on a CPU machine and was killed), no rollouts and no reward model. Everything else is TRL's default (RLOO beta 0.05,
GRPO beta 0.0, DPO beta 0.1) except gradient checkpointing, off on every side. Each trained actor is then evaluated exactly as
our stage evaluates (`RLRF.evaluate`, the same CVs and sampling seed) on `--split`: gen_val (default; where a method would be
chosen) or gen_test (rlrf.n_test_cvs CVs; a figure to report once). Figures: reward-model reward, gold score, KL to the SFT
model (Eq. 3, per JD token), format rate and JD length, and with rlrf.eval_greedy the gold score and format rate of greedy JDs
(as the judge decodes). Our row and the SFT row are evaluated the same way here, from OUT/rlrf's saved actor and the untrained
actor, so every row comes from one procedure and one code version. Wall time is the trainer's `train()` call (ours: the sum of
its iterations, from OUT/rlrf/metrics.json).
Prints a Markdown table and one JSON object.
"""
import argparse, json, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _dataset(tr, n_prompts:int):
    "The first `n_prompts` training CVs of our run, as TRL prompt rows (the prompt our generator sees) with the CV for the reward"
    from datasets import Dataset
    from girl_nb.rlrf_trainer import cut_cv
    from girl_nb.generate import build_prompt
    cvs = [cut_cv(tr.tok, c, tr.rc.max_cv_tokens) for c in tr.cvs[:n_prompts]]
    return Dataset.from_list([dict(prompt=build_prompt(cv, tr.tok, tr.language), cv=cv) for cv in cvs])


def _peer(kind:str, tr, out:Path, jds:int, dtype, seed:int):
    "Train one TRL peer from the SFT model; (trained PEFT model, wall seconds)"
    import torch
    from peft import LoraConfig
    from girl_nb.models import load_generator
    rc = tr.rc
    base = load_generator(out/"sft", dtype=torch.float32, merge=True)
    def rm_reward(prompts, completions, cv, **kw):  # our PPO's reward before its KL term: U(C, J) (Eq. 4)
        jds = [c.strip() or " " for c in completions]
        return [float(x) for x in torch.as_tensor(tr.scorer(list(cv), jds)).flatten().float()]
    rm_reward.__name__ = "reward_model"
    if kind == "rloo": from trl import RLOOConfig as Cfg, RLOOTrainer as Trainer
    else: from trl import GRPOConfig as Cfg, GRPOTrainer as Trainer
    per_step = 8  # completions per optimizer step (4 prompts x 2 generations)
    args = Cfg(output_dir=str(Path(tempfile.mkdtemp())/kind), per_device_train_batch_size=per_step, num_generations=2,
               max_completion_length=rc.rollout.max_new_tokens, temperature=rc.rollout.temperature, top_p=rc.rollout.top_p, learning_rate=rc.actor_lr,
               max_steps=max(1, jds // per_step), logging_steps=1, report_to="none", save_strategy="no", use_cpu=not torch.cuda.is_available(),
               bf16=dtype == torch.bfloat16, gradient_checkpointing=False, seed=seed, disable_tqdm=True)
    peft = LoraConfig(r=rc.lora_r, lora_alpha=rc.lora_alpha, lora_dropout=rc.lora_dropout, target_modules=rc.lora_target_modules, task_type="CAUSAL_LM")
    t = Trainer(model=base, reward_funcs=rm_reward, args=args, train_dataset=_dataset(tr, jds // 2), processing_class=tr.tok, peft_config=peft)
    t0 = time.perf_counter(); t.train(); secs = time.perf_counter() - t0
    return t.accelerator.unwrap_model(t.model).eval(), secs, args.max_steps * per_step


def _dpo(tr, out:Path, dtype, seed:int):
    "TRL DPOTrainer from the SFT model on OUT/feedback's preference pairs, one epoch; (trained PEFT model, wall seconds, pairs)"
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer
    from girl_nb.generate import build_prompt
    from girl_nb.models import load_generator
    from girl_nb.reward import load_feedback_pairs
    from girl_nb.rlrf_trainer import cut_cv
    rc, pairs = tr.rc, load_feedback_pairs(out/"feedback"/"pairs")
    ds = Dataset.from_list([dict(prompt=build_prompt(cut_cv(tr.tok, r["cv"], rc.max_cv_tokens), tr.tok, tr.language),
                                 chosen=r["chosen"], rejected=r["rejected"]) for r in pairs])
    base = load_generator(out/"sft", dtype=torch.float32, merge=True)
    args = DPOConfig(output_dir=str(Path(tempfile.mkdtemp())/"dpo"), per_device_train_batch_size=2, gradient_accumulation_steps=4, num_train_epochs=1, learning_rate=rc.actor_lr,
                     logging_steps=1, report_to="none", save_strategy="no", use_cpu=not torch.cuda.is_available(), bf16=dtype == torch.bfloat16,
                     gradient_checkpointing=False, seed=seed, disable_tqdm=True)
    peft = LoraConfig(r=rc.lora_r, lora_alpha=rc.lora_alpha, lora_dropout=rc.lora_dropout, target_modules=rc.lora_target_modules, task_type="CAUSAL_LM")
    t = DPOTrainer(model=base, args=args, train_dataset=ds, processing_class=tr.tok, peft_config=peft)
    t0 = time.perf_counter(); t.train(); secs = time.perf_counter() - t0
    return t.accelerator.unwrap_model(t.model).eval(), secs, len(ds)


def _recorded_config(out:Path, overrides:list[str]):
    "The configuration the run was made with (OUT/pipeline.json's `config`), checked by `load_config`, then `overrides`"
    from girl_nb.core import ConfigError
    from girl_nb.pipeline import load_config
    p = out/"pipeline.json"
    try: d = json.loads(p.read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(f"{p}: no recorded configuration ({type(e).__name__}: {e}); pass the run's preset with --config "
                         "(and its --set overrides)") from None
    try: return load_config(d, overrides)
    except ConfigError as e: raise SystemExit(f"{p} (config): {e}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="run folder with sft, reward, data and rlrf stages")
    ap.add_argument("--config", help="a preset to use instead of the run's recorded configuration (OUT/pipeline.json)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting, as `girl pipeline --set`")
    ap.add_argument("--trainers", default="rloo,grpo,dpo", help="comma-separated: rloo, grpo, dpo")
    ap.add_argument("--split", default="gen_val", choices=["gen_val", "gen_test"],
                    help="the CVs every row is evaluated on: gen_val (choose) or gen_test (report once; rlrf.n_test_cvs of them)")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    import torch
    from girl_nb.core import get_device, get_dtype
    from girl_nb.pipeline import load_config
    from girl_nb.models import load_generator
    from girl_nb.rlrf_stage import build_rlrf
    out = Path(a.run)
    cfg = load_config(a.config, a.set) if a.config else _recorded_config(out, a.set)
    ours = json.loads((out/"rlrf"/"metrics.json").read_text())["metrics"]
    jds = ours["iterations"] * cfg.rlrf.cvs_per_iter
    tr, dtype = build_rlrf(cfg, out, folder=tempfile.mkdtemp()), get_dtype(cfg.dtype, get_device(cfg.device))
    if a.split == "gen_test":  # the same evaluation on the test CVs
        from girl_nb.data import load_splits
        test = list(load_splits(out/"data"/"splits")["gen_test"])[:cfg.rlrf.n_test_cvs]
        tr.eval_cvs, tr.eval_ids = [r["cv"] for r in test], [r["seeker_id"] for r in test]
    def row(method, wall_s, n):  # `tr.actor` evaluated as our stage does: the same held-out CVs and seed; the reference is the actor with adapters off
        ev = tr.evaluate()
        return dict(method=method, wall_s=wall_s, jds=n, **{k: ev.get(k) for k in ("gold", "rm_reward", "kl", "format_rate", "jd_len", "gold_greedy", "format_rate_greedy")})
    rows = [row("SFT (start)", 0.0, 0)]  # the fresh actor: zero LoRA update = the SFT model
    tr.actor = load_generator(out/"rlrf", dtype=torch.float32)  # our PPO's saved actor (a PEFT adapter on OUT/sft)
    rows.append(row(f"ours: PPO, {ours['iterations']} x {cfg.rlrf.cvs_per_iter} CVs", ours["s_per_iter"] * ours["iterations"], jds))
    kinds = [k.strip() for k in a.trainers.split(",") if k.strip()]
    if not set(kinds) <= {"rloo", "grpo", "dpo"}: ap.error("--trainers takes rloo, grpo and/or dpo")
    for kind in kinds:
        if kind == "dpo":
            tr.actor, secs, n_pairs = _dpo(tr, out, dtype, cfg.seed)
            rows.append(row(f"TRL DPOTrainer, {n_pairs} preference pairs x 1 epoch (offline)", secs, 0))
            continue
        model, secs, n_jds = _peer(kind, tr, out, jds, dtype, cfg.seed)
        tr.actor = model
        rows.append(row(f"TRL {kind.upper()}Trainer, {n_jds // 2} CVs x 2", secs, n_jds))
    f = lambda v: "–" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
    cols = ("gold", "rm_reward", "kl", "format_rate", "jd_len", "gold_greedy", "format_rate_greedy")
    print(f"### RL peers on {out} ({len(tr.eval_cvs)} {a.split} CVs; sampled at T {tr.rc.rollout.temperature}, greedy with θ {tr.rc.greedy_repetition_penalty})\n\n"
          "| method | gold | RM reward | KL to SFT (nats/token) | format | JD tokens | gold, greedy | format, greedy | JDs generated | wall s |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows: print(f"| {r['method']} | " + " | ".join(f(r[k]) for k in cols) + f" | {r['jds']} | {f(r['wall_s'])} |")
    res = dict(run=str(out), split=a.split, n_eval_cvs=len(tr.eval_cvs), rows=rows, torch=torch.__version__)
    print(json.dumps(res, indent=1))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__": main()
