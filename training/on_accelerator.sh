#!/usr/bin/env bash
# Train on the lent accelerator machine (the device tool), which reaches no network and takes
# 64 MiB per call. `make accelerator-bundle` here first writes .gpu/ (the data in two parts, Keras's
# wheels). Then two calls, the second within the machine's 30 s warm window:
#
#   call 1, carry .gpu/wheels .gpu/data/fer.parts.json .gpu/data/fer.part-000
#       bash training/on_accelerator.sh receive
#   call 2, carry .gpu/data/fer.parts.json .gpu/data/fer.part-001
#       bash training/on_accelerator.sh train --teachers 1 --teacher-epochs 150 --student-epochs 0
#   or, to end the lease with a student to ship (the README's "Which plan for call 2"):
#       bash training/on_accelerator.sh train --teachers 1 --time-budget 500 --student-ratio 0.45 \
#         --student-init models/default/model.keras --student-lr 0.01
#
# `train` passes its arguments to training.ensemble_distill (--data and --out are set here), stops
# it before the call's limit (TRAIN_SECONDS, default 540; a later `train ... --resume` on the warm
# machine goes on from its last checkpoint) and copies to $OUT what the next lease and this repo
# need: the teachers' shards first, as a call hands back at most 8 files.
set -euo pipefail
shopt -s nullglob
WORK=${FER_ACCELERATOR_DIR:-/root/fer-accelerator}
OUT=${OUT:?the device tool sets OUT, the folder whose files come back}
RETURNED_FILES=8
PYTHON=${PYTHON:-python3}  # there, the image's python3 has JAX

receive() {
  mkdir -p "$WORK/parts"
  local wheels=(.gpu/wheels/*.whl) parts=(.gpu/data/*)
  if [ ${#wheels[@]} -gt 0 ]; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target "$WORK/site" "${wheels[@]}"
  fi
  if [ ${#parts[@]} -gt 0 ]; then cp "${parts[@]}" "$WORK/parts/"; fi
  ls -l "$WORK/parts"
}

train() {
  receive
  if [ ! -f "$WORK/fer.npz" ]; then
    "$PYTHON" -m training.data_chunks join "$WORK/parts" --out "$WORK/fer.npz"
  fi
  local status=0
  KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONPATH="$WORK/site:$PWD" PYTHONUNBUFFERED=1 \
    timeout "${TRAIN_SECONDS:-540}" "$PYTHON" -m training.ensemble_distill \
    --data "$WORK/fer.npz" --out "$WORK/run" "$@" || status=$?
  [ "$status" = 124 ] && echo "stopped at TRAIN_SECONDS; go on with: train <same flags> --resume"
  local copied=0 file
  for file in "$WORK"/run/teacher*.weights-*.npz "$WORK"/run/student*.keras "$WORK"/run/{log.csv,plan.json,progress.json,teacher_public.npz}; do
    if [ -f "$file" ] && [ "$copied" -lt "$RETURNED_FILES" ]; then
      cp "$file" "$OUT/" && copied=$((copied + 1))
    fi
  done
  ls -l "$OUT"
  return "$status"
}

case "${1:-}" in
  receive) receive ;;
  train) shift; train "$@" ;;
  *) echo "usage: $0 receive | train <training.ensemble_distill flags>" >&2; exit 2 ;;
esac
