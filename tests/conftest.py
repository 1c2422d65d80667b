"""Shared fixtures: synthetic prices and an isolated cache directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never write to the user's cache from the tests."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv("EVOFOLIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patcher.undo()


def random_prices(
    n_days: int = 400, n_assets: int = 4, seed: int = 0, start: str = "2000-01-03"
) -> pd.DataFrame:
    """Geometric random walks on business days, named A0, A1, ..."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(0.0003, 0.0002, n_assets)
    shocks = rng.normal(0.0, 0.012, (n_days, n_assets)) + drift
    values = 100.0 * np.exp(np.cumsum(shocks, axis=0))
    index = pd.bdate_range(start, periods=n_days, name="date")
    return pd.DataFrame(values, index=index, columns=[f"A{i}" for i in range(n_assets)])


@pytest.fixture
def prices() -> pd.DataFrame:
    return random_prices()


@pytest.fixture
def prices_csv(tmp_path: Path, prices: pd.DataFrame) -> Path:
    path = tmp_path / "prices.csv"
    prices.to_csv(path)
    return path
