"""Large universes: the classic panel and ``evofolio run --quick`` at 50 to 500 assets.

For each size, a seeded one-factor universe (daily returns ``beta_i · market + noise_i``,
betas in [0.5, 1.5], idiosyncratic volatility 1-3% a day) of ``--years`` years of business
days is written as a wide parquet file to a temporary directory and loaded through the normal
data path (:func:`evofolio.load_data`). Then, for that size:

* **panel s**: the classic strategies' panel exactly as ``run --quick``'s search asks for it
  (Model 2's input: every rule, refit monthly on its 252-day window, over the development
  period) built from a cold cache with ``--jobs`` processes, into the cache directory the run
  then uses;
* **run s** and **peak RSS**: ``evofolio run --quick`` in a child process that finds that panel
  in its cache (as a second run on the same data would) and computes everything else: the
  search, the champion's refit, the holdout's classic baselines (weekly decisions in the
  ``quick`` budget) and the report. A cold ``run --quick`` takes about **panel s + run s**
  (the ``cold total`` column). Memory is sampled from /proc every 0.25 s over the child and
  all its descendants: **peak PSS** (proportional set size: each shared page, e.g. torch's
  libraries mapped by every worker, divided among the processes that map it; the target's
  measure), peak RSS (the plain sum, shared pages counted once per process) and
  ``getrusage(RUSAGE_CHILDREN)``'s largest single process. With ``--logs DIR`` each run's
  progress (stderr, each line stamped with the seconds since the start) is kept in
  ``DIR/run_N_REBALANCE.log``.

The exponent columns give the growth between consecutive sizes, ``log(t2/t1) / log(n2/n1)``.
Targets on a 2-core machine: 500 assets x 20 years ``run --quick`` <= 10 min and <= 4 GiB.

Run: ``.venv/bin/python benchmarks/bench_scale.py --sizes 50 100 300 500 --jobs 2`` (add
``--rebalance weekly monthly`` for a second ``run`` per size with the quick budget traded
monthly, ``--logs DIR`` to keep each run's timed progress)
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
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio import MarketData, load_data, load_preset
from evofolio.allocators.classic_compute import classic_compute, clear_memo
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.backtesting import TradingRules
from evofolio.search.fitness import build_context
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


def panel_seconds(
    data: MarketData, jobs: int, profile: bool, cache: Path | None, months: int | None
) -> float:
    """Wall seconds of the classic panel from a cold cache (and no remembered decision).

    Without ``months``: the panel ``run --quick``'s search builds (its development period, its
    settings), written to ``cache``. With ``months``: every rule monthly over the first
    ``months`` months after the window (profiling), not cached.
    """
    clear_memo()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    with classic_compute(jobs=jobs):
        if profiler is not None:
            profiler.enable()
        if months is None:
            os.environ["EVOFOLIO_CACHE_DIR"] = str(cache)
            try:
                build_context(load_preset("quick"), data)
            finally:
                del os.environ["EVOFOLIO_CACHE_DIR"]
        else:
            prices = data.prices.iloc[: WINDOW + 1 + 21 * months]
            rules = TradingRules("monthly")
            build_strategy_panel(prices, list(STRATEGIES), window=WINDOW, rules=rules)
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(18)
        print(text.getvalue(), file=sys.stderr)
    return seconds


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes: its resident pages, each shared page
    divided among the processes that map it (Linux ``smaps_rollup``); 0 if unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _role(pid: int, root: int) -> str:
    """What a process of the run's tree is, from its command line."""
    if pid == root:
        return "run"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    if "loky" in command and "resource_tracker" not in command:
        return "joblib worker"
    if "resource_tracker" in command:
        return "resource tracker"
    if "multiprocessing" in command:
        return "search worker"
    return command.split(" ")[0].rsplit("/", 1)[-1] or "?"


def _tree_memory(root: int) -> tuple[int, int, list[tuple[str, int]]]:
    """Bytes resident in ``root`` and all its descendants (Linux /proc): the sum of their RSS
    (shared pages, e.g. torch's libraries, counted once per process), the sum of their PSS,
    and each process's role and PSS."""
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
    parts = [(_role(pid, root), _pss(pid)) for pid in sorted(tree)]
    return sum(rss.get(pid, 0) for pid in tree), sum(pss for _, pss in parts), parts


@dataclass
class RunFigures:
    seconds: float
    tree_peak: int
    pss_peak: int
    largest: int
    ok: bool
    peak_at: float = 0.0
    peak_parts: tuple[tuple[str, int], ...] = ()


def quick_config(rebalance: str, folder: Path) -> list[str]:
    """The arguments that select the ``quick`` budget traded at ``rebalance``: ``--quick`` for
    its own (weekly), else a copy of the preset with only ``backtest.rebalance`` changed."""
    text = (resources.files("evofolio.presets") / "quick.toml").read_text()
    own = 'rebalance = "weekly"'
    if rebalance == "weekly":
        return ["--quick"]
    if own not in text:
        raise SystemExit(f"the quick preset no longer says {own}: update {__file__}")
    path = folder / f"quick_{rebalance}.toml"
    path.write_text(text.replace(own, f'rebalance = "{rebalance}"'))
    return ["--config", str(path)]


