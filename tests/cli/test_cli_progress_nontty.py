"""On a non-terminal stderr (CliRunner, `2>log`) the classic rules' progress is logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import evofolio.allocators.classic_compute as classic_compute
from evofolio.cli import app

runner = CliRunner()


def test_backtest_logs_classic_progress_when_stderr_is_not_a_terminal(
    prices_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic_compute, "LOG_EVERY_S", 0.0)  # every rule "slow enough"
    out = tmp_path / "out"
    args = ["backtest", "-s", "min_variance", "--data", str(prices_csv), "--window", "60"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [s for s in result.stderr.splitlines() if "classic rule min_variance:" in s]
    assert lines, result.stderr
    assert "dates" in lines[0] and "s left" in lines[0]
