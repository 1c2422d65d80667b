"""Classic rules as allocators: causal, and refit on a trailing window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.classic import ClassicAllocator
from evofolio.errors import InsufficientHistoryError
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
