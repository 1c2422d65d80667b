"""`load_data(..., end=)`: the rows on or after `end` are dropped once their dates are parsed;
no value of theirs is read, checked or counted (what `evofolio validate` relies on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evofolio as ev
from evofolio.errors import DataError
from synthetic import random_prices

END = "2004-01-01"


def _file(tmp_path: Path) -> Path:
    prices = random_prices(n_days=1200, n_assets=3, seed=2, start="2000-01-03")
    late = prices.index >= pd.Timestamp(END)
    prices.loc[late, "A1"] = np.nan  # missing through the late rows: > 10 % of the file
    frame = prices.astype(object)
    frame.loc[frame.index[late][3], "A2"] = -5.0  # a bad price after END
    path = tmp_path / "prices.csv"
    frame.to_csv(path)
    return path


def test_rows_from_end_on_are_never_read(tmp_path: Path) -> None:
    path = _file(tmp_path)
    with pytest.raises(DataError, match="A2"):
        ev.load_data(str(path))  # the whole file: the bad price is an error
    early = ev.load_data(str(path), end=END)
    assert early.prices.index[-1] < pd.Timestamp(END)
    assert list(early.prices.columns) == ["A0", "A1", "A2"]  # A1's late gap is not counted
    expected = pd.read_csv(path, index_col=0, parse_dates=True)
    expected = expected[expected.index < pd.Timestamp(END)].astype(float)
    np.testing.assert_allclose(early.prices.to_numpy(), expected.to_numpy())


def test_a_frame_is_cut_the_same_way(tmp_path: Path) -> None:
    frame = pd.read_csv(_file(tmp_path), index_col=0)
    early = ev.load_data(frame, end=pd.Timestamp(END))
    assert early.prices.index[-1] < pd.Timestamp(END) and early.prices.shape[1] == 3


def test_nothing_before_end_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no dates before 1999-01-01"):
        ev.load_data(str(_file(tmp_path)), end="1999-01-01")


@pytest.mark.parametrize("end", ["soon", "2018-01-01T00:00:00+02:00", 2018, 20180101])
def test_an_end_that_is_not_a_date_is_one_line(tmp_path: Path, end: object) -> None:
    from evofolio.errors import UsageError

    with pytest.raises(UsageError, match="end: expected a calendar date"):
        ev.load_data(str(_file(tmp_path)), end=end)  # type: ignore[arg-type]


def test_loaded_market_data_is_cut_too(tmp_path: Path) -> None:
    """A MarketData was validated whole, so only cutting is left to do; never ignored."""
    frame = random_prices(n_days=600, n_assets=3, seed=4, start="2003-01-01")
    loaded = ev.load_data(frame)
    early = ev.load_data(loaded, end=END)
    assert early.prices.index[-1] < pd.Timestamp(END) <= loaded.prices.index[-1]
    pd.testing.assert_frame_equal(early.prices, loaded.prices.loc[: early.prices.index[-1]])
    assert early.market.index.equals(early.prices.index)
