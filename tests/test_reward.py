"Reward-model stage (nbs/03_reward): kill-and-resume, bad input, CLI, LoRA and causal-LM backbones, on the tiny preset"
import dataclasses, argparse, json, os, shutil, signal, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch
from girl_nb.core import ConfigError
from girl_nb.pipeline import load_config
from girl_nb.models import tiny_model_path
from girl_nb.data_stage import run_data
from girl_nb.reward import (RewardConfig, encode_pair, load_backbone, load_reward_model, pair_rows,
                            run_reward, score, tokenize_pairs)
from girl_nb.cli import add_reward_cli

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT/"configs"/"tiny.yaml"
FAST = dict(lr=1e-3, max_steps=6, batch_size=8, save_steps=3, logging_steps=2, max_length=128, n_gen_cvs=0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    "A tiny OUT/data shared by the tests (80 reward-model CVs, one J+ and one J- each)"
    out = tmp_path_factory.mktemp("rdata"); run_data(load_config(TINY), out)
    return out


def _out(tmp_path, data):
    "A fresh run folder whose data/ points at the shared tiny data"
    (tmp_path/"data").mkdir(parents=True); (tmp_path/"data"/"splits").symlink_to(data/"data"/"splits"); (tmp_path/"data"/"gold").symlink_to(data/"data"/"gold")
    return tmp_path


_KILL = textwrap.dedent("""
    import dataclasses, os, signal, sys
    from transformers import TrainerCallback
    from girl_nb.pipeline import load_config
    from girl_nb.reward import RewardConfig, run_reward
    class Kill(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            if state.global_step == 3: os.kill(os.getpid(), signal.SIGKILL)
    run_reward(dataclasses.replace(load_config(sys.argv[1]), reward=RewardConfig(**{FAST})), sys.argv[2], callbacks=[Kill()])
""").replace("{FAST}", repr(FAST))


def test_kill_and_resume_matches_uninterrupted(tmp_path, data):
    "SIGKILL after the step-3 checkpoint, then --resume: same step count and same scores as a run never killed"
    killed, clean = _out(tmp_path/"k", data), _out(tmp_path/"c", data)
    p = subprocess.run([sys.executable, "-c", _KILL, str(TINY), str(killed)], capture_output=True, text=True, timeout=300)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert [c.name for c in (killed/"reward"/"checkpoints").glob("checkpoint-*")] == ["checkpoint-3"]
    assert not (killed/"reward"/"config.json").exists()  # the model was never saved
    with pytest.raises(FileExistsError, match="resume=True"): run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), killed)
    m = run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), killed, resume=True)
    m0 = run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), clean)
    assert m["train_steps"] == m0["train_steps"] == 6
    cvs, jds = ["nurse with 5 years of ICU work", "java developer"], ["Job title: Nurse", "Job title: Accountant"]
    a, b = score(*load_reward_model(killed/"reward"), cvs, jds), score(*load_reward_model(clean/"reward"), cvs, jds)
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    for k in ("pairwise_accuracy", "auc", "gold_spearman"): assert m[k] == pytest.approx(m0[k], abs=1e-6)


def test_metrics_file_and_counts(tmp_path, data):
    "metrics.json holds the three figures, the skip/cut counts and both configs"
    out = _out(tmp_path, data); run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), out)
    d = json.loads((out/"reward"/"metrics.json").read_text()); m = d["metrics"]
    for k in ("pairwise_accuracy", "auc", "gold_spearman", "n_no_pos", "n_no_neg", "n_identical", "n_cv_truncated", "n_jd_truncated"): assert k in m
    assert m["n_train_pairs"] + m["n_heldout_pairs"] == 80 and m["n_no_pos"] == m["n_no_neg"] == m["n_identical"] == 0
    assert d["reward_config"]["max_length"] == 128 and d["config"]["name"] == "tiny"
    assert all(set(json.loads(l)) == {"seeker_id", "job_id", "label", "score", "gold"} for l in open(out/"reward"/"heldout_scores.jsonl"))
    card = (out/"reward"/"README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers\n") and "pipeline_tag: text-classification" in card and "| auc |" in card


def test_bad_input(tmp_path):
    "No data, no usable pairs, bad config values: clear errors"
    with pytest.raises(FileNotFoundError, match="girl data generate"): run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), tmp_path)
    only_pos = {"rm": [dict(seeker_id=f"s{i}", cv=f"cv {i}", jd="job", label=1) for i in range(4)]}
    with pytest.raises(ValueError, match="no training pairs.*without J-: 3"): run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST)), tmp_path, splits=only_pos)
    with pytest.raises(ConfigError, match="reward.pairs_per_cv"): RewardConfig(pairs_per_cv=-1)
    with pytest.raises(ValueError, match="row 1 .*jd"): pair_rows([dict(seeker_id="a", cv="c", jd="j", label=1), dict(seeker_id="a", cv="c", jd=None, label=0)])


