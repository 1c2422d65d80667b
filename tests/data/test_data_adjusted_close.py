"""A table with both the raw and the adjusted close: the adjusted one is read, and said so.

Each vendor's names (Yahoo, Quandl WIKI, Sharadar, Tiingo, EODHD, IEX...) in each layout a
table comes in (long columns, wide asset-field columns, yfinance levels, frames); the raw close
drops by a dividend once, the adjusted close does not. Two adjusted closes are an error naming
both and ``data.price_column``, which chooses.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices
from typer.testing import CliRunner

import evofolio as ev
from evofolio.cli import app
from evofolio.data import load_data, load_from_config
from evofolio.errors import DataError

ASSETS = ("AAA", "BBB", "CCC")
VENDORS = {  # raw close column(s), adjusted close column
    "yahoo": (("Close",), "Adj Close"),
    "quandl_wiki": (("Close",), "Adj. Close"),
    "quandl_eod": (("Close",), "Adj_Close"),
    "sharadar": (("close", "closeunadj"), "closeadj"),
    "tiingo": (("close",), "adjClose"),
    "eodhd": (("close",), "adjusted_close"),
    "iex": (("close", "uClose"), "fClose"),
}


def _closes(n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw, adjusted) closes: each asset pays a 2 % dividend on its own date."""
    adjusted = make_prices(n, ASSETS)
    factor = np.ones(adjusted.shape)
    for j in range(len(ASSETS)):
        factor[: 20 + 10 * j, j] = 0.98  # back-adjustment before the ex-date
    return adjusted / factor, adjusted


def _long(raw_names: tuple[str, ...], adjusted_name: str, adjusted_first: bool) -> pd.DataFrame:
    raw, adjusted = _closes()
    rows = []
    for asset in ASSETS:
        part = pd.DataFrame({"date": raw.index.strftime("%Y-%m-%d"), "ticker": asset})
        columns = {name: raw[asset].to_numpy() for name in raw_names}
        columns[adjusted_name] = adjusted[asset].to_numpy()
        order = sorted(columns, key=lambda c: (c != adjusted_name) == adjusted_first)
        for name in order:
            part[name] = columns[name]
        part["volume"] = 1e6
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("adjusted_first", [False, True], ids=["raw-first", "adjusted-first"])
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("vendor", list(VENDORS))
def test_a_long_table_with_both_closes_reads_the_adjusted_one(
    vendor: str,
    suffix: str,
    adjusted_first: bool,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw_names, adjusted_name = VENDORS[vendor]
    path = tmp_path / f"{vendor}.{suffix}"
    table = _long(raw_names, adjusted_name, adjusted_first)
    table.to_parquet(path) if suffix == "parquet" else table.to_csv(path, index=False)
    with caplog.at_level(logging.INFO, logger="evofolio"):
        data = load_data(str(path))
    _, adjusted = _closes()
    np.testing.assert_allclose(data.prices[list(ASSETS)].to_numpy(), adjusted.to_numpy())
    notes = [r.getMessage() for r in caplog.records if "adjusted close" in r.getMessage()]
    assert len(notes) == 1, caplog.text
    assert f"'{adjusted_name}'" in notes[0] and f"'{raw_names[0]}'" in notes[0]
    assert "data.price_column" in notes[0]


@pytest.mark.parametrize(
    "template",
    ["{asset} {field}", "{asset}_{field}", "{field}_{asset}", "('{field}', '{asset}')"],
)
def test_wide_asset_field_columns_read_the_adjusted_close(
    template: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw, adjusted = _closes()
    parts = {}
    for asset in ASSETS:
        parts[template.format(asset=asset, field="Open")] = raw[asset] * 1.001
        parts[template.format(asset=asset, field="Close")] = raw[asset]
        parts[template.format(asset=asset, field="Adj Close")] = adjusted[asset]
    path = tmp_path / "wide.csv"
    pd.DataFrame(parts).rename_axis("Date").to_csv(path, date_format="%Y-%m-%d")
    with caplog.at_level(logging.INFO, logger="evofolio"):
        data = load_data(str(path))
    assert data.assets == list(ASSETS)
    np.testing.assert_allclose(data.prices.to_numpy(), adjusted.to_numpy())
    assert "'Adj Close', the adjusted close" in caplog.text
    chosen = load_data(str(path), price_column="close")
    np.testing.assert_allclose(chosen.prices.to_numpy(), raw.to_numpy())


def test_frames_of_every_layout_read_the_adjusted_close(caplog: pytest.LogCaptureFixture) -> None:
    raw, adjusted = _closes()
    levels = pd.concat({"Close": raw, "Adj Close": adjusted}, axis=1)
    levels.columns = levels.columns.set_names(["Price", "Ticker"])
    fielded = pd.concat(
        [raw.add_suffix(" Close"), adjusted.add_suffix(" Adj Close")], axis=1
    ).rename_axis("date")
    long = _long(("close",), "adjClose", adjusted_first=False)
    for frame in (levels, fielded, long):
        with caplog.at_level(logging.INFO, logger="evofolio"):
            data = ev.load_data(frame)
        assert data.assets == list(ASSETS)
        np.testing.assert_allclose(data.prices.to_numpy(), adjusted.to_numpy())
        raw_read = ev.load_data(frame, price_column="Close")
        np.testing.assert_allclose(raw_read.prices.to_numpy(), raw.to_numpy())


def test_two_adjusted_closes_are_an_error_naming_both_and_the_option(tmp_path: Path) -> None:
    table = _long(("close",), "adj_close", adjusted_first=False)
    table["closeadj"] = table["adj_close"] * 1.01
    path = tmp_path / "both.csv"
    table.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"both\.csv: two adjusted closes.*'adj_close' and "):
        load_data(str(path))
    with pytest.raises(DataError, match="data.price_column"):
        load_data(str(path))
    data = load_data(str(path), price_column="closeadj")
    np.testing.assert_allclose(data.prices["AAA"].iloc[0], table["closeadj"].iloc[0])


def test_price_column_comes_from_the_config_and_the_command_line(tmp_path: Path) -> None:
    table = _long(("Close",), "Adj Close", adjusted_first=False)
    path = tmp_path / "long.csv"
    table.to_csv(path, index=False)
    raw, _ = _closes()
    config = tmp_path / "c.toml"
    config.write_text('[data]\nprice_column = "Close"\n')
    runner = CliRunner()
    for args in (["--config", str(config)], ["--price-column", "Close"]):
        result = runner.invoke(app, ["data", "--data", str(path), *args])
        assert result.exit_code == 0, result.output
        assert "adjusted close" not in result.stderr
    section = ev.load_config(config).data.model_copy(update={"source": str(path)})
    np.testing.assert_allclose(load_from_config(section).prices.to_numpy(), raw.to_numpy())
    result = runner.invoke(app, ["data", "--data", str(path)])
    assert "info:" in result.stderr and "'Adj Close', the adjusted close" in result.stderr


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        ("long.csv", "data.price_column = 'Settle' is not a price column"),
        ("sp500", "applies to .csv and .parquet files only"),
    ],
)
def test_a_price_column_that_names_nothing_is_one_error(
    data: str, expect: str, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    _long(("Close",), "Adj Close", adjusted_first=False).to_csv(path, index=False)
    source = str(path) if data == "long.csv" else data
    result = CliRunner().invoke(app, ["data", "--data", source, "--price-column", "Settle"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and expect in lines[-1], result.stderr
    assert "Traceback" not in result.output
