"Feedback stage (nbs/02b_feedback): the simulated panel's rule, ratings-file validation, the stage on the tiny preset"
import dataclasses, json
from pathlib import Path
import numpy as np, pytest
from datasets import load_from_disk
from girl_nb.core import ConfigError
from girl_nb.data import load_splits
from girl_nb.data_stage import run_data
from girl_nb.feedback import (FeedbackConfig, panel_pairs, read_ratings, run_feedback, simulated_panel,
                              validate_ratings)
from girl_nb.generate import GenConfig
from girl_nb.pipeline import load_config

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT/"configs"/"tiny.yaml"
COLS = ["seeker_id", "cv", "jd_chosen", "jd_rejected", "source"]


class Words:
    "A stand-in gold judge: utility = words / 100 (the tiny generator's JDs all score alike on the real gold)"
    def score_many(self, seeker_ids, jds): return np.array([len(j.split()) / 100 for j in jds])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("fdata"); run_data(load_config(TINY), out)
    return out


def _cfg(**kw):
    return dataclasses.replace(load_config(TINY), feedback=FeedbackConfig(**kw))


def test_panel_rule():
    "The better JD by gold wins with probability 1 - noise (flips at the stated rate); near-ties and ties are dropped"
    n = 40_000
    for noise in (0.0, 0.05, 0.2):
        pa, kept = simulated_panel(np.full(n, .7), np.full(n, .6), noise=noise, seed=1)
        assert kept.all() and abs(pa.mean() - (1 - noise)) < 0.01
        pb, _ = simulated_panel(np.full(n, .6), np.full(n, .7), noise=noise, seed=1)
        assert abs(pb.mean() - noise) < 0.01
    gap = np.random.default_rng(0).uniform(-.2, .2, n)
    pa, kept = simulated_panel(.5 + gap, np.full(n, .5), noise=.1, margin=.02, seed=2)
    assert (kept == (np.abs(gap) >= .02)).all()
    assert abs((pa == (gap > 0))[kept].mean() - .9) < 0.01  # a better JD wins more often: 90% here
    assert not simulated_panel([.5], [.5], margin=0)[1][0]              # an exact tie is never rated
    same = simulated_panel(.5 + gap, np.full(n, .5), seed=3)[0] == simulated_panel(.5 + gap, np.full(n, .5), seed=3)[0]
    assert same.all()
    with pytest.raises(ValueError, match="noise"): simulated_panel([1], [0], noise=1.5)


def test_panel_pairs_counts():
    "Every pair of a CV's non-empty JDs is rated once; empties, ties and flips are counted"
    jds = [["x", "x y", "x y z"], ["", "p q"]]
    rows, st = panel_pairs(Words(), ["a", "b"], ["cv a", "cv b"], jds, noise=0, margin=.005)
    assert st["n_rated"] == 3 and st["n_empty"] == 1 and st["n_pairs"] == 3 and st["n_flipped"] == 0
    assert [(r["jd_chosen"], r["jd_rejected"]) for r in rows] == [("x y", "x"), ("x y z", "x"),
                                                                  ("x y z", "x y")]
    assert {r["source"] for r in rows} == {"simulated_panel"} and st["gold_gap_mean"] > 0
    rows, st = panel_pairs(Words(), ["a"], ["cv a"], [["x y", "x z"]])
    assert rows == [] and st["n_ties"] == 1


def test_config_errors():
    with pytest.raises(ConfigError, match="feedback.jds_per_cv"): FeedbackConfig(jds_per_cv=1)
    with pytest.raises(ConfigError, match="feedback.n_cvs"): FeedbackConfig(n_cvs=-1)
    with pytest.raises(ConfigError, match="feedback.gen.temperature"): FeedbackConfig(gen=GenConfig(temperature=0))
    with pytest.raises(ConfigError, match="feedback.n_cvs"): load_config(TINY, ["feedback.n_cvs=-2"])


