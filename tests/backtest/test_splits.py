"""Periods and walk-forward folds."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from evofolio.backtesting import split_periods, walk_forward, walk_forward_years
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


@pytest.mark.parametrize("train_years", [None, 3])
def test_walk_forward_years_retrains_every_k_calendar_years(train_years: int | None) -> None:
    dates = pd.bdate_range("2001-03-01", "2012-06-29")
    folds = walk_forward_years(dates, every_years=2, min_train=500, train_years=train_years)
    starts = [fold.test[0] for fold in folds]
    # 500 dates from March 2001 reach early 2003: blocks start in 2004, 2006, 2008, 2010, 2012
    assert [s.year for s in starts] == [2004, 2006, 2008, 2010, 2012]
    assert all(s.month == 1 and s.day <= 3 for s in starts)
    assert folds[-1].test[-1] == dates[-1]
    for fold in folds:
        assert dates.get_loc(fold.test[0]) - dates.get_loc(fold.train[-1]) == 2  # 1 purged
        if train_years is not None:
            assert fold.train[0] >= fold.test[0] - pd.DateOffset(years=3)
        else:
            assert fold.train[0] == dates[0]


def test_walk_forward_years_needs_a_full_year() -> None:
    with pytest.raises(InsufficientHistoryError, match="walk-forward by years"):
        walk_forward_years(pd.bdate_range("2001-01-01", "2001-12-31"), every_years=1, min_train=100)
