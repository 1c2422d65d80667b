"""Seed robustness of the champion: its genome's validation and holdout Sharpe per seed.

The search trained every genome with the run's seed. After the search the champion's genome
is refitted with ``champion.seeds`` seeds; this module measures how much the result moves
with the seed, on the validation folds (each seed walked forward like a trial) and on the
holdout (each member of the seed ensemble alone).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from evofolio.backtesting import BacktestResult
from evofolio.compute import threads_per_process
from evofolio.config import RunConfig
from evofolio.heartbeat import heartbeat
from evofolio.metrics import sharpe_ratio
from evofolio.search.fitness import SearchContext, evaluate

__all__ = ["seed_spread", "seed_validation_sharpes"]

logger = logging.getLogger(__name__)


def seed_validation_sharpes(
    config: RunConfig,
    context: SearchContext,
    seeds: Sequence[int],
    searched: pd.Series | None = None,
    jobs: int = 1,
) -> dict[int, float]:
    """Annualised Sharpe ratio of the validation returns of ``config``'s genome per seed.

    ``searched`` are the validation returns the search computed for ``config.seed`` (reused,
    not recomputed); every other seed is walked forward over the search's folds as a trial
    would be, in ``jobs`` worker processes. A seed whose training fails gets nan, with a
    warning.
    """
    out: dict[int, float] = {}
    todo = []
    for seed in seeds:
        if seed == config.seed and searched is not None:
            out[seed] = sharpe_ratio(searched.to_numpy(dtype=np.float64))
        else:
            todo.append(seed)
    jobs = max(1, min(jobs, len(todo)))
    threads = threads_per_process(jobs)
    runs = [config.model_copy(update={"seed": seed}) for seed in todo]
    if jobs > 1:
        runs = [_with_threads(run, threads) for run in runs]
        sharpes: Iterable[float] = Parallel(n_jobs=jobs, backend="loky", return_as="generator")(
            delayed(_validation_sharpe)(run, context) for run in runs
        )
    else:
        sharpes = (_validation_sharpe(run, context) for run in runs)
    started = time.perf_counter()
    walked: list[str] = []

    def log() -> None:
        logger.info(
            "champion seeds walked forward over the validation folds: %d of %d%s, %.0f s elapsed",
            len(walked),
            len(todo),
            f" ({'; '.join(walked)})" if walked else "",
            time.perf_counter() - started,
        )

    with heartbeat(log):
        for seed, sharpe in zip(todo, sharpes, strict=True):  # in seed order
            out[seed] = sharpe
            walked.append(f"seed {seed}: Sharpe {sharpe:.2f}")
            log()
    return {seed: out[seed] for seed in seeds}


def _with_threads(config: RunConfig, threads: int) -> RunConfig:
    training = config.training.model_copy(update={"threads": threads})
    return config.model_copy(update={"training": training})


def _validation_sharpe(config: RunConfig, context: SearchContext) -> float:
    try:
        result = evaluate(config, context)
    except Exception as error:  # a failed fit is a data point, as in the search
        logger.warning("champion genome with seed %d failed on validation: %s", config.seed, error)
        return float("nan")
    return sharpe_ratio(result.returns.to_numpy(dtype=np.float64))


def _spread(values: Mapping[int, float]) -> dict[str, Any]:
    finite = [v for v in values.values() if np.isfinite(v)]
    return {
        "by_seed": {str(k): (v if np.isfinite(v) else None) for k, v in values.items()},
        "min": min(finite) if finite else None,
        "median": statistics.median(finite) if finite else None,
        "max": max(finite) if finite else None,
    }


def seed_spread(
    validation: Mapping[int, float],
    holdout_members: Mapping[int, BacktestResult],
    ensemble: BacktestResult,
) -> dict[str, Any]:
    """JSON-ready: per-seed validation and holdout Sharpe (min, median, max) next to the
    seed ensemble's holdout Sharpe."""
    holdout = {
        seed: sharpe_ratio(r.net.to_numpy(dtype=np.float64)) for seed, r in holdout_members.items()
    }
    ensemble_sharpe = sharpe_ratio(ensemble.net.to_numpy(dtype=np.float64))
    return {
        "seeds": [int(s) for s in holdout_members],
        "validation_sharpe": _spread(validation),
        "holdout_sharpe": _spread(holdout),
        "ensemble_holdout_sharpe": ensemble_sharpe if np.isfinite(ensemble_sharpe) else None,
    }
