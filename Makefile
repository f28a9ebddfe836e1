# The two set-up commands of the README.  Each creates .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

## Install and run the main job: a simulated meter, its LCD, outputs and registers.
demo: $(VENV)/.installed-test
	$(BIN)/openamr meter simulate --model MMSMT-C02 --service split --l1-w 1500 --l2-w 900 --pf 0.95 --duration-s 3600

## Install the test dependencies and run the whole test suite.
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## Benchmarks (not tests): print each figure beside its same-run baseline and the ratio.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
