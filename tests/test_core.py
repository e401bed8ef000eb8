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