def quick_run(
    data: Path, workdir: Path, jobs: int, log: Path | None, rebalance: str = "weekly"
) -> RunFigures:
    """``evofolio run --quick`` (traded at ``rebalance``) on ``data`` in a child process, cache
    in ``workdir/cache``; its stderr, each line stamped with the seconds since the start, goes
    to ``log``."""
    env = {**os.environ, "EVOFOLIO_CACHE_DIR": str(workdir / "cache")}
    command = [sys.executable, "-m", "evofolio", "run", *quick_config(rebalance, workdir)]
    command += [
        "--data",
        str(data),
        "--jobs",
        str(jobs),
        "--out",
        str(workdir / f"run_{rebalance}"),
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = [0, 0]
    at_peak: list[tuple[float, list[tuple[str, int]]]] = [(0.0, [])]
    lines: list[str] = []

    def sample() -> None:
        while child.poll() is None:
            rss, pss, parts = _tree_memory(child.pid)
            peak[0] = max(peak[0], rss)
            if pss > peak[1]:
                peak[1] = pss
                at_peak[0] = (time.perf_counter() - started, parts)
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stderr is not None
    for line in child.stderr:
        lines.append(f"[{time.perf_counter() - started:7.1f}s] {line.rstrip()}")
    child.wait()
    sampler.join()
    seconds = time.perf_counter() - started
    if log is not None:
        log.write_text("\n".join(lines) + "\n")
    if child.returncode != 0:
        tail = "\n".join(lines[-30:])
        print(f"run --quick failed ({child.returncode}):\n{tail}", file=sys.stderr)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    return RunFigures(
        seconds,
        peak[0],
        peak[1],
        largest,
        child.returncode == 0,
        at_peak[0][0],
        tuple(at_peak[0][1]),
    )


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
    parser.add_argument("--logs", type=Path, default=None, help="keep each run's stderr here")
    parser.add_argument(
        "--rebalance",
        nargs="+",
        default=["weekly"],
        choices=["daily", "weekly", "monthly"],
        help="run --quick once per choice (weekly: the preset's own; monthly: the holdout's "
        "classic decisions fall on the panel's monthly dates)",
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    rows: list[tuple[int, int, float, str, RunFigures | None]] = []
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        for n in sizes:
            path = Path(tmp) / f"universe_{n}.parquet"
            one_factor_prices(n, args.years, args.seed + n).to_parquet(path)
            data = load_data(str(path))
            work = Path(tmp) / f"work_{n}"
            print(f"{n} assets x {len(data.prices)} days: classic panel...", file=sys.stderr)
            panel = panel_seconds(data, args.jobs, args.profile, work / "cache", args.months)
            if args.panel_only or args.months is not None:
                rows.append((n, len(data.prices), panel, "-", None))
                continue
            for rebalance in args.rebalance:
                print(f"{n} assets: run --quick, {rebalance}...", file=sys.stderr)
                log = None
                if args.logs is not None:
                    args.logs.mkdir(parents=True, exist_ok=True)
                    log = args.logs / f"run_{n}_{rebalance}.log"
                figures = quick_run(path, work, args.jobs, log, rebalance)
                rows.append((n, len(data.prices), panel, rebalance, figures))
    header = (
        f"{'assets':>6} {'days':>6} {'covariance':>11} {'panel s':>8} {'exp':>5} "
        f"{'rebalance':>9} {'run s':>8} {'exp':>5} {'cold total':>10} {'peak PSS GiB':>12} "
        f"{'peak RSS GiB':>12} {'largest GiB':>11} {'targets':>8}"
    )
    print(f"one-factor universes, {args.years} years, jobs {args.jobs}, seed {args.seed}")
    print(header)
    print("-" * len(header))
    panel_of = {n: panel for n, _, panel, _, _ in rows}
    panel_sizes = sorted(panel_of)
    for n, days, panel, rebalance, run in rows:
        cov = resolve_covariance("auto", n, WINDOW)
        k = panel_sizes.index(n)
        head = (
            f"{n:6d} {days:6d} {cov:>11} {panel:8.1f} "
            f"{exponent(panel_sizes, [panel_of[m] for m in panel_sizes], k):>5} {rebalance:>9}"
        )
        if run is None:
            print(f"{head} {'-':>8} {'-':>5} {'-':>10} {'-':>12} {'-':>12} {'-':>11} {'-':>8}")
            continue
        same = [(m, r.seconds) for m, _, _, b, r in rows if b == rebalance and r is not None]
        sizes_here = [m for m, _ in same]
        seconds_here = [seconds for _, seconds in same]
        total = panel + run.seconds
        met = run.ok and total <= 600 and run.pss_peak <= 4 * GIB
        verdict = ("met" if met else "missed") if n == 500 else ("-" if run.ok else "failed")
        print(
            f"{head} {run.seconds:8.1f} "
            f"{exponent(sizes_here, seconds_here, sizes_here.index(n)):>5} {total:10.1f} "
            f"{run.pss_peak / GIB:12.2f} {run.tree_peak / GIB:12.2f} {run.largest / GIB:11.2f} "
            f"{verdict:>8}"
        )
    print("\nat each run's peak PSS (seconds into the run: each process's PSS, GiB)")
    for n, _, _, rebalance, run in rows:
        if run is not None and run.peak_parts:
            parts = ", ".join(f"{role} {pss / GIB:.2f}" for role, pss in run.peak_parts)
            print(f"{n:6d} {rebalance:>9} at {run.peak_at:6.1f} s: {parts}")


if __name__ == "__main__":
    main()
