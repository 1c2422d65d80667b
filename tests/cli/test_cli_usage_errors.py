"""A command line the parser refuses is one ``error:`` line with exit code 2 (the console
script, as a user runs it: CliRunner calls Typer in its own standalone mode)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _evofolio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evofolio", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "says", "help_of"),
    [
        (["run", "--bogus"], "No such option: --bogus", "evofolio run --help"),
        (["bogus"], "No such command 'bogus'", "evofolio --help"),
        (["run", "--quick", "extra"], "unexpected extra argument", "evofolio run --help"),
        (["backtest", "--rebalance"], "'--rebalance' requires an argument", None),
    ],
)
def test_a_bad_command_line_is_one_error_line_and_exit_2(
    args: list[str], says: str, help_of: str | None
) -> None:
    done = _evofolio(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], done.stderr
    assert help_of is None or f"{help_of}'" in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_console_script_keeps_help_version_and_the_commands_own_codes() -> None:
    assert _evofolio("--version").stdout.startswith("evofolio ")
    assert "Usage" in _evofolio("run", "--help").stdout
    bad = _evofolio("backtest", "--rebalance", "yearly", "--data", "sp500")
    assert bad.returncode == 2 and "error: rebalance must be" in bad.stderr
