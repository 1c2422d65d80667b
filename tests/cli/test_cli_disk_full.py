"""The output disk fills up (a small tmpfs as --out, root only): one `error:` line naming the
file and "no space left on device", exit 2, no traceback, nothing half-written; a search
stopped that way resumes once space is back, the interrupted trial not counted as failed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.cli import app
from evofolio.search.engine.storage import default_storage_url
from evofolio.search.engine.trial_record import count_trials
from small_volume import remount, small_volume

runner = CliRunner()

TINY = (
    "seed = 0\n[training]\nepochs = 1\npatience = 1\n"
    '[search]\npopulation = 2\ngenerations = 1\nfolds = 2\nfamilies = ["asset"]\n'
    "[champion]\nseeds = 1\n[evaluation]\nn_boot = 200\n"
)


def prices(n_days: int, n_assets: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0003, 0.012, (n_days, n_assets))
    return pd.DataFrame(
        100 * np.exp(np.cumsum(steps, axis=0)),
        index=pd.bdate_range("2008-01-01", periods=n_days, name="date"),
        columns=[f"S{i:02d}" for i in range(n_assets)],
    )


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith(("error", "warning"))] == [lines[-1]], lines
    return lines[-1]


def test_a_backtest_on_a_full_disk(tmp_path: Path) -> None:
    source = tmp_path / "prices_wide.csv"
    prices(3000, 30, 25).to_csv(source)
    with small_volume(tmp_path / "full", "600k") as full:
        out = full / "bt"
        args = ["backtest", "-s", "equal_weight", "--data", str(source), "--rebalance", "weekly"]
        line = one_error_line(runner.invoke(app, [*args, "--out", str(out)]))
        assert line.startswith(f"error: cannot write {out}/") and line.endswith(
            ".parquet: no space left on device"
        ), line
        assert list(full.iterdir()) == []  # no half-written directory, no temporary one


@pytest.mark.slow
def test_a_search_stopped_by_a_full_disk_resumes_once_space_is_back(tmp_path: Path) -> None:
    source, config = tmp_path / "prices.csv", tmp_path / "tiny.toml"
    prices(2000, 5, 26).to_csv(source)
    config.write_text(TINY)
    with small_volume(tmp_path / "full", "200k") as full:
        run = full / "run"
        args = ["evolve", "--config", str(config), "--data", str(source), "--out", str(run)]
        line = one_error_line(runner.invoke(app, args))
        assert line == f"error: cannot write {run}/search.db: no space left on device", line
        study = optuna.load_study(study_name="evofolio", storage=default_storage_url(run))
        stopped = study.trials
        assert stopped and count_trials(stopped).complete < 2  # stopped mid-search
        remount(full, "size=64m")  # space is back
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        trials = optuna.load_study(
            study_name="evofolio", storage=default_storage_url(run)
        ).get_trials()
        counts = count_trials(trials)
        assert counts.complete == 2 and counts.failed == 0 and counts.running == 0
        for trial in trials:
            if trial.state == optuna.trial.TrialState.FAIL:
                assert trial.user_attrs["failure"] == "interrupted"
        assert (run / "champion" / "config.json").is_file()
