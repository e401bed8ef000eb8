"The wheel a user installs: it carries the presets, and `--preset` finds them without a source checkout."
import shutil, subprocess, sys, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_presets(tmp_path):
    src = tmp_path / "src"  # a copy, so the build leaves no build/ in the checkout
    src.mkdir()
    for f in ("setup.py", "settings.ini", "pyproject.toml", "README.md"): shutil.copy2(ROOT / f, src / f)
    for d in ("girl_nb", "configs"): shutil.copytree(ROOT / d, src / d, ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(src),
                        "-w", str(tmp_path / "dist")], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    whl, = (tmp_path / "dist").glob("girl_nb-*.whl")
    names = set(zipfile.ZipFile(whl).namelist())
    for f in sorted((ROOT / "configs").rglob("*.yaml")):
        assert f"girl_nb/configs/{f.relative_to(ROOT / 'configs').as_posix()}" in names, f
    assert "girl_nb/cli.py" in names and any(n.startswith("girl_nb/assets/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(whl).extractall(site)
    code = ("import girl_nb; from girl_nb.pipeline import preset_path, load_config; "
            "p = preset_path('quick'); print(girl_nb.__file__); print(p); print(load_config(p).name)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-3000:]
    mod, preset, name = r.stdout.split()
    assert mod.startswith(str(site)) and preset == str(site / "girl_nb" / "configs" / "quick.yaml") and name == "quick"
