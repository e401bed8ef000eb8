"""Fast tests of the enhanced recommender (girl_nb.recommender and girl_nb.rec_stage, nbs/05_recommender.ipynb and
nbs/05a_rec_stage.ipynb): the stage on the tiny preset, reuse, bad input."""
import json, logging
from pathlib import Path

import numpy as np, pytest

from girl_nb.core import read_metrics
from girl_nb.pipeline import load_config
from girl_nb.models import tiny_model_path
from girl_nb.recommender import RecConfig
from girl_nb.cli import main
from girl_nb.rec_stage import rec_splits, run_rec
from girl_nb.recommender import EmbeddingCache, bootstrap_table, encoder_key

ROOT = Path(__file__).resolve().parents[1]
FAST = ["rec.seeds=1", "rec.max_epochs=4", "rec.bootstrap=30", "rec.grounding_cvs=10", "rec.gen.max_new_tokens=6"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    "A tiny run folder with the data stage of configs/tiny.yaml and the tiny generator saved as OUT/sft"
    from girl_nb.data_stage import run_data
    from girl_nb.models import load_generator, load_tokenizer
    out = tmp_path_factory.mktemp("run")
    run_data(load_config(ROOT/"configs"/"tiny.yaml"), out)
    load_generator("tiny").save_pretrained(out/"sft"); load_tokenizer("tiny").save_pretrained(out/"sft")
    return out


def test_stage_writes_tables_and_skips_missing_rlrf(run_dir, caplog):
    "Default generators are OUT/sft and OUT/rlrf: without OUT/rlrf the GIRL row is skipped with a warning, the rest runs"
    cfg = load_config(ROOT/"configs"/"tiny.yaml", FAST)
    with caplog.at_level(logging.WARNING): m = run_rec(cfg, run_dir, progress=False)
    assert "row 'girl' skipped" in caplog.text and "girl rlrf" in caplog.text
    assert m["rows"] == ["base", "girl_sft"]
    saved = read_metrics(run_dir/"rec")
    for p in ("mlp", "dot"):
        for r in ("base", "girl_sft"):
            v = saved["table3"][p][r]
            assert 0 <= v["auc"] <= 1 and v["auc_ci"][0] <= v["auc_ci"][1] and v["logloss"] > 0
        assert "lift_auc" in saved["table3"][p]["girl_sft"] and "delta_auc_ci" in saved["table3"][p]["girl_sft"]
    assert any((run_dir/"gen"/"sft").glob("*/dataset_info.json")), "generated JDs are a datasets folder under the generator's name"
    assert sorted(saved["cold_start"]) == ["dot", "mlp"] and "table4" not in saved, sorted(saved)
    for r in ("base", "girl_sft"): assert {"auc", "auc_ci", "logloss"} <= set(saved["cold_start"]["mlp"][r])
    md = (run_dir/"rec"/"tables.md").read_text()
    assert "| MLP | girl_sft |" in md and "### Table IV: cold start" in md and (run_dir/"rec"/"auc_cold.png").is_file()
    assert "### Ranking: test" in md and "| MLP | girl_sft | CV → job |" in md and "AUC seeds mean ± sd" in md
    # issue 23: per-seed AUCs beside the ensemble, GAUC, ranking both ways, MDEs, the regime and the split of every figure
    for t, split in (("table3", "rec_test"), ("cold_start", "rec_test_cold")):
        for p in ("mlp", "dot"):
            for r in ("base", "girl_sft"):
                v = saved[t][p][r]
                assert v["split"] == split and v["auc_ensemble"] == v["auc"] and len(v["auc_per_seed"]) == 1, v
                assert v["auc_seed_sd"] is None and 0 <= v["auc_seed_mean"] <= 1 and v["gauc_n_seekers"] >= 0
                assert v["gauc"] is None or 0 <= v["gauc"] <= 1
            g = saved[t][p]["girl_sft"]
            assert {"delta_gauc", "delta_gauc_ci", "mde_gauc", "mde_auc", "delta_auc_sd"} <= set(g) and g["mde_auc"] >= 0
    for t in ("ranking", "ranking_cold"):
        for p in ("mlp", "dot"):
            for r in ("base", "girl_sft"):
                assert saved[t][p][r]["split"] == ("rec_test" if t == "ranking" else "rec_test_cold")
                for side in ("cv_to_job", "job_to_cv"):
                    v = saved[t][p][r][side]
                    assert all(0 <= v[k] <= 1 for k in ("recall@5", "recall@10", "ndcg@5", "ndcg@10", "mrr")), v
                    assert v["recall@10"] >= v["recall@5"] and v["n_queries"] >= 1 and v["pool"] >= 1, v
                    assert ("mde_mrr" in v and "delta_mrr_ci" in v) == (r == "girl_sft"), v
    assert saved["n_matcher_train_pairs"] == saved["n_pairs"]["rec_train"] and saved["n_sft_pairs"] is None
    assert saved["figure_splits"]["table3"] == "rec_test" and saved["grounding"]["split"] == "rec_test"
    # a second run generates and encodes nothing
    m2 = run_rec(cfg, run_dir, progress=False)
    assert m2["encoder"]["texts_encoded"] == 0 and m2["table3"]["mlp"]["base"]["auc"] == m["table3"]["mlp"]["base"]["auc"]


def test_ranking_metrics_hand_computed():
    "Recall@k, NDCG@k and the reciprocal rank on a 3 × 4 score matrix worked by hand; NDCG as scikit-learn's"
    from sklearn.metrics import ndcg_score
    from girl_nb.recommender import gauc, ndcg_at_k, ranking_metrics, reciprocal_rank, score_recall_at_k
    S = np.array([[0.9, 0.8, 0.3, 0.1], [0.1, 0.2, 0.5, 0.7], [0.4, 0.3, 0.2, 0.1]])
    R = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]], bool)
    assert score_recall_at_k(S, R, 2)[:2].tolist() == [1.0, 0.5] and np.isnan(score_recall_at_k(S, R, 2)[2])
    l2 = lambda r: 1 / np.log2(r + 1)
    assert np.allclose(ndcg_at_k(S, R, 2)[:2], [l2(2), l2(2) / (1 + l2(2))])
    assert np.isclose(ndcg_at_k(S, R, 10)[:2].mean(), ndcg_score(R[:2].astype(int), S[:2], k=10))
    assert reciprocal_rank(S, R)[:2].tolist() == [0.5, 0.5]
    rm = ranking_metrics(S, R)
    assert len(rm["mrr"]) == 2 and (rm["recall@10"] >= rm["recall@5"]).all()
    assert np.isclose(gauc([1, 0, 1, 0, 1, 0, 1], [0.9, 0.1, 0.8, 0.3, 0.2, 0.7, 0.5], list("aaaabbc")), 4 / 6)


