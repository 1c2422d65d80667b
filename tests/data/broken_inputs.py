"""A catalogue of broken price files, shared by the data tests and the CLI tests.

Each :class:`BrokenInput` writes one broken file into a folder; loading it must raise a
``DataError`` whose message is one line, contains the file name and contains ``expect``
(the column, row or date at fault, or the kind of problem). Import it as
``from broken_inputs import BROKEN_INPUTS`` (``tests/data/conftest.py`` puts this folder on
``sys.path``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ASSETS = ("ALPHA", "BETA", "GAMMA")


@dataclass(frozen=True)
class BrokenInput:
    """One broken file: ``write(path)`` creates it at ``folder / filename``."""

    name: str
    filename: str
    write: Callable[[Path], None]
    expect: str

    def path(self, folder: Path) -> Path:
        """Write the file into ``folder`` and return its path."""
        target = folder / self.filename
        self.write(target)
        return target


def make_prices(n_dates: int = 60, assets: tuple[str, ...] = ASSETS, seed: int = 0) -> pd.DataFrame:
    """A random-walk price frame (business days from 2020-01-01), index named ``date``."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.01, size=(n_dates, len(assets)))
    values = 100.0 * np.exp(np.cumsum(steps, axis=0))
    dates = pd.bdate_range("2020-01-01", periods=n_dates, name="date")
    return pd.DataFrame(values, index=dates, columns=list(assets))


def day(row: int) -> str:
    """The date of 1-based data row ``row`` in the files written here."""
    return f"{pd.bdate_range('2020-01-01', periods=row)[-1]:%Y-%m-%d}"


def _cells(n_dates: int = 20, assets: tuple[str, ...] = ASSETS) -> list[list[str]]:
    frame = make_prices(n_dates, assets)
    return [
        [f"{when:%Y-%m-%d}", *(f"{v:.4f}" for v in row)]
        for when, row in zip(frame.index, frame.to_numpy(), strict=True)
    ]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _wide(
    edit: Callable[[list[list[str]]], None] = lambda rows: None,
    n_dates: int = 20,
    assets: tuple[str, ...] = ASSETS,
) -> Callable[[Path], None]:
    """A writer of a wide CSV whose cells ``edit`` breaks (rows[i][0] is the date of row i+1)."""

    def write(path: Path) -> None:
        rows = _cells(n_dates, assets)
        edit(rows)
        _write_csv(path, ["date", *assets], rows)

    return write


def _set(row: int, column: int, value: str) -> Callable[[list[list[str]]], None]:
    """Set the cell of 1-based data row ``row``; column 0 is the date, 1.. the assets."""

    def edit(rows: list[list[str]]) -> None:
        rows[row - 1][column] = value

    return edit


def _swap_dates(rows: list[list[str]]) -> None:
    rows[2][0], rows[3][0] = rows[3][0], rows[2][0]


def _repeat_date(rows: list[list[str]]) -> None:
    rows[3][0] = rows[2][0]


def _long_gap(rows: list[list[str]]) -> None:
    for row in rows[39:46]:  # rows 40..46: 7 missing dates > max_ffill_days=5, 7% < 10%
        row[3] = ""


def _blank_column(rows: list[list[str]]) -> None:
    for row in rows:
        row[2] = ""


def _ragged(rows: list[list[str]]) -> None:
    rows[2].append("1.0")  # data row 3 is line 4 of the file


