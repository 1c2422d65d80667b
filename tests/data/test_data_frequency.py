"""The sampling frequency is inferred at load; anything but daily closes is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

from evofolio.data import infer_frequency, load_data
from evofolio.errors import DataError


@pytest.mark.parametrize(
    ("dates", "name", "per_year"),
    [
        (pd.bdate_range("2020-01-01", periods=50), "daily", 252),
        (pd.date_range("2020-01-01", periods=50, freq="D"), "daily", 252),  # 7 days a week
        (pd.date_range("2020-01-03", periods=50, freq="W-FRI"), "weekly", 52),
        (pd.date_range("2020-01-31", periods=30, freq="ME"), "monthly", 12),
        (pd.date_range("2020-03-31", periods=12, freq="QE"), "quarterly", 4),
    ],
)
def test_infer_frequency(dates: pd.DatetimeIndex, name: str, per_year: int) -> None:
    found = infer_frequency(dates)
    assert (found.name, found.periods_per_year) == (name, per_year)


def test_daily_with_holidays_and_gaps_is_daily(
    write_wide: Callable[..., Path],
) -> None:
    prices = make_prices(120)
    gappy = prices.drop(prices.index[[5, 6, 7, 30, 31, 60, 90, 91, 92]])  # holidays, closures
    data = load_data(str(write_wide(gappy)))
    assert (data.frequency, data.periods_per_year) == ("daily", 252)


@pytest.mark.parametrize(
    ("freq", "name", "spacing"), [("W-FRI", "weekly", "7"), ("ME", "monthly", "31")]
)
def test_weekly_and_monthly_are_refused_naming_the_frequency(
    write_wide: Callable[..., Path], freq: str, name: str, spacing: str
) -> None:
    dates = pd.date_range("2015-01-02", periods=80, freq=freq, name="date")
    values = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.02, (80, 2)), axis=0))
    path = write_wide(pd.DataFrame(values, index=dates, columns=["A", "B"]), f"{name}.csv")
    with pytest.raises(DataError) as caught:
        load_data(str(path))
    message = str(caught.value)
    assert f"{name}.csv: the dates are {name} (median spacing {spacing} days" in message
    assert "evofolio needs daily closes" in message


def test_month_ends_on_weekends_are_refused_without_a_time_zone_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dates = pd.date_range("2000-01-31", periods=120, freq="ME", name="date")
    assert (dates.day_of_week >= 5).sum() > 10  # plenty of month ends fall on weekends
    rng = np.random.default_rng(0)
    values = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.04, (120, 3)), axis=0))
    path = tmp_path / "monthly.csv"
    pd.DataFrame(values, index=dates, columns=["A", "B", "C"]).to_csv(path)
    with pytest.raises(DataError, match="monthly"):
        load_data(str(path))
    assert not [r for r in caplog.records if "Saturday or Sunday" in r.getMessage()]
