"""`evofolio backtest` with assets that break the classic rules, and too little history."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.strategies import STRATEGIES
from synthetic import random_prices

runner = CliRunner()
RISK_RULES = [name for name in STRATEGIES if name != "equal_weight"]


def test_a_cash_line_leaves_every_rule_its_own_answer(prices: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "prices_with_cash.csv"
    prices.assign(CASH=1.0).to_csv(path)
    out = tmp_path / "run"
    args = ["backtest", "-s", "all", "-d", str(path), "--window", "60", "--rebalance", "weekly"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    sharpes = {name: round(row["sharpe"], 6) for name, row in metrics.items()}
    assert len(set(sharpes.values())) == len(STRATEGIES), sharpes  # no rule is 1/N in disguise

    weights = pd.read_parquet(out / "weights.parquet")
    by_rule = weights.groupby("strategy")["CASH"]
    assert by_rule.max()[RISK_RULES].max() == 0.0
    assert by_rule.min()["equal_weight"] == pytest.approx(1 / 5)

    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    cash = [line for line in warnings if "CASH" in line and "zero variance" in line]
    assert len(cash) == 1, result.stderr  # one line for the rules, however many rebalances
    constant = [line for line in warnings if "'CASH': close constant at 1 on every date" in line]
    assert len(constant) == 1, result.stderr  # and one from the data layer, at load
    assert cash[0].startswith("warning: CASH has zero variance in the trailing 60-row window")
    assert f"{', '.join(RISK_RULES)} are fitted on the other assets" in cash[0]
    assert "np.int64" not in result.stderr
    assert len(warnings) <= 1 + len(RISK_RULES)  # one per cause and rule, never one per date

    fallbacks = pd.read_parquet(out / "fallbacks.parquet")
    for name, row in metrics.items():
        assert row["fallbacks"] == int((fallbacks["strategy"] == name).sum())
        assert row["decisions"] == int((weights["strategy"] == name).sum())
        assert f"{row['fallbacks']}/{row['decisions']}" in result.stdout
    assert "Fallbacks" in result.stdout


def _refused(args: list[str], out: Path) -> str:
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in result.output
    assert not out.exists()
    return lines[-1]


@pytest.mark.parametrize("n_days", [40, 61])  # fewer rows than the window; no day after it
def test_a_window_longer_than_the_data_says_so(tmp_path: Path, n_days: int) -> None:
    path = tmp_path / "short.csv"
    random_prices(n_days=n_days).to_csv(path)
    line = _refused(["backtest", "-d", str(path), "--window", "60"], tmp_path / "out")
    assert f"window is 60 rows but the data has only {n_days} dates" in line
    assert "--window" in line and "--start" not in line and "--end" not in line


def test_an_end_before_the_first_decision_names_end_only(prices_csv: Path, tmp_path: Path) -> None:
    args = ["backtest", "-d", str(prices_csv), "--window", "60", "--end", "2000-02-01"]
    line = _refused(args, tmp_path / "out")
    assert "--end 2000-02-01" in line and "--start" not in line
    assert "first decision with a full 60-row window is on 2000-03-27" in line
