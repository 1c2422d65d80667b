"""The optimiser rules' cost per decision at large N, under each solver setting.

For every classic rule that solves a convex program (and HRP, for scale), fits the rule on
one seeded one-factor window (``--window`` days x ``--assets`` assets, Ledoit-Wolf
covariance, as ``strategies.covariance = "auto"`` picks at that size) under three settings:

* ``skfolio``: skfolio's own Clarabel settings (gap tolerance 1e-9, ``qdldl``), what evofolio
  uses up to ``LARGE_UNIVERSE`` assets;
* ``tol``: the gap tolerance ``LARGE_TOLERANCE`` alone;
* ``evofolio``: :func:`evofolio.strategies.weights.solver_params` above ``LARGE_UNIVERSE``
  (the tolerance and ``LARGE_SOLVER``, the single-threaded ``faer`` factorisation).

It prints the process CPU seconds per fit (median of ``--repeat``) and the largest weight
difference from a 1e-10 solve. CPU time, not wall time: the rules run one process per core,
so CPU seconds per decision is what bounds a panel's wall time. Run with
``OMP_NUM_THREADS=1`` on an otherwise idle machine:

``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_solver.py --assets 500``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from evofolio.strategies import STRATEGIES
from evofolio.strategies.covariance import prior_for
from evofolio.strategies.weights import LARGE_TOLERANCE, solver_params

RULES = ("min_variance", "max_sharpe", "risk_parity", "max_diversification", "hrp")


def window(n_days: int, n_assets: int, seed: int = 0) -> np.ndarray:
    """``(n_days, n_assets)`` daily returns: ``beta_i * market + noise_i``."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, (n_days, 1))
    betas = rng.uniform(0.5, 1.5, (1, n_assets))
    noise = rng.normal(0.0, 1.0, (n_days, n_assets)) * rng.uniform(0.01, 0.03, (1, n_assets))
    return market @ betas + noise


def fit(name: str, returns: np.ndarray, params: dict[str, Any] | None) -> tuple[float, Any]:
    estimator = STRATEGIES[name].make()
    estimator.set_params(prior_estimator=prior_for("ledoit_wolf"))
    if params is not None and "solver_params" in estimator.get_params():
        estimator.set_params(solver_params=params)
    started = time.process_time()
    estimator.fit(returns)
    return time.process_time() - started, np.asarray(estimator.weights_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--window", type=int, default=252)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    returns = window(args.window, args.assets)
    settings = {
        "skfolio": None,
        "tol": {"tol_gap_abs": LARGE_TOLERANCE, "tol_gap_rel": LARGE_TOLERANCE},
        "evofolio": solver_params(args.assets),
    }
    print(f"{args.assets} assets x {args.window} days, CPU s per fit (median of {args.repeat})")
    print(f"{'rule':<22}" + "".join(f"{name:>12}" for name in settings) + "   max |w - w*|")
    totals = dict.fromkeys(settings, 0.0)
    for rule in RULES:
        strict = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}
        _, reference = fit(rule, returns, strict)
        cells, gaps = [], []
        for name, params in settings.items():
            times = []
            for _ in range(args.repeat):
                seconds, weights = fit(rule, returns, params)
                times.append(seconds)
            median = statistics.median(times)
            totals[name] += median
            cells.append(f"{median:12.3f}")
            gaps.append(f"{np.abs(weights - reference).max():.1e}")
        print(f"{rule:<22}" + "".join(cells) + "   " + " / ".join(gaps))
    print(f"{'a date, all rules':<22}" + "".join(f"{totals[n]:12.3f}" for n in settings))


if __name__ == "__main__":
    main()
