# Two commands do everything on a fresh Debian machine (Python 3.11, Node 20):
#   make run        set up what is missing, then serve the app on http://localhost:5000 ($PORT to change)
#   make test       set up what is missing, then run the whole test suite (what CI runs)
#   make test-fast  the quick loop: no browser, no live server, nothing slow; and the page's pure JS modules
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
# The datasets (docs/training.md says where each comes from): FER2013 as the earlier stages saw it
# (contrast-remapped), its original pixels, FER+ votes, and the extra face sets with their repeats.
DATASETS ?= ../shared/datasets
DATA ?= $(DATASETS)/fer2013/fer2013.csv.gz
ORIGINAL ?= $(DATASETS)/fer2013/fer2013_original.csv.gz
FERPLUS ?= $(DATASETS)/ferplus/ferplus.csv
EXTRA ?= $(DATASETS)/sfew/sfew.npz:3 $(DATASETS)/nimstim_subset/nimstim_subset.npz:3
# Where make train writes its runs (a test runs the whole recipe, shortened, into a temporary folder).
RUNS ?= runs
RUN ?= $(RUNS)/real_faces
EXPORT_DIR ?= models/resnet
# The wider model (models/resnet, `make train` then `make export`), the slim default's teacher: a
# compact ResNet, SGD + cosine, erasing, trained in cosine cycles, each starting at the previous
# one's best: 45 epochs from 0.05, 36 from 0.02 and 36 from 0.01 with mixup 0.2 (label smoothing 0.1); then 16 from 0.003 sparing 30% of faces the resampling
# (--sharp 0.3); then 16 more distilled from the third and fourth cycles' models (with their
# test-time views); then 60 more, taught consistently by two wide ResNets (11 M parameters, 50
# epochs each) trained beside it (training/ensemble_distill.py: minutes on a GPU, days on 2 cores);
# exported with smooth+flip test-time augmentation (training/tta.py).
RESNET_RECIPE := --arch resnet --batch-size 64 --optimizer sgd --schedule cosine --l2 2.5e-4 --erase 0.5
FINE_TUNE := $(RESNET_RECIPE) --epochs 16 --lr 0.003 --mixup 0.2 --sharp 0.3 --keep-epochs
# What runs/ensemble ran on an H200 with KERAS_BACKEND=jax: --time-budget 490 chose these epochs.
ENSEMBLE_RECIPE := --teachers 2 --teacher-epochs 50 --student-epochs 60 --student-lr 0.1 0.01
# The last stage, for faces from anywhere (docs/real-faces.md): original pixels, FER+ vote
# distributions as targets, SFEW and NimStim beside them, camera-like looks; one epoch from 0.02,
# then 10 more from 0.015, from the ensemble's student.
REAL_FACES_STAGE := --batch-size 64 --optimizer sgd --schedule cosine --l2 2.5e-4 --erase 0.25 \
  --ferplus $(FERPLUS) --extra $(EXTRA) --photometric 1
REAL_FACES_RECIPE := --arch resnet $(REAL_FACES_STAGE)
# Blended targets (docs/real-faces.md, "Blended targets"): the same stage, from the wider models/resnet, on
# 0.7 of the FER+ vote distribution and 0.3 of FER2013's own label, keeping the epoch with the best mean
# of PublicTest's two accuracies (FER+ majority and FER2013's labels); `make train-blend`.
REAL_FACES_BLEND_RECIPE := $(REAL_FACES_RECIPE) --ferplus-weight 0.7 --select-on mean
BLEND_EPOCHS ?= 8
BLEND_LR ?= 0.002
# The shipped default (models/resnet_slim, `make train-slim` then `make export-slim`): SLIM_FROM
# pruned to half its widths by its batch-norm scales (training/prune.py), then the real-faces stage,
# 8 epochs from 0.01, then 12 more from 0.006 with SLIM_FROM's probabilities as half of every face's
# target (--teacher-model), then two cycles of 20 from 0.005 and 0.003 with them as 70% of it.
SLIM_FROM ?= models/resnet
SLIM_RUN ?= $(RUNS)/slim_long2
SLIM_EXPORT_DIR ?= models/resnet_slim
SLIM_RECIPE := --arch resnet_slim $(REAL_FACES_STAGE)
# The crowd model (models/resnet_tiny, `make train-tiny` then `make export-tiny`), which the page runs
# when three or more faces are in view: TINY_FROM pruned to half its widths again, then the
# real-faces stage, 10 epochs from 0.01 with TINY_FROM's probabilities as half of every face's
# target, then 20 more from 0.005 with them as 70% of it.
TINY_FROM ?= models/resnet_slim
TINY_RUN ?= $(RUNS)/tiny_b
TINY_EXPORT_DIR ?= models/resnet_tiny
TINY_RECIPE := --arch resnet_tiny $(REAL_FACES_STAGE)
# The seed's mini-Xception (models/mini_xception): train.py's own defaults.
BASELINE_RECIPE := --arch mini_xception --precision float32

