"""`evofolio data` and `evofolio backtest` on a ragged file: the universe view, the bias, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from synthetic import ragged_prices

runner = CliRunner()


@pytest.fixture
def ragged_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVOFOLIO_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "ragged.csv"
    ragged_prices(n_days=1260, n_assets=16, seed=3, deaths=0.1, births=0.05).to_csv(path)
    return path


def test_data_shows_lives_entries_and_exits(ragged_csv: Path) -> None:
    result = runner.invoke(app, ["data", "--data", str(ragged_csv), "--ragged"])
    assert result.exit_code == 0, result.output
    assert "ragged: 4 entries, 7 exits" in result.stdout
    assert "Universe by year" in result.stdout and "R13" in result.stdout
    default = runner.invoke(app, ["data", "--data", str(ragged_csv)])  # the file decides
    assert default.exit_code == 0 and "ragged: 4 entries, 7 exits" in default.stdout
    plain = runner.invoke(app, ["data", "--data", str(ragged_csv), "--rectangular"])
    assert plain.exit_code == 0 and "Universe by year" not in plain.stdout  # a rectangle


def test_backtest_survivors_only_prints_the_bias(ragged_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    args = ["backtest", "-s", "equal_weight", "--data", str(ragged_csv), "--ragged"]
    result = runner.invoke(app, [*args, "--window", "63", "--survivors-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "equal_weight (survivors only)" in result.stdout
    assert "survivorship bias (Sharpe, survivors only minus point in time; 9 survivors)" in (
        result.stdout.replace("\n", " ")
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["survivorship_bias"]["equal_weight"] > 0.1
    assert metrics["settings"]["universe"]["delistings_applied"]["equal_weight"] == 7
    assert metrics["settings"]["universe"]["delistings_residual"]["equal_weight"] == 0
    tracks = len(metrics["settings"]["universe"]["delistings_applied"])
    assert f"7 delisting(s) applied to held positions in {tracks} backtests" in result.stdout, (
        result.stdout
    )
    # each rule's delistings in one line naming the rule, computed or cached (fresh-eyes
    # finding: the computed ones came unnamed, once per rule)
    assert "equal_weight: 7 delisting(s) applied to held positions: " in result.stderr
    assert "info: 7 delisting(s) applied" not in result.stderr
    again = runner.invoke(app, [*args, "--window", "63", "--out", str(tmp_path / "cached")])
    assert again.exit_code == 0, again.output  # the panel now comes from the cache
    assert "equal_weight: 7 delisting(s) applied to held positions (cached panel)" in (again.stderr)
    cached = json.loads((tmp_path / "cached" / "metrics.json").read_text())
    assert cached["settings"]["universe"]["delistings_applied"]["equal_weight"] == 7


def test_a_bad_membership_file_is_one_error_line(ragged_csv: Path, tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    pd.DataFrame({"asset": ["R0"], "start": ["2003-01-05"], "end": ["2002-01-01"]}).to_csv(
        members, index=False
    )
    result = runner.invoke(app, ["data", "--data", str(ragged_csv), "--universe", str(members)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert (
        len(lines) == 1 and "members.csv: row 1: asset 'R0': start 2003-01-05 is after" in lines[0]
    )
