"""Does evolving pay? K seeded searches per sampler at one budget on sp500's development period.

For each sampler (``search.sampler``: nsga2, random, tpe) and each seed, one search of the
``default`` preset's settings (families, folds, epochs, compute budget) runs until it has
evaluated the budget; the script prints, per sampler, the median and the range over the seeds
of the best validation fitness found after n trials evaluated (n = 10, 20, 40, 80 by default,
pruned trials counted: they were evaluated) and the median wall time of a search. Validation
fitness only: the holdout is never read (the out-of-sample answer is
``evofolio validate --samplers nsga2,random``).

Run: ``.venv/bin/python benchmarks/bench_samplers.py [--seeds 3] [--checkpoints 10,20,40,80]
[--samplers nsga2,random,tpe] [--jobs 2] [--population 16]``. A budget of 80 trials per search
takes about as long as two ``make run`` searches; ``--checkpoints 2,4 --population 2
--epochs 1 --seeds 1`` is a quick check of the script.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evofolio.api.config import load_preset
from evofolio.config import RunConfig
from evofolio.data import MarketData, load_data
from evofolio.search.fitness import build_context, make_evaluator
from evofolio.search.plan import run_search


def best_after(trials: pd.DataFrame, checkpoints: list[int]) -> dict[int, float]:
    """The best fitness among the first n evaluated trials (complete or pruned), per n."""
    evaluated = trials[trials["state"].isin(["COMPLETE", "PRUNED"])].sort_values("number")
    fitness = pd.to_numeric(evaluated["fitness"], errors="coerce").to_numpy(dtype=float)
    best = np.fmax.accumulate(np.where(np.isfinite(fitness), fitness, -np.inf))
    return {n: float(best[n - 1]) if len(best) >= n else float("nan") for n in checkpoints}


def one_search(
    config: RunConfig, data: MarketData, sampler: str, seed: int, budget: int, jobs: int
) -> tuple[float, pd.DataFrame]:
    """One search of ``sampler`` with ``seed`` until ``budget`` trials completed (so at
    least ``budget`` evaluated); its wall time in seconds and its trials table."""
    search = config.search.model_copy(
        update={"sampler": sampler, "generations": -(-budget // config.search.population)}
    )
    run = config.model_copy(update={"search": search, "seed": seed})
    context = build_context(run, data)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_search(
            run, Path(tmp), functools.partial(make_evaluator, context, run), jobs=jobs
        )
        seconds = time.perf_counter() - started
        trials = pd.read_parquet(result.trials_path)
    return seconds, trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--checkpoints", default="10,20,40,80")
    parser.add_argument("--samplers", default="nsga2,random,tpe")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--population", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="(a quick check of the script)")
    args = parser.parse_args()
    checkpoints = sorted(int(n) for n in args.checkpoints.split(","))
    config = load_preset("default")
    if args.population is not None:
        search = config.search.model_copy(update={"population": args.population})
        config = config.model_copy(update={"search": search})
    if args.epochs is not None:
        training = config.training.model_copy(update={"epochs": args.epochs})
        config = config.model_copy(update={"training": training})
    data = load_data("sp500")
    print(
        f"sp500 development period, default preset, population {config.search.population}, "
        f"{args.seeds} seeds per sampler, budget {checkpoints[-1]} evaluated trials, "
        f"{args.jobs} jobs"
    )
    rows = []
    for sampler in args.samplers.split(","):
        bests: dict[int, list[float]] = {n: [] for n in checkpoints}
        times = []
        for seed in range(args.seeds):
            seconds, trials = one_search(config, data, sampler, seed, checkpoints[-1], args.jobs)
            after = best_after(trials, checkpoints)
            for n, value in after.items():
                bests[n].append(value)
            times.append(seconds)
            shown = ", ".join(f"{n}: {v:.3f}" for n, v in after.items())
            print(f"{sampler} seed {seed}: {seconds / 60:.1f} min; best after {shown}")
        for n in checkpoints:
            values = [v for v in bests[n] if np.isfinite(v)]
            rows.append(
                {
                    "sampler": sampler,
                    "trials": n,
                    "median best": statistics.median(values) if values else float("nan"),
                    "min": min(values, default=float("nan")),
                    "max": max(values, default=float("nan")),
                    "median minutes": statistics.median(times) / 60,
                }
            )
    table = pd.DataFrame(rows)
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
