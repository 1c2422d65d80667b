"""Survivorship bias, measured: the survivors-only run beside the point-in-time one."""

from __future__ import annotations

import pytest

import evofolio as ev
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
    assert run.results["equal_weight (survivors only)"].delistings.empty


def test_survivors_only_needs_a_ragged_universe() -> None:
    raw = ragged_prices(n_days=300, n_assets=4, seed=1, deaths=0.0, births=0.0)
    with pytest.raises(DataError, match="survivors-only needs a ragged universe"):
        ev.backtest("equal_weight", ev.load_data(raw), window=63, cache=False, survivors_only=True)
