"""`evofolio report`: rebuild the self-contained HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evofolio.cli.common import QuietOpt, VerboseOpt, console, handle_errors, setup_logging
from evofolio.errors import UsageError


@handle_errors
def report_command(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="A run directory written by `evofolio run` (run.json, trials.parquet, "
            "champion/, holdout/).",
            show_default=False,
        ),
    ],
    storage: Annotated[
        str | None,
        typer.Option(
            help="With --artifacts: fetch the finished run of the shared study into DIR first "
            "(any machine; DIR may be empty)."
        ),
    ] = None,
    artifacts: Annotated[
        str | None, typer.Option(help="The shared study's store (directory or s3://...).")
    ] = None,
    study: Annotated[str, typer.Option("--study", help="Study name.")] = "evofolio",
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rebuild DIR/report.html from the files of a run directory (or, with --storage and
    --artifacts, of a shared study's finished run, fetched into DIR).

    One self-contained page (Plotly embedded, no network): the verdict against the benchmark
    (benchmark-relative deflated Sharpe and PBO, holdout Sharpe-difference tests with
    confidence intervals, seed spread, costs and break-even); the holdout table of the
    champion against every classic strategy; a tear sheet (monthly and yearly returns,
    drawdowns, rolling Sharpe); cumulative returns and drawdowns; the champion's genome and
    weights; the search, its gene importances and timeline; the periods, costs and the data's
    limits.
    """
    setup_logging(verbose, quiet)
    if (storage is None) != (artifacts is None):
        raise UsageError("give --storage and --artifacts together (or neither)")
    from evofolio.report.html import build_report  # the heavy imports: only when it runs
    from evofolio.search.jobs.handoff import fetch_champion

    if storage is not None and artifacts is not None:
        fetch_champion(storage, study, artifacts, run_dir)
    path = build_report(run_dir)
    if not quiet:
        console.print(f"wrote {path}")
