"""`evofolio report`: rebuild the self-contained HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evofolio.cli.common import QuietOpt, VerboseOpt, console, handle_errors, setup_logging
from evofolio.report.html import build_report


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
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rebuild DIR/report.html from the files of a run directory.

    One self-contained page (Plotly embedded, no network): the verdict against the benchmark
    (benchmark-relative deflated Sharpe and PBO, holdout Sharpe-difference tests with
    confidence intervals, seed spread, costs and break-even); the holdout table of the
    champion against every classic strategy; a tear sheet (monthly and yearly returns,
    drawdowns, rolling Sharpe); cumulative returns and drawdowns; the champion's genome and
    weights; the search, its gene importances and timeline; the periods, costs and the data's
    limits.
    """
    setup_logging(verbose, quiet)
    path = build_report(run_dir)
    if not quiet:
        console.print(f"wrote {path}")
