"""Speed of the classic-strategy backtest and of the simulation engine.

Prints:
* the wall time of ``evofolio backtest --strategy all`` on the embedded sp500 data, computed
  from scratch (empty cache; target <= 60 s on 2 cores) and again from the cache;
* the simulation of 8,000 days x 500 random assets with daily rebalancing (target <= 1 s).

Run: ``.venv/bin/python benchmarks/bench_backtest.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.backtesting import TradingRules, simulate


def time_cli(cache: Path, out: Path) -> float:
    env = {**os.environ, "EVOFOLIO_CACHE_DIR": str(cache)}
    command = [
        sys.executable,
        "-m",
        "evofolio",
        "backtest",
        "--strategy",
        "all",
        "-q",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_simulation(n_days: int = 8000, n_assets: int = 500, repeats: int = 3) -> float:
    rng = np.random.default_rng(0)
    index = pd.bdate_range("1990-01-01", periods=n_days)
    columns = [f"A{i}" for i in range(n_assets)]
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, (n_days, n_assets)), axis=0)),
        index=index,
        columns=columns,
    )
    weights = pd.DataFrame(rng.dirichlet(np.ones(n_assets), n_days), index=index, columns=columns)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(weights, prices, TradingRules("daily", 10.0))
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "cache", Path(tmp) / "out"
        cold = time_cli(cache, out)
        warm = time_cli(cache, out)
    print(
        f"backtest --strategy all on sp500 (7 rules, monthly, 1990-2022), cold cache: "
        f"{cold:.1f} s (target <= 60 s)"
    )
    print(f"backtest --strategy all on sp500, warm cache: {warm:.1f} s")
    sim = time_simulation()
    print(f"simulate 8,000 days x 500 assets, daily rebalancing: {sim:.3f} s (target <= 1 s)")


if __name__ == "__main__":
    main()
