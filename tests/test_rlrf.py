"Fast tests of RLRF (girl_nb.rlrf, nbs/04_rlrf.ipynb), its trainer (girl_nb.rlrf_trainer, nbs/04a_rlrf_trainer.ipynb) and its stage (girl_nb.rlrf_stage, nbs/04b_rlrf_stage.ipynb): equations, the PPO loop, resume, bad input."
import dataclasses, json, math, shutil
from pathlib import Path

import numpy as np, pytest, torch

from girl_nb.core import min_detectable_effect, read_metrics, read_state
from girl_nb.generate import GenConfig
from girl_nb.pipeline import load_config
from girl_nb.models import load_generator, load_tokenizer, tiny_model_path
from girl_nb.rlrf import Critic, RLRFConfig, kl_estimate, penalised_reward, policy_loss, value_loss, advantage
from girl_nb.rlrf_trainer import RLRF, last_checkpoint, make_actor
from girl_nb.rlrf_stage import run_rlrf

ROOT = Path(__file__).resolve().parents[1]
short = lambda cvs, jds: torch.tensor([-len(j) / 100 for j in jds])  # a reward the tiny policy can learn: fewer characters
FAST = dict(cvs_per_iter=4, minibatch=2, ppo_epochs=1, actor_lr=3e-2, critic_lr=1e-3, lora_r=4, kl_coef=0.01,
            rollout=GenConfig(temperature=1.0, max_new_tokens=8, batch_size=8),
            n_eval_cvs=3, n_test_cvs=3, critic_max_length=64, tensorboard=True)


@pytest.fixture(scope="module")
def tok(): return load_tokenizer("tiny")


def _critic():
    from transformers import AutoModelForSequenceClassification
    p = tiny_model_path("encoder"); torch.manual_seed(0)
    return Critic(AutoModelForSequenceClassification.from_pretrained(p, num_labels=1), load_tokenizer(p, "encoder"), 64)


