"""Classic rules as allocators: causal, and refit on a trailing window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError, ParameterError
from evofolio.strategies import STRATEGIES, strategy_weights


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_weights_before_a_date_ignore_prices_after_it(name: str, prices: pd.DataFrame) -> None:
    dates = prices.index[[120, 180, 240, 300]]
    allocator = ClassicAllocator(name, window=100)
    assert allocator.fit(prices.iloc[:100]) is allocator
    base = allocator.allocate(prices, dates)
    perturbed = prices.copy()
    after = perturbed.index > dates[1]
    perturbed.loc[after] *= np.random.default_rng(3).uniform(0.8, 1.25, perturbed.loc[after].shape)
    other = ClassicAllocator(name, window=100).fit(prices.iloc[:100]).allocate(perturbed, dates)
    pd.testing.assert_frame_equal(base.iloc[:2], other.iloc[:2])
    if name != "equal_weight":
        assert not np.allclose(base.iloc[2:].to_numpy(), other.iloc[2:].to_numpy())


def test_window_is_the_returns_up_to_the_decision_date(prices: pd.DataFrame) -> None:
    date = prices.index[150]
    allocator = ClassicAllocator("inverse_vol", window=60).fit(prices)
    got = allocator.allocate(prices, pd.DatetimeIndex([date]))
    returns = prices.pct_change().loc[:date].iloc[-60:].to_numpy()
    np.testing.assert_allclose(got.iloc[0].to_numpy(), strategy_weights("inverse_vol", returns))


def test_too_little_history_is_a_clear_error(prices: pd.DataFrame) -> None:
    with pytest.raises(InsufficientHistoryError, match="needs 101 prices"):
        ClassicAllocator("hrp", window=100).fit(prices).allocate(prices, prices.index[[50]])


def test_an_unknown_rule_is_refused_at_fit(prices: pd.DataFrame) -> None:
    allocator = ClassicAllocator("nope", window=60)  # settings are stored, not checked
    with pytest.raises(ParameterError, match="unknown strategy 'nope'") as error:
        allocator.fit(prices)
    assert isinstance(error.value, ValueError) and isinstance(error.value, ConfigError)


def test_settings_clone_and_fitted_state_saves(prices: pd.DataFrame, tmp_path: Path) -> None:
    dates = prices.index[[150, 250, 350]]
    for allocator in (
        ClassicAllocator("inverse_vol", window=60, covariance="empirical"),
        EqualBlendAllocator(["equal_weight", "hrp"], window=60),
    ):
        copy = clone(allocator)
        assert copy.get_params() == allocator.get_params()
        expected = allocator.fit(prices).allocate(prices, dates)
        path = allocator.save(tmp_path / f"{type(allocator).__name__}.pt")
        loaded = type(allocator).load(path)
        assert loaded.get_params() == allocator.get_params()
        pd.testing.assert_frame_equal(loaded.allocate(prices, dates), expected)
    with pytest.raises(DataError, match="holds a ClassicAllocator, not a EqualBlendAllocator"):
        EqualBlendAllocator.load(tmp_path / "ClassicAllocator.pt")
