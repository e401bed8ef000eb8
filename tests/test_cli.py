"The `girl` command end to end on the tiny preset, as a user runs it."
import json, subprocess, sys
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