def _trainer(rc, scorer, tok, n_cvs=16, folder=None):
    torch.manual_seed(0)
    cvs = [f"CV {i}: {w}, {i % 7 + 1} years." for i, w in enumerate(["nurse", "developer", "accountant", "analyst"] * (n_cvs // 4))]
    return RLRF(make_actor(load_generator("tiny"), rc), tok, _critic(), scorer, rc, cvs, folder=folder)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    "A tiny run folder: data stage of configs/tiny.yaml, the tiny generator as SFT model, a tiny BERT reward model"
    from transformers import AutoModelForSequenceClassification
    from girl_nb.data_stage import run_data
    out = tmp_path_factory.mktemp("run")
    run_data(load_config(ROOT/"configs"/"tiny.yaml"), out)
    shutil.copytree(tiny_model_path("generator"), out/"sft")
    p = tiny_model_path("encoder"); torch.manual_seed(0)
    rm = AutoModelForSequenceClassification.from_pretrained(p, num_labels=1)
    rm.save_pretrained(out/"reward"); load_tokenizer(p, "encoder").save_pretrained(out/"reward")
    return out


def _fresh(run_dir, tmp_path):
    "A copy of the run folder without OUT/rlrf"
    dst = tmp_path/"run"
    shutil.copytree(run_dir, dst, ignore=shutil.ignore_patterns("rlrf")); return dst


def test_equations_hand_computed():
    ce = torch.tensor([[0.5, 1.0, 2.0]])  # CE = π_SFT/π_θ
    assert torch.allclose(kl_estimate(torch.zeros(1, 3), ce.log(), torch.ones(1, 3)), torch.tensor([1 / 6]), atol=1e-6)
    r = penalised_reward(torch.tensor([1.0]), torch.tensor([0.5]), 0.1)
    assert torch.allclose(r, torch.tensor([0.95])) and torch.allclose(advantage(r, torch.tensor([0.5])), torch.tensor([0.45]))
    lp = torch.log(torch.tensor([[0.5], [1.1], [1.5], [0.5], [1.1], [1.5]]))
    loss, cf = policy_loss(lp, torch.zeros(6, 1), torch.tensor([1., 1, 1, -1, -1, -1]), torch.ones(6, 1), 0.2)
    assert math.isclose(loss.item(), -np.mean([0.5, 1.1, 1.2, -0.8, -1.1, -1.5]), abs_tol=1e-6) and math.isclose(cf.item(), 1 / 3, abs_tol=1e-6)
    assert value_loss(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5])).item() == pytest.approx(0.25)


def test_reward_rises_and_kl_starts_at_zero(tok):
    "The loop learns a reward the tiny policy can reach (shorter JDs in characters); KL to SFT starts at 0 and grows"
    rc = RLRFConfig(iterations=10, **FAST | dict(cvs_per_iter=8, minibatch=4, ppo_epochs=2,
                                                 rollout=GenConfig(temperature=1.0, max_new_tokens=12, batch_size=8)))
    t = _trainer(rc, short, tok, n_cvs=16)
    t.eval_cvs = t.cvs[:4]; t.eval_ids = ["a", "b", "c", "d"]
    log = t.fit()
    assert t.eval_log[0]["kl"] == pytest.approx(0, abs=1e-6) and log[0]["kl"] == pytest.approx(0, abs=1e-6)
    first, last = np.mean([r["rm_reward"] for r in log[:3]]), np.mean([r["rm_reward"] for r in log[-3:]])
    assert last > first, (first, last)
    # The held-out eval (4 CVs x 12 tokens) is too noisy to order single evaluations: the random tiny model stays close to
    # uniform over its 49k-token vocabulary (max logit ~1.5), so gains per iteration are small. Check it moved, not how far.
    assert t.eval_log[-1]["kl"] > 0
    assert all(math.isfinite(r[k]) for r in log for k in ("policy_loss", "value_loss", "entropy", "clip_frac"))


def test_empty_generations_scored_low_or_stop(tok):
    t = _trainer(RLRFConfig(iterations=1, **FAST), short, tok, n_cvs=4)
    u = t._score(["a", "b", "c"], ["", "abc", "abcdef"])
    assert torch.allclose(u, torch.tensor([-0.06 - 1.0, -0.03, -0.06]))  # empty: lowest score minus empty_penalty
    with pytest.raises(ValueError, match="all 2 generated JDs are empty"): t._score(["a", "b"], ["", "  "])


def test_run_rlrf_tiny_end_to_end(run_dir, tmp_path, tok):
    "Real tiny reward model and gold judge: OUT/rlrf holds a loadable generator, metrics, logs and plots"
    out = _fresh(run_dir, tmp_path)
    rc = RLRFConfig(iterations=3, eval_every=2, save_every=2, **FAST)
    m = run_rlrf(dataclasses.replace(load_config(ROOT/"configs"/"tiny.yaml"), rlrf=rc), out)
    for k in ("gold_sft", "gold_girl", "kl_girl", "kl_girl_seq"): assert math.isfinite(m[k]), k
    assert "rm_reward_sft" in m and "rm_reward_girl" in m  # NaN when every greedy JD is empty (the tiny generator)
    v, t = m["gen_val"], m["gen_test"]  # every figure names its split
    for k in ("gold_greedy_sft", "gold_greedy_girl", "format_rate_greedy_girl", "rm_reward_girl"): assert math.isfinite(v[k]), k
    assert t["n_cvs"] == 3 and m["gold_girl"] == t["gold_greedy_girl"] and m["kl_girl"] == t["kl_sampled_girl"]
    for k in ("gold_sampled_sft", "gold_sampled_girl", "rm_sampled_sft", "jd_len_greedy_girl", "format_rate_sampled_sft"): assert math.isfinite(t[k]), k
    d = t["gold_diff_greedy"]
    assert d["n"] == 3 and d["mde"] == pytest.approx(min_detectable_effect(d["sd"] / math.sqrt(3))) and d["ci95"][0] <= d["mean"] <= d["ci95"][1]
    assert (out/"gen"/"sft").is_dir() and (out/"gen"/"rlrf").is_dir()  # the greedy test JDs sit in the judge's cache
    assert m["kl_girl_seq"] >= m["kl_girl"]  # summed over the JD vs per token (a JD has >= 1 token)
    assert read_metrics(out/"rlrf")["iterations"] == 3 and m["saved_as"] == "adapter"
    sd = out/"rlrf"
    for f in ("log.csv", "eval.csv", "eval_cvs.jsonl", "training.png", "overoptimisation.png", "README.md", "samples.jsonl", "adapter_config.json"): assert (sd/f).is_file(), f
    assert len((sd/"log.csv").read_text().strip().splitlines()) == 1 + 3 and any((sd/"tb").iterdir())
    assert [p.name for p in sorted((sd/"checkpoints").iterdir())] == ["iter-2", "iter-3"]
    from girl_nb.generate import generate_jds
    g = load_generator(sd)
    assert len(generate_jds(g, load_tokenizer(sd), ["Nurse, 3 years."], max_new_tokens=4)) == 1
    with pytest.raises(FileExistsError, match="resume=True"): run_rlrf(dataclasses.replace(load_config(ROOT/"configs"/"tiny.yaml"), rlrf=rc), out)



def test_rlrf_reads_the_reward_ensemble(run_dir, tmp_path):
    "With OUT/reward/ensemble.json PPO's reward is the members' standardised mean (reward.ensemble, nbs/03_reward)"
    from transformers import AutoModelForSequenceClassification
    from girl_nb.reward import RewardEnsemble, load_reward_model, score, write_ensemble
    from girl_nb.rlrf_stage import build_rlrf
    out, p = _fresh(run_dir, tmp_path), tiny_model_path("encoder")
    torch.manual_seed(1)
    m1, d1 = AutoModelForSequenceClassification.from_pretrained(p, num_labels=1), out/"reward"/"members"/"1"
    m1.save_pretrained(d1); load_tokenizer(p, "encoder").save_pretrained(d1)
    write_ensemble(out/"reward", [out/"reward", d1], [0.5, -1.0], [2.0, 0.5])
    tr = build_rlrf(load_config(ROOT/"configs"/"tiny.yaml"), out, RLRFConfig(iterations=1, **FAST))
    assert isinstance(tr.scorer, RewardEnsemble) and len(tr.scorer) == 2
    cvs, jds = ["Nurse, 3 years."] * 2, ["Job title: nurse", "Job title: chef"]
    u0, u1 = (score(*load_reward_model(d), cvs, jds) for d in (out/"reward", d1))
    assert torch.allclose(tr.scorer(cvs, jds), ((u0 - 0.5) / 2.0 + (u1 + 1.0) / 0.5) / 2, atol=1e-5)
    assert not torch.allclose(u0, u1)  # two different members


class Kill(Exception): pass


def test_resume_after_kill_loses_nothing(run_dir, tmp_path):
    "Killed mid-way (before the iteration-4 checkpoint), resumed from iter-2: the same log and weights as an unbroken run"
    cfg = load_config(ROOT/"configs"/"tiny.yaml"); rc = RLRFConfig(iterations=4, save_every=2, eval_every=2, **FAST)
    a = _fresh(run_dir, tmp_path/"a"); run_rlrf(dataclasses.replace(cfg, rlrf=rc), a, scorer=short)
    b = _fresh(run_dir, tmp_path/"b")
    def kill(tr, row):
        if row["iteration"] == 3: raise Kill()
    with pytest.raises(Kill): run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, scorer=short, callbacks=[kill])
    assert last_checkpoint(b/"rlrf").name == "iter-2"
    m = run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, resume=True, scorer=short)
    # rm_reward_* are the greedy gen_test means: NaN when every greedy JD of the tiny generator is empty
    assert m["iterations"] == 4 and all(math.isfinite(v) for k, v in m.items() if isinstance(v, float) and not k.startswith("rm_reward_"))
    la, lb = (list(csv_rows(x/"rlrf"/"log.csv")) for x in (a, b))
    drop = lambda r: {k: v for k, v in r.items() if not k.startswith("t_")}
    assert [drop(r) for r in la] == [drop(r) for r in lb]
    ea = [json.loads(l) for l in open(a/"rlrf"/"eval_cvs.jsonl")]  # the per-CV checks survive the kill, each once
    assert [e["iteration"] for e in ea] == [0, 2, 4] and (b/"rlrf"/"eval_cvs.jsonl").read_text() == (a/"rlrf"/"eval_cvs.jsonl").read_text()
    from safetensors.torch import load_file
    wa, wb = (load_file(str(x/"rlrf"/"adapter_model.safetensors")) for x in (a, b))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    # killed after the last checkpoint but before the metrics were written: resuming only finishes the stage
    (b/"rlrf"/"metrics.json").unlink(); (b/"rlrf"/"samples.jsonl").unlink()
    m2 = run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, resume=True, scorer=short)
    assert m2["iterations"] == 4 and m2["rm_reward_girl"] == m["rm_reward_girl"]
    assert (b/"rlrf"/"samples.jsonl").read_text() == (a/"rlrf"/"samples.jsonl").read_text()


