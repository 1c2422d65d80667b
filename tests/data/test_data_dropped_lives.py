"""An asset dropped for missing data is named with its first and last price and, when it
lists late or stops early, the survivorship bias and the fix (issue 24: "dropped from the
whole history with one line that gives neither its last date nor the bias this causes")."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import evofolio as ev


def test_a_late_listing_and_an_early_exit_are_named_with_their_dates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dates = pd.bdate_range("2010-01-01", periods=1000, name="date")
    rng = np.random.default_rng(1)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (1000, 4)), axis=0)),
        index=dates,
        columns=["A", "B", "LATE", "GONE"],
    )
    prices.iloc[:400, 2] = np.nan  # lists on row 400
    prices.iloc[600:, 3] = np.nan  # stops after row 599
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = ev.load_data(prices)
    assert list(data.prices.columns) == ["A", "B"]
    text = " ".join(r.getMessage() for r in caplog.records if "dropping" in r.getMessage())
    late, gone = dates[400], dates[599]
    assert f"LATE (prices {late:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}, lists after" in text
    assert f"GONE (prices {dates[0]:%Y-%m-%d} to {gone:%Y-%m-%d}, stops before the last" in text
    assert "survivorship bias" in text and "--ragged" in text
