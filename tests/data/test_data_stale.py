"""Stale closes: long runs of an unchanged price are named once per asset, never repaired."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

from evofolio.data import MIN_STALE_DATES, find_stale_runs, load_data


def _prices() -> pd.DataFrame:
    return make_prices(120, ("AAA", "BBB", "CCC"), seed=5)


def _hold(prices: pd.DataFrame, column: int, start: int, stop: int | None = None) -> None:
    """Repeat the close of row ``start`` on the rows after it, up to ``stop`` (excluded)."""
    end = len(prices) if stop is None else stop
    values = prices.to_numpy()
    prices.iloc[start + 1 : end, column] = values[start, column]


def test_threshold_is_twenty_dates_counting_the_first() -> None:
    prices = _prices()
    _hold(prices, 1, 9, 30)  # rows 9..29: 21 dates at one close
    _hold(prices, 2, 59, 79)  # rows 59..78: 20 dates
    _hold(prices, 0, 89, 108)  # rows 89..107: 19 dates, below
    runs = find_stale_runs(prices)
    assert MIN_STALE_DATES == 20
    got = [(r.asset, r.first, r.last, r.n_dates) for r in runs]
    assert got == [
        ("BBB", prices.index[9], prices.index[29], 21),
        ("CCC", prices.index[59], prices.index[78], 20),
    ]
    assert runs[0].price == prices.to_numpy()[9, 1]


def test_one_warning_per_asset_with_count_first_run_and_cause(
    write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices = _prices()
    prices.iloc[10:40, 1] = 100.0  # rows 10..39: 30 dates, a suspension
    _hold(prices, 1, 69, 100)  # rows 69..99: 31 dates, a stale feed
    _hold(prices, 2, 99)  # delisted, filled forward to the end: 21 dates
    path = write_wide(prices, "stale.csv")
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = load_data(str(path))
    stale = [r.getMessage() for r in caplog.records if "unchanged" in r.getMessage()]
    assert len(stale) == 2
    bbb, ccc = sorted(stale)
    day = lambda i: f"{prices.index[i]:%Y-%m-%d}"  # noqa: E731
    assert "stale.csv: asset 'BBB': close unchanged at 100 for 30 consecutive dates, " in bbb
    assert f"{day(10)} to {day(39)} (and 1 more such runs)" in bbb
    assert "stale quote, a trading suspension or a delisted stock filled forward" in bbb
    assert "asset 'CCC'" in ccc and f"21 consecutive dates, {day(99)} to {day(119)}:" in ccc
    assert "AAA" not in " ".join(stale)
    np.testing.assert_allclose(data.prices.to_numpy(), prices.to_numpy(), rtol=1e-12)


def test_embedded_sp500_flags_only_rrc() -> None:
    runs = find_stale_runs(load_data("sp500", on_suspect_jump="ignore").prices)
    # RRC's quote sat at 3.322 from the first date to 1990-04-09 (69 dates): a real artefact.
    assert {r.asset for r in runs} == {"RRC"}
    first = runs[0]
    assert (f"{first.first:%Y-%m-%d}", f"{first.last:%Y-%m-%d}", first.n_dates) == (
        "1990-01-02",
        "1990-04-09",
        69,
    )


def test_an_asset_constant_on_every_date_is_named_a_cash_line(
    write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices = _prices()
    prices["CASH"] = 1.0
    path = write_wide(prices, "cash.csv")
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        load_data(str(path))
    messages = [r.getMessage() for r in caplog.records if "'CASH'" in r.getMessage()]
    assert messages == [
        f"{path}: asset 'CASH': close constant at 1 on every date: a cash line or a dead "
        "quote; it has no risk, so the risk-based rules leave it out (weight 0)"
    ]