def test_best_val_ships_the_chosen_actor(run_dir, tmp_path):
    "select: best_val: the metrics name the chosen gen_val check, the saved actor is that check's, and a resumed run chooses alike"
    from safetensors.torch import load_file
    from girl_nb.generate import fingerprint
    cfg = load_config(ROOT/"configs"/"tiny.yaml")
    rc = RLRFConfig(iterations=4, save_every=2, eval_every=1, select="best_val", **FAST)
    a = _fresh(run_dir, tmp_path/"a"); m = run_rlrf(dataclasses.replace(cfg, rlrf=rc), a, scorer=short)
    ev = list(csv_rows(a/"rlrf"/"eval.csv"))
    gg = [float(r["gold_greedy"]) for r in ev]
    assert [int(r["iteration"]) for r in ev] == [0, 1, 2, 3, 4]
    assert m["select"] == "best_val" and m["iterations"] == 4 and m["selected_iteration"] == int(np.argmax(gg))
    assert m["gen_val"]["gold_greedy_girl"] == pytest.approx(max(gg)) and m["gen_val"]["gold_greedy_sft"] == pytest.approx(gg[0])
    kept = read_state(last_checkpoint(a/"rlrf"))["best"]
    assert kept["iteration"] == m["selected_iteration"]
    if m["selected_iteration"] == 0:  # the SFT model won (the next test pins that case): shipped as its own files
        assert m["saved_as"] == "sft" and fingerprint(str(a/"rlrf"), {}) == fingerprint(str(a/"sft"), {})
    else:
        saved = load_file(str(a/"rlrf"/"adapter_model.safetensors"))
        chosen = {k.replace(".default", ""): v for k, v in kept["actor"].items()}
        assert set(saved) == set(chosen) and all(torch.equal(saved[k], chosen[k]) for k in saved)
    b = _fresh(run_dir, tmp_path/"b")
    def kill(tr, row):
        if row["iteration"] == 3: raise Kill()
    with pytest.raises(Kill): run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, scorer=short, callbacks=[kill])
    m2 = run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, resume=True, scorer=short)
    assert m2["selected_iteration"] == m["selected_iteration"]
    assert fingerprint(str(b/"rlrf"), {}) == fingerprint(str(a/"rlrf"), {})  # the same weights, byte for byte
    c = _fresh(run_dir, tmp_path/"c"); shutil.rmtree(c/"data"/"gold")  # no gold judge: nothing to choose by
    with pytest.raises(ValueError, match="select=best_val.*select: last"): run_rlrf(dataclasses.replace(cfg, rlrf=rc), c, scorer=short)


