"""The classic rules' cost per decision at large N, under each setting evofolio adds.

For every classic rule that solves a convex program, and HRP, fits the rule on ``--seeds``
seeded one-factor windows (``--window`` days x ``--assets`` assets, Ledoit-Wolf covariance,
as ``strategies.covariance = "auto"`` picks at that size) under four settings, each adding to
the one before:

* ``skfolio``: skfolio's own defaults (Clarabel's gap tolerance 1e-9 with ``qdldl``, weight
  caps of 1, HRP's optimal leaf ordering), what evofolio uses up to ``LARGE_UNIVERSE`` assets;
* ``tol``: the gap tolerance ``LARGE_TOLERANCE``;
* ``+faer``: :func:`evofolio.strategies.weights.solver_params` (the tolerance and
  ``LARGE_SOLVER``, the single-threaded ``faer`` factorisation);
* ``evofolio``: :func:`evofolio.strategies.weights.large_universe_params`, what evofolio
  uses above ``LARGE_UNIVERSE`` (also no redundant ``max_weights`` cap, HRP's tree order).

It prints the process CPU seconds per fit (the median of ``--repeat`` fits, averaged over the
windows) and the largest weight difference from a 1e-10 solve under skfolio's defaults. CPU
time, not wall time: the rules run one process per core, so CPU seconds per decision is what
bounds a panel's wall time. Run with ``OMP_NUM_THREADS=1`` on an otherwise idle machine:

``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_solver.py --assets 500``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from evofolio.strategies import STRATEGIES
from evofolio.strategies.covariance import prior_for
from evofolio.strategies.weights import LARGE_TOLERANCE, large_universe_params, solver_params

RULES = ("min_variance", "max_sharpe", "risk_parity", "max_diversification", "hrp")


def window(n_days: int, n_assets: int, seed: int = 0) -> np.ndarray:
    """``(n_days, n_assets)`` daily returns: ``beta_i * market + noise_i``."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, (n_days, 1))
    betas = rng.uniform(0.5, 1.5, (1, n_assets))
    noise = rng.normal(0.0, 1.0, (n_days, n_assets)) * rng.uniform(0.01, 0.03, (1, n_assets))
    return market @ betas + noise


Settings = Callable[[Any, int], dict[str, Any]]


def fit(name: str, returns: np.ndarray, settings: Settings) -> tuple[float, Any]:
    estimator = STRATEGIES[name].make()
    estimator.set_params(prior_estimator=prior_for("ledoit_wolf"))
    estimator.set_params(**settings(estimator, returns.shape[1]))
    started = time.process_time()
    estimator.fit(returns)
    return time.process_time() - started, np.asarray(estimator.weights_)


def solver(params: dict[str, Any] | None) -> Settings:
    """Settings giving a convex rule ``solver_params=params``; nothing for HRP."""

    def settings(estimator: Any, n_assets: int) -> dict[str, Any]:
        has = "solver_params" in estimator.get_params(deep=False)
        return {"solver_params": params} if has and params is not None else {}

    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--window", type=int, default=252)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    windows = [window(args.window, args.assets, seed) for seed in range(args.seeds)]
    settings: dict[str, Settings] = {
        "skfolio": solver(None),
        "tol": solver({"tol_gap_abs": LARGE_TOLERANCE, "tol_gap_rel": LARGE_TOLERANCE}),
        "+faer": solver(solver_params(args.assets)),
        "evofolio": large_universe_params,
    }
    print(
        f"{args.assets} assets x {args.window} days, CPU s per fit (median of {args.repeat}, "
        f"mean over {args.seeds} windows)"
    )
    print(f"{'rule':<22}" + "".join(f"{name:>10}" for name in settings) + "   max |w - w*|")
    totals = dict.fromkeys(settings, 0.0)
    strict = solver({"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10})
    for rule in RULES:
        references = [fit(rule, returns, strict)[1] for returns in windows]
        cells, gaps = [], []
        for name, chosen in settings.items():
            seconds, gap = [], 0.0
            for returns, reference in zip(windows, references, strict=True):
                times = []
                for _ in range(args.repeat):
                    elapsed, weights = fit(rule, returns, chosen)
                    times.append(elapsed)
                seconds.append(statistics.median(times))
                gap = max(gap, float(np.abs(weights - reference).max()))
            mean = statistics.fmean(seconds)
            totals[name] += mean
            cells.append(f"{mean:10.3f}")
            gaps.append(f"{gap:.1e}")
        print(f"{rule:<22}" + "".join(cells) + "   " + " / ".join(gaps))
    print(f"{'a date, all rules':<22}" + "".join(f"{totals[n]:10.3f}" for n in settings))


if __name__ == "__main__":
    main()
