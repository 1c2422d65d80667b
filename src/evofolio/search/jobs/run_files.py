"""What a finished run writes: ``champion/``, ``holdout/`` and ``run.json`` (names from
:mod:`evofolio.run_layout`; ``MODELS_DIR`` is re-exported from there).

``champion/metrics.json`` holds the whole verdict (keys documented in docs/guide/verdict.md,
"Reading the verdict"): ``verdict`` (outcome and sentence), ``benchmark``,
``search_statistics`` (DSR and PBO against zero and against the benchmark, with the number of
configurations tried),
``holdout_tests`` (Sharpe differences, bootstrap intervals, minimum track record),
``seeds`` (per-seed validation and holdout Sharpe, the ensemble's), ``costs`` (net Sharpe
per cost level, break-even costs), ``families`` (each family's champion on the holdout and
the pairwise tests: :mod:`evofolio.search.evaluation.families`), ``fallbacks`` and the
champion's holdout metrics. ``families/<family>/`` holds each family champion's config, seed
ensemble and holdout decisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.strategy_panel import StrategyPanel, save_panel
from evofolio.backtesting import Periods
from evofolio.config import RunConfig
from evofolio.config.budget import budget_record
from evofolio.data import MarketData
from evofolio.metrics import PBOResult
from evofolio.outdir import staged_output, write_json
from evofolio.run_layout import (
    CHAMPION_DIR,
    FAMILIES_DIR,
    HOLDOUT_DIR,
    MIX,
    MODELS_DIR,
    RUN_JSON,
    TRIAL_RETURNS,
    trial_file,
)
from evofolio.search.evaluation.benchmark import Benchmark
from evofolio.search.evaluation.champion import HoldoutResult, SearchStatistics
from evofolio.search.evaluation.families import FamilyChampion
from evofolio.strategies.covariance import resolve_covariance
from evofolio.version import __version__

__all__ = [
    "MODELS_DIR",
    "write_champion",
    "write_families",
    "write_holdout",
    "write_mix",
    "write_run_json",
]


def _pbo(pbo: PBOResult | None, n_configs: int) -> dict[str, Any] | None:
    if pbo is None:
        return None
    return {
        "pbo": pbo.pbo,
        "n_combinations": pbo.n_combinations,
        "n_blocks": pbo.n_blocks,
        "n_configs": n_configs,
    }


def statistics_payload(statistics: SearchStatistics, benchmark: Benchmark) -> dict[str, Any]:
    """The search's statistics, against zero and against the benchmark, as JSON data."""
    active = statistics.active_dsr
    return {
        "n_evaluated": statistics.n_evaluated,
        "n_completed": statistics.n_configs,
        "n_pruned": statistics.n_pruned,
        "vs_zero": {
            "dsr": asdict(statistics.dsr),
            "pbo": _pbo(statistics.pbo, statistics.n_configs),
        },
        "vs_benchmark": {
            "benchmark": benchmark.name,
            "dsr": None if active is None else asdict(active),
            "pbo": _pbo(statistics.active_pbo, statistics.n_configs),
        },
    }


def write_champion(
    run_dir: Path,
    number: int,
    params: dict[str, Any],
    config: RunConfig,
    holdout: HoldoutResult,
    trials: pd.DataFrame,
    verdict_parts: dict[str, Any],
) -> None:
    """``champion/``: its config, the refitted seed ensemble, holdout decisions and returns,
    and ``metrics.json`` with the verdict (``verdict_parts``: JSON-ready sections)."""
    row = trials.loc[trials["number"] == number].iloc[0]
    result = holdout.results["champion"]
    statistics: SearchStatistics = verdict_parts["statistics"]
    metrics = {
        "trial": number,
        "family": config.model.family,
        "genome": params,
        "fitness": row.get("fitness"),
        "values": [
            v
            for v in (row.get(c) for c in ("fitness", "sharpe", "max_drawdown", "turnover"))
            if v is not None and v == v
        ],
        "holdout": result.metrics(),
        "holdout_gross_sharpe": result.metrics(net=False)["sharpe"],
        "verdict": verdict_parts["verdict"],
        "benchmark": verdict_parts["benchmark"],
        "search_statistics": verdict_parts["search_statistics"],
        "holdout_tests": verdict_parts["holdout_tests"],
        "seeds": verdict_parts["seeds"],
        "costs": verdict_parts["costs"],
        "families": verdict_parts.get("families"),
        **(
            {"survivorship": verdict_parts["survivorship"]}
            if "survivorship" in verdict_parts
            else {}
        ),
        "fallbacks": fallbacks(holdout),
        # Kept for readers of earlier run directories: the DSR against zero.
        "dsr": asdict(statistics.dsr),
        "pbo": _pbo(statistics.pbo, statistics.n_configs),
        "dsr_note": "deflated Sharpe ratio against ZERO of the champion's validation returns "
        "(every long-only equity portfolio passes it); the verdict uses search_statistics."
        "vs_benchmark; per-period Sharpe",
    }
    with staged_output(run_dir / CHAMPION_DIR) as staging:
        write_json(staging / "config.json", config.model_dump(mode="json"))
        holdout.champion.save(staging / MODELS_DIR, {"trial": number})
        save_panel(StrategyPanel({"champion": result}), staging)
        write_mix(staging, holdout.mix)
        write_json(staging / "metrics.json", metrics)


