"""Throughput of the genetic search on sp500: genomes per hour with 1 and 2 jobs, and the
wall time of the default search (population 16 x 8 generations, both families, 3 folds).

Run: ``.venv/bin/python benchmarks/bench_search.py [--genomes 16] [--full]``. With
``--postgres postgresql://user:pw@host/db`` it instead times 2 jobs against that server and
against SQLite (same seed, same budget; a fresh study each) and prints them side by side
(``--epochs 1`` for a quick check of the mode). The strategy
panel is built (or read from the cache) before timing. Each measurement uses a fresh run
directory and the same seed, so 1 and 2 jobs evaluate the same kind of genomes.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
import uuid
from pathlib import Path

from evofolio.config import RunConfig, parse_config
from evofolio.data import MarketData, load_data
from evofolio.search.fitness import build_context, make_evaluator
from evofolio.search.plan import run_search


def timed_search(
    config: RunConfig, data: MarketData, jobs: int, storage_url: str | None = None
) -> tuple[float, int]:
    context = build_context(config, data)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        evaluator = functools.partial(make_evaluator, context, config)
        study = f"bench-{uuid.uuid4().hex[:8]}" if storage_url else None
        result = run_search(
            config, Path(tmp), evaluator, jobs=jobs, storage_url=storage_url, study_name=study
        )
        seconds = time.perf_counter() - started
    return seconds, result.counts.evaluated


def compare_storages(url: str, genomes: int, epochs: int | None, data: MarketData) -> None:
    """Genomes per hour with 2 jobs: SQLite in the run directory vs the PostgreSQL ``url``."""
    values: dict[str, object] = {"search": {"population": genomes, "generations": 1}}
    if epochs is not None:
        values["training"] = {"epochs": epochs}
    config = parse_config(values)
    rates = {}
    for label, storage in (("SQLite", None), ("PostgreSQL", url)):
        seconds, evaluated = timed_search(config, data, 2, storage)
        rates[label] = evaluated / seconds * 3600
        print(f"{label}, 2 jobs: {evaluated} genomes in {seconds:.0f} s")
    print(f"{'storage':<12}{'genomes/hour':>14}")
    for label, rate in rates.items():
        print(f"{label:<12}{rate:>14.0f}")
    print(f"PostgreSQL / SQLite: {rates['PostgreSQL'] / rates['SQLite']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--genomes", type=int, default=16, help="completed genomes per run")
    parser.add_argument("--full", action="store_true", help="also time the default search")
    parser.add_argument("--postgres", help="a PostgreSQL URL: time 2 jobs there vs SQLite")
    parser.add_argument("--epochs", type=int, help="epochs per fit (default: the config's)")
    args = parser.parse_args()
    base = RunConfig()
    data = load_data("sp500")
    build_context(base, data)  # warm the strategy-panel cache
    if args.postgres:
        compare_storages(args.postgres, args.genomes, args.epochs, data)
        return
    rates = {}
    runs = [
        ("1 job, 1 torch thread", 1, 1),
        ("1 job, 2 torch threads", 1, None),
        ("2 jobs, 1 torch thread each", 2, None),
    ]
    for label, jobs, threads in runs:
        config = parse_config(
            {
                "search": {"population": args.genomes, "generations": 1},
                "training": {"threads": threads},
            }
        )
        seconds, evaluated = timed_search(config, data, jobs)
        rates[label] = evaluated / seconds * 3600
        print(f"{label}: {evaluated} genomes in {seconds:.0f} s = {rates[label]:.0f} genomes/hour")
    single, one, two = (rates[label] for label, _, _ in runs)
    print(
        f"speed-up with 2 jobs: {two / one:.2f}x over 1 job (target >= 1.8x), "
        f"{two / single:.2f}x over a single-threaded job"
    )
    if args.full:
        seconds, evaluated = timed_search(base, data, jobs=2)
        print(
            f"default search (16 x 8, both families, 3 folds, 2 jobs): {seconds / 60:.1f} min, "
            f"{evaluated} genomes evaluated (target <= 30 min)"
        )


if __name__ == "__main__":
    main()
