# Two commands do everything on a fresh Debian machine (Python 3.11, Node 20):
#   make run    set up what is missing, then serve the app on http://localhost:5000 ($PORT to change)
#   make test   set up what is missing, then run the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
DATA ?= ../shared/datasets/fer2013/fer2013.csv.gz
RUN ?= runs/resnet_cycle3
# The shipped default (models/default): a compact ResNet, SGD + cosine, label smoothing, erasing,
# trained in three cosine cycles, each starting at the previous one's best: 45 epochs from 0.05,
# 36 from 0.02, then 36 from 0.01 with mixup 0.2; exported with smooth+flip test-time augmentation (training/tta.py).
DEFAULT_RECIPE := --arch resnet --batch-size 64 --optimizer sgd --schedule cosine \
	--l2 2.5e-4 --label-smoothing 0.1 --erase 0.5
# The seed's mini-Xception (models/mini_xception): train.py's own defaults.
BASELINE_RECIPE := --arch mini_xception --precision float32

.PHONY: setup run test train train-baseline export export-baseline bench browser clean

setup: $(PY_STAMP) $(JS_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (never a downloaded browser).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; }

run: setup
	$(PY) -m server

test: setup browser
	$(PY) -m pytest -q

train: $(PY_STAMP)
	$(PY) -m training.train --data $(DATA) --run-dir runs/resnet $(DEFAULT_RECIPE) --epochs 45 --lr 0.05
	$(PY) -m training.train --data $(DATA) --run-dir runs/resnet_restart $(DEFAULT_RECIPE) --epochs 36 --lr 0.02 \
	  --init-from runs/resnet/best.keras
	$(PY) -m training.train --data $(DATA) --run-dir $(RUN) $(DEFAULT_RECIPE) --epochs 36 --lr 0.01 --mixup 0.2 \
	  --init-from runs/resnet_restart/best.keras

train-baseline: $(PY_STAMP)
	$(PY) -m training.train --data $(DATA) --run-dir runs/mini_xception $(BASELINE_RECIPE)

# Export runs Node to check the TF.js model against Keras, hence the full setup.
export: setup
	$(PY) -m converters.export --model $(RUN)/best.keras --run-dir $(RUN) --data $(DATA) --tta smooth_flip --out models/default

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
	rm -rf $(VENV) node_modules .pytest_cache test-artifacts