def test_missing_data_says_which_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="no data splits; run `girl data generate --out"):
        run_rec(load_config(ROOT/"configs"/"tiny.yaml", FAST), tmp_path/"empty", progress=False)


def test_one_class_split_is_a_clear_error():
    rows = lambda y: [dict(seeker_id=f"s{i}", job_id=f"j{i}", cv="cv", jd="jd", label=y[i % len(y)]) for i in range(6)]
    with pytest.raises(ValueError, match="rec_test: all 6 rows have label 0; AUC is undefined"):
        rec_splits(dict(rec_train=rows([0, 1]), rec_val=rows([0, 1]), rec_test=rows([0])), RecConfig())
    with pytest.raises(ValueError, match="no rec_val split"):
        rec_splits(dict(rec_train=rows([0, 1]), rec_test=rows([0, 1])), RecConfig())
    with pytest.raises(ValueError, match="test split: all 3 rows"):
        bootstrap_table([1, 1, 1], dict(base=[0.1, 0.2, 0.3]))


def test_encoder_that_is_not_an_encoder(tmp_path):
    with pytest.raises(ValueError, match="is not a text encoder"): encoder_key(str(tiny_model_path("generator")))
    (tmp_path/"adapter_config.json").write_text("{}")
    with pytest.raises(ValueError, match="adapter folder"): EmbeddingCache(tmp_path/"c", str(tmp_path))


def test_cli(run_dir, tmp_path, capsys):
    cv = tmp_path/"cv.txt"; cv.write_text("Registered nurse, five years in intensive care.")
    jobs = tmp_path/"jobs.jsonl"; jobs.write_text("".join(json.dumps(dict(job_id=f"j{i}", jd=f"Job title: role {i}")) + "\n" for i in range(4)))
    assert main(["recommend", "--model", "tiny", "--encoder", "tiny", "--cv", str(cv), "--jobs", str(jobs), "-k", "3", "--max-new-tokens", "4"]) == 0
    out = capsys.readouterr().out
    assert "=== 3 nearest jobs ===" in out and out.count(" j") >= 3
    assert main(["recommend", "--model", "tiny", "--cv", str(cv), "--jobs", str(tmp_path/"none.jsonl")]) == 2
    assert "none.jsonl: no such file" in capsys.readouterr().err
    assert main(["rec", "--out", str(tmp_path/"empty")]) == 2
    assert "run `girl data generate" in capsys.readouterr().err
