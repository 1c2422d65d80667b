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

.PHONY: run test lint browser postgres setup setup-dev bench clean

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

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/evofolio run $(RUN_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
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

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_backtest.py
	$(BIN)/python benchmarks/bench_model1.py --seeds 3 --model2
	$(BIN)/python benchmarks/bench_search.py --full

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
