"""Large universes: the classic panel and ``evofolio run --quick`` at 50 to 500 assets.

For each size, a seeded one-factor universe (daily returns ``beta_i · market + noise_i``,
betas in [0.5, 1.5], idiosyncratic volatility 1-3% a day) of ``--years`` years of business
days is written as a wide parquet file to a temporary directory and loaded through the normal
data path (:func:`evofolio.load_data`). Then, for that size:

* **panel s**: the classic strategies' panel (Model 2's input: every rule, refit monthly on its
  252-day window, over the whole history) built from a cold cache with ``--jobs`` processes;
* **run s** and **peak RSS**: ``evofolio run --quick`` in a child process with an empty cache
  directory; peak RSS is the largest sum of the resident memory of the child and all its
  descendants (sampled from /proc every 0.25 s), next to ``getrusage(RUSAGE_CHILDREN)``'s
  largest single process.

The exponent columns give the growth between consecutive sizes, ``log(t2/t1) / log(n2/n1)``.
Targets on a 2-core machine: 500 assets x 20 years ``run --quick`` <= 10 min and <= 4 GiB.

Run: ``.venv/bin/python benchmarks/bench_scale.py --sizes 50 100 300 500 --jobs 2``
Profile the panel's hot path on a few dates: ``... --sizes 500 --panel-only --months 3 --profile``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio import load_data
from evofolio.allocators.classic_compute import classic_compute, clear_memo
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.backtest import TradingRules
from evofolio.strategies import STRATEGIES
from evofolio.strategies.covariance import resolve_covariance

WINDOW = 252
GIB = 2**30


def one_factor_prices(n_assets: int, years: int, seed: int) -> pd.DataFrame:
    """Seeded one-factor prices, business days x assets ``S000``, ``S001``, ..."""
    rng = np.random.default_rng(seed)
    days = 252 * years
    market = rng.normal(0.0003, 0.01, (days, 1))
    betas = rng.uniform(0.5, 1.5, n_assets)
    idio = rng.uniform(0.01, 0.03, n_assets)
    returns = market * betas + rng.normal(0.0, 1.0, (days, n_assets)) * idio
    values = 100.0 * np.exp(np.cumsum(np.log1p(returns), axis=0))
    index = pd.bdate_range("2000-01-03", periods=days, name="date")
    return pd.DataFrame(values, index=index, columns=[f"S{i:03d}" for i in range(n_assets)])


def panel_seconds(prices: pd.DataFrame, jobs: int, profile: bool) -> float:
    """Wall seconds of the classic panel from a cold cache (and no remembered decision)."""
    clear_memo()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    with classic_compute(jobs=jobs):
        if profiler is not None:
            profiler.enable()
        build_strategy_panel(prices, list(STRATEGIES), window=WINDOW, rules=TradingRules("monthly"))
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(18)
        print(text.getvalue(), file=sys.stderr)
    return seconds


def _tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in tree)


@dataclass
class RunFigures:
    seconds: float
    tree_peak: int
    largest: int
    ok: bool


def quick_run(data: Path, workdir: Path, jobs: int) -> RunFigures:
    """``evofolio run --quick`` on ``data`` in a child process with a cold cache."""
    env = {**os.environ, "EVOFOLIO_CACHE_DIR": str(workdir / "cache")}
    command = [sys.executable, "-m", "evofolio", "run", "--quick", "--data", str(data)]
    command += ["--jobs", str(jobs), "--out", str(workdir / "run"), "--quiet"]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], _tree_rss(child.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        print(
            f"run --quick failed ({child.returncode}):\n{stderr.decode()[-2000:]}", file=sys.stderr
        )
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return RunFigures(seconds, peak[0], largest, child.returncode == 0)


def exponent(sizes: list[int], values: list[float], k: int) -> str:
    if k == 0 or not (values[k] > 0 and values[k - 1] > 0):
        return "-"
    return f"{math.log(values[k] / values[k - 1]) / math.log(sizes[k] / sizes[k - 1]):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 300, 500])
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--panel-only", action="store_true", help="skip run --quick")
    parser.add_argument(
        "--months", type=int, default=None, help="time the panel on this many months only"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile of the panel (stderr)")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        for n in sizes:
            path = Path(tmp) / f"universe_{n}.parquet"
            one_factor_prices(n, args.years, args.seed + n).to_parquet(path)
            prices = load_data(str(path)).prices
            if args.months is not None:
                prices = prices.iloc[: WINDOW + 1 + 21 * args.months]
            print(f"{n} assets x {len(prices)} days: classic panel...", file=sys.stderr)
            panel = panel_seconds(prices, args.jobs, args.profile)
            run = None
            if not args.panel_only:
                print(f"{n} assets: run --quick...", file=sys.stderr)
                run = quick_run(path, Path(tmp) / f"work_{n}", args.jobs)
            rows.append((n, len(prices), panel, run))
    panels = [r[2] for r in rows]
    runs = [r[3].seconds if r[3] else math.nan for r in rows]
    header = (
        f"{'assets':>6} {'days':>6} {'covariance':>11} {'panel s':>8} {'exp':>5} "
        f"{'run s':>8} {'exp':>5} {'peak RSS GiB':>12} {'largest GiB':>11} {'targets':>8}"
    )
    print(f"one-factor universes, {args.years} years, jobs {args.jobs}, seed {args.seed}")
    print(header)
    print("-" * len(header))
    for k, (n, days, panel, run) in enumerate(rows):
        cov = resolve_covariance("auto", n, WINDOW)
        if run is None:
            tail = f"{'-':>8} {'-':>5} {'-':>12} {'-':>11} {'-':>8}"
        else:
            met = run.ok and run.seconds <= 600 and run.tree_peak <= 4 * GIB
            verdict = ("met" if met else "missed") if n == 500 else ("-" if run.ok else "failed")
            tail = (
                f"{run.seconds:8.1f} {exponent(sizes, runs, k):>5} "
                f"{run.tree_peak / GIB:12.2f} {run.largest / GIB:11.2f} {verdict:>8}"
            )
        print(f"{n:6d} {days:6d} {cov:>11} {panel:8.1f} {exponent(sizes, panels, k):>5} {tail}")


if __name__ == "__main__":
    main()
