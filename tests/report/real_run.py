"""Run directories written by the real pipeline, for the report tests (see conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evofolio.config import RunConfig, parse_config
from evofolio.data import load_data
from evofolio.search.jobs.run import run_pipeline
from synthetic import random_prices

STRATEGY_NAMES = ["equal_weight", "inverse_vol", "hrp"]
N_DAYS = 1300


def tiny_run_config(source: Path, *, multi_objective: bool, families: list[str]) -> RunConfig:
    """The smallest configuration that still runs every stage of ``evofolio run``."""
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
        "evaluation": {"n_boot": 100},
        "champion": {"seeds": 1},
    }
    return parse_config(raw)


def real_run(root: Path, name: str, **options: Any) -> Path:
    source = root / f"{name}.csv"
    random_prices(n_days=N_DAYS, n_assets=3, seed=11, start="2010-01-04").to_csv(source)
    config = tiny_run_config(source, **options)
    run_dir = root / name
    run_pipeline(config, load_data(str(source)), run_dir, jobs=1)
    return run_dir
