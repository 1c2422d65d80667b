"""``evofolio.validate``: the whole procedure (search → champion → seed ensemble) walked
forward over the development period and judged against every classic rule.

See :mod:`evofolio.search.jobs.nested` for the outer loop and
:mod:`evofolio.search.evaluation.stitched` for the stitched track and its tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pandas as pd

from evofolio.api.data import PricesInput
from evofolio.api.progress import progress_callbacks
from evofolio.api.search import ConfigInput, _base_config, _data
from evofolio.backtesting import BacktestResult
from evofolio.config import RunConfig, Sampler, override, parse_config
from evofolio.data import MarketData
from evofolio.data.load import anchored
from evofolio.errors import UsageError
from evofolio.report.validate import build_validate_report
from evofolio.run_layout import SEARCH_DB
from evofolio.search.engine.progress import SearchEvent
from evofolio.search.engine.storage import check_storage
from evofolio.search.evaluation.champion import PARETO_PICKS
from evofolio.search.evaluation.stitched import (
    BEST_CLASSIC,
    period_results,
    samplers_summary,
    stitch,
    subsets_summary,
    track_summary,
    write_track,
)
from evofolio.search.jobs.nested import (
    check_first_history,
    development_data,
    draw_subsets,
    outer_periods,
    subset_data,
    walk_forward_search,
)

logger = logging.getLogger(__name__)

__all__ = ["ValidateResult", "validate"]


@dataclass(frozen=True, eq=False)
class ValidateResult:
    """What :func:`validate` produced (all of it also under ``out``).

    ``summary``: the contents of ``out/validate.json`` (``periods``: one record per outer
    step; ``metrics``: portfolio → metrics of the stitched track; ``holdout_tests``,
    ``costs``, ``verdict``: as a run's, over the stitched track; ``subsets`` when asked).
    ``track``: the stitched daily results (``champion``: the procedure, every classic rule,
    ``equal_blend``, and ``best_classic`` when that is the benchmark). ``report``:
    ``out/report.html`` or None.
    """

    out: Path
    config: RunConfig
    summary: dict[str, Any]
    track: dict[str, BacktestResult]
    report: Path | None

    @property
    def periods(self) -> list[dict[str, Any]]:
        return list(self.summary["periods"])


def _development(base: RunConfig, data: PricesInput | None) -> tuple[MarketData, pd.Timestamp]:
    """The development period's data, read as if the holdout did not exist, and the holdout
    start.

    A first, silent load only finds the holdout start (``data.holdout_start``, the dataset's
    default or the last 20 % of the dates). The source is then read again up to that date, so
    which assets are kept, how gaps are filled and every warning depend on the development
    dates only: an asset that is missing through the holdout is not dropped here. A
    ``MarketData`` given ready-made is only cut (see :func:`evofolio.api.data.load_data`).
    """
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        full = _data(base, data)
    finally:
        logging.disable(previous)
    _, periods = development_data(base, full)
    return _data(base, data, end=periods.holdout_start), periods.holdout_start


def validate(
    config: ConfigInput = None,
    data: PricesInput | None = None,
    *,
    out: str | Path = "runs/validate",
    quick: bool = False,
    outer_years: int | None = None,
    first_test: int | None = None,
    subsets: int | None = None,
    subset_size: int | None = None,
    jobs: int | None = None,
    storage: str | None = None,
    seed: int | None = None,
    pareto_pick: str = "sharpe",
    samplers: Sequence[str] | str | None = None,
    report: bool = True,
    progress: bool = True,
    on_event: Callable[[SearchEvent], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> ValidateResult:
    """The nested walk-forward of the whole search over the development period.

    Args:
        config: a :class:`~evofolio.config.RunConfig`, a TOML path, or None for the
            ``default`` preset (``quick`` preset with ``quick=True``).
        data: a source string, a prices DataFrame or ``MarketData``; default the config's.
            Only its dates before the holdout start are read.
        out: the output directory (running again resumes: finished outer steps are kept).
        outer_years, first_test, subsets, subset_size: override ``[validate]``.
        jobs, storage: as :func:`evofolio.run` (``storage`` default: SQLite ``out/search.db``,
            one study ``outer-YYYY`` per outer step). seed: the run's seed.
        samplers: run the whole procedure once per sampler (``"nsga2,random"`` or a list:
            ``search.sampler`` values) on the same outer periods at the same budget; the first
            is the procedure ``out`` holds, each other is under ``out/sampler-<name>/``, and
            ``summary["samplers"]`` compares their stitched tracks (each against the
            benchmark, every pair's Sharpe difference with its interval and Holm-adjusted
            p-value). Default: ``search.sampler`` alone.
        report: write ``out/report.html``.
        progress, on_event, on_stage: as :func:`evofolio.run` (a progress bar per outer
            search by default; your callbacks receive each search's events and each stage's
            sentence instead).

    Raises:
        ConfigError, DataError, UsageError: bad configuration, data or arguments, before
            anything is written.
    """
    if pareto_pick not in PARETO_PICKS:
        raise UsageError(
            f"pareto_pick must be one of {', '.join(PARETO_PICKS)}, got '{pareto_pick}'"
        )
    if quick and config is not None:
        raise UsageError("give quick or config, not both")
    base = _base_config(config, "quick" if quick else "default")
    base = override(
        base,
        "validate",
        outer_years=outer_years,
        first_test=first_test,
        subsets=subsets,
        subset_size=subset_size,
    )
    base = override(base, "search", jobs=jobs)
    if seed is not None:
        base = parse_config({**base.model_dump(by_alias=True), "seed": seed}, "seed")
    check_storage(storage, base.search)  # before the data load and the classic panel
    development, holdout_start = _development(base, data)
    base = override(base, "data", source=development.source, holdout_start=holdout_start.date())
    base = override(base, "data", **anchored(base.data))  # found again from any folder
    dates = pd.DatetimeIndex(development.prices.index)
    section = base.validation
    outer = outer_periods(dates, holdout_start, section.outer_years, section.first_test)
    check_first_history(base, dates, outer[0])  # before anything is written or searched
    drawn: list[list[str]] = []
    if section.subset_size is not None and not section.subsets:
        raise UsageError("--subset-size needs --subsets (validate.subsets: how many subsets)")
    if section.subsets:
        if section.subset_size is None:
            raise UsageError("--subsets needs --subset-size (validate.subset_size)")
        drawn = draw_subsets(development.assets, section.subsets, section.subset_size, base.seed)
    if len(outer) == 1:
        logger.warning(
            "validate: only one outer period (%s to %s) with validate.first_test %s and "
            "validate.outer_years %d: the procedure is tested once; choose an earlier "
            "--first-test or fewer --outer-years for several periods",
            outer[0].start.date(),
            outer[0].end.date(),
            outer[0].start.year,
            section.outer_years,
        )
    with progress_callbacks(progress, on_event, on_stage) as (on_event, on_stage):
        names = _samplers(samplers, base.search.sampler)
        base = _with_sampler(base, names[0])
        root = Path(out)
        root.mkdir(parents=True, exist_ok=True)
        url = storage or f"sqlite:///{(root / SEARCH_DB).resolve()}"
        common: dict[str, Any] = {
            "storage_url": url,
            "jobs": jobs,
            "pareto_pick": pareto_pick,
            "on_event": on_event,
            "on_stage": on_stage,
        }
        summary, track = _procedure(base, development, root, "", common)
        if len(names) > 1:
            procedures = {names[0]: {**summary, "track": track}}
            for name in names[1:]:
                if on_stage is not None:
                    on_stage(f"the same procedure with the {name} sampler")
                part, part_track = _procedure(
                    _with_sampler(base, name),
                    development,
                    root / f"sampler-{name}",
                    f"{name}-",
                    common,
                )
                procedures[name] = {**part, "track": part_track}
            summary["samplers"] = samplers_summary(base, procedures)
        summary.update(
            {
                "source": development.source,
                "assets": development.assets,
                "development": [f"{dates[0]:%Y-%m-%d}", f"{dates[-1]:%Y-%m-%d}"],
                "holdout_start": f"{holdout_start:%Y-%m-%d}",
                "config": base.model_dump(mode="json"),
            }
        )
        if drawn:
            results = []
            for index, assets in enumerate(drawn):
                name = f"subset-{index + 1:02d}"
                if on_stage is not None:
                    on_stage(f"{name}: {', '.join(assets)}")
                part, _ = _procedure(
                    base, subset_data(development, assets), root / name, f"{name}-", common
                )
                results.append({**part, "assets": assets})
            benchmark = summary["holdout_tests"]["benchmark"]
            summary["subsets"] = subsets_summary(results, benchmark)
        write_track(root, track, summary)
        path = build_validate_report(root).resolve() if report else None
        return ValidateResult(root.resolve(), base, summary, track, path)


def _samplers(given: Sequence[str] | str | None, configured: str) -> list[str]:
    """The samplers to compare, in order (``UsageError`` for an unknown or repeated one)."""
    if given is None:
        return [configured]
    names = [n.strip() for n in given.split(",")] if isinstance(given, str) else list(given)
    names = [n for n in names if n]
    known = list(get_args(Sampler))
    unknown = [n for n in names if n not in known]
    if unknown or not names or len(set(names)) != len(names):
        got = ", ".join(names) or "none"
        raise UsageError(f"samplers: give distinct names among {', '.join(known)}, got {got}")
    return names


def _with_sampler(config: RunConfig, name: str) -> RunConfig:
    return override(config, "search", sampler=name)


def _procedure(
    config: RunConfig, data: Any, out: Path, prefix: str, common: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, BacktestResult]]:
    """Every outer step on ``data``, stitched and tested; the track written under ``out``
    (for a subset) by the caller or here."""
    records = walk_forward_search(config, data, out, prefix=prefix, **common)
    chosen = None
    if config.evaluation.benchmark == BEST_CLASSIC:
        chosen = [str(r["benchmark"]) for r in records]
    track = stitch([period_results(out / str(r["name"])) for r in records], chosen)
    summary = track_summary(config, records, track)
    if prefix:
        write_track(out, track, summary)
    return summary, track
