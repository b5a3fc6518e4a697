#!/usr/bin/env bash
# Developer tooling: train on a GPU machine that reaches no network and takes a limited upload per
# call (64 MiB here), handing back at most 8 files. A machine with a network needs none of this:
# `make train` there. Three steps:
#
#   here:    bash scripts/offline_gpu.sh bundle         # .gpu/ (git-ignored): FER2013's Training faces
#                                                       # in two parts, Keras's wheels for Python 3.12
#   call 1, carry .gpu/wheels .gpu/data/fer.parts.json .gpu/data/fer.part-000
#            bash scripts/offline_gpu.sh receive
#   call 2, carry .gpu/data/fer.parts.json .gpu/data/fer.part-001
#            bash scripts/offline_gpu.sh train --teachers 1 --teacher-epochs 150 --student-epochs 0
#   or, to end with a student to ship:
#            bash scripts/offline_gpu.sh train --teachers 1 --time-budget 500 --student-ratio 0.45 \
#              --student-init models/resnet/model.keras --student-lr 0.01
#
# The real-faces stage with blended targets (docs/real-faces.md) trains the shipped student further
# on the original pixels, FER+ votes blended with FER2013's labels, SFEW and NimStim:
#
#   here:    DATA=../shared/datasets/fer2013/fer2013_original.csv.gz bash scripts/offline_gpu.sh bundle
#            bash scripts/offline_gpu.sh bundle-extras      # .gpu/extra: FER+ votes, SFEW and NimStim at 48x48
#   call 1, carry .gpu/wheels .gpu/data/fer.parts.json .gpu/data/fer.part-000
#            bash scripts/offline_gpu.sh receive
#   call 2, carry .gpu/data/fer.parts.json .gpu/data/fer.part-001 .gpu/extra
#            bash scripts/offline_gpu.sh train-real-faces --ferplus-weight 0.7 --student-epochs 30 --student-lr 0.005
#
# `train-real-faces` is `train` with the stage's data and recipe (REAL_FACES_GPU below) put before its
# own flags; it starts from models/resnet/model.keras (START to change), which travels with the repo.
#
# `train` passes its arguments to training.ensemble_distill (--data and --out are set here), stops
# it before the call's limit (TRAIN_SECONDS, default 540; a later `train ... --resume` on the same
# machine goes on from its last checkpoint) and copies to $OUT what the next call and this repo
# need: the teachers' shards first, as a call hands back at most 8 files.
set -euo pipefail
shopt -s nullglob
WORK=${FER_OFFLINE_DIR:-/root/fer-offline}
RETURNED_FILES=8
# The real-faces stage's recipe for training.ensemble_distill (the Makefile's REAL_FACES_RECIPE, on
# arrays): no teachers, the student learns the blended labels; erasing 0.25, no mixup, no sparing.
REAL_FACES_GPU=(--teachers 0 --batch-size 64 --l2 2.5e-4 --erase 0.25 --mixup 0 --sharp 0 --photometric 1)
PYTHON=${PYTHON:-python3}  # there, the machine's python3 with JAX

# Here, in the repo with its venv: what the machine needs and cannot fetch.
bundle() {
  local py=${PYTHON_HERE:-.venv/bin/python} data=${DATA:-../shared/datasets/fer2013/fer2013.csv.gz}
  "$py" -m scripts.data_chunks pack --data "$data" --out .gpu/data
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .gpu/wheels \
    $("$py" -c 'from importlib.metadata import version as v; print(*(f"{n}=={v(n)}" for n in ("keras", "namex", "optree")))')
  du -sh .gpu/data/* .gpu/wheels
}

# Here: the real-faces stage's other data, small enough to travel beside a part: FER+ votes, and the
# training faces of SFEW and NimStim already cropped to 48x48 (load_face_npz leaves those as they are).
bundle_extras() {
  local py=${PYTHON_HERE:-.venv/bin/python} datasets=${DATASETS:-../shared/datasets}
  mkdir -p .gpu/extra
  install -m 644 "$datasets/ferplus/ferplus.csv" .gpu/extra/ferplus.csv
  "$py" - "$datasets" <<'PY'
import sys
import numpy as np
from training.extra_data import load_face_npz
root = sys.argv[1]
for source, name in (("sfew/sfew.npz", "sfew_train.npz"), ("nimstim_subset/nimstim_subset.npz", "nimstim_train.npz")):
    faces = load_face_npz(f"{root}/{source}", "train")
    np.savez_compressed(f".gpu/extra/{name}", train_x=faces.x, train_y=faces.y)
PY
  du -sh .gpu/extra/*
}

receive() {
  mkdir -p "$WORK/parts"
  local wheels=(.gpu/wheels/*.whl) parts=(.gpu/data/*)
  if [ ${#wheels[@]} -gt 0 ]; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target "$WORK/site" "${wheels[@]}"
  fi
  if [ ${#parts[@]} -gt 0 ]; then cp "${parts[@]}" "$WORK/parts/"; fi
  if [ -d .gpu/extra ]; then mkdir -p "$WORK/extra" && cp .gpu/extra/* "$WORK/extra/"; fi
  ls -l "$WORK/parts"
}

train_real_faces() {
  train "${REAL_FACES_GPU[@]}" --student-init "${START:-models/resnet/model.keras}" \
    --ferplus "$WORK/extra/ferplus.csv" \
    --extra "$WORK/extra/sfew_train.npz:3" "$WORK/extra/nimstim_train.npz:3" "$@"
}

train() {
  : "${OUT:?set OUT, the folder whose files come back}"
  receive
  if [ ! -f "$WORK/fer.npz" ]; then
    "$PYTHON" -m scripts.data_chunks join "$WORK/parts" --out "$WORK/fer.npz"
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
  bundle) bundle ;;
  bundle-extras) bundle_extras ;;
  receive) receive ;;
  train) shift; train "$@" ;;
  train-real-faces) shift; train_real_faces "$@" ;;
  *) echo "usage: $0 bundle | bundle-extras | receive | train <training.ensemble_distill flags>" \
       "| train-real-faces <more flags>" >&2; exit 2 ;;
esac
