"""A file whose assets list late or stop early is read point in time by default (issue 22:
"Prices may start late and end early"); read as a rectangle (``ragged=False``), an asset
dropped for missing data is named with its first and last price and, when it lists late or
stops early, the survivorship bias and the fix (issue 24)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import evofolio as ev


def _listing_and_exit() -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    dates = pd.bdate_range("2010-01-01", periods=1000, name="date")
    rng = np.random.default_rng(1)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (1000, 4)), axis=0)),
        index=dates,
        columns=["A", "B", "LATE", "GONE"],
    )
    prices.iloc[:400, 2] = np.nan  # lists on row 400
    prices.iloc[600:, 3] = np.nan  # stops after row 599
    return dates, prices


def test_by_default_a_listing_and_an_exit_are_read_point_in_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dates, prices = _listing_and_exit()
    with caplog.at_level(logging.DEBUG, logger="evofolio"):
        data = ev.load_data(prices)
    assert list(data.prices.columns) == ["A", "B", "LATE", "GONE"]
    assert data.universe is not None
    lives = data.universe.lives()
    assert lives.loc["LATE", "first"] == dates[400] and lives.loc["GONE", "last"] == dates[599]
    assert len(data.prices) == len(dates)  # nothing trimmed, nothing dropped
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "ragged universe, read point in time: 4 assets, 1 start after the first date" in text
    assert "--rectangular" in text
    assert "1 asset(s) list after the first date and 1 end before the last" in text
    assert f"LATE lists {dates[400]:%Y-%m-%d}" in text
    assert f"GONE ends {dates[599]:%Y-%m-%d}" in text
    assert "dropping" not in text


def test_a_rectangle_keeps_todays_reading_exactly() -> None:
    """No asset starts or ends more than max_ffill_days dates off: no universe, and the
    leading dates of a late first quote are trimmed as before."""
    dates, prices = _listing_and_exit()
    prices = prices[["A", "B"]].copy()
    prices.iloc[:3, 1] = np.nan  # 3 <= max_ffill_days = 5: a late quote, not a listing
    data = ev.load_data(prices)
    assert data.universe is None
    assert data.prices.index[0] == dates[3] and data.report.trimmed_rows == 3
    forced = ev.load_data(prices, ragged=False)
    pd.testing.assert_frame_equal(forced.prices, data.prices)


def test_an_exit_a_few_days_before_the_end_is_a_late_quote_not_a_delisting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In a ragged file, a life ending within max_ffill_days of the last date is carried to
    the end with the stale-price warning: no delisting return is booked on a lagging feed."""
    dates, prices = _listing_and_exit()
    prices.iloc[-2:, 0] = np.nan  # A's feed is 2 days behind
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(prices)
    assert data.universe is not None
    lives = data.universe.lives()
    assert lives.loc["A", "last"] == dates[-1] and lives.loc["GONE", "last"] == dates[599]
    assert data.prices["A"].iloc[-1] == prices["A"].iloc[-3]
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "asset 'A' has no price on the last 2 date(s)" in text


def test_read_as_a_rectangle_a_dropped_listing_and_exit_are_named_with_their_dates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dates, prices = _listing_and_exit()
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(prices, ragged=False)
    assert list(data.prices.columns) == ["A", "B"]
    text = " ".join(r.getMessage() for r in caplog.records if "dropping" in r.getMessage())
    late, gone = dates[400], dates[599]
    assert f"LATE (prices {late:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}, lists after" in text
    assert f"GONE (prices {dates[0]:%Y-%m-%d} to {gone:%Y-%m-%d}, stops before the last" in text
    assert "survivorship bias" in text and "--ragged" in text


def test_a_membership_file_alone_keeps_a_late_quote_a_late_quote(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a membership (which implies lives) an end within max_ffill_days of the last date
    is still a stale quote; only data.ragged = true makes every early end a delisting."""
    dates, prices = _listing_and_exit()
    prices.iloc[-3:, 0] = np.nan  # A's feed is 3 days behind
    members = pd.DataFrame(
        {"asset": ["A", "B", "LATE", "GONE"], "start": ["2000-01-01"] * 4, "end": [""] * 4}
    )
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(prices, universe=members)
    assert data.universe is not None
    assert data.universe.lives().loc["A", "last"] == dates[-1]
    assert "asset 'A' has no price on the last 3 date(s)" in caplog.text
    forced = ev.load_data(prices, universe=members, ragged=True)
    assert forced.universe is not None
    assert forced.universe.lives().loc["A", "last"] == dates[-4]
    assert forced.universe.lives().loc["A", "delisting_return"] == pytest.approx(-0.30)


def test_exits_that_look_like_data_are_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    """Many assets ending on one date (a file whose columns stop early) and exits in the last
    weeks (a feed behind by more than max_ffill_days) are read as delistings, with warnings
    naming the assets and dates."""
    dates = pd.bdate_range("2012-01-02", periods=600, name="date")
    rng = np.random.default_rng(2)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (600, 6)), axis=0)),
        index=dates,
        columns=["LONG", "B", "C", "D", "E", "F"],
    )
    prices.iloc[-7:, 1:5] = np.nan  # four columns stop 7 dates early, together
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(prices)
    assert data.universe is not None  # read as delistings ...
    text = caplog.text
    day = f"{dates[-8]:%Y-%m-%d}"  # ... but not silently
    assert f"4 of the 6 assets priced on {day} have their last price that day (B, C, D, E)" in text
    assert "4 asset(s) stop within 21 dates of the last date" in text and "B on " + day in text
    caplog.clear()
    prices = prices.ffill()
    prices.iloc[-30:, 2] = np.nan  # one exit 30 dates before the end: an ordinary delisting
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        ev.load_data(prices)
    assert "have their last price that day" not in caplog.text
    assert "stop within" not in caplog.text


def test_an_asset_with_one_price_is_dropped_and_counted_missing_everywhere_else() -> None:
    dates, prices = _listing_and_exit()
    prices["ONCE"] = np.nan
    prices.iloc[500, 4] = 12.0
    data = ev.load_data(prices)
    assert "ONCE" not in data.assets and data.report.dropped == ("ONCE",)
    assert data.report.missing["ONCE"] == len(dates) - 1


def test_assets_without_a_price_before_the_end_asked_for_are_left_out_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Cut before they list (``end=``), late listings have no life in the period: one info line
    counts and names a few of them, no warning per asset; a single price is still warned."""
    dates, prices = _listing_and_exit()
    for k in range(7):
        prices[f"NEW{k}"] = np.nan
        prices.iloc[800 + k :, 4 + k] = 50.0 + k
    prices.iloc[300, 4] = 9.0  # NEW0 has one price before the cut
    with caplog.at_level(logging.INFO, logger="evofolio"):
        data = ev.load_data(prices, end=dates[699])  # LATE and GONE: read point in time
    assert data.universe is not None
    assert [a for a in data.assets if a.startswith("NEW")] == []
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "6 asset(s) without a price in these dates left out: NEW1, NEW2, NEW3, NEW4, NEW5 "
        "and 1 more" in m
        for m in infos
    )
    assert [m for m in warnings if "dropping" in m] == [
        f"{data.source}: dropping asset NEW0: a single price"
    ]
