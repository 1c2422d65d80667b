"""Model 1 behind the Allocator contract: causal, seeded, and saved in one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.config import ModelConfig, TrainingConfig
from evofolio.data.returns import equal_weight_index
from evofolio.errors import DataError, InsufficientHistoryError
from synthetic import random_prices

MODEL = ModelConfig(features=["ret_1", "ret_5", "vol_21", "beta_63"], hidden=8)
TRAINING = TrainingConfig(epochs=2, seq_len=10, chunk_len=20, batch_size=8, device="cpu")


@pytest.fixture(scope="module")
def long_prices() -> pd.DataFrame:
    return random_prices(n_days=700, n_assets=5, seed=7)


@pytest.fixture(scope="module")
def fitted(long_prices: pd.DataFrame) -> AssetLSTMAllocator:
    market = equal_weight_index(long_prices)
    allocator = AssetLSTMAllocator(MODEL, TRAINING, market=market, seed=3)
    assert allocator.fit(long_prices.iloc[:400]) is allocator
    return allocator


def test_weights_are_long_only_and_fully_invested(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    dates = long_prices.index[420:700:7]
    weights = fitted.allocate(long_prices, dates)
    assert weights.index.equals(dates)
    assert list(weights.columns) == list(long_prices.columns)
    assert (weights.to_numpy() >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


def test_weights_before_a_date_ignore_prices_after_it(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    dates = long_prices.index[420:700]
    cut = long_prices.index[550]
    base = fitted.allocate(long_prices, dates)
    perturbed = long_prices.copy()
    after = perturbed.index > cut
    perturbed.loc[after] *= np.random.default_rng(0).uniform(0.7, 1.4, perturbed.loc[after].shape)
    fitted.market = equal_weight_index(perturbed)
    try:
        other = fitted.allocate(perturbed, dates)
    finally:
        fitted.market = equal_weight_index(long_prices)
    pd.testing.assert_frame_equal(base.loc[:cut], other.loc[:cut])
    assert not np.allclose(base.loc[cut:].iloc[5:].to_numpy(), other.loc[cut:].iloc[5:].to_numpy())


def test_fit_uses_only_the_training_prices(long_prices: pd.DataFrame) -> None:
    market = equal_weight_index(long_prices)
    first = AssetLSTMAllocator(MODEL, TRAINING, market=market, seed=3).fit(long_prices.iloc[:400])
    changed = long_prices.copy()
    changed.iloc[400:] *= 2.0  # the future doubles: training must not notice
    second = AssetLSTMAllocator(MODEL, TRAINING, market=equal_weight_index(changed), seed=3)
    second.fit(changed.iloc[:400])
    dates = long_prices.index[380:400]
    pd.testing.assert_frame_equal(
        first.allocate(long_prices.iloc[:400], dates), second.allocate(changed.iloc[:400], dates)
    )


def test_checkpoint_round_trip(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame, tmp_path: Path
) -> None:
    path = fitted.save(tmp_path / "model.pt")
    loaded = AssetLSTMAllocator.load(path, market=fitted.market)
    dates = long_prices.index[600:650]
    pd.testing.assert_frame_equal(
        fitted.allocate(long_prices, dates), loaded.allocate(long_prices, dates)
    )
    assert loaded.model == MODEL


def test_clear_errors(fitted: AssetLSTMAllocator, long_prices: pd.DataFrame) -> None:
    with pytest.raises(InsufficientHistoryError, match="first usable date"):
        fitted.allocate(long_prices, long_prices.index[:5])
    with pytest.raises(DataError, match="trained on assets"):
        fitted.allocate(long_prices.iloc[:, :3], long_prices.index[600:610])
