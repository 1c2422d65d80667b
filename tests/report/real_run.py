"""Run directories written by the real pipeline, for the report tests (see conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evofolio.config import RunConfig, parse_config
from evofolio.data import load_data
from evofolio.search.jobs.run import run_pipeline
from synthetic import random_prices

STRATEGY_NAMES = ["equal_weight", "inverse_vol", "hrp"]
N_DAYS = 1300


def tiny_run_config(
    source: Path,
    *,
    multi_objective: bool,
    families: list[str],
    evaluation: dict[str, Any] | None = None,
    holdout_start: str | None = None,
) -> RunConfig:
    """The smallest configuration that still runs every stage of ``evofolio run``
    (``evaluation``: keys of ``[evaluation]`` over the default ``n_boot = 100``)."""
    raw: dict[str, Any] = {
        "seed": 0,
        "data": {"source": str(source)},
        "strategies": {"window": 40, "names": STRATEGY_NAMES},
        "training": {"epochs": 1, "device": "cpu", "threads": 1},
        "search": {
            "population": 2,  # per family (islands): 4 completed trials each
            "generations": 2,
            "folds": 2,
            "min_test_days": 60,
            "prune": False,
            "multi_objective": multi_objective,
            "families": families,
            # small networks: the report tests need real files, not good models
            "space": {
                "layers": [1, 1],
                "hidden": [8, 16],
                "seq_len": [10, 20],
                "chunk_len": [50, 80],
            },
        },
        "evaluation": {"n_boot": 100, **(evaluation or {})},
        "champion": {"seeds": 1},
    }
    if holdout_start is not None:
        raw["data"]["holdout_start"] = holdout_start
    return parse_config(raw)


def distinct_prices(n_days: int, seed: int = 3) -> pd.DataFrame:
    """Three random walks far apart: a calm rising asset, a middling one and a volatile
    falling one, so that the classic rules' holdout Sharpe ratios differ clearly."""
    rng = np.random.default_rng(seed)
    drift = np.array([0.0010, 0.0002, -0.0030])
    vol = np.array([0.004, 0.010, 0.035])
    shocks = rng.normal(0.0, 1.0, (n_days, 3)) * vol + drift
    index = pd.bdate_range("2010-01-04", periods=n_days, name="date")
    values = 100.0 * np.exp(np.cumsum(shocks, axis=0))
    return pd.DataFrame(values, index=index, columns=["A0", "A1", "A2"])


def real_run(root: Path, name: str, prices: pd.DataFrame | None = None, **options: Any) -> Path:
    source = root / f"{name}.csv"
    if prices is None:
        prices = random_prices(n_days=N_DAYS, n_assets=3, seed=11, start="2010-01-04")
    prices.to_csv(source)
    config = tiny_run_config(source, **options)
    run_dir = root / name
    run_pipeline(config, load_data(str(source)), run_dir, jobs=1)
    return run_dir
