# Two commands do everything on a fresh Debian machine (Python 3.11, Node 20):
#   make run    set up what is missing, then serve the app on http://localhost:5000 ($PORT to change)
#   make test   set up what is missing, then run the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
DATA ?= ../shared/datasets/fer2013/fer2013.csv.gz
RUN ?= runs/mini_xception

.PHONY: setup run test train export bench browser clean

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
	$(PY) -m training.train --data $(DATA) --run-dir $(RUN)

export: $(PY_STAMP)
	$(PY) -m converters.export --model $(RUN)/best.keras --run-dir $(RUN) --data $(DATA) --out models/default

bench: setup
	$(PY) -m bench.models
	$(PY) -m bench.detectors
	$(PY) -m bench.stream
	$(PY) -m bench.browser

clean:
	rm -rf $(VENV) node_modules .pytest_cache test-artifacts
