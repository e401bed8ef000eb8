"Core machinery that needs processes or a fresh cache: the model conversion lock, config errors from the command line."
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest

PY = sys.executable
ROOT = Path(__file__).resolve().parents[1]


def test_bundled_conversion_is_safe_across_processes(tmp_path):
    "Two processes converting the bundled GGUF into the same empty cache: one converts, the other waits; one complete folder results"
    code = textwrap.dedent("""
        import sys, time
        from girl_nb.models import bundled_model_path
        p = bundled_model_path("smollm2-135m-instruct"); print(p)
    """)
    env = os.environ | {"GIRL_HOME": str(tmp_path / "home")}
    procs = [subprocess.Popen([PY, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (o, e) in zip(procs, outs): assert p.returncode == 0, e[-2000:]
    paths = {o.strip().splitlines()[-1] for o, _ in outs}
    assert len(paths) == 1
    folder = Path(paths.pop())
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    cfg = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in cfg and cfg["pad_token_id"] == 0  # dense, and pads with <|endoftext|>
    leftovers = [p.name for p in folder.parent.iterdir() if ".tmp" in p.name]
    assert not leftovers, leftovers


def test_config_error_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\ndata:\n  sft_pairs: many\n")
    r = subprocess.run([str(Path(PY).parent / "girl"), "config", "--config", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert f"{bad}:3: data.sft_pairs: expected int, got str 'many'" in r.stderr
    assert "Traceback" not in r.stderr


# Config edges (issue 21, item 6): each a one-line ConfigError naming where the bad value came from

def test_set_changes_one_window_and_keeps_the_others():
    from girl_nb.data import DEFAULT_WINDOWS
    from girl_nb.pipeline import load_config
    w = load_config(None, ["data.windows.sft=[2023-04-02, 2023-04-30]"]).data.windows
    assert w["sft"] == ["2023-04-02", "2023-04-30"] and w["rm"] == DEFAULT_WINDOWS["rm"]


def test_windows_missing_splits_are_named():
    from girl_nb.core import ConfigError
    from girl_nb.pipeline import load_config
    with pytest.raises(ConfigError, match=r"--set data.windows: data.windows: needs a window for each split, missing rm, rl"):
        load_config(None, ["data.windows={sft: [2023-04-01, 2023-04-30]}"])


def test_unquoted_yaml_dates_stay_text(tmp_path):
    from girl_nb.core import config_hash
    from girl_nb.pipeline import load_config
    p = tmp_path / "dates.yaml"
    p.write_text("data:\n  windows:\n" + "".join(f"    {k}: [2023-0{i + 4}-01, 2023-0{i + 4}-28]\n" for i, k in
                                                    enumerate(["sft", "rm", "rl", "rec_train", "rec_val", "rec_test"])))
    cfg = load_config(p)
    assert cfg.data.windows["sft"] == ["2023-04-01", "2023-04-28"]
    assert len(config_hash(cfg)) == 16  # no "date is not JSON serializable"


@pytest.mark.parametrize("override, message", [
    ("sft.batch_size=[1", "--set sft.batch_size=[1: the value is not valid YAML"),
    ("sft.lr.x=1", "--set sft.lr.x: sft.lr is a value (0.01), not a section with keys"),
    ("sft.lr=.inf", "--set sft.lr: sft.lr: must be a finite number, got inf"),
    ("sft.lr=.nan", "--set sft.lr: sft.lr: must be a finite number, got nan"),
    ("data.source=", "--set data.source: data.source: must be `simulator` or a folder"),
    ("sfft.lr=1", "--set sfft.lr: unknown key 'sfft' (did you mean 'sft'?)"),
])
def test_bad_override_is_one_config_error(override, message):
    from girl_nb.core import ConfigError
    from girl_nb.pipeline import load_config
    with pytest.raises(ConfigError) as e: load_config(ROOT / "configs/tiny.yaml", [override])
    assert message in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_non_finite_float_in_yaml_names_file_and_line(tmp_path):
    from girl_nb.core import ConfigError
    from girl_nb.pipeline import load_config
    p = tmp_path / "c.yaml"
    p.write_text("sft:\n  lr: .inf\n")
    with pytest.raises(ConfigError, match=f"{p}:2: sft.lr: must be a finite number, got inf"): load_config(p)


def test_latin1_config_and_cv_name_file_and_byte(tmp_path):
    from girl_nb.core import ConfigError, read_text_arg
    from girl_nb.pipeline import load_config
    p, cv = tmp_path / "c.yaml", tmp_path / "cv.txt"
    p.write_bytes("name: caf\xe9\n".encode("latin-1"))
    cv.write_bytes("Ren\xe9e, ing\xe9nieure".encode("latin-1"))
    with pytest.raises(ConfigError, match=f"{p}: not UTF-8 text: byte 9 is 0xe9"): load_config(p)
    with pytest.raises(ValueError, match=f"--cv {cv}: not UTF-8 text: byte 3 is 0xe9"): read_text_arg(str(cv), "--cv")


def test_girl_home_pointing_at_a_file(tmp_path, monkeypatch):
    from girl_nb.core import girl_home
    (tmp_path / "f").write_text("")
    monkeypatch.setenv("GIRL_HOME", str(tmp_path / "f"))
    with pytest.raises(NotADirectoryError, match="the cache folder"): girl_home()
