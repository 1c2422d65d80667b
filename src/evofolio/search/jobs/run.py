"""The whole job after the data is loaded: search → champion → holdout → files.

``evolve`` and ``run`` share it (``run`` then writes the HTML report). The run directory's
layout (``run.json``, ``search.db``, ``fingerprint.json``, ``trials.parquet``,
``trials/NNNNN/``, ``champion/``, ``champion/models/``, ``holdout/``) is documented, and
every name in it defined, in :mod:`evofolio.run_layout`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.classic_compute import release_workers
from evofolio.allocators.ensemble import seed_list
from evofolio.backtesting import Periods, TradingRules, split_periods
from evofolio.config import RunConfig
from evofolio.config.genes import GENES, NO_CAP
from evofolio.data import MarketData
from evofolio.errors import UsageError
from evofolio.memory import release_memory
from evofolio.runlock import search_lock
from evofolio.search.engine import SearchEvent, SearchResult
from evofolio.search.engine.records import champion_source
from evofolio.search.evaluation.benchmark import Benchmark, check_benchmark, resolve_benchmark
from evofolio.search.evaluation.champion import (
    HoldoutResult,
    SearchStatistics,
    holdout_backtest,
    search_statistics,
    survivorship,
    trade_seed_ensemble,
)
from evofolio.search.evaluation.families import (
    FamilyChampion,
    family_champions,
    family_comparison,
    overall_champion,
)
from evofolio.search.evaluation.seeds import seed_spread, seed_validation_sharpes
from evofolio.search.evaluation.verdict import cost_sensitivity, holdout_tests, verdict
from evofolio.search.fingerprint import fingerprint
from evofolio.search.fitness import SearchContext, budgeted, build_context, make_evaluator
from evofolio.search.jobs.handoff import fetch_trial_files, publish_champion
from evofolio.search.jobs.run_files import (
    statistics_payload,
    trial_returns,
    write_champion,
    write_families,
    write_holdout,
    write_run_json,
)
from evofolio.search.plan import run_search, searched_families
from evofolio.search.scale import large_universe_space
from evofolio.search.space import decode

logger = logging.getLogger(__name__)

Stage = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class PipelineResult:
    """What a finished run produced (all of it also on disk).

    ``verdict`` holds the JSON-ready sections written to ``champion/metrics.json``:
    ``verdict``, ``benchmark``, ``search_statistics``, ``holdout_tests``, ``seeds``, ``costs``,
    ``families`` (the comparison of the family champions). ``families``: each searched
    family's champion and its holdout trading (the overall champion's is ``holdout``'s).
    """

    search: SearchResult
    champion_number: int
    champion_config: RunConfig
    holdout: HoldoutResult
    statistics: SearchStatistics
    periods: Periods
    benchmark: Benchmark
    verdict: dict[str, Any]
    families: tuple[FamilyChampion, ...] = ()


def check_inputs(config: RunConfig, data: MarketData) -> tuple[Periods, SearchContext]:
    """Everything that can be wrong with the inputs, checked before anything is written;
    returns the periods and the search context built from ``data`` (handed to every worker)."""
    check_benchmark(config)
    periods = split_periods(
        pd.DatetimeIndex(data.prices.index), config.data.holdout_start, source=data.source
    )
    return periods, build_context(config, data)


def feasible_caps(config: RunConfig, n_assets: int) -> RunConfig:
    """Drop the ``max_weight`` gene choices no portfolio of ``n_assets`` can meet (a cap
    below 1/N), with a warning, instead of failing every genome that draws them."""
    space = config.search.space
    choices = list(space.bounds("max_weight"))
    caps = [cap for cap in choices if cap * n_assets >= 1.0 - 1e-12]
    if len(caps) == len(choices):
        return config
    dropped = sorted(set(choices) - set(caps))
    logger.warning(
        "max_weight choices %s are infeasible for %d assets (below 1/%d): dropped",
        dropped,
        n_assets,
        n_assets,
    )
    space = space.model_copy(update={GENES["max_weight"].space: caps or [NO_CAP]})
    search = config.search.model_copy(update={"space": space})
    return config.model_copy(update={"search": search})


def run_worker(
    config: RunConfig,
    data: MarketData,
    run_dir: Path,
    *,
    jobs: int | None = None,
    storage_url: str | None = None,
    study_name: str | None = None,
    on_event: Callable[[SearchEvent], None] | None = None,
) -> SearchResult:
    """A worker machine's share of a shared search: evaluate trials of the study until it
    holds its target of spent (complete or pruned) trials, then stop (no champion, no holdout).

    It needs the same data and configuration as the coordinator (the study's fingerprint
    refuses others), the storage URL and, so the coordinator can read its trials' files,
    ``config.search.artifacts``; ``run_dir`` only holds this machine's scratch copies.

    Raises:
        UsageError: no server storage URL (a worker shares a study with other machines).
    """
    url = storage_url or config.search.storage
    if url is None or url.startswith("sqlite"):
        raise UsageError(
            "--worker-only needs --storage with a server database URL shared with the "
            "coordinator (e.g. postgresql://user@host/db)"
        )
    if config.search.artifacts is None:
        logger.warning(
            "--worker-only without --artifacts: this machine's trial files stay in %s and "
            "the coordinator cannot count them",
            run_dir,
        )
    return _search(config, data, run_dir, jobs, url, study_name, on_event, shared=True)[3]


def _search(
    config: RunConfig,
    data: MarketData,
    run_dir: Path,
    jobs: int | None,
    storage_url: str | None,
    study_name: str | None,
    on_event: Callable[[SearchEvent], None] | None,
    *,
    shared: bool = False,
) -> tuple[RunConfig, Periods, SearchContext, SearchResult]:
    """The search as every machine of a study runs it: the same search space for the
    universe's size (feasible caps, no joint encoder above its limit), the same inputs and
    fingerprint; returns the config searched, the periods, the context and the search."""
    n_assets = data.prices.shape[1]
    ragged = data.universe is not None and data.universe.ragged
    config = large_universe_space(feasible_caps(config, n_assets), n_assets, ragged)
    periods, context = check_inputs(config, data)
    release_workers()  # the panel's idle joblib pool would sit beside the search's workers
    release_memory()  # and what the rules' fits left in this process's C heap
    search = run_search(
        config,
        run_dir,
        functools.partial(make_evaluator, context, config),
        storage_url=storage_url,
        study_name=study_name,
        jobs=jobs,
        on_event=on_event,
        fingerprint=fingerprint(config, data, periods),
        shared=shared,
        # the run directory's own SQLite file, under its search lock: nobody else's trials
        exclusive=not shared and (storage_url or config.search.storage) is None,
    )
    return config, periods, context, search


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
    holdout_name: str = "the holdout",
) -> PipelineResult:
    """Search on the development period, pick the champion, fix the benchmark and the seed
    ensemble, trade the holdout once, test the result, write it all.

    ``data`` is used as given: the search's workers receive the context built from it, never
    ``config.data.source`` to read again. ``on_stage`` hears a line as each step starts;
    ``holdout_name`` is what they call the held-out period (``validate``: its outer test).
    The run directory's search lock is held throughout (:mod:`evofolio.runlock`).

    Raises:
        SearchRunningError: another process runs a search in ``run_dir``.
        OutputError: an output cannot be written (full disk, read-only directory...).
    """
    with search_lock(run_dir):
        return _pipeline(
            config,
            data,
            run_dir,
            jobs=jobs,
            storage_url=storage_url,
            study_name=study_name,
            pareto_pick=pareto_pick,
            on_event=on_event,
            on_stage=on_stage,
            holdout_name=holdout_name,
        )


def _pipeline(
    config: RunConfig,
    data: MarketData,
    run_dir: Path,
    *,
    jobs: int | None,
    storage_url: str | None,
    study_name: str | None,
    pareto_pick: str,
    on_event: Callable[[SearchEvent], None] | None,
    on_stage: Stage | None,
    holdout_name: str,
) -> PipelineResult:
    stage = on_stage or (lambda _: None)
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    config, periods, context, search = _search(
        config, data, run_dir, jobs, storage_url, study_name, on_event
    )
    # Another machine's trials count too: their files come from the artifact store.
    fetch_trial_files(config.search, search.study, run_dir)
    trials = pd.read_parquet(search.trials_path)
    # Each family's champion, then the overall one among them: validation fitness only.
    families = searched_families(config.search)
    multi = config.search.multi_objective
    numbers = family_champions(trials, families, multi, pareto_pick)
    number = overall_champion(trials, numbers, multi, pareto_pick)
    champion_trial = search.study.trials[number]
    champion_config = budgeted(decode(champion_trial.params, config))
    # Everything the verdict compares against is fixed here, before the holdout is read.
    stage(f"benchmark: {config.evaluation.benchmark} over the validation dates")
    benchmark = resolve_benchmark(config, context)
    returns = trial_returns(run_dir, trials)
    source = champion_source(trials, number)
    n_pruned = int((trials["state"] == "PRUNED").sum())
    statistics = search_statistics(
        returns, source, n_pruned=n_pruned, benchmark=benchmark.validation
    )
    seeds = seed_list(config.seed, config.champion.seeds)
    stage(
        f"champion: trial {number} ({champion_config.model.family}); seed spread on the "
        f"validation folds ({len(seeds)} seeds)"
    )
    validation = seed_validation_sharpes(
        champion_config, context, seeds, returns.get(source), jobs=jobs or config.search.jobs
    )
    del context  # the development panel (every rule's daily holdings): not needed from here
    stage(
        f"refitting the champion with {len(seeds)} seed{'s' if len(seeds) != 1 else ''} on the "
        "development period and "
        f"trading {holdout_name} with their ensemble"
    )
    rules = TradingRules.from_config(config.backtest)
    holdout = holdout_backtest(
        champion_config, data, periods, rules, seeds=len(seeds), jobs=jobs or config.search.jobs
    )
    evaluation = config.evaluation
    champions = _family_holdouts(
        config,
        data,
        periods,
        rules,
        search,
        trials,
        numbers,
        number,
        holdout,
        len(seeds),
        jobs or config.search.jobs,
        stage,
    )
    baselines = {name: r for name, r in holdout.results.items() if name != "champion"}
    comparison = family_comparison(
        champions,
        baselines,
        trials,
        benchmark=benchmark.name,
        overall=champion_config.model.family,
        objective="sharpe" if multi else "fitness",
        evaluation=evaluation,
        seed=config.seed,
    )
    tests = holdout_tests(holdout.results, benchmark.name, evaluation, seed=config.seed)
    parts: dict[str, Any] = {
        "statistics": statistics,
        "verdict": verdict(statistics, tests, evaluation.significance),
        "benchmark": {
            "requested": benchmark.requested,
            "name": benchmark.name,
            "validation_sharpes": dict(benchmark.validation_sharpes),
        },
        "search_statistics": statistics_payload(statistics, benchmark),
        "holdout_tests": tests,
        "seeds": seed_spread(validation, holdout.seed_results, holdout.results["champion"]),
        "costs": cost_sensitivity(holdout.results, benchmark.name, evaluation.cost_grid_bps),
        "families": comparison,
    }
    bias = survivorship(config, data, periods, rules, holdout.results["equal_weight"])
    if bias is not None:
        parts["survivorship"] = bias
    write_champion(run_dir, number, champion_trial.params, champion_config, holdout, trials, parts)
    write_holdout(run_dir, holdout)
    write_families(run_dir, list(champions))
    write_run_json(run_dir, config, data, periods, started_at, time.perf_counter() - started)
    publish_champion(config.search, search.study, run_dir, champion_trial=source)
    return PipelineResult(
        search, number, champion_config, holdout, statistics, periods, benchmark, parts, champions
    )


def _family_holdouts(
    config: RunConfig,
    data: MarketData,
    periods: Periods,
    rules: TradingRules,
    search: SearchResult,
    trials: pd.DataFrame,
    numbers: dict[str, int | None],
    overall: int,
    holdout: HoldoutResult,
    seeds: int,
    jobs: int,
    stage: Stage,
) -> tuple[FamilyChampion, ...]:
    """Each family's champion refitted as a seed ensemble and traded once on the holdout
    (the overall champion's family reuses ``holdout``: it is the same trial)."""
    out = []
    for family, number in numbers.items():
        if number is None:
            out.append(FamilyChampion(family, None))
            continue
        row = trials.loc[trials["number"] == number].iloc[0]
        objective = "sharpe" if config.search.multi_objective else "fitness"
        fitness = float(row[objective])
        family_config = budgeted(decode(search.study.trials[number].params, config))
        if number == overall:
            out.append(
                FamilyChampion(
                    family,
                    number,
                    family_config,
                    fitness,
                    holdout.champion,
                    holdout.results["champion"],
                    dict(holdout.seed_results),
                    holdout.mix,
                )
            )
            continue
        stage(
            f"family champion {family}: trial {number}; refitting with {seeds} "
            f"seed{'s' if seeds != 1 else ''} and trading the holdout"
        )
        ensemble, result, seed_results, mix = trade_seed_ensemble(
            family_config, data, periods, rules, seeds=seeds, jobs=jobs
        )
        out.append(
            FamilyChampion(
                family, number, family_config, fitness, ensemble, result, seed_results, mix
            )
        )
    return tuple(out)
