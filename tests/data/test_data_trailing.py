"""The end of a price file (fresh-eyes finding: empty rows at the end were forward-filled
and allocate dated its weights to a close without prices; one asset missing on the last row
passed without a word)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import evofolio as ev


def prices() -> pd.DataFrame:
    dates = pd.bdate_range("2020-01-01", periods=300, name="date")
    rng = np.random.default_rng(0)
    values = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 3)), axis=0))
    return pd.DataFrame(values, index=dates, columns=["A", "B", "C"])


def test_empty_dates_at_the_end_are_dropped_and_named(caplog: pytest.LogCaptureFixture) -> None:
    frame = prices()
    frame.iloc[-2:] = np.nan
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(frame)
    assert data.prices.index[-1] == frame.index[-3]
    assert (
        f"dropping 2 trailing date(s) from {frame.index[-2]:%Y-%m-%d} on, on which no asset has "
        f"a price (the last prices are on {frame.index[-3]:%Y-%m-%d})" in caplog.text
    )


def test_an_asset_missing_on_the_last_date_is_named(caplog: pytest.LogCaptureFixture) -> None:
    frame = prices()
    frame.iloc[-1, 1] = np.nan
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(frame)
    assert data.prices.index[-1] == frame.index[-1]  # the others have prices: kept
    assert data.prices["B"].iloc[-1] == frame["B"].iloc[-2]  # carried forward, and said so
    assert (
        f"asset 'B' has no price on the last 1 date(s) (from {frame.index[-1]:%Y-%m-%d}; its "
        f"last price is on {frame.index[-2]:%Y-%m-%d})" in caplog.text
    )
    assert "stale price" in caplog.text
