"""``evofolio.run`` and ``evofolio.evolve``: the genetic search, the champion, the holdout.

Both search on the development period of the data given (used as given: nothing re-reads a
source behind the caller's back), pick the champion, refit it as a seed ensemble, trade the
holdout once and write the run directory; ``run`` also writes ``report.html``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.registry import check_model
from evofolio.api.config import load_config, load_preset
from evofolio.api.data import PricesInput, load_data
from evofolio.api.progress import progress_callbacks
from evofolio.config import RunConfig, override, parse_config
from evofolio.config.run import check_mapping
from evofolio.data import MarketData, load_from_config
from evofolio.data.load import anchored
from evofolio.errors import UsageError
from evofolio.report.html import build_report
from evofolio.runlock import search_lock, worker_lock
from evofolio.search.engine import SearchEvent, SearchResult
from evofolio.search.engine.storage import check_storage
from evofolio.search.evaluation.champion import PARETO_PICKS
from evofolio.search.jobs.run import PipelineResult, run_pipeline, run_worker

__all__ = ["RunResult", "evolve", "run", "search_worker"]

ConfigInput = RunConfig | Mapping[str, Any] | str | Path | None
"""A run configuration as the API takes it: a :class:`~evofolio.config.RunConfig`, a mapping
of its sections (``{"search": {"population": 4}}``), a TOML path, or None (a preset)."""


@dataclass(frozen=True, eq=False)
class RunResult:
    """What :func:`run` / :func:`evolve` produced (all of it also under ``run_dir``).

    ``holdout``: portfolios × metrics over the holdout period, net of costs (rows: the
    ``champion`` seed ensemble, every classic strategy, ``equal_blend``; columns as
    :func:`evofolio.metrics.summarize`: ``mean_return``, ``volatility``, ``sharpe``, ...,
    annualised over 252 days a year). ``verdict``: the sections of
    ``champion/metrics.json`` (``verdict`` with ``outcome`` and ``text``, ``benchmark``,
    ``search_statistics``, ``holdout_tests``, ``seeds``, ``costs``). ``run_dir`` (absolute),
    ``champion_trial``: the champion's trial number; ``config``: the run configuration
    used; ``report``: ``run_dir/report.html`` or None (``evolve``); ``pipeline``:
    everything else (search, periods, statistics, benchmark, the fitted ensemble).
    """

    holdout: pd.DataFrame
    verdict: dict[str, Any]
    run_dir: Path
    champion_trial: int
    config: RunConfig
    report: Path | None
    pipeline: PipelineResult

    def holdout_rows(self) -> dict[str, dict[str, float]]:
        """``holdout`` as ``{portfolio: {metric: value}}``."""
        return {
            str(name): {str(key): float(value) for key, value in row.items()}
            for name, row in self.holdout.to_dict(orient="index").items()
        }

    @property
    def champion_config(self) -> RunConfig:
        """The champion's decoded genome as a full run configuration."""
        return self.pipeline.champion_config


