"""``evofolio run --quick`` as a user meets it: wall time, peak memory and trial counts on a
user-sized universe (15 synthetic assets x 8 years of business days) and on sp500 (20
assets, 1990-2022).

Issue 23: the quick figures written in the README and ``--help`` must be measured, on a
user-sized universe as well as sp500. Each run is the command line itself (a fresh process,
``/usr/bin/time -v`` for the peak resident memory) in a fresh temporary run directory; the
classic panel cache is the environment's (``EVOFOLIO_CACHE_DIR``): run once to warm it when
the figure should exclude the panel, or point it at an empty folder to include it. Do not
run it beside other work if the times are to be quoted as on an idle machine.

Run: ``.venv/bin/python benchmarks/bench_quick.py [--only user|sp500] [--jobs N]``
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def user_universe(path: Path, assets: int = 15, years: int = 8, seed: int = 15) -> Path:
    """Geometric Brownian motions with a common factor (about 0.3 correlation), 8 % drift and
    25 % volatility a year, written as a wide CSV."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=252 * years, name="date")
    common = rng.normal(0.0, 0.009, (len(dates), 1))
    own = rng.normal(0.0003, 0.013, (len(dates), assets))
    prices = 100.0 * np.exp(np.cumsum(common + own, axis=0))
    frame = pd.DataFrame(prices, index=dates, columns=[f"U{i:02d}" for i in range(assets)])
    frame.to_csv(path)
    return path


def timed_run(label: str, data: str, jobs: int | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        command = [
            sys.executable,
            "-m",
            "evofolio",
            "run",
            "--quick",
            "--data",
            data,
            "-o",
            str(out),
        ]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            print(f"{label}: failed ({done.returncode}): {done.stderr.strip().splitlines()[-1]}")
            return
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        trials = pd.read_parquet(out / "trials.parquet")
        states = trials["state"].value_counts().to_dict()
        metrics = json.loads((out / "champion" / "metrics.json").read_text())
    minutes, secs = divmod(round(seconds), 60)
    memory = f"{int(peak.group(1)) / 1024**2:.1f} GB" if peak else "?"
    print(
        f"{label}: {minutes} min {secs:02d} s, peak resident {memory}; trials {dict(states)}; "
        f"verdict: {metrics['verdict']['text']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["user", "sp500"], default=None)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "user"):
            path = user_universe(Path(folder) / "prices.csv")
            timed_run("run --quick, 15 assets x 8 years", str(path), args.jobs)
        if args.only in (None, "sp500"):
            timed_run("run --quick, sp500", "sp500", args.jobs)


if __name__ == "__main__":
    main()
