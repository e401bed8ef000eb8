"""TRL 1.12.0 PPO speed on bench/rlrf.py's shape: seconds per iteration (split into generation / reference log-probs /
scoring+values / training), generated JDs/s and peak RSS, for `trl.experimental.ppo.PPOTrainer` (removed in TRL >= 1.13).

Run it in a separate virtualenv layered on the project venv (TRL 1.12 must never become a project dependency):

    bash bench/trl112-venv.sh .bench-venv/trl112      # idempotent; does the three lines below
    #   python3.11 -m venv .bench-venv/trl112  (python of the project venv)
    #   echo "import site; site.addsitedir('<project .venv>/lib/python3.11/site-packages')" > .bench-venv/trl112/lib/python3.11/site-packages/_project.pth
    #   .bench-venv/trl112/bin/pip install --no-deps trl==1.12.0
    .bench-venv/trl112/bin/python bench/rlrf_trl112.py [--generator smollm2-135m-instruct] [--cvs 8] [--max-new-tokens 128]
                                                       [--iterations 3] [--minibatch 4] [--json out.json]

Same shape as bench/rlrf.py: the same 32 synthetic CVs, prompts from girl_nb.generate.build_prompt, 8 CVs per iteration, 128-token
responses, 1 PPO epoch in minibatches of 4, LoRA r16 (alpha 32, all-linear) on the fp32 policy, bf16 autocast on CPU, the
first iteration a warm-up left out of the means. Differences that TRL 1.12 imposes: its reward and value models must be
AutoModelForSequenceClassification with a `score` head on the policy's tokenizer, so both are the generator's backbone with a
fresh num_labels=1 head (scoring is heavier than ours, which uses MiniLM; the 51 s reference in offline-facts.md was measured
this way too); it scores per token with a value model (GAE), and the reference is the policy with its adapters disabled.
TRL runs only the PPO update under autocast: generation, reference, value and reward forwards stay in fp32 (bench/rlrf.py
samples with a merged bf16 copy of the actor by default). Timing split: TRL's module-level batch_generation / forward /
get_reward are wrapped with timers; training = iteration time (between on_step_end callbacks) minus the other three.
"""
import argparse, contextlib, json, os, resource, shutil, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", default="smollm2-135m-instruct"); ap.add_argument("--cvs", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=128); ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--minibatch", type=int, default=4); ap.add_argument("--json", help="also write the result here")
    a = ap.parse_args(argv)
    # transformers 5.x no longer exports bf16=True as ACCELERATE_MIXED_PRECISION, and TRL 1.12's PPOTrainer builds its own
    # Accelerator() from the environment: without this its update would silently run in fp32.
    os.environ["ACCELERATE_MIXED_PRECISION"] = "bf16"; os.environ["ACCELERATE_USE_CPU"] = "true"
    import torch, trl
    assert trl.__version__ == "1.12.0", f"needs trl 1.12.0 (got {trl.__version__} from {trl.__file__}); see the docstring"
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForSequenceClassification, TrainerCallback
    from trl.experimental.ppo import PPOConfig, PPOTrainer, ppo_trainer as pt
    from girl_nb.models import load_generator, load_tokenizer, resolve_model
    from girl_nb.generate import build_prompt

    tok = load_tokenizer(a.generator, padding_side="left")  # left padding: TRL generates from the padded queries
    assert tok.pad_token_id != tok.eos_token_id, "TRL 1.12 masks `ids != pad`: the pad token must differ from EOS"
    torch.manual_seed(0)
    policy = load_generator(a.generator, dtype=torch.float32)
    gp = resolve_model(a.generator, "generator")
    heads = [AutoModelForSequenceClassification.from_pretrained(gp, num_labels=1, dtype=torch.float32) for _ in range(2)]
    for m in heads: m.config.pad_token_id = tok.pad_token_id
    reward_model, value_model = heads
    cvs = [f"Basic information: {25 + i} years old, bachelor's degree. Work experience: {i % 9 + 1} years as a "
           f"{['nurse', 'Java developer', 'accountant', 'data analyst'][i % 4]}. Skills: teamwork, planning, reporting." for i in range(4 * a.cvs)]
    ds = Dataset.from_dict({"input_ids": [tok(build_prompt(cv, tok), add_special_tokens=False)["input_ids"] for cv in cvs]})

    # timers around TRL's module-level helpers (train() looks them up as globals of ppo_trainer at each call)
    t, jd_lens = dict(gen=0.0, ref=0.0, score=0.0), []
    def timed(key, fn, when=lambda: True, after=None):
        def w(*args, **kw):
            if not when(): return fn(*args, **kw)
            t0 = time.perf_counter(); out = fn(*args, **kw); t[key] += time.perf_counter() - t0
            if after: after(args, out)
            return out
        return w
    def count(args, out):  # response tokens up to and including the first EOS
        resp = out[0][:, args[1].shape[1]:]
        jd_lens.extend((pt.first_true_indices(resp == tok.eos_token_id) + 1).clamp(max=resp.shape[1]).tolist())
    pt.batch_generation = timed("gen", pt.batch_generation, after=count)
    pt.forward = timed("ref", pt.forward, when=lambda: not torch.is_grad_enabled())  # the no-grad forward is the reference
    pt.get_reward = timed("score", pt.get_reward)  # value model + reward model

    rows = []
    class Clock(TrainerCallback):
        def on_train_begin(self, *_, **__): self.t0 = time.perf_counter()
        def on_step_end(self, *_, **__):
            now = time.perf_counter(); rows.append(dict(total=now - self.t0, **t)); self.t0 = now
            t.update(gen=0.0, ref=0.0, score=0.0)

    out_dir = tempfile.mkdtemp(prefix="trl112-ppo-")
    args = PPOConfig(output_dir=out_dir, report_to="none", save_strategy="no", eval_strategy="no", seed=0, use_cpu=True, bf16=True,
                     gradient_checkpointing=False, learning_rate=5e-5, num_ppo_epochs=1, response_length=a.max_new_tokens,
                     # the rollout batch is per_device_train_batch_size x gradient_accumulation_steps = cvs; with accumulation 1,
                     # each of the cvs/minibatch minibatches is one micro-batch and one optimizer step (as in bench/rlrf.py)
                     per_device_train_batch_size=a.cvs, gradient_accumulation_steps=1, num_mini_batches=a.cvs // a.minibatch,
                     local_rollout_forward_batch_size=a.cvs, total_episodes=a.iterations * a.cvs, num_sample_generations=0,
                     stop_token="eos", missing_eos_penalty=1.0, temperature=1.0, kl_estimator="k3", disable_tqdm=True)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    tr = PPOTrainer(args=args, processing_class=tok, model=policy, ref_model=None, reward_model=reward_model, train_dataset=ds,
                    value_model=value_model, peft_config=lora, callbacks=[Clock()])
    for cb in list(tr.callback_handler.callbacks):  # no log printing: stdout carries only the JSON
        if type(cb).__name__ in ("PrinterCallback", "ProgressCallback"): tr.remove_callback(cb)
    with contextlib.redirect_stdout(sys.stderr): tr.train()
    shutil.rmtree(out_dir, ignore_errors=True)

    assert len(rows) == a.iterations, f"expected {a.iterations} iterations, TRL ran {len(rows)}"
    meas = rows[1:] or rows  # the first iteration warms up
    mean = lambda k: sum(r[k] for r in meas) / len(meas)
    res = dict(trl_version=trl.__version__, generator=a.generator, reward_and_value_model=f"{a.generator} + num_labels=1 score head",
               device="cpu", mixed_precision=tr.accelerator.mixed_precision, cvs_per_iter=a.cvs, max_new_tokens=a.max_new_tokens, ppo_epochs=1,
               minibatch=a.minibatch, iterations_measured=len(meas), s_per_iter=mean("total"), s_gen=mean("gen"), s_ref_logprobs=mean("ref"),
               s_score_and_values=mean("score"), s_train=mean("total") - mean("gen") - mean("ref") - mean("score"),
               jds_per_s_generation=a.cvs / mean("gen"), jds_per_s_overall=a.cvs / mean("total"),
               mean_jd_tokens=sum(jd_lens[a.cvs:] or jd_lens) / len(jd_lens[a.cvs:] or jd_lens),
               peak_rss_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, per_iteration=rows,
               trl_1_12_ppo_reference=dict(s_per_iter=51.0, note="offline-facts.md, same CPU, not rerun here"))
    print(json.dumps(res, indent=2))
    if a.json: Path(a.json).write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__": main()