def test_ratings_file(tmp_path):
    "A good file becomes pair rows; each bad line is an error naming file, line and field, never the text"
    good = [dict(cv="nurse cv", jd_a="Job title: Cook", jd_b="Job title: ICU Nurse", preferred="b"),
            dict(seeker_id=7, cv="cook cv", jd_a="Job title: Cook", jd_b="Job title: Nurse", preferred="A")]
    f = tmp_path/"ratings.jsonl"; f.write_text("".join(json.dumps(r) + "\n" for r in good))
    rows = read_ratings(f)
    assert [(r["jd_chosen"], r["jd_rejected"]) for r in rows] == [("Job title: ICU Nurse", "Job title: Cook"),
                                                                  ("Job title: Cook", "Job title: Nurse")]
    assert rows[0]["seeker_id"].startswith("cv-") and rows[1]["seeker_id"] == "7"
    assert {r["source"] for r in rows} == {"user_ratings"}
    bad = [dict(cv="c", jd_a="x", jd_b="y", preferred="maybe-secret"), dict(cv="c", jd_a="x", jd_b=" ", preferred="a"),
           dict(cv="c", jd_a="x", jd_b="y"), dict(cv=3, jd_a="x", jd_b="y", preferred="a"), ["a", "list"],
           dict(cv="c", jd_a="same", jd_b="same", preferred="b"),
           dict(cv="c", jd_a="x", jd_b="y", preferred="a", seeker_id=True)]
    f = tmp_path/"bad.jsonl"; f.write_text("".join(json.dumps(r) + "\n" for r in bad) + "{oops\n")
    with pytest.raises(ValueError) as e: read_ratings(f)
    msg = str(e.value)
    for want in ("bad.jsonl:1: preferred: must be", "bad.jsonl:2: jd_b: empty",
                 "bad.jsonl:3: preferred: missing required field", "bad.jsonl:4: cv: must be text",
                 "bad.jsonl:5: expected a JSON object", "bad.jsonl:6: jd_b: the same text as jd_a",
                 "bad.jsonl:7: seeker_id", "bad.jsonl:8: malformed JSON"):
        assert want in msg, (want, msg)
    assert "maybe-secret" not in msg
    assert validate_ratings([dict(cv="c", jd_a="x", jd_b="y", preferred="b")], "mem")[0][0]["jd_chosen"] == "y"
    (tmp_path/"empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no ratings"): read_ratings(tmp_path/"empty.jsonl")
    out = tmp_path/"run"
    m = run_feedback(_cfg(source=str(tmp_path/"ratings.jsonl")), out)
    assert m["source"] == "user_ratings" and m["n_pairs"] == 2
    assert load_from_disk(str(out/"feedback"/"pairs")).column_names == COLS


def test_run_feedback_simulator(data, tmp_path):
    "rm-split CVs only (never gen_val/gen_test), the Dataset's columns, metrics and README; off removes stale pairs"
    out = tmp_path/"run"; (out/"data").mkdir(parents=True)
    for k in ("splits", "gold"): (out/"data"/k).symlink_to(data/"data"/k)
    cfg = _cfg(n_cvs=6, gen=GenConfig(temperature=1.0, max_new_tokens=12))
    m_gold = run_feedback(cfg, out)                                  # the real panel: runs, whatever it keeps
    assert m_gold["n_rated"] == 6 and m_gold["n_pairs"] + m_gold["n_ties"] == 6 and m_gold["noise"] == 0.05
    m = run_feedback(cfg, out, gold=Words())
    assert m["source"] == "simulated_panel" and m["generator"] == "base" and m["n_cvs"] == 6 and m["n_jds"] == 12
    assert m["n_pairs"] >= 1 and m["gen_tokens"] > 0 and m["seconds"] > 0
    ds = load_from_disk(str(out/"feedback"/"pairs"))
    assert ds.column_names == COLS and len(ds) == m["n_pairs"] and set(ds["source"]) == {"simulated_panel"}
    sp = load_splits(out/"data"/"splits")
    rm, held = {r["seeker_id"] for r in sp["rm"]}, {r["seeker_id"] for k in ("gen_val", "gen_test") for r in sp[k]}
    assert set(ds["seeker_id"]) <= rm and not set(ds["seeker_id"]) & held
    d = json.loads((out/"feedback"/"metrics.json").read_text())
    assert d["config"]["feedback"]["n_cvs"] == 6 and "| n_pairs |" in (out/"feedback"/"README.md").read_text()
    assert run_feedback(_cfg(), out)["n_pairs"] == 0 and not (out/"feedback"/"pairs").exists()


def test_simulator_needs_gold(data, tmp_path):
    out = tmp_path/"run"; (out/"data").mkdir(parents=True); (out/"data"/"splits").symlink_to(data/"data"/"splits")
    with pytest.raises(ValueError, match="feedback.source 'simulator' needs the simulator's gold"):
        run_feedback(_cfg(n_cvs=2), out)
