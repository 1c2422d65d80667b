"""The command-line interface (Typer): parse, load the config, call the library, print.

One module per command; :mod:`evofolio.cli.common` holds what they share.
"""

from __future__ import annotations

from typing import Annotated

import typer

from evofolio import __version__
from evofolio.cli.allocate_cmd import allocate_command
from evofolio.cli.backtest_cmd import backtest_command
from evofolio.cli.common import console
from evofolio.cli.data_cmd import data_command
from evofolio.cli.evolve_cmd import evolve_command, run_command
from evofolio.cli.report_cmd import report_command
from evofolio.cli.train_cmd import train_command
from evofolio.cli.validate_cmd import validate_command

app = typer.Typer(
    name="evofolio",
    help="LSTM portfolio allocators searched by a genetic algorithm, judged out of sample.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"evofolio {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """evofolio: build portfolios with LSTM networks, find the best with a genetic algorithm,
    and judge everything out of sample, after costs, against the classic rules."""


app.command("run")(run_command)
app.command("data")(data_command)
app.command("backtest")(backtest_command)
app.command("train")(train_command)
app.command("evolve")(evolve_command)
app.command("report")(report_command)
app.command("allocate")(allocate_command)
app.command("validate")(validate_command)


def main() -> None:
    """Console-script entry point."""
    app()
