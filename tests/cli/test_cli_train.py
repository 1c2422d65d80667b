"""`evofolio train` end to end on a user CSV (tiny budget)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evofolio.allocators.registry import FAMILIES
from evofolio.cli import app
from evofolio.training import load_checkpoint
from synthetic import random_prices

NETWORKS = {name: cls.network_cls for name, cls in FAMILIES.items()}
runner = CliRunner()


@pytest.fixture
def user_csv(tmp_path: Path) -> Path:
    path = tmp_path / "user.csv"
    random_prices(n_days=1300, n_assets=4, seed=11, start="2001-01-01").to_csv(path)
    return path


def tiny_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(
        '[model]\nhidden = 8\nfeatures = ["ret_1", "vol_21"]\n'
        '[training]\nepochs = 1\nseq_len = 10\nchunk_len = 20\ndevice = "cpu"\n'
        "[walk_forward]\nretrain_years = 1\nmin_train_days = 300\n" + extra
    )
    return path


def test_train_asset_on_a_user_csv(user_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "train",
            "--model",
            "asset",
            "-c",
            str(tiny_config(tmp_path)),
            "--data",
            str(user_csv),
            "--seed",
            "4",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "model_asset" in result.stdout and "equal_weight" in result.stdout
    for name in ("weights.parquet", "held.parquet", "returns.parquet", "metrics.json", "model.pt"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["metrics"]) == {"model_asset", "equal_weight"}
    settings = metrics["settings"]
    assert settings["seed"] == 4
    # the holdout (last 20 % of dates) is never touched by train
    returns = pd.read_parquet(out / "returns.parquet")
    dates = pd.bdate_range("2001-01-01", periods=1300)
    assert returns["date"].max() < dates[int(1300 * 0.8)]
    folds = settings["folds"]
    assert all(f["train"][1] < f["test"][0] for f in folds)
    _, payload = load_checkpoint(out / "model.pt", NETWORKS)
    assert payload["feature_names"] == ["ret_1", "vol_21"]


def test_train_preset_zhang2020_runs_on_a_user_csv(user_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "zhang"
    result = runner.invoke(
        app,
        [
            "train",
            "--preset",
            "zhang2020",
            "--data",
            str(user_csv),
            "--epochs",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["model"]["hidden"] == 64 and settings["model"]["encoder"] == "joint"
    assert settings["backtest"]["rebalance"] == "daily"


@pytest.mark.parametrize(
    "args,expect",
    [
        (
            ["--model", "tree"],
            "--model must be one of asset, portfolio, asset_attention, got 'tree'",
        ),
        (["--preset", "nope"], "unknown preset 'nope'"),
        (["--preset", "zhang2020", "-c", "x.toml"], "not both"),
    ],
)
def test_train_user_errors(args: list[str], expect: str, user_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad"
    result = runner.invoke(app, ["train", "--data", str(user_csv), "-o", str(out), *args])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert expect in result.stderr
    assert not out.exists()


def test_train_portfolio_compares_with_its_strategies(user_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    config = (
        tiny_config(tmp_path, "[strategies]\nwindow = 60\n")
        .read_text()
        .replace("[model]\n", '[model]\nstrategies = ["equal_weight", "inverse_vol", "hrp"]\n')
        .replace('features = ["ret_1", "vol_21"]\n', "")  # Model 1's key: refused for Model 2
    )
    path = tmp_path / "portfolio.toml"
    path.write_text(config)
    result = runner.invoke(
        app,
        ["train", "--model", "portfolio", "-c", str(path), "--data", str(user_csv), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert set(metrics) == {"model_portfolio", "equal_weight", "inverse_vol", "hrp", "equal_blend"}
    returns = pd.read_parquet(out / "returns.parquet")
    dates = returns.groupby("strategy")["date"].agg(["min", "max", "count"])
    assert dates.nunique().max() == 1, "every row covers the same out-of-sample dates"
    _, payload = load_checkpoint(out / "model.pt", NETWORKS)
    assert payload["extra"]["family"] == "portfolio"


def test_model_option_overriding_the_files_family_says_so(user_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "asset.toml"
    config.write_text('[model]\nfamily = "asset"\nfeatures = ["ret_1"]\n')
    out = tmp_path / "bad"
    args = ["train", "--data", str(user_csv), "-c", str(config), "--model", "portfolio"]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "model.features is not a setting of the portfolio" in last
    assert "--model portfolio overrode the file's family 'asset'" in last
    assert not out.exists()
