"""`evofolio validate`: the whole search walked forward over the development period."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    DeviceOpt,
    QuietOpt,
    VerboseOpt,
    classic_progress,
    console,
    handle_errors,
    resolve_config,
    setup_logging,
)
from evofolio.cli.evolve_cmd import JobsOpt, SeedOpt, StorageOpt
from evofolio.cli.search_display import SearchDisplay
from evofolio.errors import UsageError

if TYPE_CHECKING:
    from evofolio.api.validate import ValidateResult
    from evofolio.search.engine.progress import SearchEvent


class OuterDisplay:
    """One live :class:`SearchDisplay` per outer search: a new one starts with the first
    event after the previous search finished."""

    def __init__(self) -> None:
        self.current: SearchDisplay | None = None
        self.idle = Progress()

    def __call__(self, event: SearchEvent) -> None:
        if self.current is None or self.current.closed:
            self.current = SearchDisplay().__enter__()
        self.current(event)

    def progress(self) -> Progress:
        """The live search display's progress, or an idle one (the classic rules' progress
        then shows on a bar of its own) between searches."""
        if self.current is None or self.current.closed:
            return self.idle
        return self.current.progress

    def close(self) -> None:
        if self.current is not None:
            self.current.close(summary=False)


def print_summary(result: ValidateResult) -> None:
    """The stitched table, one line per outer period, the subsets, the verdict last."""
    from evofolio.report.tables import metrics_table

    summary = result.summary
    title = (
        f"stitched out-of-sample track {summary['trading'][0]} to {summary['trading'][1]} "
        "(champion = the procedure), net of costs"
    )
    console.print(metrics_table(summary["metrics"], title))
    for p in summary["periods"]:
        budget = p["budget"]
        console.print(
            f"{p['name']}: traded {p['trading'][0]} to {p['trading'][1]}; {p['family']} "
            f"(trial {p['champion_trial']}, {budget['population']} x {budget['generations']}"
            f", warm start {budget['warm_start_genomes']}); Sharpe "
            f"{p['sharpe']['champion']:.2f} vs {p['benchmark']} "
            f"{p['sharpe'][p['benchmark']]:.2f}",
            soft_wrap=True,
        )
    subsets = summary.get("subsets")
    if subsets:
        console.print(
            f"subsets: the procedure beats {subsets['benchmark']} in "
            f"{100 * subsets['vs_benchmark']['share_beating']:.0f} % and min_variance in "
            f"{100 * subsets['vs_min_variance']['share_beating']:.0f} % of "
            f"{len(subsets['rows'])} subsets"
        )
    compared = summary.get("samplers")
    if compared:
        level = f"{100 * compared['confidence']:.0f} %"
        for row in compared["rows"]:
            low, high = row["ci"]
            console.print(
                f"sampler {row['sampler']}: stitched Sharpe {row['sharpe']:.2f}; vs "
                f"{row['benchmark']} {row['vs_benchmark']:+.2f} ({level} CI [{low:+.2f}, "
                f"{high:+.2f}], Holm p over the classic rules = {row['p_holm']:.2f}): "
                f"{row['outcome']}",
                soft_wrap=True,
            )
        for pair in compared["pairs"]:
            console.print(
                f"{pair['first']} vs {pair['second']}: Sharpe {pair['sharpe_first']:.2f} vs "
                f"{pair['sharpe_second']:.2f}, difference {pair['difference']:+.2f} ({level} CI "
                f"[{pair['ci_low']:+.2f}, {pair['ci_high']:+.2f}], Holm p over the sampler "
                f"pairs = {pair['p_holm']:.2f})",
                soft_wrap=True,
            )
    if result.report is not None:
        console.print(f"wrote {result.report}")
    console.print(f"verdict: {summary['verdict']['text']}", soft_wrap=True)


@handle_errors
def validate_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    outer_years: Annotated[
        int | None,
        typer.Option(help="Calendar years traded by each outer search (default 3)."),
    ] = None,
    first_test: Annotated[
        int | None,
        typer.Option(
            help="Year of the first outer test period (default: the first year after the "
            "middle of the development period; 2004 on sp500)."
        ),
    ] = None,
    subsets: Annotated[
        int | None,
        typer.Option(help="Also validate on K seeded random asset subsets (needs --subset-size)."),
    ] = None,
    subset_size: Annotated[int | None, typer.Option(help="Assets per random subset.")] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="The quick preset's budget (a demonstration).")
    ] = False,
    samplers: Annotated[
        str | None,
        typer.Option(
            help="Run the whole procedure once per sampler on the same outer periods at the "
            "same budget and compare their out-of-sample tracks, e.g. nsga2,random (does the "
            "genetic algorithm beat random search here?). Default: search.sampler alone."
        ),
    ] = None,
    jobs: JobsOpt = None,
    storage: StorageOpt = None,
    seed: SeedOpt = None,
    device: DeviceOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "runs/validate"
    ),
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Validate the procedure, not one champion: the whole genetic search walked forward
    over the development period, judged against every classic rule.

    From --first-test, every --outer-years years, the search runs on the data before that
    date only (its own inner folds and fitness, as `evolve`), its champion is refitted as a
    seed ensemble and trades the next period; the classic rules trade the same periods with
    the same rules and costs. The periods are stitched into one out-of-sample track and
    tested as `run` tests its holdout. The holdout itself is never read. Each search after
    the first starts from the previous one's best genomes, with [validate]
    generations_after_first generations.

    Writes DIR/outer-YYYY/ (one run directory per outer search), DIR/stitched/,
    DIR/validate.json and DIR/report.html; every search is a study outer-YYYY in one
    storage (DIR/search.db by default). With --samplers a,b the procedure of sampler a is
    DIR's, that of b is DIR/sampler-b/ (studies b-outer-YYYY), and validate.json compares
    them. Running the same command again resumes.
    """
    setup_logging(verbose, quiet)
    if quick and config is not None:
        raise UsageError("give --quick or --config, not both")
    from evofolio.api.validate import validate  # torch and the search: only when it runs

    base = resolve_config(
        config, data, None, None, preset="quick" if quick else "default", device=device
    )
    display = OuterDisplay()
    try:
        with classic_progress(display.progress, jobs or base.search.jobs, status_column=True):
            result = validate(
                base,
                out=out,
                outer_years=outer_years,
                first_test=first_test,
                subsets=subsets,
                subset_size=subset_size,
                jobs=jobs,
                storage=storage,
                seed=seed,
                samplers=samplers,
                on_event=display,
                on_stage=lambda text: console.print(text, soft_wrap=True),
            )
    finally:
        display.close()
    print_summary(result)
