"""The tear sheet's computations against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evofolio.metrics import sharpe_ratio
from evofolio.report.tearsheet import (
    calendar_year_returns,
    distance_from_equal_weight,
    monthly_returns,
    rolling_sharpe,
    validation_then_holdout,
    worst_drawdowns,
)


def series(values: list[float], dates: list[str]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(dates))


def test_monthly_returns_compound_each_month() -> None:
    daily = series(
        [0.02, 0.03, 0.10, -0.10, 0.05],
        ["2020-12-30", "2020-12-31", "2021-01-04", "2021-01-05", "2021-02-01"],
    )
    table = monthly_returns(daily)
    assert list(table.columns) == list(range(1, 13))
    assert list(table.index) == [2020, 2021]
    assert table.loc[2020, 12] == pytest.approx(1.02 * 1.03 - 1)  # 0.0506
    assert table.loc[2021, 1] == pytest.approx(1.1 * 0.9 - 1)  # -0.01
    assert table.loc[2021, 2] == pytest.approx(0.05)
    assert math.isnan(table.loc[2021, 3]) and math.isnan(table.loc[2020, 1])


def test_calendar_years_and_their_difference() -> None:
    dates = ["2020-03-02", "2020-11-30", "2021-06-01"]
    years = calendar_year_returns(series([0.1, 0.1, -0.5], dates), series([0.0, 0.1, 0.2], dates))
    assert list(years.columns) == ["champion", "benchmark", "difference"]
    assert years.loc[2020].tolist() == pytest.approx([0.21, 0.10, 0.11])
    assert years.loc[2021].tolist() == pytest.approx([-0.5, 0.2, -0.7])


def test_worst_drawdowns_of_a_hand_made_path() -> None:
    # wealth: 0.5, 1.0 | 1.5, 0.375, 1.5 | 1.5, 0.75, 0.75 (powers of 2: exact in floats)
    dates = pd.date_range("2021-01-01", periods=8, freq="D")
    returns = pd.Series([-0.5, 1.0, 0.5, -0.75, 3.0, 0.0, -0.5, 0.0], index=dates)
    table = worst_drawdowns(returns, n=5)
    day = [f"2021-01-0{i}" for i in range(1, 9)]
    assert list(table.columns) == ["start", "trough", "recovery", "depth", "days"]
    assert len(table) == 3
    deepest, first, last = table.to_dict("records")
    # 1.5 -> 0.375 -> 1.5: peak on day 3, trough day 4, back on day 5
    assert deepest == {
        "start": pd.Timestamp(day[2]),
        "trough": pd.Timestamp(day[3]),
        "recovery": pd.Timestamp(day[4]),
        "depth": -0.75,
        "days": 2,
    }
    # fell on the first day (from the starting wealth 1): the start is the first date
    assert (first["start"], first["trough"], first["recovery"]) == tuple(
        pd.Timestamp(d) for d in (day[0], day[0], day[1])
    )
    assert (first["depth"], first["days"]) == (-0.5, 1)
    # 1.5 -> 0.75 never recovered: the length runs to the last date
    assert (last["start"], last["trough"]) == (pd.Timestamp(day[5]), pd.Timestamp(day[6]))
    assert pd.isna(last["recovery"])
    assert (last["depth"], last["days"]) == (-0.5, 2)
    assert worst_drawdowns(returns, n=1)["depth"].tolist() == [-0.75]


def test_no_drawdown_on_a_rising_path() -> None:
    rising = pd.Series([0.01] * 5, index=pd.date_range("2021-01-01", periods=5))
    assert worst_drawdowns(rising).empty


def test_rolling_sharpe_on_a_known_series() -> None:
    values = [0.01, 0.02, 0.03, 0.04, 0.04, 0.04, 0.04, 0.04]
    returns = pd.Series(values, index=pd.bdate_range("2021-01-04", periods=8))
    ratio = rolling_sharpe(returns, window=4, periods_per_year=252)
    assert ratio.iloc[:3].isna().all()  # fewer than 4 returns
    # [0.01..0.04]: mean 0.025, std(ddof=1) sqrt(5/3)/100
    assert ratio.iloc[3] == pytest.approx(0.025 / (math.sqrt(5 / 3) / 100) * math.sqrt(252))
    # [0.02, 0.03, 0.04, 0.04]: mean 0.0325, squared deviations sum to 2.75e-4
    assert ratio.iloc[4] == pytest.approx(0.0325 / math.sqrt(2.75e-4 / 3) * math.sqrt(252))
    assert math.isnan(ratio.iloc[7])  # four equal returns: no dispersion
    rng = np.random.default_rng(3)
    noise = pd.Series(rng.normal(0.0005, 0.01, 300), index=pd.bdate_range("2021", periods=300))
    rolled = rolling_sharpe(noise, window=252)
    for end in (251, 280, 299):
        assert rolled.iloc[end] == pytest.approx(sharpe_ratio(noise.iloc[end - 251 : end + 1]))


def test_distance_from_equal_weight() -> None:
    weights = pd.DataFrame(
        [[0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1], [0.5, 0.5, np.nan, 0.0]],
        columns=["A", "B", "C", "D"],
    )
    # rows: 0; 0.45 + 3 * 0.15 = 0.9; 4 * 0.25 = 1.0 (a missing weight is 0)
    assert distance_from_equal_weight(weights) == pytest.approx((0.0 + 0.9 + 1.0) / 3)
    assert distance_from_equal_weight(weights.iloc[:1]) == 0.0
    assert math.isnan(distance_from_equal_weight(weights.iloc[:0]))


def test_validation_then_holdout_chains_wealth() -> None:
    validation = series([0.1, -0.5, 0.3], ["2019-12-30", "2019-12-31", "2020-01-02"])
    holdout = series([1.0, -0.5], ["2020-01-02", "2020-01-03"])
    chain = validation_then_holdout(validation, holdout)
    # the validation return dated on the holdout's first day is dropped
    assert list(chain.index) == list(pd.DatetimeIndex(["2019-12-30", "2019-12-31", *holdout.index]))
    assert chain["wealth"].tolist() == pytest.approx([1.1, 0.55, 1.1, 0.55])
    assert chain["period"].tolist() == ["validation", "validation", "holdout", "holdout"]
