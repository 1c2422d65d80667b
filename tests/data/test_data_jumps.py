"""Suspect one-day moves: unadjusted splits and unit switches are named, never repaired."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

from evofolio.data import find_suspect_jumps, load_data
from evofolio.errors import DataError


def _prices() -> pd.DataFrame:
    return make_prices(80, ("AAA", "BBB", "CCC"), seed=3)


@pytest.mark.parametrize(
    ("factor", "cause"),
    [
        (1 / 2, "2-for-1 split"),
        (1 / 3, "3-for-1 split"),
        (1 / 4, "4-for-1 split"),
        (1 / 5, "5-for-1 split"),
        (1 / 10, "10-for-1 split"),
        (10.0, "1-for-10 reverse split"),
        (2.0, "1-for-2 reverse split"),
        (2 / 3, "3-for-2 split"),
        (3 / 2, "2-for-3 reverse split"),
        (1 / 8, "8-for-1 split"),
        (8.0, "1-for-8 reverse split"),
        (15.0, "1-for-15 reverse split"),
        (1 / 20, "20-for-1 split"),
        (20.0, "1-for-20 reverse split"),
        (25.0, "1-for-25 reverse split"),
        (1 / 50, "50-for-1 split"),
        (7.0, "implausible one-day move (data error or unadjusted corporate action)"),
        (1 / 6.3, "implausible one-day move (data error or unadjusted corporate action)"),
        (36.0, "implausible one-day move"),
    ],
)
def test_persistent_split_ratio_is_found(factor: float, cause: str) -> None:
    clean = _prices()
    prices = clean.copy()
    prices.iloc[50:, 1] *= factor  # BBB unadjusted from the 51st date on
    jumps = find_suspect_jumps(prices)
    assert len(jumps) == 1
    jump = jumps[0]
    assert (jump.asset, jump.date) == ("BBB", prices.index[50])
    assert jump.ratio == pytest.approx(factor * clean.iloc[50, 1] / clean.iloc[49, 1])
    assert cause in jump.cause


def test_pence_pounds_switch_that_reverses_is_found() -> None:
    prices = _prices()
    prices.iloc[30:33, 0] *= 100.0  # three days quoted in pence
    jumps = find_suspect_jumps(prices)
    assert [(j.asset, j.date) for j in jumps] == [("AAA", prices.index[30])]
    assert "x100" in jumps[0].cause and "reversed within 5 days" in jumps[0].cause


def test_real_crashes_are_not_flagged() -> None:
    prices = _prices()
    prices.iloc[40:, 2] *= 0.80  # -20 %: a crash, not a split ratio
    prices.iloc[60:, 0] *= 0.45  # -55 %: beyond the tolerance of 1:2 (a real collapse)
    prices.iloc[20:, 1] *= 1.25  # +25 %: 5:4 is not a split ratio looked for
    prices.iloc[30:, 1] *= 0.60  # -40 %: beyond the tolerance of 2:3
    prices.iloc[35:, 2] *= 0.65  # -35 %: a real crash, 2.5 % from 2/3 (3:2 band is 1 %)
    prices.iloc[45:, 1] *= 4.4  # x4.4: between 1:4 and 1:5, under x5
    assert find_suspect_jumps(prices) == []


def test_spike_under_x1_9_that_reverses_is_not_flagged() -> None:
    prices = _prices()
    prices.iloc[30:32, 0] *= 1.5  # two days at +50 %, then back: a volatile stock, not units
    assert find_suspect_jumps(prices) == []


def test_warn_names_asset_date_ratio_and_prices_are_unchanged(
    write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices = _prices()
    prices.iloc[50:, 1] /= 4.0
    path = write_wide(prices, "split.csv")
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        data = load_data(str(path))
    day = f"{prices.index[50]:%Y-%m-%d}"
    assert f"split.csv: asset 'BBB', {day}: one-day price ratio 0." in caplog.text
    assert "4-for-1 split left unadjusted" in caplog.text and "on_suspect_jump" in caplog.text
    assert "prices are left as they are" in caplog.text
    np.testing.assert_allclose(data.prices.to_numpy(), prices.to_numpy(), rtol=1e-12)


def test_error_and_ignore_modes(
    write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices = _prices()
    prices.iloc[50:, 1] /= 4.0
    path = str(write_wide(prices, "split.csv"))
    with pytest.raises(DataError, match=r"split\.csv: asset 'BBB', .*4-for-1 split") as err:
        load_data(path, on_suspect_jump="error")
    assert "left as they are" not in str(err.value)  # nothing is left: the load stops
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        load_data(path, on_suspect_jump="ignore")
    assert "split" not in caplog.text


def test_embedded_sp500_raises_only_the_real_artefact() -> None:
    jumps = find_suspect_jumps(load_data("sp500", on_suspect_jump="ignore").prices)
    # RRC: a stale 3.322 quote for weeks, then exactly a third: a data artefact. Apple's real
    # -51.8 % day of 2000-09-29 is not flagged, nor AMD's real -32.4 % day of 2002-10-03 and
    # +52.3 % day of 2016-04-22 (within 3 % of 2/3 and 3/2, outside the 1 % band of 3:2).
    assert [(j.asset, f"{j.date:%Y-%m-%d}") for j in jumps] == [("RRC", "1990-04-10")]
