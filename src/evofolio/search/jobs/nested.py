"""``evofolio validate``: the whole search walked forward over the development period.

The holdout answers "did this one champion beat the classic rules?"; this module answers
"does the *procedure* (search, champion pick, seed-ensemble refit) beat them?" (Maggiolo &
Szehr 2023, *Overfitting in portfolio optimization*, J. Risk Model Validation 17(3)).

The data is cut at the holdout start before anything else: nothing on or after it is read.
Outer boundaries d_0 < d_1 < ... < d_K (1 January of ``first_test``, then every
``outer_years`` years; d_K is the holdout start; a last period shorter than half
``outer_years`` is merged into the one before). Outer step k is exactly the run job
(:func:`~evofolio.search.jobs.run.run_pipeline`) on the data of the dates before d_{k+1}
with its holdout starting at d_k: the search, its inner folds, purge and fitness see only
the dates before d_k, and the champion's seed ensemble and every classic rule trade
[d_k, d_{k+1}) with the same rules and costs. Each outer search is its own study
(``outer-YYYY``) in one storage, warm-started (Optuna ``enqueue_trial``) with the previous
one's best genomes (at most half the population, at least one: :func:`warm_start_count`;
with islands, that many per island from the island's own trials,
so every later search also tries new genomes) and given ``validate.generations_after_first``
generations.

A finished step writes ``outer-YYYY/period.json`` last; a step with that file is never run
again, and a killed step resumes its study as ``evolve`` does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from evofolio.backtesting import Periods, split_periods
from evofolio.config import GeneValue, RunConfig, override
from evofolio.data import MarketData
from evofolio.data.load import cut_before
from evofolio.errors import ConfigError, InsufficientHistoryError
from evofolio.outdir import write_json
from evofolio.search.engine.progress import SearchEvent
from evofolio.search.engine.storage import make_storage, quiet_optuna
from evofolio.search.fitness import LATER_HOLDOUT, search_folds
from evofolio.search.jobs.run import PipelineResult, run_pipeline
from evofolio.search.plan import enqueue_genomes

__all__ = [
    "PERIOD_FILE",
    "OuterPeriod",
    "best_genomes",
    "check_first_history",
    "development_data",
    "draw_subsets",
    "outer_config",
    "outer_periods",
    "subset_data",
    "walk_forward_search",
    "warm_start_count",
]

logger = logging.getLogger(__name__)

PERIOD_FILE = "period.json"
MIN_PERIOD_DATES = 20
Stage = Callable[[str], None]


@dataclass(frozen=True)
class OuterPeriod:
    """Outer step ``index``: search on the dates before ``start``, trade [start, end).

    ``start`` and ``end`` are calendar boundaries (``end`` of the last step: the holdout
    start); ``name`` (``outer-YYYY``) is its directory and study name.
    """

    index: int
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def name(self) -> str:
        return f"outer-{self.start.year}"


def development_data(config: RunConfig, data: MarketData) -> tuple[MarketData, Periods]:
    """``data`` cut before the holdout start (``config.data.holdout_start`` or the dataset's
    default): the only prices :func:`walk_forward_search` ever reads."""
    periods = split_periods(
        pd.DatetimeIndex(data.prices.index), config.data.holdout_start, source=data.source
    )
    return cut_before(data, periods.holdout_start), periods


def outer_periods(
    development: pd.DatetimeIndex,
    holdout_start: pd.Timestamp,
    outer_years: int,
    first_test: int | None = None,
) -> list[OuterPeriod]:
    """The outer test periods over the development dates (see the module docstring).

    ``first_test`` None: the first year that starts after the middle development date.

    Raises:
        ConfigError: ``validate.first_test`` outside the development period, or a period
            with fewer than 20 trading dates (it names the period).
    """
    first_date, last_date = development[0], development[-1]
    if first_test is None:
        first_test = development[len(development) // 2].year + 1
    start = pd.Timestamp(dt.date(first_test, 1, 1))
    if not first_date < start <= last_date:
        raise ConfigError(
            f"validate.first_test {first_test}: the first outer test period must start inside "
            f"the development period ({first_date.date()} to {last_date.date()}), after some "
            "history to search on"
        )
    starts = []
    while start < holdout_start:
        starts.append(start)
        start = pd.Timestamp(dt.date(start.year + outer_years, 1, 1))
    ends = [*starts[1:], holdout_start]
    if len(starts) > 1 and (ends[-1] - starts[-1]).days < outer_years * 365 / 2:
        starts.pop()  # a short last period joins the one before it
        ends.pop(-2)
    periods = [OuterPeriod(i, s, e) for i, (s, e) in enumerate(zip(starts, ends, strict=True))]
    for period in periods:
        n = int(((development >= period.start) & (development < period.end)).sum())
        if n < MIN_PERIOD_DATES:
            raise ConfigError(
                f"validate: outer period {period.name} ({period.start.date()} to "
                f"{period.end.date()}) has {n} trading dates; it needs {MIN_PERIOD_DATES} "
                "(change validate.outer_years or validate.first_test)"
            )
    return periods


LATER_FIRST_TEST = "choose a later --first-test (validate.first_test)"


def validate_advice(error: InsufficientHistoryError, name: str) -> InsufficientHistoryError:
    """``error`` for outer step ``name``, advising a later ``validate.first_test`` (in
    validate the holdout start is not what limits the first search's history)."""
    return InsufficientHistoryError(
        f"{name}: {str(error).replace(LATER_HOLDOUT, LATER_FIRST_TEST)}"
    )


def check_first_history(
    config: RunConfig, development: pd.DatetimeIndex, first: OuterPeriod, prefix: str = ""
) -> None:
    """Check, from the dates alone, that the first outer search has enough history for its
    inner folds (:func:`~evofolio.search.fitness.search_folds`), before anything runs.

    Raises:
        InsufficientHistoryError: naming the step and advising a later ``--first-test``.
    """
    search = config.search
    before = development[development < first.start]
    try:
        search_folds(before, search.folds, search.min_test_days, config.walk_forward.purge_days)
    except InsufficientHistoryError as error:
        raise validate_advice(error, prefix + first.name) from None


def outer_config(config: RunConfig, period: OuterPeriod) -> RunConfig:
    """The run configuration of outer step ``period``: holdout at its start; the search's
    generations from ``[search]`` for the first step, ``validate.generations_after_first``
    after it."""
    stepped = override(config, "data", holdout_start=period.start.date())
    if period.index > 0:
        stepped = override(stepped, "search", generations=config.validation.generations_after_first)
    return stepped


def best_genomes(
    study: optuna.Study, count: int, *, per: str | None = None
) -> list[dict[str, GeneValue]]:
    """Up to ``count`` distinct genomes of the study's completed trials, best first (by the
    first objective: the fitness, or the Sharpe ratio in multi-objective mode); with ``per``
    (a gene, e.g. ``family`` for islands), up to ``count`` for each value of that gene."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    done = sorted(done, key=lambda t: (-float(t.values[0]), t.number))
    genomes: list[dict[str, GeneValue]] = []
    taken: dict[Any, int] = {}
    for trial in done:
        group = None if per is None else trial.params.get(per)
        if trial.params not in genomes and taken.get(group, 0) < count:
            genomes.append(dict(trial.params))
            taken[group] = taken.get(group, 0) + 1
    return genomes


def warm_start_count(population: int) -> int:
    """How many of the previous outer search's best genomes a later one is seeded with:
    half the population rounded down, at least 1 (``population`` 3 -> 1, 4 -> 2), so the
    first generation still draws ``population - count`` new genomes and the search explores
    instead of re-evaluating the previous period's best only."""
    return max(1, population // 2)


def _warm_start(config: RunConfig, run_dir: Path, url: str, previous: str, name: str) -> int:
    """Queue the previous study's :func:`warm_start_count` best genomes in study ``name``
    unless it was begun already (a resumed step keeps what it has). Returns the number of
    genomes the step started from."""
    storage = make_storage(url, config.search)
    with quiet_optuna():
        before = optuna.load_study(study_name=previous, storage=storage)
    per = "family" if config.search.islands else None  # each island from its own best
    genomes = best_genomes(before, warm_start_count(config.search.population), per=per)
    names = {s.study_name for s in optuna.get_all_study_summaries(storage)}
    if name in names:
        study = optuna.load_study(study_name=name, storage=storage)
        if study.get_trials(deepcopy=False):
            return len(genomes)
    enqueue_genomes(config, run_dir, genomes, storage_url=url, study_name=name)
    return len(genomes)


def _finite(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


def period_record(
    period: OuterPeriod, config: RunConfig, result: PipelineResult, warm: int
) -> dict[str, Any]:
    """What ``outer-YYYY/period.json`` holds: dates, budget, the champion and its genome,
    each portfolio's Sharpe ratio over the period, the search's DSR and PBO."""
    holdout = result.holdout.results
    dates = holdout["champion"].net.index
    stats = result.statistics
    search = config.search
    return {
        "name": period.name,
        "index": period.index,
        "boundaries": [f"{period.start:%Y-%m-%d}", f"{period.end:%Y-%m-%d}"],
        "development": [
            f"{result.periods.development[0]:%Y-%m-%d}",
            f"{result.periods.development[-1]:%Y-%m-%d}",
        ],
        "trading": [f"{dates[0]:%Y-%m-%d}", f"{dates[-1]:%Y-%m-%d}"],
        "budget": {
            "population": search.population,
            "generations": search.generations,
            "target_trials": search.population * search.generations,
            "warm_start_genomes": warm,
        },
        "champion_trial": result.champion_number,
        "family": result.champion_config.model.family,
        "genome": dict(result.search.study.trials[result.champion_number].params),
        "benchmark": result.benchmark.name,
        "sharpe": {name: _finite(r.metrics()["sharpe"]) for name, r in holdout.items()},
        "n_evaluated": stats.n_evaluated,
        "active_dsr": None if stats.active_dsr is None else _finite(stats.active_dsr.dsr),
        "active_pbo": None if stats.active_pbo is None else _finite(stats.active_pbo.pbo),
        "dsr_vs_zero": _finite(stats.dsr.dsr),
        "pbo_raw": None if stats.pbo is None else _finite(stats.pbo.pbo),
    }


def walk_forward_search(
    config: RunConfig,
    data: MarketData,
    out: Path,
    *,
    storage_url: str,
    prefix: str = "",
    jobs: int | None = None,
    pareto_pick: str = "sharpe",
    on_event: Callable[[SearchEvent], None] | None = None,
    on_stage: Stage | None = None,
) -> list[dict[str, Any]]:
    """Run (or resume) every outer step of the nested walk-forward; return their records.

    ``data`` must already be cut before the holdout (:func:`development_data`); ``config``'s
    ``holdout_start`` is the cut. Step k writes ``out/outer-YYYY/`` (a run directory as
    ``evolve`` writes it, plus ``period.json``) and its study is ``prefix + outer-YYYY`` in
    ``storage_url``.

    Raises:
        ConfigError, InsufficientHistoryError: bad ``[validate]`` settings, or too little
            history before the first outer period for the inner folds (before any search).
    """
    stage = on_stage or (lambda _: None)
    dates = pd.DatetimeIndex(data.prices.index)
    holdout_start = pd.Timestamp(config.data.holdout_start or dates[-1] + pd.Timedelta(days=1))
    periods = outer_periods(
        dates, holdout_start, config.validation.outer_years, config.validation.first_test
    )
    check_first_history(config, dates, periods[0], prefix)
    records: list[dict[str, Any]] = []
    for period in periods:
        run_dir = out / period.name
        done = run_dir / PERIOD_FILE
        if done.is_file():
            records.append(_read_record(done))
            stage(f"{prefix}{period.name}: finished before, skipped")
            continue
        step = outer_config(config, period)
        name = prefix + period.name
        warm = 0
        if period.index > 0:
            previous = prefix + periods[period.index - 1].name
            warm = _warm_start(step, run_dir, storage_url, previous, name)
        search = step.search
        stage(
            f"{name} ({period.index + 1}/{len(periods)}): search on the dates before "
            f"{period.start.date()} ({search.population} x {search.generations} genomes"
            + (" per family" if search.islands else "")
            + (f", warm-started with {warm}" if warm else "")
            + f"), then trade {period.start.date()} to {period.end.date()}"
        )
        try:
            result = run_pipeline(
                step,
                cut_before(data, period.end),
                run_dir,
                jobs=jobs,
                storage_url=storage_url,
                study_name=name,
                pareto_pick=pareto_pick,
                on_event=on_event,
                on_stage=on_stage,
                holdout_name=f"{period.start.date()} to {period.end.date()}",
            )
        except InsufficientHistoryError as error:
            raise validate_advice(error, name) from None
        record = period_record(period, step, result, warm)
        write_json(done, record)
        records.append(record)
    return records


def _read_record(path: Path) -> dict[str, Any]:
    value: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return dict(value)


def draw_subsets(assets: list[str], count: int, size: int, seed: int) -> list[list[str]]:
    """``count`` random subsets of ``size`` assets (each in the data's column order), drawn
    with ``numpy.random.default_rng(seed)``: the same seed gives the same subsets.

    Raises:
        ConfigError: ``size`` not below the number of assets (it names both).
    """
    if not 2 <= size < len(assets):
        raise ConfigError(
            f"validate.subset_size {size}: a subset needs at least 2 and fewer than the "
            f"data's {len(assets)} assets"
        )
    rng = np.random.default_rng(seed)
    return [
        [assets[i] for i in sorted(rng.choice(len(assets), size=size, replace=False))]
        for _ in range(count)
    ]


def subset_data(data: MarketData, assets: list[str]) -> MarketData:
    """``data`` restricted to ``assets`` (same dates, same market series)."""
    return dataclasses.replace(data, prices=data.prices[assets])
