# The two commands a new machine needs: `make run` and `make test`.
# Everything else here is what those two call.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Install what is missing, then start the whole lab (Ctrl-C stops everything).
run: $(STAMP)
	$(PY) -m dashboard.launcher

## Install what is missing (Python packages, Debian's chromium and nodejs), then run every test.
test: $(STAMP)
	bin/system-deps
	$(PY) -m tests.run_all

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## Benchmarks: each figure beside a raw baseline measured in the same run.
bench: $(STAMP)
	$(PY) bench/engine.py
	$(PY) bench/live.py
	$(PY) bench/classroom.py

clean:
	rm -rf $(VENV) var artifacts
