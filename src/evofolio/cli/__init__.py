"""The command-line interface (Typer): parse, load the config, call the library, print.

One module per command; :mod:`evofolio.cli.common` holds what they share.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from evofolio.cli.allocate_cmd import allocate_command
from evofolio.cli.backtest_cmd import backtest_command
from evofolio.cli.common import console
from evofolio.cli.data_cmd import data_command
from evofolio.cli.evolve_cmd import evolve_command, run_command
from evofolio.cli.report_cmd import report_command
from evofolio.cli.train_cmd import train_command
from evofolio.cli.validate_cmd import validate_command
from evofolio.compute import limit_threads, threads_per_process
from evofolio.version import __version__

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
    # this process may train (train, run, a one-job search): torch gets the cores it may
    # really use, not one thread per core of a machine others keep busy (evofolio.compute)
    limit_threads(threads_per_process(1))


app.command("run")(run_command)
app.command("data")(data_command)
app.command("backtest")(backtest_command)
app.command("train")(train_command)
app.command("evolve")(evolve_command)
app.command("report")(report_command)
app.command("allocate")(allocate_command)
app.command("validate")(validate_command)


def main() -> None:
    """Console-script entry point.

    A command line that cannot be parsed (an unknown option, a missing value, a bad choice)
    is one ``error:`` line naming what is wrong and where to look, exit code 2, like every
    other bad input. Without arguments Typer prints the help; the other exit codes are the
    commands' own (130 after Ctrl-C)."""
    if len(sys.argv) <= 1:
        app()
        return
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        raise SystemExit(1) from None
    except typer.TyperException as error:  # click's errors (Typer vendors click)
        print(f"error: {_usage_line(error)}", file=sys.stderr)
        raise SystemExit(getattr(error, "exit_code", 2)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _usage_line(error: Exception) -> str:
    """``No such option: --bogus (see 'evofolio run --help')``: the parser's message on one
    line, with the help of the command it was parsing."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    message = " ".join(str(message).split())
    context = getattr(error, "ctx", None)
    path = getattr(context, "command_path", None)
    return f"{message} (see '{path} --help')" if path else message
