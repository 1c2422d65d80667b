"""The project's own question: each model family at its best, compared head to head on the
holdout.

Every family searched has a champion: its best trial by the same rule as the overall champion
(:func:`~evofolio.search.evaluation.champion.pick_champion`, applied to its own trials; in
multi-objective mode on its own Pareto front). Each family champion is refitted as a seed
ensemble on the whole development period and trades the holdout **once**, beside the classic
rules, with the same trading rules. The overall champion is the family champion with the best
validation fitness, chosen before any holdout return is read; the comparison of the families
is descriptive and changes nothing about which champion the verdict judges.

:func:`family_comparison` gives, as JSON data (``champion/metrics.json["families"]``): per
family, the validation fitness of every completed trial and the trial counts, the champion's
holdout metrics net of costs with a bootstrap interval of its Sharpe ratio, its seeds' holdout
Sharpe ratios and its net Sharpe at other costs with break-even costs; and the Sharpe
difference of every pair of family champions with its confidence interval and p-value
(Ledoit & Wolf 2008), Holm-adjusted over the pairs (:func:`pairwise_sharpe_tests`); and how
close each champion is to the benchmark: the distance of its decided weights from 1/N
(:func:`distance_from_equal_weight`) and the correlation of its net returns with the
benchmark's (a champion near 1/N earning the benchmark's Sharpe is the benchmark).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evofolio.allocators.ensemble import SeedEnsemble
from evofolio.backtesting import BacktestResult
from evofolio.config import EvaluationConfig, RunConfig
from evofolio.metrics import (
    holm_adjust,
    sharpe_confidence_interval,
    sharpe_difference_test,
    sharpe_ratio,
)
from evofolio.run_layout import PARAM_PREFIX, PARETO
from evofolio.search.evaluation.champion import NoChampionError, pick_champion
from evofolio.search.evaluation.verdict import cost_sensitivity

__all__ = [
    "FamilyChampion",
    "family_champions",
    "family_comparison",
    "overall_champion",
    "pairwise_sharpe_tests",
    "pareto_mask",
]

logger = logging.getLogger(__name__)

FAMILY_COLUMN = PARAM_PREFIX + "family"
MULTI_COLUMNS = (("sharpe", True), ("max_drawdown", False), ("turnover", False))
SENTENCE = (
    "Each family's champion is its best trial on validation fitness, refitted as a seed "
    "ensemble and traded once on the holdout; the differences between families are tested "
    "pairwise (Ledoit-Wolf, Holm-adjusted over the pairs). This compares the families as "
    "searched here (this budget, this data, this holdout): it does not show what a family "
    "could reach with more search, and a difference whose interval contains zero is not "
    "evidence that the families differ."
)


def pareto_mask(values: np.ndarray, maximise: Sequence[bool]) -> np.ndarray:
    """Which rows of ``values`` (trials × objectives) no other row dominates: at least as good
    on every objective and better on one (``maximise[j]``: objective ``j`` is maximised)."""
    signed = np.where(np.asarray(maximise, dtype=bool), values, -values)
    keep = np.ones(len(signed), dtype=bool)
    for i, row in enumerate(signed):
        better_or_equal = np.all(signed >= row, axis=1)
        strictly = np.any(signed > row, axis=1)
        keep[i] = not np.any(better_or_equal & strictly)
    return keep


def family_champions(
    trials: pd.DataFrame, families: Sequence[str], multi_objective: bool, pick: str = "sharpe"
) -> dict[str, int | None]:
    """Each family's champion trial number among its own completed trials (``None`` for a
    family without one), by :func:`pick_champion`; in multi-objective mode on the family's own
    Pareto front."""
    out: dict[str, int | None] = {}
    for family in families:
        mine = trials[(trials[FAMILY_COLUMN] == family) & (trials["state"] == "COMPLETE")]
        if multi_objective and not mine.empty:
            values = mine[[c for c, _ in MULTI_COLUMNS]].to_numpy(dtype=np.float64)
            mine = mine.assign(**{PARETO: pareto_mask(values, [m for _, m in MULTI_COLUMNS])})
        try:
            out[family] = pick_champion(mine, multi_objective, pick)
        except NoChampionError:
            out[family] = None
    return out


def overall_champion(
    trials: pd.DataFrame,
    numbers: Mapping[str, int | None],
    multi_objective: bool,
    pick: str = "sharpe",
) -> int:
    """The overall champion among the family champions ``numbers``: the best validation
    fitness (multi-objective: the best on ``pick``, each family champion being on its own
    family's front). Reads no holdout data.

    Raises:
        NoChampionError: no family has a completed trial.
    """
    chosen = [n for n in numbers.values() if n is not None]
    rows = trials[trials["number"].isin(chosen)]
    if multi_objective:
        rows = rows.assign(**{PARETO: True})
    return pick_champion(rows, multi_objective, pick)


@dataclass(frozen=True, eq=False)
class FamilyChampion:
    """One family's champion and its holdout trading (``number`` None: the family has no
    completed trial, and nothing else is set)."""

    family: str
    number: int | None
    config: RunConfig | None = None
    fitness: float | None = None
    ensemble: SeedEnsemble | None = None
    result: BacktestResult | None = None
    seed_results: dict[int, BacktestResult] = field(default_factory=dict)
    mix: pd.DataFrame | None = None
    """Model 2: its weights over its strategies at each holdout decision, else None."""


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def pairwise_sharpe_tests(
    series: Mapping[str, pd.Series], evaluation: EvaluationConfig, seed: int = 0
) -> list[dict[str, Any]]:
    """The Sharpe-ratio difference of every pair of return series (in the order given, first
    minus second) over their common dates, with its ``evaluation.confidence`` interval and
    two-sided p-value (Ledoit & Wolf 2008, studentised circular block bootstrap with
    ``evaluation.n_boot`` draws, seeded by ``seed``), and the p-values Holm-adjusted over the
    pairs. Identical series give a difference of 0 and p = 1."""
    names = list(series)
    pairs: list[dict[str, Any]] = []
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = series[first].align(series[second], join="inner")
            test = sharpe_difference_test(
                a.to_numpy(dtype=np.float64),
                b.to_numpy(dtype=np.float64),
                alpha=1.0 - evaluation.confidence,
                n_boot=evaluation.n_boot,
                seed=seed,
            )
            pairs.append(
                {
                    "first": first,
                    "second": second,
                    "sharpe_first": _finite(sharpe_ratio(a.to_numpy())),
                    "sharpe_second": _finite(sharpe_ratio(b.to_numpy())),
                    "difference": _finite(test.difference),
                    "ci_low": _finite(test.ci_low),
                    "ci_high": _finite(test.ci_high),
                    "p_value": _finite(test.p_value),
                    "n_obs": int(test.n_obs),
                }
            )
    adjusted = holm_adjust(
        np.array([np.nan if p["p_value"] is None else p["p_value"] for p in pairs], dtype=float)
    )
    for pair, p_holm in zip(pairs, adjusted, strict=True):
        pair["p_holm"] = _finite(float(p_holm))
    return pairs


def distance_from_equal_weight(weights: pd.DataFrame) -> float | None:
    """How far decided weights are from 1/N: the mean over decision dates of half the L1
    distance ``0.5 · Σ|w_i − 1/N|`` (the share of the portfolio that would have to trade to
    reach equal weight; 0: equal weight, at most ``1 − 1/N``). ``None`` without a decision."""
    values = weights.to_numpy(dtype=np.float64)
    if values.size == 0:
        return None
    gap = 0.5 * np.abs(values - 1.0 / values.shape[1]).sum(axis=1)
    return _finite(float(np.mean(gap)))


def _trial_counts(trials: pd.DataFrame, family: str) -> dict[str, int]:
    mine = trials[trials[FAMILY_COLUMN] == family]
    failed = (mine["state"] == "FAIL") & (mine.get("failure") == "error")
    return {
        "completed": int((mine["state"] == "COMPLETE").sum()),
        "pruned": int((mine["state"] == "PRUNED").sum()),
        "failed": int(failed.sum()),
    }


def family_comparison(
    champions: Sequence[FamilyChampion],
    baselines: Mapping[str, BacktestResult],
    trials: pd.DataFrame,
    *,
    benchmark: str,
    overall: str,
    objective: str,
    evaluation: EvaluationConfig,
    seed: int = 0,
) -> dict[str, Any]:
    """The families compared (see the module docstring), JSON-ready.

    ``baselines``: the classic rules and their blend over the holdout (``benchmark`` among
    them); ``overall``: the family of the overall champion; ``objective``: the trials-table
    column the families' validation distributions are read from (``fitness``, or ``sharpe``
    in multi-objective mode).
    """
    alpha = 1.0 - evaluation.confidence
    rows = []
    for champion in champions:
        mine = trials[(trials[FAMILY_COLUMN] == champion.family) & (trials["state"] == "COMPLETE")]
        values = [v for v in mine[objective].to_numpy(dtype=np.float64) if math.isfinite(v)]
        row: dict[str, Any] = {
            "family": champion.family,
            "trial": champion.number,
            "overall_champion": champion.family == overall,
            "trials": _trial_counts(trials, champion.family),
            "validation": {
                "objective": objective,
                "champion": _finite(champion.fitness),
                "values": [float(v) for v in values],
                "median": _finite(np.median(values)) if values else None,
            },
        }
        if champion.result is not None:
            net = champion.result.net.to_numpy(dtype=np.float64)
            ci = sharpe_confidence_interval(net, alpha=alpha, n_boot=evaluation.n_boot, seed=seed)
            costs = cost_sensitivity(
                {"champion": champion.result, **baselines}, benchmark, evaluation.cost_grid_bps
            )
            seeds = {
                str(s): _finite(r.metrics()["sharpe"]) for s, r in champion.seed_results.items()
            }
            a, b = champion.result.net.align(baselines[benchmark].net, join="inner")
            correlation = (
                float(np.corrcoef(a.to_numpy(), b.to_numpy())[0, 1]) if len(a) > 2 else None
            )
            row |= {
                "distance_from_equal_weight": distance_from_equal_weight(champion.result.weights),
                "correlation_with_benchmark": _finite(correlation),
                "genome": None if champion.config is None else champion.config.model.settings(),
                "holdout": {k: _finite(v) for k, v in champion.result.metrics().items()},
                "sharpe_interval": {"low": _finite(ci.low), "high": _finite(ci.high)},
                "seeds": seeds,
                "costs": {
                    "grid_bps": costs["grid_bps"],
                    "sharpe": costs["sharpe"]["champion"],
                    "break_even_bps": costs["break_even_bps"],
                    "no_break_even": costs["no_break_even"],
                    "best_classic": costs["best_classic"],
                },
            }
        rows.append(row)
    traded = {c.family: c.result.net for c in champions if c.result is not None}
    return {
        "overall": overall,
        "benchmark": benchmark,
        "confidence": evaluation.confidence,
        "sentence": SENTENCE,
        "families": rows,
        "baselines": {
            name: {k: _finite(v) for k, v in result.metrics().items()}
            for name, result in baselines.items()
        },
        "pairs": pairwise_sharpe_tests(traded, evaluation, seed),
    }
