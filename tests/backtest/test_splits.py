"""Periods and walk-forward folds."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from evofolio.backtest import split_periods, walk_forward
from evofolio.errors import InsufficientHistoryError

DATES = pd.bdate_range("2010-01-01", periods=1000)


def test_sp500_holdout_defaults_to_2018() -> None:
    dates = pd.bdate_range("2015-01-01", "2019-12-31")
    periods = split_periods(dates, source="sp500")
    assert periods.holdout[0] == pd.Timestamp("2018-01-01")
    assert periods.development[-1] < pd.Timestamp("2018-01-01")


def test_other_sources_hold_out_the_last_fifth() -> None:
    periods = split_periods(DATES)
    assert len(periods.holdout) == 200
    assert periods.development.intersection(periods.holdout).empty
    assert len(periods.development) + len(periods.holdout) == len(DATES)


def test_explicit_holdout_start_and_empty_period_error() -> None:
    periods = split_periods(DATES, pd.Timestamp("2012-06-01"))
    assert periods.holdout_start >= pd.Timestamp("2012-06-01")
    with pytest.raises(InsufficientHistoryError, match="empty holdout"):
        split_periods(DATES, pd.Timestamp("2030-01-01"))


@pytest.mark.parametrize("train_size", [None, 300])
def test_walk_forward_folds_are_contiguous_and_purged(train_size: int | None) -> None:
    folds = walk_forward(DATES, min_train=400, n_folds=3, purge=5, train_size=train_size)
    assert len(folds) == 3
    for fold in folds:
        gap = DATES.get_loc(fold.test[0]) - DATES.get_loc(fold.train[-1])
        assert gap == 6  # five dates purged between the last train date and the first test date
        assert fold.train[-1] < fold.test[0]
        if train_size is None:
            assert fold.train[0] == DATES[0]
        else:
            assert len(fold.train) == train_size
    for before, after in itertools.pairwise(folds):
        assert DATES.get_loc(after.test[0]) == DATES.get_loc(before.test[-1]) + 1
    assert folds[-1].test[-1] == DATES[-1]


def test_walk_forward_by_test_size_keeps_the_remainder() -> None:
    folds = walk_forward(DATES, min_train=250, test_size=252, purge=1)
    assert [len(f.test) for f in folds[:-1]] == [252] * (len(folds) - 1)
    assert sum(len(f.test) for f in folds) == len(DATES) - 251


def test_walk_forward_needs_enough_dates() -> None:
    with pytest.raises(InsufficientHistoryError, match="walk-forward needs"):
        walk_forward(DATES[:100], min_train=200, n_folds=2)
    with pytest.raises(ValueError):
        walk_forward(DATES, min_train=100)
