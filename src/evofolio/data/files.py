"""Reading ``.csv`` and ``.parquet`` files into raw tables, with one-line errors.

:func:`read_table` returns the file's table as it is (no parsing of dates or prices beyond
what the reader does); the layout (wide or long) is worked out by :mod:`.layout` and the
values are checked by :mod:`.validate`. Tables saved from ``yfinance.download`` (two-level
columns) keep their adjusted close, see :mod:`.yf_table`; asset-id columns of a CSV (named
like ``ticker``) are read as text, so numeric codes keep their leading zeros. A parquet
file whose index is not a plain range (a frame written with its ``DatetimeIndex``) has that
index turned back into a column.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd

from evofolio.data.layout import ASSET_NAMES, key
from evofolio.data.yf_table import is_yf_csv_header, price_level
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".parquet")
_SNIFF_BYTES = 8192


def is_table_path(text: str) -> bool:
    """Whether ``text`` names a file this module reads (by its suffix, case-insensitive)."""
    return text.strip().lower().endswith(TABLE_SUFFIXES)


def looks_like_path(text: str) -> bool:
    """Whether ``text`` looks like a file path rather than a source name."""
    return "/" in text or "\\" in text or bool(Path(text).suffix) or Path(text).exists()


def one_line(error: BaseException | str) -> str:
    """A message squeezed onto one line (third-party errors may span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a ``.csv`` or ``.parquet`` file; every failure is a :class:`DataError` naming it."""
    return read_prices_table(path)[0]


def read_prices_table(
    path: str | Path, price_column: str | None = None
) -> tuple[pd.DataFrame, bool]:
    """:func:`read_table`, and whether the file's two-level columns were reduced to one price
    field already (a yfinance table: ``price_column`` chose the field, see :mod:`.yf_table`)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table, leveled = _read_csv(path, price_column)
    elif suffix == ".parquet":
        table, leveled = _read_parquet(path, price_column)
    else:
        raise DataError(
            f"{path}: unsupported file type '{path.suffix}': expected a .csv or .parquet file"
        )
    if table.shape[1] == 0:
        raise DataError(f"{path}: no columns")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows (only a header)")
    return table, leveled


def read_text_column(path: str | Path, column: str) -> pd.Series:
    """Column ``column`` of a CSV file as the text its cells hold: pandas' missing-value words
    (``NA``, ``NULL``, ``nan``, ``None``, ``N/A``...) stay text, only an empty cell is
    missing; the column of a parquet file as stored (its types and missing values are its
    own). Asset ids are read this way (the ticker ``NA`` is not a missing id)."""
    path = Path(path).expanduser()
    if path.suffix.lower() != ".csv":
        return read_table(path)[column]
    try:
        frame = pd.read_csv(
            path, usecols=[column], dtype=str, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot parse CSV: {one_line(exc)}") from None
    return frame[column]


def _read_csv(path: Path, price_column: str | None) -> tuple[pd.DataFrame, bool]:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a CSV text file (binary content)")
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    yf_header = is_yf_csv_header(lines)
    try:
        if yf_header:
            table = _read_yf_csv(path, yf_header, price_column)
        else:
            table = pd.read_csv(path, dtype=dict.fromkeys(_id_columns(lines), str))
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: cannot parse CSV: not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot parse CSV: {one_line(exc)}") from None
    if not yf_header:
        _check_header(path, head)
    if table.shape[1] == 1:
        for separator in (";", "\t", "|"):
            if separator in str(table.columns[0]):
                raise DataError(
                    f"{path}: one column only; the file seems separated by {separator!r}, "
                    "but a CSV must be separated by ','"
                )
    return _drop_blank_columns(table), bool(yf_header)


def _read_yf_csv(path: Path, header_lines: int, price_column: str | None) -> pd.DataFrame:
    """A yfinance CSV (two or three header lines): its price level, dates as a column."""
    skip = [2] if header_lines == 3 else None
    table = pd.read_csv(path, header=[0, 1], index_col=0, skiprows=skip)
    wide = price_level(table, str(path), price_column)
    return wide.rename_axis("date").reset_index()


def _id_columns(lines: list[str]) -> list[str]:
    """Header names of asset-id columns (read as text, so ``000001`` keeps its zeros)."""
    line = next((text for text in lines if text.strip()), "")
    names = [name for name in next(csv.reader([line]), []) if name.strip()]
    return [name for name in names if key(name) in ASSET_NAMES]


def _check_header(path: Path, head: bytes) -> None:
    """Reject repeated column names (pandas would silently rename them ``X.1``)."""
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    line = next((text for text in lines if text.strip()), "")
    names = [name.strip() for name in next(csv.reader([line]), [])]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise DataError(f"{path}: column '{name}' appears twice in the header")
        seen.add(name)


def _read_parquet(path: Path, price_column: str | None) -> tuple[pd.DataFrame, bool]:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; all mean "unreadable parquet"
        raise DataError(f"{path}: cannot read parquet: {one_line(exc)}") from None
    leveled = isinstance(table.columns, pd.MultiIndex)
    if leveled:
        table = price_level(table, str(path), price_column)
    if not isinstance(table.index, pd.RangeIndex):
        name = str(table.index.name) if table.index.name is not None else "date"
        table = table.rename_axis(name).reset_index()
    return table, leveled


def _drop_blank_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the empty ``Unnamed: k`` columns that trailing commas create."""
    blank = [c for c in table.columns if str(c).startswith("Unnamed: ") and table[c].isna().all()]
    if blank:
        logger.debug("dropping %d empty unnamed column(s) (trailing commas?)", len(blank))
        table = table.drop(columns=blank)
    return table
