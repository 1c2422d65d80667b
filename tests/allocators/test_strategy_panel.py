"""The strategy panel and its on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import evofolio.allocators.strategy_panel as panel_module
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.backtesting import TradingRules

NAMES = ["equal_weight", "inverse_vol", "hrp"]


def test_panel_covers_every_strategy_on_the_same_dates(prices: pd.DataFrame) -> None:
    panel = build_strategy_panel(prices, NAMES, window=60)
    returns = panel.returns()
    assert list(returns.columns) == NAMES
    assert returns.index[0] == prices.index[61]
    assert not returns.isna().any().any()
    assert set(panel.held()) == set(NAMES)


def test_cache_is_reused_and_keyed_by_settings(
    prices: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build_strategy_panel(prices, NAMES, window=60, cache_dir=tmp_path)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(panel_module, "run_period", fail)
    again = build_strategy_panel(prices, NAMES, window=60, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(first.returns(), again.returns(), check_freq=False)
    pd.testing.assert_frame_equal(
        first.results["hrp"].held, again.results["hrp"].held, check_freq=False
    )
    with pytest.raises(AssertionError, match="recomputed"):
        build_strategy_panel(
            prices, NAMES, window=60, rules=TradingRules(cost_bps=3), cache_dir=tmp_path
        )
    changed = prices.copy()
    changed.iloc[-1] *= 1.01
    with pytest.raises(AssertionError, match="recomputed"):
        build_strategy_panel(changed, NAMES, window=60, cache_dir=tmp_path)
