"""Stamps with offsets or times of day become the market's calendar date; intraday is refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from evofolio.data import load_data
from evofolio.errors import DataError


def _write(path: Path, stamps: list[str]) -> str:
    rows = [f"{s},{100 + k},{50 + k / 2}" for k, s in enumerate(stamps)]
    path.write_text("date,A,B\n" + "\n".join(rows) + "\n")
    return str(path)


def test_default_is_the_date_in_the_stamps_own_offset(tmp_path: Path) -> None:
    # New York midnight closes across the 2020-03-08 DST change: -05:00 then -04:00.
    stamps = ["2020-03-05 00:00-05:00", "2020-03-06 00:00-05:00", "2020-03-09 00:00-04:00"]
    data = load_data(_write(tmp_path / "ny.csv", stamps))
    assert list(data.prices.index) == list(
        pd.to_datetime(["2020-03-05", "2020-03-06", "2020-03-09"])
    )
    assert data.prices.loc["2020-03-09", "A"] == 102


def test_timezone_puts_utc_stamped_closes_on_their_trading_day(tmp_path: Path) -> None:
    # Frankfurt closes of Thu 2 Jan .. Tue 7 Jan 2020 (Berlin = UTC+1 in winter) written in UTC.
    stamps = [f"2020-01-{d:02d} 23:00:00+00:00" for d in (1, 2, 5, 6)]
    path = _write(tmp_path / "utc.csv", stamps)
    shifted = load_data(path)
    assert [d.day for d in shifted.prices.index] == [1, 2, 5, 6]  # the file's own UTC dates
    local = load_data(path, timezone="Europe/Berlin")
    assert [d.day for d in local.prices.index] == [2, 3, 6, 7]
    assert local.prices["A"].tolist() == [100, 101, 102, 103]


def test_summer_and_winter_offsets_both_land_on_the_day(tmp_path: Path) -> None:
    # Berlin midnight closes of Fri 27 March (UTC+1) and Mon 30 March 2020 (UTC+2, DST).
    stamps = ["2020-03-26 23:00+00:00", "2020-03-29 22:00+00:00", "2020-03-30 22:00+00:00"]
    data = load_data(_write(tmp_path / "dst.csv", stamps), timezone="Europe/Berlin")
    assert [d.day for d in data.prices.index] == [27, 30, 31]


def test_weekend_dates_warn_with_the_cause_and_the_option(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = pd.bdate_range("2020-01-06", periods=30)  # Mon..Fri
    utc = [f"{d - pd.Timedelta(hours=1):%Y-%m-%d %H:%M}+00:00" for d in local]
    path = _write(tmp_path / "utc.csv", utc)
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        load_data(path)
    assert "utc.csv" in caplog.text and "6 of 30 dates fall on a Saturday or Sunday" in caplog.text
    assert "first 2020-01-05, a Sunday" in caplog.text and "--timezone" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = load_data(path, timezone="Europe/Berlin")
    assert "Saturday or Sunday" not in caplog.text
    assert data.prices.index.equals(pd.DatetimeIndex(local.as_unit(data.prices.index.unit)))


def test_a_handful_of_weekend_dates_is_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dates = [*pd.bdate_range("2020-01-06", periods=40), pd.Timestamp("2020-03-07")]
    path = _write(tmp_path / "few.csv", [f"{d:%Y-%m-%d}" for d in sorted(dates)])
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        load_data(path)
    assert "Saturday" not in caplog.text


def test_intraday_stamps_are_refused_as_such(tmp_path: Path) -> None:
    stamps = ["2020-01-02 09:30", "2020-01-02 10:30", "2020-01-03 09:30"]
    with pytest.raises(DataError, match=r"intraday\.csv: column 'date': intraday timestamps"):
        load_data(_write(tmp_path / "intraday.csv", stamps))


def test_unknown_timezone_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", ["2020-01-02", "2020-01-03"])
    with pytest.raises(DataError, match="unknown time zone 'Europe/Berln'.*--timezone"):
        load_data(path, timezone="Europe/Berln")


def test_tz_aware_parquet_dates_follow_the_timezone(tmp_path: Path) -> None:
    local = pd.bdate_range("2020-01-06", periods=10, name="date")
    frame = pd.DataFrame({"A": range(1, 11), "B": range(11, 21)}, index=local, dtype=float)
    frame.index = local.tz_localize("Asia/Tokyo").tz_convert("UTC")  # t-1 15:00 UTC
    path = tmp_path / "tokyo.parquet"
    frame.to_parquet(path)
    assert [d.day for d in load_data(str(path)).prices.index][:2] == [5, 6]  # UTC dates
    data = load_data(str(path), timezone="Asia/Tokyo")
    assert [d.day for d in data.prices.index][:2] == [6, 7]
