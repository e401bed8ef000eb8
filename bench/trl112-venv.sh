#!/usr/bin/env bash
# Build (idempotently) a virtualenv with TRL 1.12.0 layered on the project venv, for bench/rlrf_trl112.py.
# TRL 1.12.0's own files shadow the project's trl; torch/transformers/peft/accelerate/datasets come from the project venv.
#   bash bench/trl112-venv.sh [DEST]   (default .bench-venv/trl112, git-ignored)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.bench-venv/trl112}"
proj="${PROJECT_VENV:-$root/.venv}"
py="$proj/bin/python"
ver="$("$py" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}")')"
site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
[ -x "$dest/bin/python" ] || "$py" -m venv "$dest"
# addsitedir (not a bare path line) so the project venv's own .pth files (editable installs) are processed too
echo "import site; site.addsitedir('$site')" > "$dest/lib/$ver/site-packages/_project.pth"
if ! "$dest/bin/python" -c 'import trl, sys; sys.exit(trl.__version__ != "1.12.0")' 2>/dev/null; then
  "$dest/bin/python" -m pip install --no-deps --quiet trl==1.12.0
fi
"$dest/bin/python" -c "import trl, transformers; print('trl', trl.__version__, trl.__file__); print('transformers', transformers.__version__)"
