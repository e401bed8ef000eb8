#!/usr/bin/env bash
# One prepared benchmark run for a lent GPU machine (about 8 minutes): JD generation tokens/s and MFU (ours vs HF generate), SFT
# tokens/s and MFU (ours vs a bare TRL SFTTrainer; full fine-tuning), PPO seconds per iteration, recommender encoding texts/s and
# scoring pairs/s, reward-model training/scoring pairs/s (ours vs a bare TRL RewardTrainer). Figures go to $RES/*.json, and after
# every benchmark $OUT/gpu_results.md is rewritten (so a run stopped half-way still reports what it measured), logs to $OUT/all.log.
#
#   PY=/path/to/python bench/gpu.sh            # on the GPU machine, from the repo root
#   DEVICE=cpu SMALL=1 GEN=tiny ENC=tiny bench/gpu.sh   # a dry run of the script itself on a CPU (tiny models and sizes)
#   ONLY=generate,pipeline PY=python3 bench/gpu.sh       # a subset of the steps (names as in the `run` lines below)
#   ONLY=sft_0.5b,sft_0.5b_lora,sft_1.5b PY=python3 bench/gpu.sh   # SFT MFU at Qwen2.5-0.5B/1.5B shapes (random weights)
#
# `pipeline` runs `girl pipeline --preset gpu` end to end on those models at reduced sizes (every stage, each a few minutes at
# most): it checks that the GPU preset runs on CUDA and reports each stage's time; quality figures from random weights mean nothing.
#
# Speed does not depend on the weights, and the bundled models cannot travel to a machine that only gets the repository, so when the
# bundled packages are absent the script builds randomly initialised models of the same shapes (tools/random_init.py) from tokenizer
# folders in $TOK (default .gpu: tok_smollm2, tok_minilm) and says so in the results. Random weights never emit EOS: every
# generated JD runs to max_new_tokens, which is what a throughput figure wants anyway.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}; DEVICE=${DEVICE:-cuda}; SMALL=${SMALL:-0}; TOK=${TOK:-.gpu}
OUT=${OUT:-bench/gpu}; RES=${RES:-/tmp/girl_gpu}; mkdir -p "$OUT" "$RES"
log() { echo "$*" | tee -a "$OUT/all.log"; }
model_dir() {  # bundled folder, else a random-weight copy of its shape
  local name=$1 like=$2 tok=$3 p
  p=$($PY -c "from girl_nb.models import resolve_model; print(resolve_model('$name'))" 2>/dev/null) && [ -f "$p/config.json" ] && { echo "$p"; return; }
  p=$RES/$like-random; [ -f "$p/config.json" ] || $PY tools/random_init.py --like "$like" --out "$p" --tokenizer-from "$TOK/$tok" >> "$OUT/all.log" 2>&1
  echo "$p"
}
GEN=${GEN:-$(model_dir smollm2-135m-instruct smollm2 tok_smollm2)}; ENC=${ENC:-$(model_dir all-minilm-l6-v2 minilm tok_minilm)}
case "$GEN" in "$RES"/*) NOTE="models: SmolLM2-135M and all-MiniLM-L6-v2 shapes with random weights (speed only)";; *) NOTE="models: bundled weights";; esac
report() {
  { echo "# GPU benchmark results"; echo; date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null
    $PY -c "import torch, transformers, trl, peft; print('torch', torch.__version__, '| transformers', transformers.__version__, '| trl', trl.__version__, '| peft', peft.__version__)" 2>/dev/null
    echo "$NOTE"; echo
    for f in "$RES"/*.json; do [ -f "$f" ] || continue; echo "## $(basename "$f" .json)"; echo '```'; cat "$f"; echo; echo '```'; echo; done
  } > "$OUT/gpu_results.md"
}
want() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
run() {  # name limit script args...
  local name=$1 lim=$2; shift 2; want "$name" || return 0; log "== $name ($(date -u +%T), limit ${lim}s): $*"
  local t0=$SECONDS; timeout "$lim" "$PY" "$@" --json "$RES/$name.json" >> "$OUT/all.log" 2>&1; local rc=$?
  log "   exit $rc in $((SECONDS - t0)) s"; report
}
# N CVs generated (batch B) x T new tokens; SFT P pairs, S steps, batch SB; PPO C CVs; X texts encoded, Q pairs scored; reward batch RB
if [ "$SMALL" = 1 ]; then N=8; B=4; T=16; P=16; S=2; SB=2; C=4; X=64; Q=20000; RB=2; else N=256; B=256; T=200; P=256; S=20; SB=32; C=8; X=2048; Q=2000000; RB=64; fi
log "$NOTE; device $DEVICE"
run generate 100 bench/generate.py --model "$GEN" --device "$DEVICE" --n-cvs $N --batch-size $B --max-new-tokens $T --baseline-cvs 5
run generate_static 120 bench/generate.py --model "$GEN" --device "$DEVICE" --n-cvs $((N / 2)) --batch-size $((B / 4)) --max-new-tokens $T --skip-baseline --static both
run sft 150 bench/sft.py --model "$GEN" --pairs $P --steps $S --batch $SB --device "$DEVICE"
run rlrf 100 bench/rlrf.py --generator "$GEN" --reward "$ENC" --cvs $C --max-new-tokens $((T * 2 / 3)) --iterations 3 --device "$DEVICE"
run rec 60 bench/rec.py --encoder "$ENC" --texts $X --pairs $Q --rounds 3 --device "$DEVICE"
run reward 90 bench/reward.py --backbone "$ENC" --pairs $P --steps $S --batch $RB --device "$DEVICE"
run generate_same_batch 60 bench/generate.py --model "$GEN" --device "$DEVICE" --n-cvs $((N / 4)) --batch-size $((N / 4)) --max-new-tokens $T --baseline-cvs $((N / 4))
shape() {  # a random-weight generator of a larger shape (tools/random_init.py --like NAME), SmolLM2's tokenizer
  local p=$RES/$1-random tok=(); [ -d "$TOK/tok_smollm2" ] && tok=(--tokenizer-from "$TOK/tok_smollm2")
  [ -f "$p/config.json" ] || $PY tools/random_init.py --like "$1" --out "$p" "${tok[@]}" >> "$OUT/all.log" 2>&1; echo "$p"
}
# SFT at 0.5B and 1.5B shapes (Qwen2.5's), full fine-tuning and LoRA, padded batches vs padding-free: MFU where the GPU is not launch-bound
want sft_0.5b && run sft_0.5b 120 bench/sft.py --model "$(shape qwen2.5-0.5b)" --pairs $P --steps $S --batch $SB --full --sides ours --batching pad,padding_free --device "$DEVICE"
want sft_0.5b_lora && run sft_0.5b_lora 80 bench/sft.py --model "$(shape qwen2.5-0.5b)" --pairs $P --steps $S --batch $SB --sides ours --batching pad,padding_free --device "$DEVICE"
want sft_1.5b && run sft_1.5b 150 bench/sft.py --model "$(shape qwen2.5-1.5b)" --pairs $P --steps $S --batch $((SB / 2)) --full --sides ours --batching pad,padding_free --device "$DEVICE"
run sft_full 60 bench/sft.py --model "$GEN" --pairs $P --steps $S --batch $SB --full --sides ours --device "$DEVICE"
run rlrf_64 90 bench/rlrf.py --generator "$GEN" --reward "$ENC" --cvs $((C * 8)) --max-new-tokens $((T * 2 / 3)) --iterations 3 --device "$DEVICE"
pipeline() {  # the gpu preset end to end at reduced sizes; stage lines and pipeline.json into the results
  want pipeline || return 0; local lim=${PIPE_LIMIT:-300} dir=$RES/pipeline t0=$SECONDS; rm -rf "$dir"
  if [ "$SMALL" = 1 ]; then local sz="data.n_jobs=300 data.sft_pairs=200 data.rm_cvs=100 data.rl_cvs=32 data.rec_pairs=1500 sft.max_steps=4 sft.batch_size=4 sft.n_eval_cvs=4 rlrf.iterations=2 rlrf.cvs_per_iter=4 rlrf.minibatch=2 rlrf.n_eval_cvs=4 rec.max_train_seekers=20 rec.max_eval_seekers=10 eval.n_cvs=8"
  else local sz="data.n_jobs=3000 data.sft_pairs=4000 data.rm_cvs=2000 data.rl_cvs=512 data.rec_pairs=12000 sft.max_steps=60 sft.n_eval_cvs=64 rlrf.iterations=6 rlrf.n_eval_cvs=64 rec.max_train_seekers=150 rec.max_eval_seekers=50 eval.n_cvs=64"; fi
  local sets=(--set device=$DEVICE --set models.generator=$GEN --set models.encoder=$ENC --set sft.save_steps=30 --set sft.gen.max_new_tokens=$((T * 2 / 3))
              --set reward.n_gen_cvs=16 --set rlrf.rollout.max_new_tokens=$((T * 2 / 3)) --set rlrf.eval_every=3 --set rlrf.save_every=3 --set rec.fig5_max_n=2
              --set rec.gen.max_new_tokens=$((T * 2 / 3)) --set eval.gen.max_new_tokens=$((T * 2 / 3)))
  for kv in $sz; do sets+=(--set "$kv"); done
  log "== pipeline ($(date -u +%T), limit ${lim}s): girl pipeline --preset gpu ${sets[*]}"
  PYTHONUNBUFFERED=1 timeout "$lim" "$PY" -m girl_nb.cli pipeline --preset gpu --out "$dir" "${sets[@]}" > "$OUT/pipeline.log" 2>&1; local rc=$?
  log "   exit $rc in $((SECONDS - t0)) s"; grep -E '^\[[0-9]+/[0-9]+\]|^total' "$OUT/pipeline.log" | tee -a "$OUT/all.log"
  $PY - "$dir" "$RES/pipeline.json" $rc <<'PYEOF'
import json, sys
from pathlib import Path
d, dest, rc = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])  # each finished stage's own record (also when the run stopped half-way)
from girl_nb.pipeline import STAGES
st = {s: json.loads((d/s/"pipeline.json").read_text()) for s in STAGES if (d/s/"pipeline.json").is_file()}  # in pipeline order
top = json.loads((d/"pipeline.json").read_text()) if (d/"pipeline.json").is_file() else {}
json.dump(dict(exit=rc, stages=top.get("stages") or [dict(stage=k, time_s=v.get("time_s")) for k, v in st.items()], total_s=top.get("total_s")), open(dest, "w"), indent=1)
PYEOF
  [ $rc = 0 ] || tail -40 "$OUT/pipeline.log"; report
}
pipeline
log "wrote $OUT/gpu_results.md"
