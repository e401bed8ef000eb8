#!/usr/bin/env bash
# One prepared benchmark run for a lent GPU machine (fits in ~10 minutes): SFT tokens/s and MFU, PPO seconds per
# iteration, reward-model and recommender scoring pairs/s. Figures go to ${OUT:-bench/gpu}/*.json and gpu_results.md.
#
#   PY=/path/to/venv/bin/python bench/gpu.sh
#
# The bundled SmolLM2 GGUF (98 MB) may be too large to carry to the machine: speed does not depend on the weights, so
# when the converted folder is absent the script builds a randomly initialised model of the same shape from the
# bundled config and tokenizer (tools/random_init.py) and says so in the results.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
OUT=${OUT:-bench/gpu}; mkdir -p "$OUT"
GEN=${GEN:-}
if [ -z "$GEN" ]; then
  GEN=$($PY - <<'PY' 2>/dev/null
from girl_nb.core import bundled_model_path
print(bundled_model_path("smollm2-135m-instruct"))
PY
) || GEN=""
fi
NOTE="generator: $GEN (trained weights)"
if [ -z "$GEN" ] || [ ! -f "$GEN/config.json" ]; then
  GEN=$OUT/smollm2-random; $PY tools/random_init.py --like smollm2 --out "$GEN" && NOTE="generator: SmolLM2-135M shape, random weights (speed only)"
fi
run() { name=$1; shift; echo "== $name: $*"; timeout "${LIMIT:-150}" "$PY" "$@" --json "$OUT/$name.json" > "$OUT/$name.log" 2>&1; echo "exit $?"; tail -3 "$OUT/$name.log"; }
run sft bench/sft.py --model "$GEN" --pairs 256 --steps 20 --batch 32 --device cuda
run rlrf bench/rlrf.py --generator "$GEN" --cvs 8 --max-new-tokens 128 --iterations 3 --device cuda
LIMIT=120 run reward bench/reward.py --pairs 512 --steps 20 --batch 64 --device cuda
LIMIT=90 run rec bench/rec.py --texts 2048 --pairs 2000000 --rounds 3 --device cuda
{
  echo "# GPU benchmark results"; echo; date -u; nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null; echo "$NOTE"; echo
  for f in "$OUT"/*.json; do echo "## $(basename "$f" .json)"; echo '```'; cat "$f"; echo '```'; echo; done
} > "$OUT/gpu_results.md"
echo "wrote $OUT/gpu_results.md"
