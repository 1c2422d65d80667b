"""The outer periods stitched into one out-of-sample track, tested as ``run`` tests its
holdout (:func:`~evofolio.search.evaluation.verdict.holdout_tests`, :func:`cost_sensitivity`).

Each outer step's ``holdout/`` panel (the champion's seed ensemble and every classic rule
over [d_k, d_{k+1})) is read back and concatenated in time, portfolio by portfolio: the
procedure's track is named ``champion`` like the holdout's, so the same code tests it. Each
period starts afresh (every portfolio buys in at its first decision, paying that cost), and
the return from a period's last date to the next period's first date is earned by no one.
With ``evaluation.benchmark = "best_classic"`` the benchmark is itself a procedure: in each
period the rule that step chose on its own validation dates, stitched as ``best_classic``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evofolio.allocators.strategy_panel import StrategyPanel, load_panel, save_panel
from evofolio.backtesting import BacktestResult
from evofolio.config import RunConfig
from evofolio.config.budget import budget_record
from evofolio.outdir import staged_output, write_json
from evofolio.run_layout import HOLDOUT_DIR, HOLDOUT_RETURNS
from evofolio.search.evaluation.families import pairwise_sharpe_tests
from evofolio.search.evaluation.verdict import cost_sensitivity, holdout_tests

__all__ = [
    "BEST_CLASSIC",
    "STITCHED_DIR",
    "SUMMARY_FILE",
    "period_results",
    "procedure_verdict",
    "samplers_summary",
    "stitch",
    "subsets_summary",
    "track_summary",
    "write_track",
]

STITCHED_DIR = "stitched"
SUMMARY_FILE = "validate.json"
BEST_CLASSIC = "best_classic"
CHAMPION = "champion"
MIN_VARIANCE = "min_variance"


def period_results(run_dir: Path) -> dict[str, BacktestResult]:
    """An outer step's ``holdout/`` panel: the champion and every baseline, in file order."""
    names = list(dict.fromkeys(pd.read_parquet(run_dir / HOLDOUT_RETURNS)["strategy"]))
    return load_panel(run_dir / HOLDOUT_DIR, names).results


def _concat(results: Sequence[BacktestResult]) -> BacktestResult:
    return BacktestResult(
        weights=pd.concat([r.weights for r in results]),
        held=pd.concat([r.held for r in results]),
        gross=pd.concat([r.gross for r in results]),
        net=pd.concat([r.net for r in results]),
        turnover=pd.concat([r.turnover for r in results]),
        costs=pd.concat([r.costs for r in results]),
        fallbacks=pd.concat([r.fallbacks for r in results], ignore_index=True),
    )


def stitch(
    parts: Sequence[Mapping[str, BacktestResult]], chosen: Sequence[str] | None = None
) -> dict[str, BacktestResult]:
    """Concatenate the periods' results portfolio by portfolio (periods in time order, no
    date twice); with ``chosen`` (one rule name per period) add ``best_classic``: in each
    period the chosen rule's result."""
    names = list(parts[0])
    stitched = {name: _concat([part[name] for part in parts]) for name in names}
    if chosen is not None:
        stitched[BEST_CLASSIC] = _concat(
            [part[rule] for part, rule in zip(parts, chosen, strict=True)]
        )
    net = stitched[CHAMPION].net
    if not net.index.is_monotonic_increasing or net.index.has_duplicates:
        raise ValueError("outer periods overlap or are out of order")
    return stitched


def procedure_verdict(tests: Mapping[str, Any], significance: float) -> dict[str, Any]:
    """``beats`` / ``trails`` / ``no_evidence`` from the stitched Sharpe-difference test
    against the benchmark (Holm-adjusted p below ``significance``), with one sentence."""
    benchmark = str(tests["benchmark"])
    row = next(r for r in tests["differences"] if r["baseline"] == benchmark)
    diff = np.nan if row["difference"] is None else float(row["difference"])
    p = np.nan if row["p_holm"] is None else float(row["p_holm"])
    if diff > 0 and p < significance:
        outcome, lead = "beats", f"The procedure beats {benchmark} out of sample"
    elif diff < 0 and p < significance:
        outcome, lead = "trails", f"The procedure trails {benchmark} out of sample"
    else:
        outcome = "no_evidence"
        lead = f"No evidence that the procedure beats {benchmark} out of sample"
    level = round(100 * float(tests["confidence"]))

    def fmt(value: Any, sign: str = "") -> str:
        return "n/a" if value is None or not np.isfinite(value) else f"{value:{sign}.2f}"

    text = (
        f"{lead}: stitched Sharpe {fmt(row['sharpe_champion'])} vs "
        f"{fmt(row['sharpe_baseline'])} (difference {fmt(row['difference'], '+')}, {level} % "
        f"CI [{fmt(row['ci_low'], '+')}, {fmt(row['ci_high'], '+')}], Holm-adjusted p = "
        f"{fmt(row['p_holm'])})."
    )
    return {"outcome": outcome, "text": text, "benchmark": benchmark}


