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
    np.testing.assert_allclose(data.prices.to_numpy(), prices.to_numpy(), rtol=1e-12)


def test_error_and_ignore_modes(
    write_wide: Callable[..., Path], caplog: pytest.LogCaptureFixture
) -> None:
    prices = _prices()
    prices.iloc[50:, 1] /= 4.0
    path = str(write_wide(prices, "split.csv"))
    with pytest.raises(DataError, match=r"split\.csv: asset 'BBB', .*4-for-1 split"):
        load_data(path, on_suspect_jump="error")
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        load_data(path, on_suspect_jump="ignore")
    assert "split" not in caplog.text


def test_embedded_sp500_raises_only_the_real_artefact() -> None:
    jumps = find_suspect_jumps(load_data("sp500", on_suspect_jump="ignore").prices)
    # RRC: a stale 3.322 quote for weeks, then exactly a third: a data artefact. Apple's real
    # -51.8 % day of 2000-09-29 is not flagged.
    assert [(j.asset, f"{j.date:%Y-%m-%d}") for j in jumps] == [("RRC", "1990-04-10")]
