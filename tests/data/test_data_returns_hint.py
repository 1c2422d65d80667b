"""A table of returns given where prices belong is named as such (issue 23: "price must be
> 0" with no hint), in a file and in a frame; a price table with a bad cell is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evofolio as ev
from evofolio.errors import DataError


def returns_frame(log: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    values = rng.normal(0.0003, 0.012, (300, 4))
    frame = pd.DataFrame(
        np.log1p(values) if log else values,
        index=pd.bdate_range("2020-01-01", periods=300, name="date"),
        columns=["A", "B", "C", "D"],
    )
    return frame


@pytest.mark.parametrize("log", [False, True])
def test_returns_are_named_as_returns(log: bool, tmp_path: Path) -> None:
    frame = returns_frame(log)
    with pytest.raises(DataError, match=r"price must be > 0.*looks like returns, not prices"):
        ev.load_data(frame)
    path = tmp_path / "returns.csv"
    frame.to_csv(path)
    with pytest.raises(DataError, match=r"returns\.csv: column .*looks like returns") as caught:
        ev.load_data(str(path))
    assert "100 * (1 + returns).cumprod()" in str(caught.value)


def test_a_price_table_with_one_bad_cell_gets_no_returns_hint() -> None:
    prices = 100.0 * (1.0 + returns_frame()).cumprod()
    prices.iloc[50, 1] = -3.0
    with pytest.raises(DataError, match=r"column 'B', 2020-03-11: price must be > 0, got -3$"):
        ev.load_data(prices)


def test_gross_returns_given_as_prices_are_named(caplog: pytest.LogCaptureFixture) -> None:
    """Fresh-eyes finding: 1 + returns saved as prices passed silently (Sharpe 0.08 instead of
    1.67); a real price series near 1 (a random walk) is not flagged."""
    import logging

    gross = 1.0 + returns_frame()
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        ev.load_data(gross)
    assert "'A', 'B', 'C', 'D' look like gross returns (1 + r), not prices" in caplog.text
    caplog.clear()
    near_one = (1.0 + returns_frame() * 0.2).cumprod()  # a price that stays near 1
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        ev.load_data(near_one)
    assert "gross returns" not in caplog.text
