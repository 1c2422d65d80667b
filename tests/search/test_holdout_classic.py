"""The holdout's classic baselines and equal blend: each rule fitted once per date."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import evofolio.allocators.classic_compute as compute
from evofolio.api.data import load_data
from evofolio.backtesting import TradingRules, split_periods
from evofolio.config import parse_config
from evofolio.search.evaluation.champion import holdout_backtest
from evofolio.strategies import STRATEGIES
from synthetic import random_prices


def test_the_equal_blend_reuses_the_baselines_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_data(random_prices(n_days=520, n_assets=4, seed=5))
    config = parse_config(
        {
            "data": {"holdout_start": str(data.prices.index[400].date())},
            "strategies": {"window": 60},
            "model": {"family": "asset", "hidden": 8},
            "training": {"epochs": 1, "seq_len": 10, "chunk_len": 20, "patience": None},
        },
        "test",
    )
    periods = split_periods(pd.DatetimeIndex(data.prices.index), config.data.holdout_start)
    original = compute.strategy_weights
    fits: list[str] = []

    def spy(name: str, returns: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        fits.append(name)
        return original(name, returns, *args, **kwargs)

    monkeypatch.setattr(compute, "strategy_weights", spy)
    result = holdout_backtest(config, data, periods, TradingRules("weekly"))
    decisions = len(result.results["equal_blend"].weights)
    assert decisions > 10
    for name in STRATEGIES:  # once per rule and date, although the blend asked again
        assert fits.count(name) == decisions, name
    mean = sum(result.results[name].weights for name in STRATEGIES) / len(STRATEGIES)
    pd.testing.assert_frame_equal(result.results["equal_blend"].weights, mean)
    assert result.covariance == "empirical"  # 4 assets, 60 days: auto keeps the sample one