def test_truncation_never_drops(data):
    "Every pair fits max_length after cutting; TRL would have dropped them otherwise"
    from girl_nb.data import load_splits
    _, tok = load_backbone("tiny")
    rows, _ = pair_rows(load_splits(data/"data"/"splits")["rm"])
    t, st = tokenize_pairs(rows, tok, 64)
    assert len(t) == len(rows) and st["n_cv_truncated"] == len(rows)
    assert max(max(len(r["chosen_ids"]), len(r["rejected_ids"])) for r in t) <= 64


def test_lora_and_causal_backbone(tmp_path, data):
    "LoRA on the tiny encoder and a causal LM (tiny LLaMA, prompt layout + EOS) both train, save and score"
    out = _out(tmp_path/"l", data)
    run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST | dict(lora_r=4, max_steps=2))), out)
    m, t = load_reward_model(out/"reward"); assert not any("lora" in n for n, _ in m.named_parameters())
    assert score(m, t, ["a cv"], ["a jd"]).shape == (1,)
    out = _out(tmp_path/"g", data)
    run_reward(dataclasses.replace(load_config(TINY), reward=RewardConfig(**FAST | dict(model=str(tiny_model_path("generator")), max_steps=2))), out)
    m, t = load_reward_model(out/"reward")
    assert m.config.girl_reward["segment_a"] == "prompt"
    assert encode_pair(t, "a cv", "a jd", 64, "prompt")["ids"][-1] == t.eos_token_id
    assert torch.isfinite(score(m, t, ["a cv", "b"], ["a jd", "c"])).all()


def test_cli(tmp_path, data, capsys):
    "`girl reward` then `girl score` through the subcommand functions"
    out = _out(tmp_path, data)
    ap = argparse.ArgumentParser(); add_reward_cli(ap.add_subparsers())
    (tmp_path/"cv.txt").write_text("Registered nurse, 5 years in intensive care."); (tmp_path/"jd.txt").write_text("Job title: ICU Nurse")
    (tmp_path/"empty.txt").write_text("  \n")
    a = ap.parse_args(["reward", "--config", str(TINY), "--out", str(out)])
    assert a.func(a) == 0 and "pairwise_accuracy" in capsys.readouterr().out
    a = ap.parse_args(["score", "--model", str(out/"reward"), "--cv", str(tmp_path/"cv.txt"), "--jd", str(tmp_path/"jd.txt"), str(tmp_path/"jd.txt")])
    assert a.func(a) == 0
    lines = capsys.readouterr().out.strip().splitlines(); assert len(lines) == 2 and lines[0] == lines[1]
    a = ap.parse_args(["score", "--model", str(out/"reward"), "--cv", str(tmp_path/"empty.txt"), "--jd", str(tmp_path/"jd.txt")])
    with pytest.raises(ValueError, match="--cv .*empty.txt: empty"): a.func(a)


def test_feedback_pairs_and_gen_val_check(tmp_path, data):
    """Feedback pairs join training, counted apart (held-out seekers' pairs are scored instead); feedback_pairs=false:
    the paper's pairs only; the rm_gen_* check reads gen_val"""
    import numpy as np
    from girl_nb.data import load_splits
    from girl_nb.feedback import FeedbackConfig, run_feedback
    from girl_nb.generate import GenConfig

    class Words:
        def score_many(self, seeker_ids, jds): return np.array([len(j.split()) / 100 for j in jds])
    out = _out(tmp_path, data)
    fc = FeedbackConfig(n_cvs=40, gen=GenConfig(temperature=1.0, max_new_tokens=8))
    cfg = dataclasses.replace(load_config(TINY), feedback=fc)
    fm = run_feedback(cfg, out, gold=Words())
    rc = RewardConfig(**FAST | dict(max_steps=2, n_gen_cvs=3, gen_per_cv=2,
                                    gen=GenConfig(temperature=0.7, max_new_tokens=8)))
    m = run_reward(dataclasses.replace(cfg, reward=rc), out)
    assert m["n_pairs_feedback"] + m["n_pairs_feedback_heldout"] == fm["n_pairs"] > 0
    assert m["n_train_pairs"] == m["n_pairs_paper"] + m["n_pairs_feedback"]
    assert (m["feedback_pairwise_accuracy"] is None) == (m["n_pairs_feedback_heldout"] == 0)
    assert m["rm_gen_split"] == "gen_val" and m["rm_gen_n"] <= 6 and m["rm_gen_n_cvs"] <= 3
    keys = set(json.loads((out/"reward"/"metrics.json").read_text())["metrics"])
    assert keys >= {"rm_gen_spearman", "rm_gen_spearman_within_cv"}
    shutil.rmtree(out/"reward")
    m0 = run_reward(dataclasses.replace(cfg, reward=dataclasses.replace(rc, feedback_pairs=False)), out)
    assert m0["n_pairs_feedback"] == m0["n_pairs_feedback_heldout"] == 0
    assert m0["n_train_pairs"] == m0["n_pairs_paper"] == m["n_pairs_paper"]
    with pytest.raises(ValueError, match="no gen_val split"):  # before any training
        rm = list(load_splits(out/"data"/"splits")["rm"])
        run_reward(dataclasses.replace(cfg, reward=rc), tmp_path/"x", splits={"rm": rm}, gold=Words())
