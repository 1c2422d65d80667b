"""Fallbacks of the classic rules: counted exactly, held as documented, warned about once."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.backtesting import TradingRules, run_folds, run_period, walk_forward
from evofolio.strategies import STRATEGIES, Strategy

FAIL_ON = {0, 2, 3}  # the rule's 1st, 3rd and 4th fits fail


class Flaky:
    """An estimator whose k-th fit fails when k is in FAIL_ON, else puts everything on asset
    k mod N; it reports the failing asset by position, as skfolio does."""

    calls = 0

    def fit(self, returns: np.ndarray) -> Flaky:
        call = Flaky.calls
        Flaky.calls += 1
        if call in FAIL_ON:
            raise ValueError(
                "The following assets indices have a non positive variance: [np.int64(1)]"
            )
        self.weights_ = np.eye(returns.shape[1])[call % returns.shape[1]]
        return self


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> str:
    Flaky.calls = 0
    monkeypatch.setitem(STRATEGIES, "min_variance", Strategy("min_variance", "flaky", Flaky))
    return "min_variance"


def with_cash(prices: pd.DataFrame) -> pd.DataFrame:
    return prices.assign(CASH=1.0)


def test_failed_fits_hold_the_previous_weights_and_are_recorded(
    flaky: str, prices: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    dates = prices.index[[100, 120, 140, 160, 180]]
    allocator = ClassicAllocator(flaky, window=60).fit(prices)
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        got = allocator.allocate(prices, dates).to_numpy()
    eye = np.eye(4)
    expected = [np.full(4, 0.25), eye[1], eye[1], eye[1], eye[0]]
    np.testing.assert_array_equal(got, np.array(expected))
    table = allocator.fallbacks_
    assert list(table["date"]) == list(dates[[0, 2, 3]])
    assert list(table["held"]) == ["equal_weight", "previous", "previous"]
    assert all("[A1]" in cause and "np.int64" not in cause for cause in table["cause"])
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert line.startswith("min_variance could not be applied at 3 of 5 decisions")
    assert f"first, {dates[0]:%Y-%m-%d}" in line and "[A1]" in line
    assert "equal weight at 1" in line


def test_backtest_result_counts_fallbacks_over_every_fold(flaky: str, prices: pd.DataFrame) -> None:
    folds = walk_forward(prices.index, min_train=100, n_folds=2, purge=1)
    factory = functools.partial(ClassicAllocator, flaky, 60)
    result = run_folds(factory, prices, folds, TradingRules(rebalance=20))
    # one allocator per fold but one call counter: fits 0, 2 and 3 over both folds fail
    assert Flaky.calls == len(result.weights) >= 5
    assert result.fallback_count == 3
    assert list(result.fallbacks["date"]) == list(result.weights.index[[0, 2, 3]])
    clean = run_period(functools.partial(ClassicAllocator, "hrp", 60), prices, prices.index[100])
    assert clean.fallback_count == 0 and clean.fallbacks.empty


def test_blend_gathers_its_rules_fallbacks(flaky: str, prices: pd.DataFrame) -> None:
    blend = EqualBlendAllocator([flaky, "equal_weight"], window=60).fit(prices)
    blend.allocate(prices, prices.index[[100, 120, 140, 160]])
    assert len(blend.fallbacks_) == 3


def test_panel_counts_caches_and_warns_once_per_cause(
    flaky: str, prices: pd.DataFrame, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names = ["equal_weight", "inverse_vol", "min_variance", "hrp"]
    rules = TradingRules(rebalance=20)
    data = with_cash(prices)
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        panel = build_strategy_panel(data, names, window=60, rules=rules, cache_dir=tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert panel.fallback_counts() == {
        "equal_weight": 0,
        "inverse_vol": 0,
        "min_variance": 3,
        "hrp": 0,
    }
    decisions = len(panel.results["hrp"].weights)
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        f"CASH has zero variance in the trailing 60-row window at {decisions} of {decisions}"
    )
    assert "inverse_vol, min_variance, hrp are fitted on the other assets" in lines[0]
    assert lines[1].startswith(f"min_variance could not be applied at 3 of {decisions}")
    for name in ("inverse_vol", "min_variance", "hrp"):
        assert (panel.results[name].weights["CASH"] == 0.0).all()
    np.testing.assert_allclose(panel.results["equal_weight"].weights["CASH"], 1 / 5)

    caplog.clear()
    Flaky.calls = 0
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        again = build_strategy_panel(data, names, window=60, rules=rules, cache_dir=tmp_path)
    assert Flaky.calls == 0, "read from the cache"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == lines
    assert again.fallback_counts() == panel.fallback_counts()
    pd.testing.assert_frame_equal(
        again.results["min_variance"].fallbacks, panel.results["min_variance"].fallbacks
    )
