"""Throughput of the genetic search on sp500: genomes per hour with 1 and 2 jobs, and the
wall time of the default search (population 16 x 8 generations, both families, 3 folds).

Run: ``.venv/bin/python benchmarks/bench_search.py [--genomes 16] [--full]``. The strategy
panel is built (or read from the cache) before timing. Each measurement uses a fresh run
directory and the same seed, so 1 and 2 jobs evaluate the same kind of genomes.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from pathlib import Path

from evofolio.config import RunConfig, parse_config
from evofolio.data import load_data
from evofolio.search.fitness import build_context, make_evaluator
from evofolio.search.study import run_search


def timed_search(config: RunConfig, jobs: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_search(config, Path(tmp), functools.partial(make_evaluator, config), jobs=jobs)
        seconds = time.perf_counter() - started
    return seconds, result.counts.evaluated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--genomes", type=int, default=16, help="completed genomes per run")
    parser.add_argument("--full", action="store_true", help="also time the default search")
    args = parser.parse_args()
    base = RunConfig()
    build_context(base, load_data("sp500"))  # warm the strategy-panel cache
    rates = {}
    for jobs in (1, 2):
        config = parse_config({"search": {"population": args.genomes, "generations": 1}})
        seconds, evaluated = timed_search(config, jobs)
        rates[jobs] = evaluated / seconds * 3600
        print(
            f"jobs={jobs}: {evaluated} genomes evaluated in {seconds:.0f} s "
            f"= {rates[jobs]:.0f} genomes/hour"
        )
    print(f"speed-up with 2 jobs: {rates[2] / rates[1]:.2f}x (target >= 1.8x)")
    if args.full:
        seconds, evaluated = timed_search(base, jobs=2)
        print(
            f"default search (16 x 8, both families, 3 folds, 2 jobs): {seconds / 60:.1f} min, "
            f"{evaluated} genomes evaluated (target <= 30 min)"
        )


if __name__ == "__main__":
    main()