def test_best_val_at_iteration_0_ships_the_sft_model(run_dir, tmp_path):
    "No gen_val check beats the SFT model: OUT/rlrf is the SFT model byte for byte, and its test JDs are decoded once"
    from girl_nb.generate import fingerprint
    class ByIteration:  # gold = -(the last iteration trained): no later check beats iteration 0
        it = 0
        def score_many(self, ids, texts): return [-float(self.it)] * len(texts)
    gold = ByIteration()
    def cb(tr, row): gold.it = row["iteration"]
    cfg = load_config(ROOT/"configs"/"tiny.yaml")
    rc = RLRFConfig(iterations=2, save_every=2, eval_every=1, select="best_val", **FAST)
    a = _fresh(run_dir, tmp_path)
    m = run_rlrf(dataclasses.replace(cfg, rlrf=rc), a, scorer=short, gold=gold, callbacks=[cb])
    assert m["selected_iteration"] == 0 and m["iterations"] == 2 and m["saved_as"] == "sft"
    assert fingerprint(str(a/"rlrf"), {}) == fingerprint(str(a/"sft"), {})
    assert not (a/"rlrf"/"adapter_config.json").exists()  # the tiny SFT model is a full one: no actor adapter left
    t = m["gen_test"]
    assert t["girl_is_sft"] and t["gold_diff_greedy"]["mean"] == 0
    keys = [f"{k}_{d}" for k in ("rm", "jd_len", "format_rate") for d in ("greedy", "sampled")]
    np.testing.assert_equal([t[f"{k}_girl"] for k in keys], [t[f"{k}_sft"] for k in keys])  # the same JDs (NaN: all empty)
    (fs,), (fg,) = list((a/"gen"/"sft").iterdir()), list((a/"gen"/"rlrf").iterdir())
    assert fs.name == fg.name  # one cache key: GIRL's greedy JDs are the SFT model's, copied
    assert "No `gen_val` check beat the SFT model" in (a/"rlrf"/"README.md").read_text()


