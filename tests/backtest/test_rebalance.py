"""Rebalancing schedules."""

from __future__ import annotations

import pandas as pd
import pytest

from evofolio.backtesting import parse_rebalance, rebalance_dates
from evofolio.errors import UsageError

DATES = pd.bdate_range("2021-01-01", "2021-03-31")


def test_monthly_trades_on_the_first_trading_day_of_each_month() -> None:
    got = rebalance_dates(DATES, "monthly")
    assert list(got) == [pd.Timestamp(d) for d in ("2021-01-01", "2021-02-01", "2021-03-01")]


def test_weekly_trades_on_the_first_trading_day_of_each_week() -> None:
    holiday = DATES.drop(pd.Timestamp("2021-01-11"))  # a Monday off: Tuesday trades
    got = rebalance_dates(holiday, "weekly")
    assert pd.Timestamp("2021-01-12") in got
    assert all(d.day_of_week == 0 for d in got if d not in (holiday[0], pd.Timestamp("2021-01-12")))
    assert len(got) == 14


def test_every_k_days_and_daily() -> None:
    assert list(rebalance_dates(DATES, 10)) == list(DATES[::10])
    assert list(rebalance_dates(DATES, "daily")) == list(DATES)


@pytest.mark.parametrize("text,expected", [("daily", "daily"), ("Monthly", "monthly"), ("5", 5)])
def test_parse_rebalance(text: str, expected: object) -> None:
    assert parse_rebalance(text) == expected


@pytest.mark.parametrize("bad", ["yearly", "0", "-3", ""])
def test_parse_rebalance_rejects(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_rebalance(bad)
