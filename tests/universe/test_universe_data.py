"""Ragged universes at load: lives, gaps inside a life, membership, the investable set."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evofolio as ev
from evofolio import load_data
from evofolio.errors import DataError


def _prices(n: int = 40) -> pd.DataFrame:
    """3 assets on business days: A the whole period, B lists on row 10, C delists after row 29."""
    index = pd.bdate_range("2020-01-01", periods=n, name="date")
    rows = np.arange(n, dtype=np.float64)
    frame = pd.DataFrame(
        {"A": 100 * 1.01**rows, "B": 50 * 1.02**rows, "C": 80 * 0.99**rows}, index=index
    )
    frame.iloc[:10, 1] = np.nan
    frame.iloc[30:, 2] = np.nan
    return frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.rename_axis("date").reset_index().to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def test_a_ragged_file_keeps_every_life(tmp_path: Path) -> None:
    raw = _prices()
    path = _write(raw, tmp_path / "prices.csv")
    with pytest.raises(DataError, match=r"after dropping B, C"):  # read as a rectangle
        load_data(str(path), ragged=False)
    assert load_data(str(path)).universe is not None  # by default the file decides: ragged
    data = load_data(str(path), ragged=True)
    assert data.assets == ["A", "B", "C"] and len(data.prices) == 40
    lives = data.universe.lives()
    assert lives.loc["B", "first"] == raw.index[10] and lives.loc["B", "last"] == raw.index[-1]
    assert lives.loc["C", "last"] == raw.index[29]
    assert lives.loc["C", "delisting_return"] == pytest.approx(-0.30)
    assert np.isnan(lives.loc["A", "delisting_return"])
    alive = data.universe.alive
    assert alive["B"].sum() == 30 and alive["C"].sum() == 30 and alive["A"].all()
    # outside a life the prices are padded (return 0): the first / last price of the life
    assert (data.prices["B"].iloc[:10] == raw["B"].iloc[10]).all()
    assert (data.prices["C"].iloc[30:] == raw["C"].iloc[29]).all()
    pd.testing.assert_frame_equal(data.universe.raw(data.prices), raw, check_freq=False)
    # the equal-weight market proxy averages the assets priced on both days
    step = data.market.iloc[11] / data.market.iloc[10] - 1
    assert step == pytest.approx((0.01 + 0.02 - 0.01) / 3, rel=1e-12)
    step = data.market.iloc[5] / data.market.iloc[4] - 1
    assert step == pytest.approx((0.01 - 0.01) / 2, abs=1e-15)
    step = data.market.iloc[35] / data.market.iloc[34] - 1
    assert step == pytest.approx((0.01 + 0.02) / 2, rel=1e-12)


def test_gaps_inside_a_life_follow_the_rules(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = _prices()
    raw.iloc[15:17, 1] = np.nan  # a 2-day gap inside B's life: filled
    with caplog.at_level(logging.INFO, logger="evofolio.data"):
        data = load_data(_frame(raw), ragged=True)
    assert data.report.filled["B"] == 2 and data.report.missing["B"] == 2
    first = raw.index[15].date()
    assert f"forward-filled 2 missing cells inside lives in 1 asset(s): B (2, first {first})" in (
        caplog.text
    )
    assert data.prices["B"].iloc[16] == raw["B"].iloc[14]
    assert data.universe.alive["B"].iloc[16]
    raw.iloc[15:22, 1] = np.nan  # 7 days > max_ffill_days=5: an error naming asset and dates
    with pytest.raises(DataError, match=r"column 'B': 7 consecutive missing dates from 2020-01-22"):
        load_data(_frame(raw), ragged=True, max_missing_frac=0.5)


def test_max_missing_frac_counts_the_life_only(caplog: pytest.LogCaptureFixture) -> None:
    raw = _prices()
    raw.iloc[[12, 15, 18, 21], 1] = np.nan  # 4 of B's 30 dates: 13 % > 10 %
    with caplog.at_level(logging.WARNING):
        data = load_data(_frame(raw), ragged=True)
    assert data.report.dropped == ("B",)
    assert "dropping asset B: missing on 4 of the 30 dates of its life" in caplog.text


def _frame(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.rename_axis("date")


def test_membership_rows_and_the_investable_set(tmp_path: Path) -> None:
    raw = _prices()
    days = raw.index
    rows = pd.DataFrame(
        {
            "asset": ["A", "A", "B", "C", "Z"],
            "start": [days[0], days[20], days[0], days[0], days[0]],
            "end": [days[4], None, None, days[35], None],
        }
    )
    path = tmp_path / "members.csv"
    rows.to_csv(path, index=False, date_format="%Y-%m-%d")
    data = load_data(_frame(raw), universe=str(path))
    member = data.universe.member
    assert member["A"].iloc[:5].all() and not member["A"].iloc[5:20].any()
    assert member["A"].iloc[20:].all()
    investable = data.universe.investable(3)  # member, alive, >= 3 returns of life
    expected_b = np.zeros(40, dtype=bool)
    expected_b[13:] = True
    np.testing.assert_array_equal(investable["B"].to_numpy(), expected_b)
    expected_c = np.zeros(40, dtype=bool)
    expected_c[3:30] = True  # a member to row 35, but alive to row 29 only
    np.testing.assert_array_equal(investable["C"].to_numpy(), expected_c)
    assert data.universe.membership == str(path)
    table = data.universe.by_year()
    assert table.loc[0, "entries"] == "B" and table.loc[0, "exits"] == "C"


def test_membership_wide_table_is_as_of_and_checked(tmp_path: Path) -> None:
    raw = _prices()
    wide = pd.DataFrame(
        {"date": [raw.index[0], raw.index[10]], "A": [1, 1], "B": [0, 1], "C": [1, 0]}
    )
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False, date_format="%Y-%m-%d")
    data = load_data(_frame(raw), universe=str(path))
    member = data.universe.member
    assert member["C"].iloc[:10].all() and not member["C"].iloc[10:].any()
    assert member["B"].iloc[10:].all() and not member["B"].iloc[:10].any()
    wide.loc[1, "B"] = 2
    wide.to_csv(path, index=False, date_format="%Y-%m-%d")
    day = f"{raw.index[10]:%Y-%m-%d}"
    with pytest.raises(
        DataError, match=rf"column 'B', row 2 \({day}\): membership must be 0 or 1, got 2$"
    ):
        load_data(_frame(raw), universe=str(path))
    wide.loc[1, "B"] = None  # an empty cell is named as one, not as a float
    wide.to_csv(path, index=False, date_format="%Y-%m-%d")
    with pytest.raises(
        DataError, match=r"row 2 \(.*\): membership must be 0 or 1, got an empty cell"
    ):
        load_data(_frame(raw), universe=str(path))


def test_membership_errors_name_the_row(tmp_path: Path) -> None:
    raw = _prices()
    rows = pd.DataFrame(
        {"asset": ["A", "B"], "start": ["2020-01-01", "2020-02-10"], "end": ["", "2020-02-01"]}
    )
    path = tmp_path / "members.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"members.csv: row 2: asset 'B': start 2020-02-10 is after"
    ):
        load_data(_frame(raw), universe=str(path))
    rows.loc[1, "start"] = "not a date"
    rows.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"members.csv: column 'start', row 2: cannot parse date"):
        load_data(_frame(raw), universe=str(path))
    # a bad delisting return is refused when the file is read, not only if its asset exits
    rows.loc[1, "start"] = "2020-01-01"
    rows["delisting_return"] = [-2.0, None]  # A never exits in these prices
    rows.to_csv(path, index=False)
    with pytest.raises(
        DataError,
        match=r"members.csv: column 'delisting_return', row 1: asset 'A': delisting return "
        r"must be >= -1 \(-100 %\), got -2",
    ):
        load_data(_frame(raw), universe=str(path))


def test_delisting_return_column_overrides_the_default(tmp_path: Path) -> None:
    raw = _prices()
    rows = pd.DataFrame(
        {
            "asset": ["A", "B", "C"],
            "start": ["2020-01-01"] * 3,
            "end": ["", "", ""],
            "delisting_return": [None, None, 0.0],
        }
    )
    path = tmp_path / "members.csv"
    rows.to_csv(path, index=False)
    data = load_data(_frame(raw), universe=str(path), delisting_return=-0.5)
    assert data.universe.delisting["C"] == 0.0  # a merger paid at the last price
    assert np.isnan(data.universe.delisting["A"])
    plain = load_data(_frame(raw), ragged=True, delisting_return=-0.5)
    assert plain.universe.delisting["C"] == -0.5


def test_a_rectangle_with_ragged_on_is_the_rectangle() -> None:
    full = _prices().iloc[10:30]
    data = load_data(_frame(full), ragged=True)
    plain = load_data(_frame(full))
    pd.testing.assert_frame_equal(data.prices, plain.prices)
    pd.testing.assert_series_equal(data.market, plain.market)
    assert not data.universe.ragged
    assert ev.load_data is not None


def test_a_ragged_market_data_is_cut_with_its_universe() -> None:
    data = load_data(_frame(_prices()), ragged=True)
    early = load_data(data, end=data.prices.index[20])
    assert early.universe is not None and early.universe.alive.shape == (20, 3)
    assert early.universe.alive.index.equals(early.prices.index)


def test_a_membership_file_of_neither_layout_says_what_each_needs(tmp_path: Path) -> None:
    raw = _prices()
    path = tmp_path / "members.csv"
    pd.DataFrame({"ticker": ["A", "B"], "from": ["2020-01-01"] * 2, "to": ["", ""]}).to_csv(
        path, index=False
    )
    with pytest.raises(
        DataError, match=r"column 'ticker'.*; a membership file has columns asset, start, end"
    ):
        load_data(_frame(raw), universe=str(path))
