"""load_data: sources, file formats, layout detection, the embedded S&P 500 data."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.data import MarketData, MissingPolicy, load_data
from evofolio.data.layout import Format
from evofolio.errors import DataError


def _long(frame: pd.DataFrame, asset: str = "ticker", price: str = "close") -> pd.DataFrame:
    stacked = frame.reset_index().melt(id_vars="date", var_name=asset, value_name=price)
    return stacked.sample(frac=1.0, random_state=1)  # long files need not be sorted


def _same(loaded: MarketData, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        loaded.prices, expected, check_freq=False, check_column_type=False, check_names=False
    )
    assert loaded.prices.index.name == "date"


@pytest.mark.parametrize("name", ["prices.csv", "prices.parquet", "PRICES.CSV", "p.Parquet"])
def test_wide_files(prices: pd.DataFrame, write_wide: Callable[..., Path], name: str) -> None:
    path = write_wide(prices, name)
    fmts: tuple[Format, ...] = ("auto", "wide")
    for fmt in fmts:
        _same(load_data(str(path), fmt=fmt), prices)


def test_parquet_with_datetime_index(prices: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "indexed.parquet"
    prices.rename_axis("Date").to_parquet(path)
    _same(load_data(str(path)), prices)


def test_first_column_is_the_date_when_none_is_named(prices: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "unnamed.csv"
    prices.rename_axis(None).to_csv(path)  # header starts with an empty name
    _same(load_data(str(path)), prices)


def test_trailing_commas_are_ignored(prices: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    text = prices.reset_index().to_csv(index=False, date_format="%Y-%m-%d")
    path.write_text("\n".join(line + "," for line in text.splitlines()) + "\n")
    _same(load_data(str(path)), prices)


def test_byte_order_mark_is_ignored(prices: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    text = prices.reset_index().to_csv(index=False, date_format="%Y-%m-%d")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    _same(load_data(str(path)), prices)


@pytest.mark.parametrize(("suffix", "fmt"), [("csv", "auto"), ("csv", "long"), ("parquet", "auto")])
def test_long_files(prices: pd.DataFrame, tmp_path: Path, suffix: str, fmt: str) -> None:
    path = tmp_path / f"long.{suffix}"
    table = _long(prices)
    if suffix == "csv":
        table.to_csv(path, index=False, date_format="%Y-%m-%d")
    else:
        table.to_parquet(path, index=False)
    _same(load_data(str(path), fmt=fmt), prices)  # type: ignore[arg-type]


def test_long_names_are_matched_leniently(prices: pd.DataFrame, tmp_path: Path) -> None:
    table = _long(prices, asset="Symbol", price="Adj Close").rename(columns={"date": "DATE"})
    table["Close"] = table["Adj Close"] * 2  # unadjusted: the adjusted close is preferred
    table["Volume"] = 1000
    path = tmp_path / "yahoo_like.csv"
    table.to_csv(path, index=False, date_format="%Y-%m-%d")
    _same(load_data(str(path)), prices)


def test_long_detected_from_values_alone(prices: pd.DataFrame, tmp_path: Path) -> None:
    table = _long(prices, asset="what", price="how_much")
    path = tmp_path / "anonymous.csv"
    table.to_csv(path, index=False, date_format="%Y-%m-%d")
    _same(load_data(str(path)), prices)
    with pytest.raises(DataError, match=r"anonymous\.csv: column 'date', row 2 .*ascending"):
        load_data(str(path), fmt="wide")  # forced wide, the repeated dates are out of order


def test_long_format_on_a_wide_file_is_explained(
    prices: pd.DataFrame, write_wide: Callable[..., Path]
) -> None:
    path = write_wide(prices)
    with pytest.raises(DataError, match=r"prices\.csv: cannot read as long format: need one asset"):
        load_data(str(path), fmt="long")


def test_long_with_missing_rows_follows_the_policy(prices: pd.DataFrame, tmp_path: Path) -> None:
    table = _long(prices)
    table = table[~((table["ticker"] == "BETA") & table["date"].isin(prices.index[10:13]))]
    path = tmp_path / "holes.csv"
    table.to_csv(path, index=False, date_format="%Y-%m-%d")
    data = load_data(str(path))
    assert data.report.filled["BETA"] == 3
    assert data.prices.loc[prices.index[12], "BETA"] == pytest.approx(prices.iloc[9, 1])


def test_policy_reaches_the_file_loader(
    prices: pd.DataFrame, write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices.iloc[:9, 0] = np.nan  # 15% missing at the start
    path = write_wide(prices)
    with caplog.at_level(logging.WARNING):
        data = load_data(str(path), policy=MissingPolicy(lives=False))
    assert data.report.dropped == ("ALPHA",)
    assert "ALPHA" in caplog.text
    lenient = load_data(str(path), policy=MissingPolicy(max_missing_frac=0.2, lives=False))
    assert lenient.report.trimmed_rows == 9
    listed = load_data(str(path))  # 9 > max_ffill_days: a listing, read point in time
    assert listed.universe is not None and listed.report.dropped == ()
    assert listed.universe.lives().loc["ALPHA", "first"] == prices.index[9]
    tight = load_data(str(path), policy=MissingPolicy(10, 0.2))  # 9 <= 10: a late quote
    assert tight.universe is None and tight.report.trimmed_rows == 9
    assert lenient.prices.index[0] == prices.index[9]
    assert lenient.market.index.equals(lenient.prices.index)


@pytest.mark.parametrize("source", ["foo", "SP-500", "yahoo", ""])
def test_unknown_source_lists_the_accepted_ones(source: str) -> None:
    with pytest.raises(
        DataError, match="expected 'sp500', 'factors', 'ftse100', 'nasdaq', 'yahoo:"
    ):
        load_data(source)


def test_unknown_format_is_rejected(prices: pd.DataFrame, write_wide: Callable[..., Path]) -> None:
    with pytest.raises(DataError, match="unknown format 'tall'"):
        load_data(str(write_wide(prices)), fmt="tall")  # type: ignore[arg-type]


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError, match=r"folder\.csv: not a file"):
        load_data(str(folder))


def test_sp500() -> None:
    data = load_data("sp500")
    assert data.prices.shape == (8313, 20)
    assert data.prices.index[0] == pd.Timestamp("1990-01-02")
    assert data.prices.index[-1] == pd.Timestamp("2022-12-28")
    assert {"AAPL", "JPM", "XOM"} <= set(data.assets)
    assert data.market.index.equals(data.prices.index)
    assert data.market.name == "SP500"
    assert data.market.notna().all() and (data.market > 0).all()
    assert data.market_source == "S&P 500 index (skfolio)"
    assert data.source == "sp500"
    assert data.report.dropped == () and data.report.trimmed_rows == 0
    assert load_data().prices.shape == (8313, 20)  # the default source
