"""Model 1 behind the Allocator contract: causal, seeded, and saved in one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData
from evofolio.data.missing import abbreviated
from evofolio.data.returns import equal_weight_index
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.models.asset_lstm import AssetLSTMParams
from synthetic import random_prices

NETWORK = AssetLSTMParams(hidden=8)
FEATURES = ("ret_1", "ret_5", "vol_21", "beta_63")
TRAINING = TrainingConfig(epochs=2, seq_len=10, chunk_len=20, batch_size=8, device="cpu")


def allocator(seed: int = 3) -> AssetLSTMAllocator:
    return AssetLSTMAllocator(network=NETWORK, training=TRAINING, features=FEATURES, seed=seed)


def with_market(prices: pd.DataFrame) -> AllocationData:
    """``prices`` with their equal-weight index as the market series (what beta reads)."""
    return AllocationData(prices, equal_weight_index(prices))


@pytest.fixture(scope="module")
def long_prices() -> pd.DataFrame:
    return random_prices(n_days=700, n_assets=5, seed=7)


@pytest.fixture(scope="module")
def fitted(long_prices: pd.DataFrame) -> AssetLSTMAllocator:
    model = allocator()
    assert model.fit(with_market(long_prices).loc[: long_prices.index[399]]) is model
    return model


def test_weights_are_long_only_and_fully_invested(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    dates = long_prices.index[420:700:7]
    weights = fitted.allocate(with_market(long_prices), dates)
    assert weights.index.equals(dates)
    assert list(weights.columns) == list(long_prices.columns)
    assert (weights.to_numpy() >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


def test_weights_before_a_date_ignore_prices_after_it(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    dates = long_prices.index[420:700]
    cut = long_prices.index[550]
    base = fitted.allocate(with_market(long_prices), dates)
    perturbed = long_prices.copy()
    after = perturbed.index > cut
    perturbed.loc[after] *= np.random.default_rng(0).uniform(0.7, 1.4, perturbed.loc[after].shape)
    other = fitted.allocate(with_market(perturbed), dates)  # the market series moves too
    pd.testing.assert_frame_equal(base.loc[:cut], other.loc[:cut])
    assert not np.allclose(base.loc[cut:].iloc[5:].to_numpy(), other.loc[cut:].iloc[5:].to_numpy())


def test_the_market_series_is_read_from_x(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    dates = long_prices.index[420:700:7]
    equal = fitted.allocate(with_market(long_prices), dates)
    # without a market series the beta features read the equal-weight index of the assets
    pd.testing.assert_frame_equal(fitted.allocate(long_prices, dates), equal)
    # another market series changes beta_63, hence the weights
    market = long_prices.iloc[:, 0].rename("market")
    other = fitted.allocate(AllocationData(long_prices, market), dates)
    assert not np.allclose(other.to_numpy(), equal.to_numpy())
    # the market series is not a setting of the estimator: nothing of it is kept
    assert not any(isinstance(v, pd.Series) for v in fitted.get_params().values())


def test_fit_uses_only_the_training_prices(long_prices: pd.DataFrame) -> None:
    first = allocator().fit(with_market(long_prices).loc[: long_prices.index[399]])
    changed = long_prices.copy()
    changed.iloc[400:] *= 2.0  # the future doubles: training must not notice
    second = allocator().fit(with_market(changed).loc[: changed.index[399]])
    dates = long_prices.index[380:400]
    pd.testing.assert_frame_equal(
        first.allocate(with_market(long_prices.iloc[:400]), dates),
        second.allocate(with_market(changed.iloc[:400]), dates),
    )


def test_checkpoint_round_trip(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame, tmp_path: Path
) -> None:
    path = fitted.save(tmp_path / "model.pt")
    loaded = AssetLSTMAllocator.load(path)  # no data: it comes with X at allocate time
    dates = long_prices.index[600:650]
    data = with_market(long_prices)
    pd.testing.assert_frame_equal(fitted.allocate(data, dates), loaded.allocate(data, dates))
    assert loaded.network == NETWORK and tuple(loaded.features) == FEATURES
    assert loaded.get_params() == fitted.get_params()
    assert loaded.network_config_ == fitted.network_config_


def test_the_same_assets_in_another_column_order_are_reordered(
    fitted: AssetLSTMAllocator, long_prices: pd.DataFrame
) -> None:
    """Issue 23: a frame with the run's assets in another order was refused. The network's
    slots follow the training order, so the weights must come back under the right names."""
    dates = long_prices.index[600:620]
    data = with_market(long_prices)
    shuffled = with_market(long_prices.iloc[:, ::-1])
    expected = fitted.allocate(data, dates)
    got = fitted.allocate(shuffled, dates)
    assert list(got.columns) == list(long_prices.columns)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-6, atol=1e-9)


def test_clear_errors(fitted: AssetLSTMAllocator, long_prices: pd.DataFrame) -> None:
    with pytest.raises(InsufficientHistoryError, match="first usable date"):
        fitted.allocate(long_prices, long_prices.index[:5])
    short = long_prices.iloc[:70]  # features from row 64, but not the sequence burn-in too
    with pytest.raises(
        InsufficientHistoryError, match="X has no usable date at all: its 70 rows do not cover"
    ):
        fitted.allocate(short, short.index[-1:])
    missing = str(long_prices.columns[3])
    with pytest.raises(
        DataError, match=f"trained on {long_prices.shape[1]} assets.*missing 2: {missing}, "
    ):
        fitted.allocate(long_prices.iloc[:, :3], long_prices.index[600:610])
    renamed = long_prices.rename(columns={long_prices.columns[0]: "ZZZ"})
    with pytest.raises(DataError, match="not trained on 1: ZZZ"):
        fitted.allocate(renamed, long_prices.index[600:610])
    # a large universe's message names five assets of each list and counts the rest
    wide = long_prices.copy()
    for k in range(3):
        wide[f"NEW{k}"] = long_prices.iloc[:, 0]
    with pytest.raises(DataError, match="not trained on 3: NEW0, NEW1, NEW2$"):
        fitted.allocate(wide, long_prices.index[600:610])
    assert abbreviated(list("abcdefg")) == "a, b, c, d, e and 2 more"
    assert abbreviated(list("abcde")) == "a, b, c, d, e"
    with pytest.raises(DataError, match="X must be"):
        fitted.allocate(long_prices.to_numpy(), long_prices.index[600:610])
