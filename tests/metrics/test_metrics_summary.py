"""The report row: keys, order, labels, and agreement with the single metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import evofolio.metrics as m
from evofolio.metrics.summary import METRIC_LABELS, summarize

KEYS = [
    "mean_return",
    "volatility",
    "sharpe",
    "downside_deviation",
    "sortino",
    "max_drawdown",
    "calmar",
    "cvar_95",
    "positive_share",
    "profit_loss_ratio",
    "annual_turnover",
    "n_days",
]


@pytest.fixture
def returns() -> np.ndarray:
    return np.random.default_rng(3).normal(0.0004, 0.012, size=300)


def test_keys_and_labels_in_report_order(returns: np.ndarray) -> None:
    row = summarize(returns)
    assert list(row) == KEYS
    assert list(METRIC_LABELS) == KEYS
    assert METRIC_LABELS["mean_return"] == "E(R)"
    assert METRIC_LABELS["profit_loss_ratio"] == "Ave. P / Ave. L"
    assert all(isinstance(v, float) for v in row.values())


def test_values_are_the_single_metrics(returns: np.ndarray) -> None:
    turnover = np.full(300, 0.02)
    row = summarize(returns, turnover, periods_per_year=12)
    assert row["mean_return"] == m.mean_return(returns, 12)
    assert row["volatility"] == m.volatility(returns, 12)
    assert row["sharpe"] == m.sharpe_ratio(returns, 12)
    assert row["downside_deviation"] == m.downside_deviation(returns, 12)
    assert row["sortino"] == m.sortino_ratio(returns, 12)
    assert row["max_drawdown"] == m.max_drawdown(returns)
    assert row["calmar"] == m.calmar_ratio(returns, 12)
    assert row["cvar_95"] == m.cvar(returns, 0.95)
    assert row["positive_share"] == m.positive_share(returns)
    assert row["profit_loss_ratio"] == m.profit_loss_ratio(returns)
    assert row["annual_turnover"] == pytest.approx(0.02 * 12)
    assert row["n_days"] == 300.0


def test_turnover_is_optional(returns: np.ndarray) -> None:
    assert math.isnan(summarize(returns)["annual_turnover"])


def test_empty_series_is_all_nan_but_the_day_count() -> None:
    row = summarize(np.array([]))
    assert row["n_days"] == 0.0
    assert all(math.isnan(v) for k, v in row.items() if k != "n_days")
