"""Each warning once per run, with a count (issue 23: one warning printed 3-5 times)."""

from __future__ import annotations

import logging

import typer
from typer.testing import CliRunner

from evofolio.cli.common import handle_errors, setup_logging
from evofolio.errors import DataError
from evofolio.logs import warnings_once


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname.lower()}: {record.getMessage()}")


def test_a_repeated_warning_is_shown_once_and_counted_at_the_end() -> None:
    # a handler left counting by an earlier command in this process keeps its own count
    leftover = logging.getLogger().handlers
    parent = logging.getLogger("evofolio")
    handler, before = Collect(), parent.level
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    child = logging.getLogger("evofolio.data.test")
    try:
        with warnings_once():
            for _ in range(3):
                child.warning("asset %s, %s: a stale quote", "RRC", "1990-04-10")
            child.warning("another warning")
            child.info("info lines are never merged")
            child.info("info lines are never merged")
            with warnings_once():  # a nested job counts in the outer filter
                child.warning("another warning")
        child.warning("after the run: shown again")
        assert logging.getLogger().handlers == leftover
    finally:
        parent.removeHandler(handler)
        parent.setLevel(before)
    assert handler.lines == [
        "warning: asset RRC, 1990-04-10: a stale quote",
        "warning: another warning",
        "info: info lines are never merged",
        "info: info lines are never merged",
        "info: the warning 'asset RRC, 1990-04-10: a stale quote' occurred 3 times in this run "
        "(shown once)",
        "info: the warning 'another warning' occurred 2 times in this run (shown once)",
        "warning: after the run: shown again",
    ]


def test_the_command_line_shows_each_warning_once_and_the_error_last() -> None:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def work(fail: bool = False) -> None:
        setup_logging()
        log = logging.getLogger("evofolio.data.test")
        for _ in range(4):
            log.warning("asset X: suspicious jump")
        if fail:
            raise DataError("prices.csv: column 'X': bad")

    result = CliRunner().invoke(app, [])
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "warning: asset X: suspicious jump",
        "info: the warning 'asset X: suspicious jump' occurred 4 times in this run (shown once)",
    ]
    failed = CliRunner().invoke(app, ["--fail"])
    assert failed.exit_code == 2
    assert failed.stderr.strip().splitlines()[-1] == "error: prices.csv: column 'X': bad"
    assert failed.stderr.count("suspicious jump") == 2  # the warning, then its count


def test_ctrl_c_says_how_to_resume_a_search() -> None:
    """Fresh-eyes finding: Ctrl-C gave a bare "error: interrupted" with no word on resuming."""
    app = typer.Typer()

    @app.command("evolve")
    @handle_errors
    def evolve_command() -> None:
        raise KeyboardInterrupt

    @app.command("data")
    @handle_errors
    def data_command() -> None:
        raise KeyboardInterrupt

    search = CliRunner().invoke(app, ["evolve"])
    assert search.exit_code == 130
    assert search.stderr.strip().splitlines()[-1] == (
        "error: interrupted; the same command resumes the search (its finished trials are kept)"
    )
    other = CliRunner().invoke(app, ["data"])
    assert other.exit_code == 130 and other.stderr.strip() == "error: interrupted"
