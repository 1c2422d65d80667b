"""validate_prices: the clean frame, each check, the missing-data policy and its report."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evofolio.data import MissingPolicy, MissingReport, require_history, validate_prices
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError


def test_clean_frame_has_the_promised_shape(prices: pd.DataFrame) -> None:
    clean, report = validate_prices(prices, "mem")
    assert isinstance(clean.index, pd.DatetimeIndex)
    assert clean.index.name == "date"
    assert clean.index.tz is None
    assert clean.index.is_monotonic_increasing and clean.index.is_unique
    assert all(isinstance(c, str) for c in clean.columns)
    assert (clean.dtypes == np.float64).all()
    np.testing.assert_array_equal(clean.to_numpy(), prices.to_numpy())
    assert report.dropped == () and report.trimmed_rows == 0
    assert sum(report.filled.values()) == 0


def test_string_dates_timezones_and_times_are_normalised() -> None:
    index = pd.date_range("2021-03-01 16:00", periods=4, freq="D", tz="America/New_York")
    frame = pd.DataFrame({1: [1.0, 2, 3, 4], "B": ["5", " 6", "7", "8"]}, index=index)
    clean, _ = validate_prices(frame, "mem")
    assert list(pd.DatetimeIndex(clean.index).strftime("%Y-%m-%d %H:%M")) == [
        "2021-03-01 00:00",
        "2021-03-02 00:00",
        "2021-03-03 00:00",
        "2021-03-04 00:00",
    ]
    assert list(clean.columns) == ["1", "B"]
    assert clean["B"].tolist() == [5.0, 6.0, 7.0, 8.0]

    text = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 4.0]}, index=["2020-01-02", "2020-01-03"])
    assert validate_prices(text, "mem")[0].index[1] == pd.Timestamp("2020-01-03")
    numeric = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 4.0]}, index=[20200102, 20200103])
    assert validate_prices(numeric, "mem")[0].index[0] == pd.Timestamp("2020-01-02")


def test_iso_dates_of_varying_precision_parse() -> None:
    index = ["2020-01-02", "2020-01-03 00:00:00", "2020-01-06T12:30"]
    frame = pd.DataFrame({"A": [1.0, 2, 3], "B": [1.0, 2, 3]}, index=index)
    clean, _ = validate_prices(frame, "mem")
    assert list(clean.index) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]))


@pytest.mark.parametrize(
    ("index", "expect"),
    [
        (["02/01/2020", "03/01/2020", "13/01/2020"], "row 3: cannot parse date '13/01/2020'"),
        (pd.DatetimeIndex(["2020-01-02", None, "2020-01-06"]), "row 2: missing date"),
        (["2020-01-02", None, "2020-01-06"], "row 2: missing date"),
    ],
)
def test_bad_dates_name_the_row(index: list[str] | pd.DatetimeIndex, expect: str) -> None:
    frame = pd.DataFrame({"A": [1.0, 2, 3], "B": [1.0, 2, 3]}, index=pd.Index(index, name="Day"))
    with pytest.raises(DataError, match=f"^mem: column 'Day', {expect}"):
        validate_prices(frame, "mem")


def test_input_is_not_modified(prices: pd.DataFrame) -> None:
    broken = prices.copy()
    broken.iloc[3, 1] = np.nan
    before = broken.copy()
    validate_prices(broken, "mem")
    pd.testing.assert_frame_equal(broken, before)


@pytest.mark.parametrize(
    ("row", "col", "value", "expect"),
    [
        (4, 1, -2.0, "column 'BETA', row 5 (2020-01-07): price must be > 0, got -2"),
        (0, 0, 0.0, "column 'ALPHA', row 1 (2020-01-01): price must be > 0"),
        (9, 2, np.inf, "column 'GAMMA', row 10 (2020-01-14): price is not finite, got inf"),
        (9, 2, -np.inf, "column 'GAMMA', row 10 (2020-01-14): price is not finite"),
    ],
)
def test_bad_values_name_column_row_and_date(
    prices: pd.DataFrame, row: int, col: int, value: float, expect: str
) -> None:
    prices.iloc[row, col] = value
    with pytest.raises(DataError, match=r"^mem: ") as caught:
        validate_prices(prices, "mem")
    assert expect in str(caught.value)


def test_without_row_numbers_only_dates_are_named(prices: pd.DataFrame) -> None:
    prices.iloc[4, 1] = -2.0
    with pytest.raises(DataError, match=r"column 'BETA', 2020-01-07: price must be > 0"):
        validate_prices(prices, "mem", cite_rows=False)


def test_first_bad_row_wins(prices: pd.DataFrame) -> None:
    prices.iloc[8, 0] = -1.0
    prices.iloc[3, 2] = 0.0
    with pytest.raises(DataError, match=r"column 'GAMMA', row 4 "):
        validate_prices(prices, "mem")


def test_non_numeric_and_boolean_cells_are_named() -> None:
    frame = pd.DataFrame(
        {"A": [1.0, 2.0, 3.0], "B": [1.0, "1,5", 2.0]}, index=["2020-01-0" + d for d in "123"]
    )
    with pytest.raises(DataError, match=r"column 'B', row 2 \(2020-01-02\): not a number: '1,5'"):
        validate_prices(frame, "mem")
    frame["B"] = [True, False, True]
    with pytest.raises(DataError, match=r"column 'B', row 1 .*not a number"):
        validate_prices(frame, "mem")


def test_duplicate_and_empty_column_names_are_rejected(prices: pd.DataFrame) -> None:
    prices.columns = ["A", "B", "A"]
    with pytest.raises(DataError, match="column 'A' appears twice"):
        validate_prices(prices, "mem")
    prices.columns = ["A", " ", "C"]
    with pytest.raises(DataError, match="column 2 has no name"):
        validate_prices(prices, "mem")


def test_empty_frame_is_rejected() -> None:
    with pytest.raises(DataError, match="mem: no data rows"):
        validate_prices(pd.DataFrame({"A": [], "B": []}), "mem")


def test_short_gaps_are_forward_filled(
    prices: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    prices.iloc[10:15, 1] = np.nan  # 5 missing dates = max_ffill_days
    prices.iloc[-2:, 2] = np.nan  # trailing, 2 dates
    with caplog.at_level(logging.INFO, logger="evofolio.data"):
        clean, report = validate_prices(prices, "mem")
    # the info line names the assets, their counts and first filled dates (fresh-eyes finding:
    # a cell of 'n/a' was filled with only a count to show for it)
    first_beta, first_gamma = prices.index[10].date(), prices.index[-2].date()
    assert (
        f"mem: forward-filled 7 missing cells in 2 asset(s): BETA (5, first {first_beta}), "
        f"GAMMA (2, first {first_gamma})" in caplog.text
    )
    assert not clean.isna().any().any()
    assert (clean.iloc[10:15, 1] == prices.iloc[9, 1]).all()
    assert (clean.iloc[-2:, 2] == prices.iloc[-3, 2]).all()
    assert report.filled == {"ALPHA": 0, "BETA": 5, "GAMMA": 2}
    assert report.missing == {"ALPHA": 0, "BETA": 5, "GAMMA": 2}


def test_gap_longer_than_policy_names_column_and_first_date(prices: pd.DataFrame) -> None:
    prices.iloc[10:16, 1] = np.nan  # 6 dates
    expect = "mem: column 'BETA': 6 consecutive missing dates from 2020-01-15 to 2020-01-22"
    with pytest.raises(DataError, match=expect):
        validate_prices(prices, "mem")
    clean, _ = validate_prices(prices, "mem", MissingPolicy(max_ffill_days=6))
    assert not clean.isna().any().any()


def test_trailing_gap_longer_than_policy_is_an_error(prices: pd.DataFrame) -> None:
    prices.iloc[-6:, 0] = np.nan
    with pytest.raises(DataError, match=r"column 'ALPHA': 6 .* to the last date"):
        validate_prices(prices, "mem", MissingPolicy(lives=False))
    _, report = validate_prices(prices, "mem")  # by default: 6 > 5 dates, a delisting
    assert report.lives is not None and report.lives["ALPHA"][1] == prices.index[-7]


def test_sparse_asset_is_dropped_with_a_warning(
    prices: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    prices.iloc[::5, 2] = np.nan  # 20% missing
    with caplog.at_level(logging.WARNING, logger="evofolio.data"):
        clean, report = validate_prices(prices, "mem")
    assert list(clean.columns) == ["ALPHA", "BETA"]
    assert report.dropped == ("GAMMA",)
    assert report.kept == ("ALPHA", "BETA")
    assert any("GAMMA" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    rows = {row["asset"]: row for row in report.rows()}
    assert rows["GAMMA"]["status"] == "dropped" and rows["GAMMA"]["missing"] == 12
    assert rows["GAMMA"]["missing_pct"] == 20.0
    assert rows["ALPHA"]["status"] == "kept"
    assert "dropped: GAMMA" in report.summary()


def test_late_starting_asset_trims_leading_dates(
    prices: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    prices.iloc[:4, 1] = np.nan
    prices.iloc[:2, 0] = np.nan
    with caplog.at_level(logging.INFO, logger="evofolio.data"):
        clean, report = validate_prices(prices, "mem")
    assert clean.index[0] == prices.index[4]
    assert len(clean) == len(prices) - 4
    assert report.trimmed_rows == 4
    assert sum(report.filled.values()) == 0
    assert any("trimming 4 leading dates" in r.getMessage() for r in caplog.records)


def test_too_few_assets_after_dropping_is_an_error(prices: pd.DataFrame) -> None:
    prices.iloc[::3, 0] = np.nan
    prices.iloc[::3, 1] = np.nan
    with pytest.raises(DataError, match=r"1 asset\(s\) left \(GAMMA\) after dropping ALPHA, BETA"):
        validate_prices(prices, "mem")


def test_policy_and_report_basics() -> None:
    with pytest.raises(ConfigError, match="max_ffill_days"):
        MissingPolicy(max_ffill_days=-1)
    with pytest.raises(ConfigError, match="max_missing_frac"):
        MissingPolicy(max_missing_frac=1.5)
    report = MissingReport(10, {"A": 0}, {"A": 0}, (), 0)
    assert report.rows() == [
        {"asset": "A", "missing": 0, "missing_pct": 0.0, "filled": 0, "status": "kept"}
    ]


def test_require_history() -> None:
    frame = make_prices(30)
    require_history(frame, 30, "training")
    with pytest.raises(
        InsufficientHistoryError, match="need at least 31 dates for training, got 30"
    ):
        require_history(frame, 31, "training")
    assert issubclass(InsufficientHistoryError, DataError)


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 79), st.integers(1, 5)), max_size=3)
)
def test_short_gaps_always_fill_without_changing_known_prices(
    gaps: list[tuple[int, int, int]],
) -> None:
    prices = make_prices(80)
    for col, start, length in gaps:
        prices.iloc[start : start + length, col] = np.nan
    # outside the policy (too many missing, or overlapping gaps too long): see the error tests
    assume((prices.isna().sum() <= 8).all() and max(_longest_runs(prices)) <= 5)
    clean, report = validate_prices(prices, "mem")
    assert not clean.isna().any().any()
    assert clean.index.is_monotonic_increasing
    known = prices.loc[clean.index].notna().to_numpy()
    np.testing.assert_array_equal(
        clean.to_numpy()[known], prices.loc[clean.index].to_numpy()[known]
    )
    # the rows not kept: the leading ones trimmed, and trailing dates on which no asset has a
    # price (dropped with a warning: filling them would date decisions to closes without one)
    empty = prices.isna().all(axis=1).to_numpy()[::-1]
    trailing = int(np.argmin(empty)) if not empty.all() else len(empty)
    assert report.trimmed_rows + len(clean) + trailing == len(prices)


def _longest_runs(prices: pd.DataFrame) -> list[int]:
    runs = []
    for col in prices.columns:
        mask = prices[col].isna().to_numpy()
        best = current = 0
        for missing in mask:
            current = current + 1 if missing else 0
            best = max(best, current)
        runs.append(best)
    return runs
