"""The walk-forward engine: fresh allocators per fold, nothing after the fold is visible."""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
import pandas as pd
import pytest

from evofolio.backtesting import TradingRules, run_folds, run_period, walk_forward


class Recorder:
    """A stub allocator that records what it saw and holds the asset with the best past day."""

    instances: ClassVar[list[Recorder]] = []

    def __init__(self) -> None:
        self.seen_train: pd.DatetimeIndex | None = None
        self.seen_last: pd.Timestamp | None = None
        Recorder.instances.append(self)

    def fit(self, prices: pd.DataFrame) -> Self:
        assert self.seen_train is None, "an allocator is fitted once"
        self.seen_train = prices.index
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        self.seen_last = prices.index[-1]
        out = np.zeros((len(dates), prices.shape[1]))
        for row, date in enumerate(dates):
            past = prices.loc[:date]
            out[row, int(np.argmax(past.iloc[-1].to_numpy() / past.iloc[-2].to_numpy()))] = 1.0
        return pd.DataFrame(out, index=dates, columns=prices.columns)


def test_each_fold_gets_a_fresh_allocator_and_sees_only_its_past(prices: pd.DataFrame) -> None:
    Recorder.instances = []
    folds = walk_forward(prices.index, min_train=100, n_folds=3, purge=2)
    result = run_folds(Recorder, prices, folds, TradingRules("weekly", 5.0))
    assert len(Recorder.instances) == 3
    for fold, allocator in zip(folds, Recorder.instances, strict=True):
        assert allocator.seen_train is not None
        assert allocator.seen_train.equals(fold.train)
        assert allocator.seen_last == fold.test[-1]
    # one simulation over the concatenated test folds
    assert result.gross.index[0] == folds[0].test[1]
    assert result.gross.index[-1] == folds[-1].test[-1]


def test_results_before_a_date_ignore_prices_after_it(prices: pd.DataFrame) -> None:
    folds = walk_forward(prices.index, min_train=100, n_folds=2, purge=1)
    base = run_folds(Recorder, prices, folds, TradingRules("daily", 10.0))
    cut = prices.index[250]
    perturbed = prices.copy()
    perturbed.loc[perturbed.index > cut] *= np.random.default_rng(5).uniform(
        0.7, 1.3, perturbed.loc[perturbed.index > cut].shape
    )
    other = run_folds(Recorder, perturbed, folds, TradingRules("daily", 10.0))
    pd.testing.assert_series_equal(base.net.loc[:cut], other.net.loc[:cut])
    pd.testing.assert_frame_equal(base.weights.loc[:cut], other.weights.loc[:cut])
    assert not base.net.loc[cut:].equals(other.net.loc[cut:])


class Broken(Recorder):
    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        return super().allocate(prices, dates) * 2.0


def test_invalid_weights_are_rejected(prices: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="fully invested"):
        run_period(Broken, prices, prices.index[200])