def csv_rows(path):
    import csv
    with open(path) as f: yield from csv.DictReader(f)


def test_nan_reward_stops_and_keeps_last_good_checkpoint(run_dir, tmp_path):
    cfg = load_config(ROOT/"configs"/"tiny.yaml"); rc = RLRFConfig(iterations=4, save_every=1, eval_every=0, **FAST | dict(n_eval_cvs=0))
    calls = []
    def flaky(cvs, jds):
        calls.append(1)
        return torch.full((len(jds),), float("nan")) if len(calls) == 3 else short(cvs, jds)
    out = _fresh(run_dir, tmp_path)
    with pytest.raises(FloatingPointError, match="iteration 2: the reward model gave non-finite rewards"): run_rlrf(dataclasses.replace(cfg, rlrf=rc), out, scorer=flaky)
    assert last_checkpoint(out/"rlrf").name == "iter-2"
    assert read_state(last_checkpoint(out/"rlrf"))["iteration"] == 2
    m = run_rlrf(dataclasses.replace(cfg, rlrf=rc), out, resume=True, scorer=short)
    assert m["iterations"] == 4


def test_bad_inputs(run_dir, tmp_path):
    cfg = load_config(ROOT/"configs"/"tiny.yaml"); rc = RLRFConfig(iterations=1, **FAST)
    with pytest.raises(ValueError, match="rl split: no CVs"): run_rlrf(dataclasses.replace(cfg, rlrf=rc), _fresh(run_dir, tmp_path/"a"), splits=dict(rl=[]))
    out = _fresh(run_dir, tmp_path/"b"); shutil.rmtree(out/"reward")
    with pytest.raises(FileNotFoundError, match="no reward model"): run_rlrf(dataclasses.replace(cfg, rlrf=rc), out)
    with pytest.raises(ValueError, match="no CVs to train on"): RLRF(None, None, None, short, rc, [])