.PHONY: setup run cluster nginx test test-fast test-js train train-blend train-slim train-tiny train-baseline export export-slim \
  export-tiny export-baseline bench browser clean

DETECTORS_STAMP := models/face_detectors/.built
# The page's modules built into one file (static/bundle.js says why); not committed.
PAGE_BUNDLE := static/dist/page.js

setup: $(PY_STAMP) $(JS_STAMP) $(DETECTORS_STAMP) $(PAGE_BUNDLE)

$(PY_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The page's face detectors: the server's BlazeFace .tflite files (from @mediapipe/face_detection)
# rebuilt for TF.js and checked against LiteRT (converters/face_detector.py); built, not committed.
$(DETECTORS_STAMP): $(PY_STAMP) $(JS_STAMP) converters/face_detector.py
	$(PY) -m converters.face_detector
	touch $@

# Minified, with a source map so DevTools shows the modules. The server serves the modules instead
# while any of them is newer than this file (an edit shows at once; make rebuilds it).
$(PAGE_BUNDLE): $(JS_STAMP) static/bundle.js $(wildcard static/js/*.js)
	node_modules/.bin/esbuild static/bundle.js --bundle --format=esm --minify --sourcemap \
	  --outfile=$@ --log-level=warning

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; }

# nginx from Debian, for `make cluster` and the proxy tests (tests/server/test_proxy.py).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q nginx >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q nginx >/dev/null; }; }

run: setup
	$(PY) -m server

# $(PROCESSES) server processes behind nginx on $$PORT (8080): deploy/nginx.conf, docs/scaling.md.
PROCESSES ?= 2
cluster: setup nginx
	$(PY) -m deploy.cluster --processes $(PROCESSES)

test: setup browser nginx test-js
	$(PY) -m pytest -q

test-fast: setup test-js
	$(PY) -m pytest -q -m "not browser and not slow and not live"

# The page's modules that need no DOM (static/js), under Node's own test runner.
test-js:
	node --test --test-reporter=dot tests/js/*.test.mjs

train: $(PY_STAMP)
	$(PY) -m training.train --data $(DATA) --run-dir $(RUNS)/resnet $(RESNET_RECIPE) --label-smoothing 0.1 \
	  --epochs 45 --lr 0.05
	$(PY) -m training.train --data $(DATA) --run-dir $(RUNS)/resnet_restart $(RESNET_RECIPE) --label-smoothing 0.1 \
	  --epochs 36 --lr 0.02 --init-from $(RUNS)/resnet/best.keras
	$(PY) -m training.train --data $(DATA) --run-dir $(RUNS)/resnet_cycle3 $(RESNET_RECIPE) --label-smoothing 0.1 \
	  --epochs 36 --lr 0.01 --mixup 0.2 --init-from $(RUNS)/resnet_restart/best.keras
	$(PY) -m training.train --data $(DATA) --run-dir $(RUNS)/resnet_sharp $(FINE_TUNE) --label-smoothing 0.1 \
	  --init-from $(RUNS)/resnet_cycle3/best.keras
	$(PY) -m training.distill --data $(DATA) --models $(RUNS)/resnet_cycle3/best.keras $(RUNS)/resnet_sharp/epochs/16.keras \
	  --tta smooth_flip --out $(RUNS)/teacher.npy
	$(PY) -m training.train --data $(DATA) --run-dir $(RUNS)/resnet_distill $(FINE_TUNE) --teacher $(RUNS)/teacher.npy \
	  --distill 0.5 --init-from $(RUNS)/resnet_sharp/epochs/16.keras
	$(PY) -m training.ensemble_distill --data $(DATA) --out $(RUNS)/ensemble $(ENSEMBLE_RECIPE) \
	  --student-init scratch $(RUNS)/resnet_distill/best.keras
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/real_faces_warm $(REAL_FACES_RECIPE) \
	  --epochs 1 --lr 0.02 --init-from $(RUNS)/ensemble/student2/best.keras
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/real_faces $(REAL_FACES_RECIPE) \
	  --epochs 10 --lr 0.015 --init-from $(RUNS)/real_faces_warm/best.keras

train-blend: $(PY_STAMP)
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/real_faces_blend $(REAL_FACES_BLEND_RECIPE) \
	  --epochs $(BLEND_EPOCHS) --lr $(BLEND_LR) --init-from $(EXPORT_DIR)/model.keras

train-slim: $(PY_STAMP)
	$(PY) -m training.prune --model $(SLIM_FROM) --arch resnet_slim --out $(RUNS)/slim_pruned.keras
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/slim_fine_tune $(SLIM_RECIPE) \
	  --epochs 8 --lr 0.01 --init-from $(RUNS)/slim_pruned.keras
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/slim $(SLIM_RECIPE) \
	  --epochs 12 --lr 0.006 --init-from $(RUNS)/slim_fine_tune/best.keras --teacher-model $(SLIM_FROM) --distill 0.5 --seed 1
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/slim_long $(SLIM_RECIPE) \
	  --epochs 20 --lr 0.005 --init-from $(RUNS)/slim/best.keras --teacher-model $(SLIM_FROM) --distill 0.7 --seed 2
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/slim_long2 $(SLIM_RECIPE) \
	  --epochs 20 --lr 0.003 --init-from $(RUNS)/slim_long/best.keras --teacher-model $(SLIM_FROM) --distill 0.7 --seed 3

train-tiny: $(PY_STAMP)
	$(PY) -m training.prune --model $(TINY_FROM) --arch resnet_tiny --out $(RUNS)/tiny_pruned.keras
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/tiny_a $(TINY_RECIPE) \
	  --epochs 10 --lr 0.01 --init-from $(RUNS)/tiny_pruned.keras --teacher-model $(TINY_FROM) --distill 0.5 --seed 1
	$(PY) -m training.train --data $(ORIGINAL) --run-dir $(RUNS)/tiny_b $(TINY_RECIPE) \
	  --epochs 20 --lr 0.005 --init-from $(RUNS)/tiny_a/best.keras --teacher-model $(TINY_FROM) --distill 0.7 --seed 2

train-baseline: $(PY_STAMP)
	$(PY) -m training.train --data $(DATA) --run-dir runs/mini_xception $(BASELINE_RECIPE)

# Export runs Node to check the TF.js model against Keras, hence the full setup. Both ResNets export
# alike: test-time views, a temperature fitted on FER+, every benchmark in the manifest.
EXPORT_REAL_FACES := $(PY) -m converters.export --data $(ORIGINAL) --tta smooth_flip --calibrate --ferplus $(FERPLUS) \
  --benchmarks $(DATASETS)
export: setup
	$(EXPORT_REAL_FACES) --model $(RUN)/best.keras --run-dir $(RUN) --out $(EXPORT_DIR)

export-slim: setup
	$(EXPORT_REAL_FACES) --model $(SLIM_RUN)/best.keras --run-dir $(SLIM_RUN) --out $(SLIM_EXPORT_DIR)

export-tiny: setup
	$(EXPORT_REAL_FACES) --model $(TINY_RUN)/best.keras --run-dir $(TINY_RUN) --out $(TINY_EXPORT_DIR)

export-baseline: setup
	$(PY) -m converters.export --model runs/mini_xception/best.keras --run-dir runs/mini_xception --data $(DATA) \
	  --out models/mini_xception

bench: setup
	$(PY) -m bench.models
	$(PY) -m bench.model_table
	$(PY) -m bench.robustness
	$(PY) -m bench.detectors
	$(PY) -m bench.stream
	$(PY) -m bench.browser

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-artifacts static/dist
