"""The verdict: is the champion better than the classic rules, out of sample, after costs?

Three parts, all computed from what the holdout backtest already produced:

* **Holdout tests** (:func:`holdout_tests`): for the champion against every classic rule and
  their equal blend, the Sharpe-ratio difference with its confidence interval and p-value
  (Ledoit & Wolf 2008, studentised circular block bootstrap), Holm-adjusted across the
  baselines; a stationary-bootstrap confidence interval of each portfolio's Sharpe ratio
  (Politis & Romano 1994); the minimum track record length the champion would need to beat
  the benchmark (Bailey & López de Prado 2012).
* **Costs** (:func:`cost_sensitivity`): the holdout replayed with the same decisions at other
  costs, and the break-even cost at which the champion's net Sharpe falls to another
  portfolio's.
* **The sentence** (:func:`verdict`): the headline, from the benchmark-relative deflated
  Sharpe ratio of the search and the holdout test against the benchmark, never from a
  statistic against zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evofolio.backtesting import BacktestResult
from evofolio.config import EvaluationConfig
from evofolio.metrics import (
    holm_adjust,
    min_track_record_from_returns,
    sharpe_confidence_interval,
    sharpe_difference_test,
    sharpe_ratio,
)
from evofolio.search.evaluation.champion import SearchStatistics

__all__ = [
    "MAX_BREAK_EVEN_BPS",
    "break_even_cost",
    "cost_sensitivity",
    "holdout_tests",
    "net_at_cost",
    "verdict",
]

MAX_BREAK_EVEN_BPS = 100.0
CHAMPION = "champion"


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def holdout_tests(
    results: Mapping[str, BacktestResult],
    benchmark: str,
    evaluation: EvaluationConfig,
    seed: int = 0,
) -> dict[str, Any]:
    """The champion's holdout net returns tested against every other portfolio's.

    ``results`` holds ``"champion"`` and the baselines, all over the same holdout dates.
    Returns a JSON-ready mapping: ``differences`` (one row per baseline: Sharpe ratios,
    annualised difference, confidence interval, p-value, Holm-adjusted p-value),
    ``intervals`` (each portfolio's Sharpe ratio and bootstrap interval) and
    ``min_track_record`` (of the champion's returns minus the benchmark's, at
    ``1 - evaluation.significance``). Seeded by ``seed``: the same inputs give the same numbers.
    """
    alpha = 1.0 - evaluation.confidence
    champion = results[CHAMPION].net
    rows = []
    for name, result in results.items():
        if name == CHAMPION:
            continue
        a, b = champion.align(result.net, join="inner")
        test = sharpe_difference_test(
            a.to_numpy(), b.to_numpy(), alpha=alpha, n_boot=evaluation.n_boot, seed=seed
        )
        rows.append(
            {
                "baseline": name,
                "sharpe_champion": _finite(sharpe_ratio(a.to_numpy())),
                "sharpe_baseline": _finite(sharpe_ratio(b.to_numpy())),
                "difference": _finite(test.difference),
                "ci_low": _finite(test.ci_low),
                "ci_high": _finite(test.ci_high),
                "p_value": _finite(test.p_value),
                "block_length": _finite(test.block_length),
            }
        )
    adjusted = holm_adjust(
        np.array([np.nan if r["p_value"] is None else r["p_value"] for r in rows])
    )
    for row, p in zip(rows, adjusted, strict=True):
        row["p_holm"] = _finite(float(p))
    intervals = {}
    for name, result in results.items():
        ci = sharpe_confidence_interval(
            result.net.to_numpy(), alpha=alpha, n_boot=evaluation.n_boot, seed=seed
        )
        intervals[name] = {
            "sharpe": _finite(ci.sharpe),
            "low": _finite(ci.low),
            "high": _finite(ci.high),
            "block_length": _finite(ci.block_length),
        }
    active = champion.sub(results[benchmark].net, fill_value=np.nan).dropna()
    mintrl = min_track_record_from_returns(active.to_numpy(), alpha=evaluation.significance)
    return {
        "confidence": evaluation.confidence,
        "n_boot": evaluation.n_boot,
        "benchmark": benchmark,
        "differences": rows,
        "intervals": intervals,
        "min_track_record": {
            "against": benchmark,
            "level": 1.0 - evaluation.significance,
            "observations": _finite(mintrl.observations),
            "years": _finite(mintrl.years),
            "available_observations": int(active.size),
        },
    }


def net_at_cost(result: BacktestResult, cost_bps: float) -> pd.Series:
    """Net returns of the same decisions traded at ``cost_bps`` (basis points of the traded
    amount): gross returns minus turnover times the cost, realised on the next date, as in
    :func:`evofolio.backtesting.simulate` (the trades do not depend on the cost)."""
    return (result.gross - result.turnover * cost_bps * 1e-4).rename("net")


def _sharpe_at(result: BacktestResult, cost_bps: float) -> float:
    return sharpe_ratio(net_at_cost(result, cost_bps).to_numpy(dtype=np.float64))


def break_even_cost(
    champion: BacktestResult, other: BacktestResult, max_bps: float = MAX_BREAK_EVEN_BPS
) -> float | None:
    """The cost (bps) at which the champion's net Sharpe falls to ``other``'s.

    None when there is no crossing in ``[0, max_bps]``: the champion is already at or below
    ``other`` at zero cost, or still above it at ``max_bps``. Found on a 1 bp grid, then
    refined by bisection to 0.01 bp.
    """

    def gap(cost: float) -> float:
        return _sharpe_at(champion, cost) - _sharpe_at(other, cost)

    if not gap(0.0) > 0.0:
        return None
    grid = np.arange(1.0, max_bps + 1.0, 1.0)
    low = 0.0
    for high in grid:
        if not gap(float(high)) > 0.0:
            break
        low = float(high)
    else:
        return None
    high = low + 1.0
    while high - low > 0.01:
        middle = (low + high) / 2.0
        low, high = (middle, high) if gap(middle) > 0.0 else (low, middle)
    return round((low + high) / 2.0, 2)


def cost_sensitivity(
    results: Mapping[str, BacktestResult], benchmark: str, grid: Sequence[float]
) -> dict[str, Any]:
    """Net Sharpe ratios of every portfolio at each cost of ``grid`` (bps), and the champion's
    break-even cost against the benchmark and against the best classic rule of the holdout
    (the one with the highest net Sharpe at the configured cost: a descriptive comparison,
    not a choice made before the holdout)."""
    table = {
        name: [_finite(_sharpe_at(result, float(c))) for c in grid]
        for name, result in results.items()
    }
    classic = {n: r for n, r in results.items() if n not in (CHAMPION, "equal_blend")}
    best = max(classic, key=lambda n: np.nan_to_num(classic[n].metrics()["sharpe"], nan=-np.inf))
    champion = results[CHAMPION]
    breaks = {
        "benchmark": break_even_cost(champion, results[benchmark]),
        "best_classic": break_even_cost(champion, results[best]),
    }
    reasons = {
        key: _no_break_even(champion, results[name])
        for key, name in (("benchmark", benchmark), ("best_classic", best))
        if breaks[key] is None
    }
    return {
        "grid_bps": [float(c) for c in grid],
        "sharpe": table,
        "best_classic": best,
        "break_even_bps": breaks,
        "no_break_even": reasons,
        "max_bps": MAX_BREAK_EVEN_BPS,
    }


def _no_break_even(champion: BacktestResult, other: BacktestResult) -> str:
    """Why there is no break-even cost: ``behind`` already at zero cost, or ``ahead``
    throughout ``0 .. MAX_BREAK_EVEN_BPS``."""
    return "ahead" if _sharpe_at(champion, 0.0) > _sharpe_at(other, 0.0) else "behind"


def verdict(
    statistics: SearchStatistics, tests: Mapping[str, Any], significance: float
) -> dict[str, Any]:
    """The headline: ``outcome`` (``beats``, ``trails`` or ``no_evidence``) and one sentence.

    *beats*: the deflated Sharpe ratio of the champion's active validation returns is at
    least ``1 - significance`` **and** its holdout Sharpe exceeds the benchmark's with a
    Holm-adjusted p-value below ``significance``. *trails*: the holdout Sharpe is below the
    benchmark's with such a p-value. Anything else is no evidence either way.
    """
    benchmark = str(tests["benchmark"])
    row = next(r for r in tests["differences"] if r["baseline"] == benchmark)
    active = statistics.active_dsr
    dsr = float("nan") if active is None else active.dsr
    diff = row["difference"] if row["difference"] is not None else float("nan")
    p = row["p_holm"] if row["p_holm"] is not None else float("nan")
    significant = p < significance
    if dsr >= 1.0 - significance and diff > 0 and significant:
        outcome, lead = "beats", f"The champion beats {benchmark} out of sample"
    elif diff < 0 and significant:
        outcome, lead = "trails", f"The champion trails {benchmark} out of sample"
    else:
        outcome = "no_evidence"
        lead = f"No evidence that the champion beats {benchmark} out of sample"
    level = round(100 * float(tests["confidence"]))

    def fmt(value: float | None, sign: str = "") -> str:
        return "n/a" if value is None or not math.isfinite(value) else f"{value:{sign}.2f}"

    text = (
        f"{lead}: holdout Sharpe {fmt(row['sharpe_champion'])} vs {fmt(row['sharpe_baseline'])} "
        f"(difference {fmt(row['difference'], '+')}, {level} % CI [{fmt(row['ci_low'], '+')}, "
        f"{fmt(row['ci_high'], '+')}], Holm-adjusted p = {fmt(row['p_holm'])}); deflated Sharpe "
        f"of its validation returns over {benchmark}: {fmt(dsr)} across "
        f"{statistics.n_evaluated} trials."
    )
    return {"outcome": outcome, "text": text, "benchmark": benchmark}