def _long(duplicate: bool = False, bad_price: str | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        rows = [[row[0], asset, row[1 + j]] for row in _cells(10) for j, asset in enumerate(ASSETS)]
        if duplicate:
            rows.insert(8, [day(3), "BETA", "101.0"])
        if bad_price is not None:
            rows[4][2] = bad_price
        _write_csv(path, ["date", "ticker", "close"], rows)

    return write


def _bytes(content: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


def _text(content: str) -> Callable[[Path], None]:
    return _bytes(content.encode("utf-8"))


def _parquet(negative: bool) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame = make_prices(20)
        if negative:
            frame.iloc[2, 1] = -1.0
        frame.reset_index().to_parquet(path, index=False)

    return write


BROKEN_INPUTS: list[BrokenInput] = [
    BrokenInput("missing file", "does_not_exist.csv", lambda path: None, "file not found"),
    BrokenInput("unknown extension", "prices.txt", _wide(), "'.txt'"),
    BrokenInput("empty file", "empty.csv", _bytes(b""), "file is empty"),
    BrokenInput("blank lines only", "blank.csv", _text("\n \n\n"), "file is empty"),
    BrokenInput("header only", "header_only.csv", _text("date,ALPHA,BETA\n"), "no data rows"),
    BrokenInput("binary garbage", "garbage.csv", _bytes(bytes(range(256)) * 8), "binary"),
    BrokenInput("not utf-8", "latin1.csv", _bytes("date,caf\xe9\n".encode("latin-1")), "UTF-8"),
    BrokenInput("semicolons", "semicolons.csv", _text("date;ALPHA;BETA\n2020-01-01;1;2\n"), "';'"),
    BrokenInput("ragged rows", "ragged.csv", _wide(_ragged), "line 4"),
    BrokenInput("duplicate column", "dup_column.csv", _wide(assets=("ALPHA", "ALPHA")), "'ALPHA'"),
    BrokenInput("unparseable date", "bad_date.csv", _wide(_set(3, 0, "2020-13-45")), "row 3"),
    BrokenInput("missing date", "no_date.csv", _wide(_set(2, 0, "")), "row 2"),
    BrokenInput("unsorted dates", "unsorted.csv", _wide(_swap_dates), f"row 4 ({day(3)})"),
    BrokenInput("duplicate dates", "dup_dates.csv", _wide(_repeat_date), f"row 4 ({day(3)})"),
    BrokenInput("non-numeric price", "text_price.csv", _wide(_set(4, 2, "abc")), "'BETA', row 4"),
    BrokenInput("negative price", "negative.csv", _wide(_set(5, 1, "-3.5")), "'ALPHA', row 5"),
    BrokenInput("zero price", "zero.csv", _wide(_set(2, 3, "0")), "'GAMMA', row 2"),
    BrokenInput("infinite price", "inf.csv", _wide(_set(6, 1, "inf")), "'ALPHA', row 6"),
    BrokenInput("gap beyond policy", "long_gap.csv", _wide(_long_gap, n_dates=100), day(40)),
    BrokenInput(
        "asset entirely missing",
        "blank_asset.csv",
        _wide(_blank_column, assets=("ALPHA", "BETA")),
        "dropping BETA",
    ),
    BrokenInput("one asset only", "one_asset.csv", _wide(assets=("ALPHA",)), "at least 2 asset"),
    BrokenInput("dates only", "dates_only.csv", _wide(assets=()), "at least 2 asset"),
    BrokenInput("long duplicate", "long_dup.csv", _long(duplicate=True), f"'BETA', date {day(3)}"),
    BrokenInput("long non-numeric", "long_text.csv", _long(bad_price="abc"), "'close', row 5"),
    BrokenInput("corrupt parquet", "corrupt.parquet", _bytes(b"PAR1" + b"\x07" * 64), "parquet"),
    BrokenInput("parquet negative", "negative.parquet", _parquet(True), "'BETA', row 3"),
]


def _intraday(path: Path) -> None:
    stamps = [f"2020-01-02 {h:02d}:30" for h in range(9, 16)]
    _write_csv(path, ["date", *ASSETS], [[s, "1", "2", "3"] for s in stamps])


def _spaced(freq: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame = make_prices(40)
        frame.index = pd.date_range("2015-01-02", periods=40, freq=freq, name="date")
        frame.reset_index().to_csv(path, index=False, date_format="%Y-%m-%d")

    return write


def _yf_without_close(path: Path) -> None:
    frame = pd.concat({"Volume": make_prices(20)}, axis=1)
    frame.columns = frame.columns.set_names(["Price", "Ticker"])
    frame.to_parquet(path)


BROKEN_INPUTS += [
    BrokenInput("intraday stamps", "intraday.csv", _intraday, "intraday timestamps"),
    BrokenInput("weekly closes", "weekly.csv", _spaced("W-FRI"), "the dates are weekly"),
    BrokenInput("monthly closes", "monthly.csv", _spaced("ME"), "the dates are monthly"),
    BrokenInput(
        "yfinance table without close", "yf_no_close.parquet", _yf_without_close, "'Close'"
    ),
]
