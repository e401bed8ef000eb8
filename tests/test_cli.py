"The `girl` command end to end on the tiny preset, as a user runs it."
import json, os, subprocess, sys
import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIRL = [str(Path(sys.executable).parent / "girl")]  # the console script installed by `pip install -e .`


def girl(*args, **kw):
    return subprocess.run([*GIRL, *map(str, args)], capture_output=True, text=True, cwd=ROOT, **kw)


def test_help_lists_commands():
    r = girl("--help")
    assert r.returncode == 0
    for cmd in ("data", "models", "config"): assert cmd in r.stdout


def test_data_generate_writes_stage(tmp_path):
    r = girl("data", "generate", "--config", "configs/tiny.yaml", "--out", tmp_path, "--set", "data.language=zh")
    assert r.returncode == 0, r.stderr[-3000:]
    d = tmp_path / "data"
    for p in ("splits", "jobs", "seekers", "gold", "quarantine", "metrics.json", "card/splits.png"): assert (d / p).exists(), p
    m = json.loads((d / "metrics.json").read_text())
    assert m["config"]["data"]["language"] == "zh" and m["metrics"]["quarantined"] == 0
    assert m["metrics"]["splits"]["sft"]["rows"] == 200
    assert "rec_test_cold" in r.stdout  # the card is printed
    # a Chinese CV really is Chinese
    import datasets
    cv = datasets.load_from_disk(str(d / "splits"))["sft"][0]["cv"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in cv)


def test_data_validate_exit_codes(tmp_path):
    ok = girl("data", "validate", "tests/fixtures/good")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = girl("data", "validate", "tests/fixtures/bad", "--quarantine", tmp_path / "q")
    assert bad.returncode == 1
    assert "quarantined" in bad.stdout and "tests/fixtures/bad/" in bad.stdout
    assert list((tmp_path / "q").glob("*.quarantine.jsonl"))
    missing = girl("data", "validate", "no/such/folder")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


# Issue 21: generation options, CV budgets, OS errors and the small CLI expectations

from girl_nb.cli import main, make_parser


