# evofolio: `make run` runs the main job, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, pinned, so that no other requirement can pull a multi-GB CUDA
# build. Elsewhere, point pip at the CPU wheels: make TORCH_PIP_ARGS="--index-url URL".
TORCH_VERSION ?= 2.13.0
TORCH_PIP_ARGS ?=
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q
RUN_ARGS ?=

.PHONY: run test lint browser postgres setup setup-dev bench clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch-$(TORCH_VERSION): | $(BIN)/python
	$(PIP) $(TORCH_PIP_ARGS) torch==$(TORCH_VERSION)
	touch $@

$(VENV)/.installed: pyproject.toml constraints.txt $(VENV)/.torch-$(TORCH_VERSION)
	$(PIP) -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt $(VENV)/.torch-$(TORCH_VERSION)
	$(PIP) -c constraints.txt -e '.[dev,yahoo]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml constraints.txt $(VENV)/.torch-$(TORCH_VERSION)
	$(PIP) -c constraints.txt -e '.[docs]'
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/evofolio run $(RUN_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks examples docs
	$(BIN)/ruff format --check src tests benchmarks examples docs
	$(BIN)/mypy
	$(BIN)/lint-imports

# The report's browser test drives Debian's chromium (Playwright never downloads a browser).
browser:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

# The shared-study tests start a throwaway cluster of Debian's PostgreSQL server.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q postgresql)

test: lint browser postgres
	$(BIN)/pytest -n 2

# The documentation site, offline, into docs/_build/html (warnings are errors). The reference
# pages generated from the code are rewritten first when the code changed them (commit them:
# tests/docs/test_reference.py fails on a stale page); the gallery's examples run on small data.
docs: $(VENV)/.installed-docs
	$(BIN)/python docs/generate_reference.py
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_backtest.py
	$(BIN)/python benchmarks/bench_model1.py --seeds 3 --model2
	$(BIN)/python benchmarks/bench_search.py --full

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache docs/_build docs/auto_examples docs/reference/api/generated
