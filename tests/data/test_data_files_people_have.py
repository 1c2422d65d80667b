"""Files people actually have: yfinance.download tables, numeric exchange codes, datasets."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

from evofolio.backtesting import split_periods
from evofolio.data import load_data
from evofolio.errors import DataError


def _yf_frame(fields: tuple[str, ...] = ("Adj Close", "Close", "High", "Volume")) -> pd.DataFrame:
    close = make_prices(30, ("AAA", "BBB"))
    parts = {f: close * (0.5 if f == "Adj Close" else 1.0) for f in fields}
    frame = pd.concat(parts, axis=1)
    frame.columns = frame.columns.set_names(["Price", "Ticker"])
    frame.index.name = "Date"
    return frame


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
@pytest.mark.parametrize(
    ("fields", "level", "scale"),
    [
        (("Adj Close", "Close", "High", "Volume"), "Adj Close", 0.5),
        (("Close", "Open"), "Close", 1.0),
    ],
)
def test_yfinance_download_tables_read_the_adjusted_close(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    suffix: str,
    fields: tuple[str, ...],
    level: str,
    scale: float,
) -> None:
    frame = _yf_frame(fields)
    path = tmp_path / f"yf.{suffix}"
    frame.to_parquet(path) if suffix == "parquet" else frame.to_csv(path)
    with caplog.at_level(logging.INFO, logger="evofolio"):
        data = load_data(str(path))
    assert data.assets == ["AAA", "BBB"]
    expected = scale * make_prices(30, ("AAA", "BBB")).to_numpy()
    np.testing.assert_allclose(data.prices.to_numpy(), expected, rtol=1e-9)
    assert f"reading the '{level}' prices of 2 ticker(s)" in caplog.text


def test_yfinance_table_without_a_close_level_is_named(tmp_path: Path) -> None:
    path = tmp_path / "yf_volume.parquet"
    _yf_frame(("High", "Volume")).to_parquet(path)
    with pytest.raises(DataError, match=r"yf_volume\.parquet: two-level columns without"):
        load_data(str(path))


def test_numeric_exchange_codes_keep_their_zeros_in_a_long_file(tmp_path: Path) -> None:
    wide = make_prices(20, ("600519", "000001", "002415"))
    rows = [f"{d:%Y-%m-%d},{a},{wide.loc[d, a]:.4f}" for d in wide.index for a in wide.columns]
    path = tmp_path / "codes.csv"
    path.write_text("date,ticker,close\n" + "\n".join(rows) + "\n")
    for fmt in ("auto", "long"):
        data = load_data(str(path), fmt=fmt)  # type: ignore[arg-type]
        assert data.assets == ["000001", "002415", "600519"]
        np.testing.assert_allclose(data.prices["000001"], wide["000001"], atol=1e-4)


def test_factors_dataset_has_its_market_and_holdout() -> None:
    data = load_data("Factors")
    assert data.source == "factors" and data.assets == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]
    assert f"{data.prices.index[0]:%Y-%m-%d}" == "2014-01-02"
    assert data.market_source == "S&P 500 index (skfolio)" and data.market.notna().all()
    periods = split_periods(pd.DatetimeIndex(data.prices.index), source=data.source)
    assert f"{periods.holdout_start:%Y-%m-%d}" == "2021-01-04"  # first date from 2021-01-01


@pytest.mark.parametrize(
    ("name", "loader"), [("ftse100", "load_ftse100_dataset"), ("nasdaq", "load_nasdaq_dataset")]
)
def test_downloaded_datasets_offline_say_they_must_be_downloaded_once(
    monkeypatch: pytest.MonkeyPatch, name: str, loader: str
) -> None:
    import skfolio.datasets

    def offline(*args: object, **kwargs: object) -> pd.DataFrame:
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(skfolio.datasets, loader, offline)
    with pytest.raises(DataError) as caught:
        load_data(name)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    assert "the data must be downloaded once" in message and "URLError" in message


def test_downloaded_dataset_is_read_when_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    import skfolio.datasets

    cached = make_prices(300, ("AAL.L", "ABF.L"))
    monkeypatch.setattr(skfolio.datasets, "load_ftse100_dataset", lambda: cached)
    data = load_data("ftse100")
    assert data.assets == ["AAL.L", "ABF.L"] and data.market_source.startswith("equal-weight")


@pytest.mark.parametrize(
    "id_name", ["code", "ISIN", "permno", "secid", "sedol", "cusip", "FIGI", "ric"]
)
def test_long_files_with_common_id_column_names(tmp_path: Path, id_name: str) -> None:
    wide = make_prices(20, ("000001", "002415", "600519"))
    rows = [f"{d:%Y-%m-%d},{a},{wide.loc[d, a]:.4f}" for d in wide.index for a in wide.columns]
    path = tmp_path / "ids.csv"
    path.write_text(f"date,{id_name},close\n" + "\n".join(rows) + "\n")
    for fmt in ("auto", "long"):
        data = load_data(str(path), fmt=fmt)  # type: ignore[arg-type]
        assert data.assets == ["000001", "002415", "600519"]  # leading zeros kept
        np.testing.assert_allclose(data.prices.to_numpy(), wide.to_numpy(), atol=1e-4)


def test_repeated_dates_with_one_unnamed_integer_id_column_read_as_long(tmp_path: Path) -> None:
    wide = make_prices(20, ("10107", "14593", "93436"))  # integer ids under an unknown name
    rows = [f"{d:%Y-%m-%d},{a},{wide.loc[d, a]:.4f}" for d in wide.index for a in wide.columns]
    path = tmp_path / "crsp.csv"
    path.write_text("date,stock_key,adj_close\n" + "\n".join(rows) + "\n")
    data = load_data(str(path))
    assert data.assets == ["10107", "14593", "93436"]
    np.testing.assert_allclose(data.prices.to_numpy(), wide.to_numpy(), atol=1e-4)
