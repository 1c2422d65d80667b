"""Survivorship bias, measured: the survivors-only run beside the point-in-time one."""

from __future__ import annotations

import pandas as pd
import pytest

import evofolio as ev
from evofolio.allocators.classic import ClassicAllocator
from evofolio.errors import DataError
from synthetic import ragged_prices


def test_survivors_only_equal_weight_beats_point_in_time_when_the_dying_are_the_losers() -> None:
    raw = ragged_prices(n_days=1260, n_assets=16, seed=3, deaths=0.1, births=0.05)
    data = ev.load_data(raw, ragged=True)
    dead = [a for a in data.assets if a not in data.universe.survivors()]
    assert len(dead) >= 3  # the fixture kills losers after a 40 % drawdown
    run = ev.backtest(
        "equal_weight", data, window=63, cost_bps=10, cache=False, survivors_only=True
    )
    honest = run.metrics.loc["equal_weight", "sharpe"]
    biased = run.metrics.loc["equal_weight (survivors only)", "sharpe"]
    assert biased > honest + 0.1
    assert run.settings["survivorship_bias"]["equal_weight"] == pytest.approx(biased - honest)
    assert run.settings["survivors"] == data.universe.survivors()
    held = run.results["equal_weight"].delistings
    assert held is not None and set(held["asset"]) <= set(dead) and len(held) >= 1
    survivors = run.results["equal_weight (survivors only)"]
    assert survivors.delistings.empty
    # the survivors' weights cover every asset, exactly 0 on the dead (never NaN)
    for frame in (survivors.weights, survivors.held):
        assert list(frame.columns) == data.assets and not frame.isna().any().any()
        assert (frame[dead] == 0.0).all().all()


def test_survivors_only_needs_a_ragged_universe() -> None:
    raw = ragged_prices(n_days=300, n_assets=4, seed=1, deaths=0.0, births=0.0)
    with pytest.raises(DataError, match="survivors-only needs a ragged universe"):
        ev.backtest("equal_weight", ev.load_data(raw), window=63, cache=False, survivors_only=True)


def test_the_run_reports_the_survivorship_bias_of_its_holdout() -> None:
    from types import SimpleNamespace

    from evofolio.backtesting import TradingRules, run_period, split_periods
    from evofolio.config import RunConfig, override
    from evofolio.data import AllocationData
    from evofolio.report.sections import survivorship_section
    from evofolio.search.evaluation.champion import survivorship

    raw = ragged_prices(n_days=1260, n_assets=16, seed=3, deaths=0.1, births=0.05)
    data = ev.load_data(raw, ragged=True)
    config = override(RunConfig(), "strategies", window=63)
    periods = split_periods(data.prices.index, pd.Timestamp("2002-01-01"), source="mem")
    rules = TradingRules.from_config(config.backtest)
    inputs = AllocationData(data.prices, data.market, universe=data.universe)
    honest = run_period(
        lambda: ClassicAllocator("equal_weight", 63), inputs, periods.holdout[0], rules=rules
    )
    bias = survivorship(config, data, periods, rules, honest)
    assert bias is not None and bias["survivors"] == len(data.universe.survivors())
    assert bias["point_in_time"]["sharpe"] == pytest.approx(honest.metrics()["sharpe"])
    assert bias["bias_sharpe"] > 0.1 and bias["delistings_applied"] >= 1
    html = survivorship_section(
        SimpleNamespace(champion=SimpleNamespace(verdict={"survivorship": bias}))
    )
    assert 'id="survivorship"' in html and f"{bias['bias_sharpe']:+.2f}" in html
    assert survivorship_section(SimpleNamespace(champion=SimpleNamespace(verdict={}))) == ""
    plain = ev.load_data(raw.dropna(axis=1))
    assert survivorship(config, plain, periods, rules, honest) is None