def write_families(run_dir: Path, champions: list[FamilyChampion]) -> None:
    """``families/<family>/``: each family champion's config, seed ensemble and holdout
    decisions and returns (a family without a completed trial has no folder)."""
    with staged_output(run_dir / FAMILIES_DIR) as staging:
        for champion in champions:
            if champion.ensemble is None or champion.result is None or champion.config is None:
                continue
            folder = staging / champion.family
            folder.mkdir(parents=True)
            write_json(folder / "config.json", champion.config.model_dump(mode="json"))
            champion.ensemble.save(folder / MODELS_DIR, {"trial": champion.number})
            save_panel(StrategyPanel({"champion": champion.result}), folder)
            write_mix(folder, champion.mix)


def write_mix(folder: Path, mix: pd.DataFrame | None) -> None:
    """``folder/mix.parquet``: Model 2's weights over its strategies at each holdout decision
    (a ``date`` column, one column per strategy); nothing for a family without a mix."""
    if mix is not None:
        mix.rename_axis("date").reset_index().to_parquet(folder / MIX)


def write_holdout(run_dir: Path, holdout: HoldoutResult) -> None:
    """``holdout/``: the champion and every baseline, same dates, same rules."""
    with staged_output(run_dir / HOLDOUT_DIR) as staging:
        save_panel(StrategyPanel(holdout.results), staging)
        metrics = {name: r.metrics() for name, r in holdout.results.items()}
        payload = {
            "metrics": metrics,
            "fallbacks": fallbacks(holdout),
            "covariance": holdout.covariance,
        }
        write_json(staging / "metrics.json", payload)


def fallbacks(holdout: HoldoutResult) -> dict[str, dict[str, int]]:
    """Per portfolio: rebalances decided, and those at which a classic rule's solver failed
    and the previous weights (or 1/N) were held instead."""
    return {
        name: {"decisions": len(r.weights), "fallbacks": r.fallback_count}
        for name, r in holdout.results.items()
    }


def write_run_json(
    run_dir: Path,
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    started: str,
    seconds: float,
) -> None:
    """``run.json``: what was run, for the report and for the record (``budget``: which
    preset's budget the run had, :func:`~evofolio.config.budget.budget_record`)."""
    search = config.search
    payload = {
        "evofolio_version": __version__,
        "source": data.source,
        "market_source": data.market_source,
        "assets": data.assets,
        "development": [
            f"{periods.development[0]:%Y-%m-%d}",
            f"{periods.development[-1]:%Y-%m-%d}",
        ],
        "holdout": [f"{periods.holdout[0]:%Y-%m-%d}", f"{periods.holdout[-1]:%Y-%m-%d}"],
        "rebalance": config.backtest.rebalance,
        "cost_bps": config.backtest.cost_bps,
        "vol_target": config.backtest.vol_target,
        "seed": config.seed,
        "benchmark": config.evaluation.benchmark,
        "champion_seeds": config.champion.seeds,
        "budget": budget_record(config),
        "strategies": {
            "window": config.strategies.window,
            "covariance_setting": config.strategies.covariance,
            "covariance": resolve_covariance(
                config.strategies.covariance, len(data.assets), config.strategies.window
            ),
        },
        "search": {
            "population": search.population,
            "generations": search.generations,
            "folds": search.folds,
            "fold_lambda": search.fold_lambda,
            "multi_objective": search.multi_objective,
            "families": search.families,
        },
        "config": config.model_dump(mode="json"),
        "started": started,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
    }
    write_json(run_dir / RUN_JSON, payload)


def trial_returns(run_dir: Path, trials: pd.DataFrame) -> dict[int, pd.Series]:
    """Validation returns of each completed trial that has its own files (clones reuse them)."""
    out = {}
    done = trials[trials["state"] == "COMPLETE"]
    for number in done["number"]:
        path = run_dir / trial_file(int(number), TRIAL_RETURNS)
        if path.is_file():
            out[int(number)] = pd.read_parquet(path)["net"]
    return out
