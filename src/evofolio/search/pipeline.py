"""The whole job after the data is loaded: search → champion → holdout → files.

``evolve`` and ``run`` share it (``run`` then writes the HTML report). Layout of a run
directory::

    run.json                 what was run: data, periods, rules, search budget, timings
    study.db                 the Optuna storage (SQLite default; resumable)
    trials.parquet           one row per trial
    trials/NNNNN/            each trial's validation returns, fold metrics, last model
    champion/                config.json, model.pt, weights.parquet, returns.parquet,
                             metrics.json (holdout metrics, DSR, PBO)
    holdout/                 returns.parquet, held.parquet, weights.parquet, metrics.json:
                             the champion and every baseline over the holdout period
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio import __version__
from evofolio.allocators.strategy_panel import StrategyPanel, save_panel
from evofolio.backtest import Periods, TradingRules, split_periods
from evofolio.config import RunConfig
from evofolio.data import MarketData
from evofolio.outdir import staged_output, write_json
from evofolio.search.champion import (
    HoldoutResult,
    SearchStatistics,
    holdout_backtest,
    pick_champion,
    search_statistics,
)
from evofolio.search.fitness import budgeted, build_context, make_evaluator
from evofolio.search.space import decode
from evofolio.search.study import SearchEvent, SearchResult, run_search

logger = logging.getLogger(__name__)

Stage = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class PipelineResult:
    """What a finished run produced (all of it also on disk)."""

    search: SearchResult
    champion_number: int
    champion_config: RunConfig
    holdout: HoldoutResult
    statistics: SearchStatistics
    periods: Periods


def check_inputs(config: RunConfig, data: MarketData) -> Periods:
    """Everything that can be wrong with the inputs, checked before anything is written."""
    periods = split_periods(
        pd.DatetimeIndex(data.prices.index), config.data.holdout_start, source=data.source
    )
    build_context(config, data)  # folds fit, panel computable (cached for the workers)
    return periods


def feasible_caps(config: RunConfig, n_assets: int) -> RunConfig:
    """Drop the ``max_weight`` gene choices no portfolio of ``n_assets`` can meet (a cap
    below 1/N), with a warning, instead of failing every genome that draws them."""
    space = config.search.space
    caps = [cap for cap in space.max_weight if cap * n_assets >= 1.0 - 1e-12]
    if len(caps) == len(space.max_weight):
        return config
    dropped = sorted(set(space.max_weight) - set(caps))
    logger.warning(
        "max_weight choices %s are infeasible for %d assets (below 1/%d): dropped",
        dropped,
        n_assets,
        n_assets,
    )
    space = space.model_copy(update={"max_weight": caps or [1.0]})
    search = config.search.model_copy(update={"space": space})
    return config.model_copy(update={"search": search})


def trial_returns(run_dir: Path, trials: pd.DataFrame) -> dict[int, pd.Series]:
    """Validation returns of each completed trial that has its own files (clones reuse them)."""
    out = {}
    done = trials[trials["state"] == "COMPLETE"]
    for number in done["number"]:
        path = run_dir / "trials" / f"{int(number):05d}" / "returns.parquet"
        if path.is_file():
            out[int(number)] = pd.read_parquet(path)["net"]
    return out


def champion_source(trials: pd.DataFrame, number: int) -> int:
    """The trial whose files hold the champion's returns (itself, or the one it cloned)."""
    row = trials.loc[trials["number"] == number].iloc[0]
    original = row.get("duplicate_of")
    return int(original) if original is not None and pd.notna(original) else number


def run_pipeline(
    config: RunConfig,
    data: MarketData,
    run_dir: Path,
    *,
    jobs: int | None = None,
    storage_url: str | None = None,
    study_name: str | None = None,
    pareto_pick: str = "sharpe",
    on_event: Callable[[SearchEvent], None] | None = None,
    on_stage: Stage | None = None,
) -> PipelineResult:
    """Search on the development period, pick the champion, trade the holdout once, write."""
    stage = on_stage or (lambda _: None)
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    config = feasible_caps(config, data.prices.shape[1])
    periods = check_inputs(config, data)
    search = run_search(
        config,
        run_dir,
        functools.partial(make_evaluator, config),
        storage_url=storage_url,
        study_name=study_name,
        jobs=jobs,
        on_event=on_event,
    )
    trials = pd.read_parquet(search.trials_path)
    number = pick_champion(trials, config.search.multi_objective, pareto_pick)
    champion_trial = search.study.trials[number]
    champion_config = budgeted(decode(champion_trial.params, config))
    stage(
        f"champion: trial {number} ({champion_config.model.family}); refitting on the "
        "development period and trading the holdout"
    )
    rules = TradingRules.from_config(config.backtest)
    holdout = holdout_backtest(champion_config, data, periods, rules)
    returns = trial_returns(run_dir, trials)
    source = champion_source(trials, number)
    statistics = search_statistics(returns, source)
    write_champion(
        run_dir, number, champion_trial.params, champion_config, holdout, statistics, trials
    )
    write_holdout(run_dir, holdout)
    write_run_json(run_dir, config, data, periods, started_at, time.perf_counter() - started)
    return PipelineResult(search, number, champion_config, holdout, statistics, periods)


def write_champion(
    run_dir: Path,
    number: int,
    params: dict[str, Any],
    config: RunConfig,
    holdout: HoldoutResult,
    statistics: SearchStatistics,
    trials: pd.DataFrame,
) -> None:
    """``champion/``: its config, refitted model, holdout decisions and returns, metrics."""
    row = trials.loc[trials["number"] == number].iloc[0]
    result = holdout.results["champion"]
    pbo = statistics.pbo
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
        "dsr": asdict(statistics.dsr),
        "pbo": None
        if pbo is None
        else {
            "pbo": pbo.pbo,
            "n_combinations": pbo.n_combinations,
            "n_blocks": pbo.n_blocks,
            "n_configs": statistics.n_configs,
        },
        "dsr_note": "deflated Sharpe of the champion's validation returns (the returns it was "
        "selected on), against every completed trial; per-period Sharpe",
    }
    with staged_output(run_dir / "champion") as staging:
        write_json(staging / "config.json", config.model_dump(mode="json"))
        holdout.champion.save(staging / "model.pt", {"trial": number})
        save_panel(StrategyPanel({"champion": result}), staging)
        write_json(staging / "metrics.json", metrics)


def write_holdout(run_dir: Path, holdout: HoldoutResult) -> None:
    """``holdout/``: the champion and every baseline, same dates, same rules."""
    with staged_output(run_dir / "holdout") as staging:
        save_panel(StrategyPanel(holdout.results), staging)
        metrics = {name: r.metrics() for name, r in holdout.results.items()}
        write_json(staging / "metrics.json", {"metrics": metrics})


def write_run_json(
    run_dir: Path,
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    started: str,
    seconds: float,
) -> None:
    """``run.json``: what was run, for the report and for the record."""
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
    write_json(run_dir / "run.json", payload)
