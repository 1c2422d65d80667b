"""User errors: one line on stderr starting with `error:`, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from broken_inputs import BROKEN_INPUTS, BrokenInput
from typer.testing import CliRunner

from evofolio.cli import app

runner = CliRunner()


def assert_user_error(args: list[str], out: Path, expect: str = "") -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr  # warnings may precede it
    assert "Traceback" not in result.output
    assert expect in lines[-1]
    assert not out.exists(), "a failed command must not leave an output directory"
    assert not any(p.name.startswith(f".{out.name}.") for p in out.parent.iterdir())
    return lines[-1]


@pytest.mark.parametrize("broken", BROKEN_INPUTS, ids=lambda b: b.name)
def test_broken_input_files(broken: BrokenInput, tmp_path: Path) -> None:
    path = broken.path(tmp_path)
    out = tmp_path / "out"
    line = assert_user_error(
        ["backtest", "-s", "equal_weight", "--data", str(path), "--window", "20", "-o", str(out)],
        out,
        broken.expect,
    )
    assert path.name in line


@pytest.mark.parametrize(
    "args,expect",
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--rebalance", "yearly"], "rebalance must be"),
        (["--start", "not-a-date"], "--start"),
        (["--start", "2000-02-01"], "days of history"),
        (["--start", "2030-01-01"], "empty period"),
        (["--config", "missing.toml"], "config file not found"),
        (["--data", "nosuchsource"], "unknown data source"),
        (["--market", "missing.csv"], "missing.csv"),
    ],
)
def test_bad_arguments(args: list[str], expect: str, prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = ["backtest", "-s", "equal_weight", "--window", "60", "-o", str(out)]
    if "--data" not in args:
        base += ["--data", str(prices_csv)]
    assert_user_error(base + args, out, expect)


@pytest.mark.parametrize(
    "text,expect",
    [
        ("[backtest]\ncost_bps = 5\ntypo = 1\n", "unknown config key 'backtest.typo'"),
        ("[nosection]\n", "unknown config key 'nosection'"),
        ("[backtest]\ncost_bps = -1\n", "backtest.cost_bps"),
        ("[backtest\n", "not valid TOML"),
        ('[model]\nfamily = "portfolio"\nheads = 4\n', "model.heads is not a setting of"),
        (
            '[search.space.fixed]\nfeature_vol_21 = "false"\n',
            'search.space.fixed.feature_vol_21 = "false" is a string',
        ),
        ('[search.space.fixed]\nfeature_rsi_14 = "no"\n', "expected a boolean"),
        ('[model]\nhidden = "32"\n', 'model.hidden = "32" is a string'),
        ('[training]\nepochs = "3"\n', "expected an integer"),
        ('[search]\nprune = "false"\n', 'search.prune = "false"'),
        ('[data]\nholdout_start = "2018-01-01"\n', "expected a date"),
    ],
)
def test_bad_config_files(text: str, expect: str, prices_csv: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    out = tmp_path / "out"
    line = assert_user_error(
        ["backtest", "-c", str(config), "--data", str(prices_csv), "-o", str(out)], out, expect
    )
    assert "bad.toml" in line


def test_existing_output_files_survive_a_failed_run(prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = runner.invoke(
        app, ["backtest", "-s", "nope", "--data", str(prices_csv), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert (out / "keep.txt").read_text() == "precious"


def _split_file(tmp_path: Path) -> Path:
    from broken_inputs import make_prices

    prices = make_prices(80, ("AAA", "BBB", "CCC"))
    prices.iloc[50:, 2] /= 4.0
    path = tmp_path / "split.csv"
    prices.to_csv(path, date_format="%Y-%m-%d")
    return path


def test_data_prints_the_frequency_and_warns_about_a_split(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "--data", str(_split_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "frequency:   daily (252 periods a year)" in result.stdout
    assert "warning:" in result.stderr and "asset 'CCC'" in result.stderr
    assert "4-for-1 split" in result.stderr


def test_suspect_jump_error_mode_is_a_user_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["backtest", "-s", "equal_weight", "--window", "20", "-o", str(out)]
    config = tmp_path / "strict.toml"
    config.write_text('[data]\non_suspect_jump = "error"\n')
    line = assert_user_error(
        [*args, "-c", str(config), "--data", str(_split_file(tmp_path))], out, "asset 'CCC'"
    )
    assert "4-for-1 split" in line
    result = runner.invoke(
        app, ["data", "--data", str(_split_file(tmp_path)), "--on-suspect-jump", "error"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_timezone_option_dates_utc_stamps_in_the_market_zone(tmp_path: Path) -> None:
    local = pd.bdate_range("2020-01-06", periods=30)
    stamps = [f"{d - pd.Timedelta(hours=1):%Y-%m-%d %H:%M}+00:00" for d in local]
    rows = [f"{s},{100 + k},{90 - k / 3}" for k, s in enumerate(stamps)]
    path = tmp_path / "utc.csv"
    path.write_text("date,A,B\n" + "\n".join(rows) + "\n")
    plain = runner.invoke(app, ["data", "--data", str(path)])
    assert plain.exit_code == 0 and "Saturday or Sunday" in plain.stderr
    assert "2020-01-05" in plain.stdout  # a Sunday: the UTC date
    zoned = runner.invoke(app, ["data", "--data", str(path), "--timezone", "Europe/Berlin"])
    assert zoned.exit_code == 0 and "Saturday or Sunday" not in zoned.stderr
    assert "30 from 2020-01-06 to 2020-02-14" in zoned.stdout


def test_dataset_offline_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import skfolio.datasets

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("no network")

    monkeypatch.setattr(skfolio.datasets, "load_nasdaq_dataset", offline)
    line = assert_user_error(["data", "--data", "nasdaq"], tmp_path / "out", "nasdaq: ")
    assert "must be downloaded once" in line


def test_train_checks_the_file_against_the_family_given_on_the_command_line(
    prices_csv: Path, tmp_path: Path
) -> None:
    config = tmp_path / "lstm.toml"
    config.write_text("[model]\nhidden = 32\n")  # an LSTM setting: asset or portfolio
    out = tmp_path / "out"
    args = ["train", "-c", str(config), "--data", str(prices_csv), "-o", str(out)]
    line = assert_user_error([*args, "--model", "asset_attention"], out, "model.hidden")
    assert "not a setting of the asset_attention family" in line and "lstm.toml" in line
