"""A ragged 500-asset universe over 20 years: ``evofolio run --quick`` at monthly rebalancing.

The universe (seeded, one factor): 500 assets alive on the first date; about 5 % of the live
count lists each year (at a random date) and about 5 % dies each year, always after a
drawdown: an asset's prices end the day after its price first falls ``DRAWDOWN`` below its
running peak. Daily returns are ``drift_i + beta_i · market + noise_i`` (betas in [0.5, 1.5],
idiosyncratic volatility 1-2.5 % a day). The file is written as wide parquet (NaN outside the
lives), read point in time (the default for a file that lists and delists) and run with the
``quick`` budget traded monthly (``--rebalance weekly`` for the preset's own), from a cold
classic-panel cache. It prints the wall time, the peak PSS of the run's process tree
(sampled every 0.25 s, as ``bench_scale.py`` does) and the largest process.

Run: ``.venv/bin/python benchmarks/bench_ragged.py --out /tmp/ragged500`` (``--generate-only``
writes the file and prints its lives).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from bench_scale import quick_run

DRAWDOWN = 0.65
"""A drawdown from the running peak past which an asset dies (about 5 % a year die)."""


def ragged_universe(
    n_assets: int = 500, years: int = 20, rate: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Prices (business days × assets, NaN outside each life): see the module doc."""
    rng = np.random.default_rng(seed)
    n_days = 252 * years
    births = rng.poisson(rate * n_assets, years)
    total = n_assets + int(births.sum())
    first = np.zeros(total, dtype=np.int64)
    k = n_assets
    for year, count in enumerate(births):
        first[k : k + count] = rng.integers(year * 252 + 1, (year + 1) * 252, count)
        k += count
    market = rng.normal(0.0003, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, total)
    vol = rng.uniform(0.01, 0.025, total)
    drift = rng.normal(0.0, 0.0004, total)
    values = np.full((n_days, total), np.nan)
    for j in range(total):
        days = n_days - first[j]
        shocks = drift[j] + beta[j] * market[first[j] :] + rng.normal(0.0, vol[j], days)
        path = 50.0 * np.exp(np.cumsum(shocks))
        peak = np.maximum.accumulate(path)
        down = np.flatnonzero(path < (1 - DRAWDOWN) * peak)
        if down.size:
            path[down[0] + 1 :] = np.nan
        values[first[j] :, j] = path
    index = pd.bdate_range("2003-01-01", periods=n_days, name="date")
    return pd.DataFrame(values, index=index, columns=[f"S{j:04d}" for j in range(total)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rebalance", default="monthly", help="monthly (default) or weekly")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    prices = ragged_universe()
    path = args.out / "ragged500.parquet"
    prices.to_parquet(path)
    alive = prices.notna()
    years = alive.index.year
    last = alive.groupby(years).tail(1).sum(axis=1)
    ends = alive.iloc[:-1].to_numpy() & ~alive.iloc[1:].to_numpy()
    deaths = pd.Series(ends.sum(axis=1), index=alive.index[1:]).groupby(years[1:]).sum()
    print(f"{path}: {prices.shape[0]} dates x {prices.shape[1]} assets ever alive")
    print(
        f"alive at year end: min {last.min()}, max {last.max()}; deaths a year: mean "
        f"{deaths.mean():.1f} ({100 * (deaths / last.to_numpy()).mean():.1f} % of the live count)"
    )
    if args.generate_only:
        return
    # read point in time by default (the file lists and delists); a cold classic-panel cache
    log = args.out / f"run_{args.rebalance}.log"
    run = quick_run(path, args.out, args.jobs, log, args.rebalance)
    gib = 2**30
    print(
        f"run --quick ({args.rebalance}, --jobs {args.jobs}, cold cache): "
        f"{run.seconds / 60:.1f} min, peak PSS {run.pss_peak / gib:.2f} GiB (RSS sum "
        f"{run.tree_peak / gib:.2f}, largest process {run.largest / gib:.2f}); "
        f"{'ok' if run.ok else 'FAILED'}; log: {log}"
    )
    parts = ", ".join(f"{role} {pss / gib:.2f}" for role, pss in run.peak_parts)
    print(f"at the peak ({run.peak_at:.0f} s in): {parts}")
    for line in log.read_text().splitlines():  # the classic panel's rules, as they end
        if "strategy panel" in line or ("decisions" in line and " done" in line):
            print(line[:160])
    raise SystemExit(0 if run.ok else 1)


if __name__ == "__main__":
    main()
