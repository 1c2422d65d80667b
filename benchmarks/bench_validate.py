"""``evofolio validate`` on sp500: wall time of ``--quick`` and of the default budget.

Targets (issue 13): the default ``validate`` on sp500 (development 1990-2017, outer test
periods 2005-2017) in at most 45 minutes on 2 cores, ``--quick`` in at most 5 minutes. Each
run goes to a fresh temporary directory (no resume); the times, the outer periods with their
budgets and the verdict are printed. Do not run it on a shared machine: it holds 2 cores.

Run: ``.venv/bin/python benchmarks/bench_validate.py [--skip-default] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import evofolio as ev


def timed(label: str, quick: bool, jobs: int | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = ev.validate(quick=quick, out=Path(folder) / "validate", jobs=jobs)
        minutes = (time.perf_counter() - started) / 60.0
    print(f"{label}: {minutes:.1f} min on sp500")
    for period in result.periods:
        budget = period["budget"]
        print(
            f"  {period['name']}: traded {period['trading'][0]} to {period['trading'][1]}, "
            f"{budget['population']} x {budget['generations']} genomes "
            f"(warm start {budget['warm_start_genomes']}), {period['family']}, Sharpe "
            f"{period['sharpe']['champion']:.2f} vs {period['benchmark']} "
            f"{period['sharpe'][period['benchmark']]:.2f}"
        )
    print(f"  verdict: {result.summary['verdict']['text']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-default", action="store_true", help="only --quick")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    args = parser.parse_args()
    timed("validate --quick", True, args.jobs)
    if not args.skip_default:
        timed("validate (default budget)", False, args.jobs)


if __name__ == "__main__":
    main()
