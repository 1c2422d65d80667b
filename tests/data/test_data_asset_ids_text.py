"""Asset ids are text in every layout: pandas' missing-value words (``NA``, ``NULL``, ``nan``,
``None``, ``N/A``...) are tickers when a file writes them, numeric codes keep their digits;
only an empty cell is a missing id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from broken_inputs import make_prices

import evofolio as ev
from evofolio.data import load_data
from evofolio.errors import DataError

NA_WORDS = ["NA", "NULL", "nan", "None", "N/A", "NaN", "n/a", "null", "#N/A", "-NaN"]


def _long_rows(ids: list[str], n: int = 40) -> pd.DataFrame:
    prices = make_prices(n, tuple(f"X{i}" for i in range(len(ids))))
    rows = []
    for j, asset in enumerate(ids):
        rows.append(
            pd.DataFrame(
                {"date": prices.index.strftime("%Y-%m-%d"), "id": asset, "px": prices.iloc[:, j]}
            )
        )
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("column", ["ticker", "sym"])
@pytest.mark.parametrize("word", NA_WORDS)
def test_a_long_csv_keeps_a_ticker_that_pandas_reads_as_missing(
    word: str, column: str, tmp_path: Path
) -> None:
    ids = ["AAPL", word, "000001"]
    table = _long_rows(ids).rename(columns={"id": column, "px": "close"})
    path = tmp_path / "long.csv"
    table.to_csv(path, index=False)
    data = load_data(str(path))
    assert sorted(data.assets) == sorted(ids)
    expected = table[table[column] == word]["close"].to_numpy()
    np.testing.assert_allclose(data.prices[word].to_numpy(), expected)
    table.loc[5, column] = ""  # an empty cell is the one missing id
    table.to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"column '{column}', row 6: missing asset id"):
        load_data(str(path))


def test_numeric_ids_are_their_integer_text_in_parquet_and_frames(tmp_path: Path) -> None:
    table = _long_rows(["1", "2", "3"]).rename(columns={"id": "permno"})
    table["permno"] = table["permno"].astype(float) + 10000  # a float column, as after a join
    path = tmp_path / "long.parquet"
    table.to_parquet(path)
    assert load_data(str(path)).assets == ["10001", "10002", "10003"]
    frame = table.copy()
    assert ev.load_data(frame).assets == ["10001", "10002", "10003"]


def test_wide_headers_levels_and_frame_labels_stay_text(tmp_path: Path) -> None:
    names = ["NA", "NULL", "0005", "7203"]
    prices = make_prices(40, tuple(names))
    path = tmp_path / "wide.csv"
    prices.rename_axis("date").to_csv(path, date_format="%Y-%m-%d")
    assert load_data(str(path)).assets == names
    levels = pd.concat({"Close": prices, "Adj Close": prices * 0.9}, axis=1)
    levels.columns = levels.columns.set_names(["Price", "Ticker"])
    levels.rename_axis("Date").to_csv(tmp_path / "yf.csv")
    assert load_data(str(tmp_path / "yf.csv")).assets == names
    labelled = prices.set_axis(["NA", 5, 1234.0, "None"], axis=1)
    assert ev.load_data(labelled).assets == ["NA", "5", "1234", "None"]
    with pytest.raises(DataError, match="column 1 has no name"):
        ev.load_data(prices.set_axis([None, "A", "B", "C"], axis=1))
