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


def test_a_search_prints_its_status_each_time_a_trial_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    import evofolio.cli.search_display as search_display
    from synthetic import random_prices

    monkeypatch.setattr(search_display, "HEARTBEAT_S", 1e9)  # only the lines of ended trials

    source = tmp_path / "prices.csv"
    random_prices(n_days=1500, n_assets=3, seed=3).to_csv(source)
    config = tmp_path / "tiny.toml"
    config.write_text(
        "[training]\nepochs = 1\n[search]\npopulation = 3\ngenerations = 1\nfolds = 2\n"
        'families = ["asset"]\n'
    )
    out = tmp_path / "out"
    args = ["evolve", "--config", str(config), "--data", str(source), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [s for s in result.stderr.splitlines() if s.startswith("gen 1/1: ")]
    trials = pd.read_parquet(out / "trials.parquet")
    ended = int(trials["state"].isin(["COMPLETE", "PRUNED", "FAIL"]).sum())
    assert ended == 3
    assert len(lines) == 1 + ended, result.stderr  # the start, then one line per trial ended
    assert "0/3 evaluated · complete 0" in lines[0] and "elapsed" in lines[-1]


def test_a_long_trial_prints_where_it_is_while_it_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off a terminal a search is never silent for long: between trial ends the status line
    comes back every HEARTBEAT_S seconds and names each running trial, its fold and epoch."""
    import re
    import time

    import evofolio.cli.search_display as search_display
    import evofolio.search.engine.trial_record as progress
    import evofolio.search.fitness as fitness
    from synthetic import random_prices

    monkeypatch.setattr(search_display, "HEARTBEAT_S", 0.0)
    monkeypatch.setattr(progress, "PROGRESS_EVERY_S", 0.0)
    trade = fitness.run_folds

    def slow_trade(*args: object, **kwargs: object) -> object:  # a fold's training, longer
        result = trade(*args, **kwargs)  # type: ignore[arg-type]
        time.sleep(1.5)
        return result

    monkeypatch.setattr(fitness, "run_folds", slow_trade)
    source = tmp_path / "prices.csv"
    random_prices(n_days=1500, n_assets=3, seed=3).to_csv(source)
    config = tmp_path / "tiny.toml"
    config.write_text(
        "[training]\nepochs = 2\npatience = 5\n"
        "[search]\npopulation = 2\ngenerations = 1\nfolds = 2\n"
    )
    args = ["evolve", "--config", str(config), "--data", str(source), "--jobs", "1"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    inside = re.compile(r"running 1 .*#(\d+) fold ([12])/2, epoch (\d+) \(max 2\), \d+:\d\d")
    found = [m.groups() for m in map(inside.search, result.stderr.splitlines()) if m]
    assert {(trial, fold) for trial, fold, _ in found} >= {("0", "1"), ("0", "2")}, result.stderr