def test_resume_refuses_a_pickle(run_dir, tmp_path):
    "A run folder whose checkpoint is a pickle (state.pt) is refused on resume, and the pickle never runs"
    import os, pickle
    class Evil:
        def __reduce__(self): return (os.system, (f"touch {tmp_path/'pwned'}",))
    cfg = load_config(ROOT/"configs"/"tiny.yaml"); rc = RLRFConfig(iterations=2, save_every=1, eval_every=0, **FAST)
    b = _fresh(run_dir, tmp_path/"b")
    ck = b/"rlrf"/"checkpoints"/"iter-1"
    ck.mkdir(parents=True)
    (ck/"state.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="never loaded"): run_rlrf(dataclasses.replace(cfg, rlrf=rc), b, resume=True, scorer=short)
    assert not (tmp_path/"pwned").exists()


FORBIDDEN = ("jd_parts", "jd_format_ok", "rubric", "GoldJudge", "utility", "judge")


def test_config_rejects_format_coef(tmp_path):
    "The structure term is gone: a config that still sets it fails, saying why"
    from girl_nb.core import ConfigError
    with pytest.raises(ConfigError, match="format_coef.*removed.*coupled the RL reward to the judge"):
        load_config(None, ["rlrf.format_coef=2"])
    (tmp_path/"c.yaml").write_text("rlrf:\n  format_coef: 2.0\n")
    with pytest.raises(ConfigError, match="c.yaml:2: 'rlrf.format_coef' is now removed"): load_config(tmp_path/"c.yaml")


def test_reward_path_never_reads_the_judge_static():
    "The code that builds rewards, and the RLRF modules' imports, mention none of the judge's checks"
    import ast, inspect
    import girl_nb.rlrf as rl, girl_nb.rlrf_trainer as rt
    for f in (RLRF.rewards, RLRF._score, RLRF.rollout, RLRF.step, RLRF.update, RLRF.fit, penalised_reward):
        src = inspect.getsource(f)
        assert not [w for w in FORBIDDEN if w in src], f.__name__
    for mod in (rl, rt):
        top = [n for n in ast.parse(inspect.getsource(mod)).body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = " ".join(ast.unparse(n) for n in top)
        assert not [w for w in FORBIDDEN if w in names], (mod.__name__, names)


def test_reward_is_score_minus_kl_dynamic(tok, monkeypatch):
    "With the judge's checks made to raise and no gold judge, an iteration runs and r = U − λ·KL − the no-EOS guard"
    import girl_nb.judge as judge
    def boom(*a, **k): raise AssertionError("the training path called the judge")
    for name in ("jd_parts", "jd_format_ok", "rubric"): monkeypatch.setattr(judge, name, boom)
    rc = RLRFConfig(iterations=1, reward_norm=False, **FAST | dict(n_eval_cvs=0))
    t = _trainer(rc, short, tok, n_cvs=4)
    ro = t.rewards(t.rollout(t.cvs[:4], seed=0))
    lam = t.kl_ctl.value
    assert torch.allclose(ro["r"], short(None, ro["texts"]) - lam * ro["kl"] - rc.no_eos_penalty * ro["no_eos"], atol=1e-6)
    row = t.step()  # one whole iteration, logged
    assert row["reward"] == pytest.approx(row["rm_reward"] - row["kl_coef"] * row["kl"] - rc.no_eos_penalty * row["no_eos_rate"], abs=1e-5)
    assert row["kl_pen"] == pytest.approx(row["kl_coef"] * row["kl"]) and "gold" not in row


def _rm_trainer(tok, centre, seed):
    "A trainer whose scorer is a tiny BERT reward model (scores near 3, as the demo's) and whose critic is its copy"
    import copy
    from transformers import AutoModelForSequenceClassification
    from girl_nb.reward import RewardEnsemble
    p = tiny_model_path("encoder"); torch.manual_seed(seed)
    rm = AutoModelForSequenceClassification.from_pretrained(p, num_labels=1)
    with torch.no_grad(): rm.classifier.bias.add_(3.0); rm.classifier.weight.mul_(100)
    critic = Critic(copy.deepcopy(rm), load_tokenizer(p, "encoder"), 64)
    rc = RLRFConfig(iterations=1, **FAST | dict(cvs_per_iter=8, minibatch=4, critic_center=centre, kl_coef=0.2,
                                                actor_lr=2e-4, critic_lr=1e-4))  # the demo's learning rates
    cvs = [f"CV {i}: {w}, {i % 7 + 1} years." for i, w in enumerate(["nurse", "developer", "accountant", "analyst"] * 4)]
    return RLRF(make_actor(load_generator("tiny"), rc), tok, critic, RewardEnsemble([(rm, load_tokenizer(p, "encoder"))], batch_size=32), rc, cvs)


def test_critic_starts_on_its_targets_level(tok):
    "critic_center: at iteration 0 the critic's mean value is the mean target; the first value loss is smaller than without"
    for seed in (0, 1):
        vl = {}
        for centre in (True, False):
            t = _rm_trainer(tok, centre, seed)
            ro = t.rewards(t.rollout(t.cvs[:8], seed=seed))
            if centre:
                assert float(ro["v"].mean()) == pytest.approx(float(ro["r"].mean()), abs=1e-4)
                assert float(ro["v"].std()) < float(ro["r"].std())  # E[r | C] varies less than r
            else: assert abs(float(ro["v"].mean() - ro["r"].mean())) > 1  # raw U (≈ 3) against normalised targets
            vl[centre] = t.update(ro)["vl"]
        assert vl[True] < vl[False], vl


def test_adaptive_kl_moves_within_the_demo():
    "kl_horizon_iters = 2 (the demo): λ can grow ×3 in 12 iterations; the old horizon of 256 CVs moved it by < 8%"
    from girl_nb.rlrf import AdaptiveKL
    cfg = load_config(ROOT/"configs"/"demo.yaml").rlrf
    c = AdaptiveKL(cfg.kl_coef, cfg.kl_target, cfg.kl_horizon_iters)
    for _ in range(cfg.iterations): c.update(10 * cfg.kl_target)
    assert c.value / cfg.kl_coef > 3
    old = AdaptiveKL(1.0, 0.05, 256)
    for _ in range(12): old.update(0.5, 8)
    assert old.value < 1.08


def test_rlrf_compare_bench(tmp_path, capsys):
    "bench/rlrf_compare.py: two runs of one draw paired per gen_val CV; a run of another draw is refused"
    import importlib.util, json
    spec = importlib.util.spec_from_file_location("rlrf_compare", Path(__file__).resolve().parents[1]/"bench"/"rlrf_compare.py")
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    def run(name, key, rows):
        (tmp_path/name/"data").mkdir(parents=True); (tmp_path/name/"rlrf").mkdir()
        (tmp_path/name/"data"/"pipeline.json").write_text(json.dumps(dict(key=key)))
        (tmp_path/name/"rlrf"/"eval_cvs.jsonl").write_text("".join(
            json.dumps(dict(iteration=it, seeker_id=["a", "b", "c"], gold_greedy=g)) + "\n" for it, g in rows))
        return str(tmp_path/name)
    a = run("a", "k", [(0, [.5, .5, .5]), (4, [.5, .6, .7])])
    b = run("b", "k", [(0, [.5, .5, .5]), (4, [.6, .7, .8])])
    bench.main(["--run", a, "--compare", b])
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("| b | 0 | 0.500 | 0.500 | +0.000") and out[3].startswith("| b | 4 | 0.600 | 0.700 | +0.100")
    assert out[4].startswith("| b | mean of 4 | 0.600 | 0.700 | +0.100") and len(out) == 5
    other = run("o", "another draw", [(0, [.5, .5, .5])])
    with pytest.raises(SystemExit, match="compare RLRF runs of one draw"): bench.main(["--run", a, "--compare", other])