def run(
    config: ConfigInput = None,
    data: PricesInput | None = None,
    *,
    out: str | Path = "runs/run",
    quick: bool = False,
    jobs: int | None = None,
    population: int | None = None,
    generations: int | None = None,
    seed: int | None = None,
    storage: str | None = None,
    study: str | None = None,
    artifacts: str | None = None,
    pareto_pick: str = "sharpe",
    report: bool = True,
    progress: bool = True,
    on_event: Callable[[SearchEvent], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RunResult:
    """The main job: search → champion → holdout against every classic rule → report.

    Args:
        config: a :class:`~evofolio.config.RunConfig`, a mapping of its sections
            (``{"search": {"population": 4}}``), a TOML path, or None for the
            ``default`` preset (``quick`` preset with ``quick=True``).
        data: a source string, a prices DataFrame (dates × assets, adjusted closes) or
            ``MarketData`` (see :func:`evofolio.load_data`); default the config's ``[data]``.
            A frame is recorded under its ``MarketData.source`` label.
        out: the run directory (created; running again resumes the search).
        quick: use the ``quick`` preset (a demonstration budget); not with ``config``.
        jobs, population, generations, seed, storage, study, artifacts: override
            ``[search]`` keys (``storage``: an Optuna URL, default SQLite in ``out``;
            ``artifacts``: a directory every machine mounts or ``s3://bucket/prefix``, where
            every machine's trial files and the champion go) and the run's seed.
        pareto_pick: multi-objective only: the champion from the Pareto front by this.
        report: write ``out/report.html``.
        progress: show a progress bar of the search and a line per stage (a widget in
            Jupyter, text on stderr elsewhere; see :mod:`evofolio.api.progress`); False:
            silent. Optuna's own INFO lines are quieted to warnings either way.
        on_event: called with each :class:`~evofolio.search.engine.progress.SearchEvent`
            (trial counts, generation, best and median fitness, time left, running trials,
            per-family counts) instead of the progress bar: at the start, every few seconds
            while trials run, after each trial and at the end (``finished=True``).
        on_stage: called with each stage's sentence (the classic rules, the champion's
            refits, the holdout) instead of the printed line.

    Raises:
        ConfigError, DataError, UsageError: bad configuration, data or arguments, before
            anything is written (a run directory made from other data is refused).
        SearchRunningError: another process runs a search in ``out`` (refused before the
            data load; naming its pid, host and start time).
        OutputError: an output cannot be written (full disk, read-only directory, I/O
            error), naming the file and the cause; the interrupted trial is re-evaluated
            when the same call runs again, not counted as a failed genome.
    """
    if pareto_pick not in PARETO_PICKS:
        raise UsageError(
            f"pareto_pick must be one of {', '.join(PARETO_PICKS)}, got '{pareto_pick}'"
        )
    if quick and config is not None:
        raise UsageError("give quick or config, not both")
    base = _with_search(
        _base_config(config, "quick" if quick else "default"),
        seed,
        population=population,
        generations=generations,
        jobs=jobs,
        storage=storage,
        study_name=study,
        artifacts=artifacts,
    )
    check_storage(base.search.storage, base.search)  # before the data load and the panel
    run_dir = Path(out)
    with search_lock(run_dir):  # a second search in run_dir is refused before the data load
        loaded = _data(base, data)
        if loaded.source != base.data.source:
            base = override(base, "data", source=loaded.source)
        base = override(base, "data", **anchored(base.data))  # found again from any folder
        with progress_callbacks(progress, on_event, on_stage) as (event, stage):
            result = run_pipeline(
                base, loaded, run_dir, pareto_pick=pareto_pick, on_event=event, on_stage=stage
            )
        path = build_report(run_dir).resolve() if report else None
    rows = {name: r.metrics() for name, r in result.holdout.results.items()}
    return RunResult(
        holdout=pd.DataFrame.from_dict(rows, orient="index"),
        verdict=result.verdict,
        run_dir=run_dir.resolve(),
        champion_trial=result.champion_number,
        config=base,
        report=path,
        pipeline=result,
    )


def search_worker(
    config: ConfigInput = None,
    data: PricesInput | None = None,
    *,
    storage: str,
    artifacts: str | None = None,
    study: str | None = None,
    out: str | Path = "runs/worker",
    jobs: int | None = None,
    population: int | None = None,
    generations: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    on_event: Callable[[SearchEvent], None] | None = None,
) -> SearchResult:
    """A worker machine of a shared search (``evofolio evolve --worker-only``): evaluate
    trials of study ``study`` in ``storage`` until it holds population x generations
    completed trials, then return, without choosing a champion (the coordinator does).

    Args:
        config, data: as :func:`evolve` (the coordinator's; the study refuses others).
        storage: the server database URL the coordinator uses (e.g. ``postgresql://...``).
        artifacts: the coordinator's store (a shared directory or ``s3://bucket/prefix``).
        out: this machine's scratch directory for its trials' files.
        progress, on_event: as :func:`run`.

    Raises:
        ConfigError, DataError, UsageError: bad configuration, data, URL or store.
        OutputError: an output cannot be written (full disk, read-only directory...).
    """
    base = _with_search(
        RunConfig() if config is None else _base_config(config, "default"),
        seed,
        population=population,
        generations=generations,
        jobs=jobs,
        storage=storage,
        study_name=study,
        artifacts=artifacts,
    )
    check_storage(base.search.storage, base.search)
    with worker_lock(out):  # readers of ``out`` see a search running
        loaded = _data(base, data)
        if loaded.source != base.data.source:
            base = override(base, "data", source=loaded.source)
        base = override(base, "data", **anchored(base.data))  # found again from any folder
        with progress_callbacks(progress, on_event, None) as (event, _):
            return run_worker(base, loaded, Path(out), on_event=event)


def evolve(
    config: ConfigInput = None,
    data: PricesInput | None = None,
    *,
    out: str | Path = "runs/evolve",
    **options: Any,
) -> RunResult:
    """:func:`run` without the report; ``config=None`` means the built-in defaults
    (``RunConfig()``), as ``evofolio evolve`` without ``--config``. ``options``: the keyword
    arguments of :func:`run` (but ``quick`` and ``report``)."""
    if "report" in options or "quick" in options:
        raise UsageError("evolve takes neither quick nor report (use run)")
    base = RunConfig() if config is None else _base_config(config, "default")
    return run(base, data, out=out, report=False, **options)


def _with_search(base: RunConfig, seed: int | None, **search: Any) -> RunConfig:
    """``base`` with the given ``[search]`` options (None: keep) and ``seed`` (None: keep)."""
    base = override(base, "search", **search)
    if seed is None:
        return base
    return parse_config({**base.model_dump(by_alias=True), "seed": seed}, "seed")


def _base_config(config: ConfigInput, preset: str) -> RunConfig:
    """``config`` checked as a file is (every key, ``[model]`` against its family,
    ``search.families`` against the registry); None: the ``preset``. ``ConfigError`` or
    ``UsageError`` (not a configuration at all) in one line otherwise."""
    if config is None:
        return load_preset(preset)
    if isinstance(config, RunConfig):
        return check_model(config, "config")
    if isinstance(config, Mapping):
        check_mapping(config, "config")  # "false" is text, as in a file
        return check_model(parse_config(dict(config), "config"), "config")
    if isinstance(config, str | os.PathLike):
        return load_config(config)
    raise UsageError(
        "config: expected a RunConfig, a mapping of its sections, a TOML path or None, got "
        f"{type(config).__name__}"
    )


def _data(
    config: RunConfig, data: PricesInput | None, end: pd.Timestamp | None = None
) -> MarketData:
    """The data to search on: given (a string goes through the config's ``[data]`` settings),
    else the config's source; ``end``: only the dates before it are read (see
    :func:`evofolio.api.data.load_data`)."""
    if data is None:
        return load_from_config(config.data, end=end)
    if isinstance(data, str):
        return load_from_config(override(config, "data", source=data).data, end=end)
    section = config.data
    return load_data(
        data,
        market=section.market,
        timezone=section.timezone,
        on_suspect_jump=section.on_suspect_jump,
        max_ffill_days=section.max_ffill_days,
        max_missing_frac=section.max_missing_frac,
        end=end,
    )
