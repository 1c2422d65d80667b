"""Shared fixtures: synthetic prices and an isolated cache directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

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
