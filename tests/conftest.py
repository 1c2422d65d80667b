"""Shared fixtures: synthetic prices and an isolated cache directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `pytest -n N` runs N test processes on the machine's cores, beside the worker processes
    # that searches spawn: one torch / BLAS thread each, set before torch is imported, so
    # that threads never outnumber the cores. With torch's default (a thread per core in
    # each process) `pytest -n 2` on 2 cores took 11 min 19 s, with one thread 3 min 43 s;
    # a 3-asset `evolve` test took 163 s beside `run --quick`'s fixture instead of 15 s.
    for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

from evofolio.allocators.classic_compute import clear_memo
from synthetic import random_prices


@pytest.fixture(autouse=True)
def _fresh_rule_memo() -> Iterator[None]:
    """Each test computes the classic rules' decisions itself (a spy sees every fit)."""
    clear_memo()
    yield
    clear_memo()


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never write to the user's cache from the tests."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv("EVOFOLIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patcher.undo()


@pytest.fixture
def prices() -> pd.DataFrame:
    return random_prices()


@pytest.fixture
def prices_csv(tmp_path: Path, prices: pd.DataFrame) -> Path:
    path = tmp_path / "prices.csv"
    prices.to_csv(path)
    return path