def run_main(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_version():
    import girl_nb
    r = girl("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"girl {girl_nb.__version__}"


def test_models_help_says_what_it_does():
    r = girl("models", "--help")
    assert r.returncode == 0 and "converts the bundled generator" in r.stdout


def test_max_cv_chars_has_help():
    r = girl("data", "validate", "--help")
    assert "many characters are quarantined" in r.stdout


@pytest.mark.parametrize("cmd", ["generate", "score", "recommend"])
def test_device_defaults_to_auto(cmd):
    sub = make_parser()._subparsers._group_actions[0].choices[cmd]
    assert next(a for a in sub._actions if a.dest == "device").default == "auto"


@pytest.mark.parametrize("opt, value, message", [
    ("--temperature", "-1", "--temperature: must be >= 0"), ("--top-p", "0", "--top-p: must be in (0, 1]"),
    ("--max-new-tokens", "0", "--max-new-tokens: must be >= 1"), ("--max-new-tokens", "-5", "--max-new-tokens: must be >= 1"),
    ("--max-cv-tokens", "0", "--max-cv-tokens: must be >= 1"),
])
def test_generate_refuses_bad_options(capsys, tmp_path, opt, value, message):
    cv = tmp_path / "cv.txt"
    cv.write_text("Nurse, 3 years.")
    rc, out, err = run_main(capsys, "generate", "--model", "tiny", "--cv", cv, opt, value)
    assert rc == 2 and err.startswith(f"girl: error: {message}") and not out, err


def test_recommend_and_compare_refuse_bad_options(capsys, tmp_path):
    cv = tmp_path / "cv.txt"
    cv.write_text("Nurse, 3 years.")
    rc, _, err = run_main(capsys, "recommend", "--model", "tiny", "--cv", cv, "--jobs", tmp_path, "--max-new-tokens", "0")
    assert rc == 2 and err.startswith("girl: error: --max-new-tokens: must be >= 1"), err
    rc, _, err = run_main(capsys, "compare", "--models", "tiny", "--cv", cv, "--max-new-tokens", "-5")
    assert rc == 2 and err.startswith("girl: error: --max-new-tokens: must be >= 1"), err


def test_long_cv_is_cut_and_said(tmp_path):
    cv, jobs = tmp_path / "cv.txt", tmp_path / "jobs.jsonl"
    cv.write_text("Software engineer with Python and SQL experience. " * 200)
    jobs.write_text("".join(json.dumps(dict(job_id=f"j{i}", jd=f"Job {i}: Python developer")) + "\n" for i in range(3)))
    for args in (["generate", "--model", "tiny", "--max-new-tokens", 4],
                 ["recommend", "--model", "tiny", "--jobs", jobs, "--encoder", "tiny", "--max-new-tokens", 4, "-k", 2],
                 ["compare", "--config", "configs/tiny.yaml", "--models", "tiny", "--max-new-tokens", 4]):
        r = girl(*args, "--cv", cv, "--max-cv-tokens", 32)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "tokens, cut to its first 32" in r.stderr, (args[0], r.stderr[-2000:])


def one_line_error(rc, err, *parts):
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for p in parts: assert p in err, err


def test_out_naming_a_file(capsys, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    one_line_error(*run_main(capsys, "data", "generate", "--config", ROOT / "configs/tiny.yaml", "--out", f)[::2],
                   str(f), "is a file, not a folder")
    one_line_error(*run_main(capsys, "pipeline", "--preset", "tiny", "--out", f)[::2], str(f))
    one_line_error(*run_main(capsys, "pipeline", "--preset", "tiny", "--out", tmp_path / "b", "--share-from",
                             tmp_path / "none")[::2], str(tmp_path / "none"), "no run folder with a data stage")


def test_quarantine_naming_a_file(capsys, tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    one_line_error(*run_main(capsys, "data", "validate", ROOT / "tests/fixtures/bad", "--quarantine", f)[::2], str(f))


def test_unwritable_folder_is_one_line(capsys, tmp_path, monkeypatch):
    import girl_nb.cli
    def denied(a): raise PermissionError(13, "Permission denied", str(tmp_path / "ro" / "data"))
    monkeypatch.setattr(girl_nb.cli, "_cmd_data", denied)
    one_line_error(*run_main(capsys, "data", "summary", tmp_path)[::2], f"{tmp_path / 'ro' / 'data'}: Permission denied")
    if os.geteuid() != 0:  # root writes anywhere: only the path above checks the message then
        ro = tmp_path / "ro2"
        ro.mkdir(mode=0o500)
        one_line_error(*run_main(capsys, "data", "validate", ROOT / "tests/fixtures/bad", "--quarantine", ro / "q")[::2],
                       "Permission denied")


@pytest.mark.parametrize("source, message", [("nope", "no such folder"), ("afile", "a file, not a folder")])
def test_bad_data_source(capsys, tmp_path, source, message):
    (tmp_path / "afile").write_text("x")
    one_line_error(*run_main(capsys, "data", "generate", "--out", tmp_path / "run", "--set",
                             f"data.source={tmp_path / source}")[::2], f"data.source {tmp_path / source}: {message}")


def test_data_source_expands_home(tmp_path, monkeypatch):
    from girl_nb.pipeline import load_config
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config(None, ["data.source=~/mydata"]).data.source == str(tmp_path / "mydata")


def test_girl_home_file_is_one_line(capsys, tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    (tmp_path / "cv.txt").write_text("Nurse, 3 years.")
    monkeypatch.setenv("GIRL_HOME", str(tmp_path / "f"))
    one_line_error(*run_main(capsys, "generate", "--model", "tiny", "--cv", tmp_path / "cv.txt")[::2],
                   str(tmp_path / "f"), "is a file, not a folder")


def test_pipeline_quiet_prints_only_stage_lines(tmp_path):
    r = girl("pipeline", "--preset", "tiny", "--stages", "data", "--quiet", "--out", tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("[1/1] data") and "| data | ran |" in r.stdout, r.stdout
    assert "INFO" not in r.stdout + r.stderr, (r.stdout, r.stderr)
    log = (tmp_path / "logs" / "data.log").read_text()
    assert "INFO girl_nb.data" in log and "0 rows quarantined" in log, log
