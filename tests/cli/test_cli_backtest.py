"""`evofolio backtest` and `evofolio data` end to end on a small CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.strategies import STRATEGIES
from synthetic import random_prices

runner = CliRunner()


def test_backtest_all_writes_every_promised_file(prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "backtest",
            "--strategy",
            "all",
            "--data",
            str(prices_csv),
            "--window",
            "60",
            "--rebalance",
            "weekly",
            "--cost-bps",
            "5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    for name in STRATEGIES:
        assert name in result.stdout
    weights = pd.read_parquet(out / "weights.parquet")
    returns = pd.read_parquet(out / "returns.parquet")
    assert set(weights["strategy"]) == set(STRATEGIES)
    assert {"date", "strategy", "gross", "net", "turnover", "cost"} <= set(returns.columns)
    assert (returns["gross"] - returns["net"] - returns["cost"]).abs().max() < 1e-12
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["metrics"]) == set(STRATEGIES)
    assert metrics["settings"]["cost_bps"] == 5.0
    assert metrics["settings"]["rebalance"] == "weekly"
    ew = returns[returns["strategy"] == "equal_weight"]["net"].to_numpy()
    assert metrics["metrics"]["equal_weight"]["sharpe"] == pytest.approx(
        ew.mean() / ew.std(ddof=1) * 252**0.5
    )


def test_backtest_one_strategy_with_dates(prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "one"
    result = runner.invoke(
        app,
        [
            "backtest",
            "-s",
            "hrp",
            "-d",
            str(prices_csv),
            "--window",
            "60",
            "--start",
            "2000-06-01",
            "--end",
            "2001-01-31",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    weights = pd.read_parquet(out / "weights.parquet")
    assert set(weights["strategy"]) == {"hrp"}
    assert weights["date"].min() >= pd.Timestamp("2000-06-01")
    assert weights["date"].max() <= pd.Timestamp("2001-01-31")


def test_config_file_sets_defaults_and_flags_override(prices_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text(
        f'[data]\nsource = "{prices_csv}"\n[backtest]\ncost_bps = 25.0\nrebalance = 21\n'
        "[strategies]\nwindow = 60\n"
    )
    out = tmp_path / "cfg"
    result = runner.invoke(
        app,
        ["backtest", "-s", "equal_weight", "-c", str(config), "--cost-bps", "1", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["cost_bps"] == 1.0
    assert settings["rebalance"] == 21
    assert settings["window"] == 60


def test_data_command_reports_assets_and_periods(prices_csv: Path) -> None:
    result = runner.invoke(app, ["data", "--data", str(prices_csv)])
    assert result.exit_code == 0, result.output
    assert "assets (4): A0, A1, A2, A3" in result.stdout
    assert "holdout:" in result.stdout and "development:" in result.stdout
    assert "equal-weight" in result.stdout


@pytest.mark.parametrize("command", ["data", "backtest"])
def test_help_explains_every_option(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--data" in result.stdout and "--config" in result.stdout


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evofolio", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("evofolio ")


def _wide_csv(tmp_path: Path) -> Path:
    path = tmp_path / "wide.csv"
    random_prices(n_days=160, n_assets=12, seed=7).to_csv(path)
    return path


def test_backtest_states_the_covariance_auto_chose(tmp_path: Path) -> None:
    wide = _wide_csv(tmp_path)
    common = ["backtest", "-s", "min_variance", "--data", str(wide), "--window", "60"]
    result = runner.invoke(app, [*common, "--out", str(tmp_path / "auto")])
    assert result.exit_code == 0, result.output
    auto = json.loads((tmp_path / "auto" / "metrics.json").read_text())
    assert auto["settings"]["covariance"] == "ledoit_wolf"  # 12 assets > 0.1 x 60 days
    result = runner.invoke(
        app, [*common, "--covariance", "empirical", "--jobs", "2", "--out", str(tmp_path / "emp")]
    )
    assert result.exit_code == 0, result.output
    empirical = json.loads((tmp_path / "emp" / "metrics.json").read_text())
    assert empirical["settings"]["covariance"] == "empirical"
    assert (
        auto["metrics"]["min_variance"]["sharpe"] != empirical["metrics"]["min_variance"]["sharpe"]
    )


def test_an_unknown_covariance_is_one_error_line_naming_the_key(tmp_path: Path) -> None:
    wide = _wide_csv(tmp_path)
    out = tmp_path / "bad"
    result = runner.invoke(
        app, ["backtest", "--data", str(wide), "--covariance", "sample", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "covariance" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