def track_summary(
    config: RunConfig, records: Sequence[Mapping[str, Any]], stitched: Mapping[str, BacktestResult]
) -> dict[str, Any]:
    """The stitched track's metrics, tests, costs and verdict, and the budget preset
    (:func:`~evofolio.config.budget.budget_record`), as JSON data."""
    evaluation = config.evaluation
    requested = evaluation.benchmark
    benchmark = BEST_CLASSIC if requested == BEST_CLASSIC else requested
    tests = holdout_tests(stitched, benchmark, evaluation, seed=config.seed)
    net = stitched[CHAMPION].net
    return {
        "periods": list(records),
        "trading": [f"{net.index[0]:%Y-%m-%d}", f"{net.index[-1]:%Y-%m-%d}"],
        "metrics": {name: r.metrics() for name, r in stitched.items()},
        "holdout_tests": tests,
        "costs": cost_sensitivity(stitched, benchmark, evaluation.cost_grid_bps),
        "verdict": procedure_verdict(tests, evaluation.significance),
        "budget": budget_record(config),
        "config": config.model_dump(mode="json"),
    }


def write_track(out: Path, stitched: Mapping[str, BacktestResult], summary: Any) -> None:
    """``out/stitched/`` (weights, held, returns, fallbacks: long parquet files as a run's
    ``holdout/``), then ``out/validate.json`` last."""
    with staged_output(out / STITCHED_DIR) as staging:
        save_panel(StrategyPanel(dict(stitched)), staging)
    write_json(out / SUMMARY_FILE, summary)


def subsets_summary(subsets: Sequence[Mapping[str, Any]], benchmark: str) -> dict[str, Any]:
    """Across the asset subsets (each a :func:`track_summary` plus its ``assets``): the share
    in which the procedure's stitched Sharpe ratio beats ``benchmark``'s and minimum
    variance's, and the distribution of those Sharpe differences."""
    rows = []
    for index, subset in enumerate(subsets):
        sharpe = {name: m["sharpe"] for name, m in subset["metrics"].items()}
        rows.append(
            {
                "subset": index + 1,
                "assets": list(subset["assets"]),
                "sharpe_procedure": sharpe[CHAMPION],
                f"sharpe_{benchmark}": sharpe[benchmark],
                "sharpe_min_variance": sharpe[MIN_VARIANCE],
                "vs_benchmark": sharpe[CHAMPION] - sharpe[benchmark],
                "vs_min_variance": sharpe[CHAMPION] - sharpe[MIN_VARIANCE],
            }
        )

    def spread(key: str) -> dict[str, Any]:
        values = np.array([row[key] for row in rows], dtype=np.float64)
        return {
            "share_beating": float(np.mean(values > 0.0)),
            "min": float(values.min()),
            "median": float(np.median(values)),
            "max": float(values.max()),
            "values": values.tolist(),
        }

    return {
        "benchmark": benchmark,
        "rows": rows,
        "vs_benchmark": spread("vs_benchmark"),
        "vs_min_variance": spread("vs_min_variance"),
    }


def samplers_summary(
    config: RunConfig, procedures: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The same procedure run with several samplers (``procedures``: sampler → its
    :func:`track_summary` plus ``track``, the stitched results) on the same outer periods at
    the same budget: each one's stitched out-of-sample Sharpe ratio and its test against the
    benchmark, and the Ledoit–Wolf test of every pair's Sharpe difference (``1 -
    confidence`` interval, p-values Holm-adjusted over the pairs). The out-of-sample answer to
    "does the genetic algorithm beat random search here?"."""
    evaluation = config.evaluation
    names = list(procedures)
    rows = []
    for name in names:
        summary = procedures[name]
        tests = summary["holdout_tests"]
        versus = next(row for row in tests["differences"] if row["baseline"] == tests["benchmark"])
        rows.append(
            {
                "sampler": name,
                "sharpe": summary["metrics"][CHAMPION]["sharpe"],
                "benchmark": tests["benchmark"],
                "vs_benchmark": versus["difference"],
                "ci": [versus["ci_low"], versus["ci_high"]],
                "p_holm": versus["p_holm"],
                "outcome": summary["verdict"]["outcome"],
            }
        )
    tracks = {name: procedures[name]["track"][CHAMPION].net for name in names}
    pairs = pairwise_sharpe_tests(tracks, evaluation, config.seed)
    return {
        "samplers": names,
        "confidence": evaluation.confidence,
        "rows": rows,
        "pairs": pairs,
    }
