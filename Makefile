# The set-up commands of the README.  Each creates .venv on first use.
#   make demo   installs what running needs (pip install -e .) and runs the whole-system demo
#   make test   installs the test extra too (pytest, hypothesis, ruff, mypy ...) and runs the tests
#   make compile  compiles the simulator's hot modules with mypyc (optional; docs/performance.md)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_ARGS ?= --no-serve

.PHONY: demo test lint bench compile test-compiled clean-compiled clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

## openamr and its runtime dependencies only (no test or lint tools).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

## openamr with the test extra (a superset of the runtime install).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## Install and run the demo: a 48-apartment building's last 35 days, VEE, bills, a summary.
## `make demo DEMO_ARGS=` serves the dashboard at the end instead (Ctrl-C stops it).
demo: $(VENV)/.installed
	$(BIN)/openamr demo $(DEMO_ARGS)

## Install the test dependencies and run the whole test suite.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/mypy

## Benchmarks (not tests): print each figure beside its same-run baseline and the ratio.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

## The simulator's per-event modules compiled with mypyc (setup.py's COMPILED_MODULES), as C
## extensions beside their sources in this checkout: `openamr sim run` and the simulator
## benchmark then run compiled.  Rebuild after editing one of them (importing openamr.field
## refuses a stale one); `make clean-compiled` goes back to pure Python.
compile: $(VENV)/.installed-test
	$(BIN)/python -m pip install -q 'setuptools>=77' wheel
	OPENAMR_COMPILE=1 $(BIN)/python -m pip install -q --no-build-isolation --no-deps -e .

## The whole test suite again against the compiled modules (CI runs it after `make test`).
test-compiled: compile
	OPENAMR_EXPECT_COMPILED=1 $(BIN)/python -m pytest

clean-compiled:
	find src -name '*.so' -delete
	rm -rf build

clean: clean-compiled
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
