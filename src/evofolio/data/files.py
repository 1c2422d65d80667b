"""Reading ``.csv`` and ``.parquet`` files into raw tables, with one-line errors.

:func:`read_table` returns the file's table as it is (no parsing of dates or prices beyond
what the reader does); the layout (wide or long) is worked out by :mod:`.layout` and the
values are checked by :mod:`.validate`. A parquet file whose index is not a plain range (a
frame written with its ``DatetimeIndex``) has that index turned back into a column.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd

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
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix == ".parquet":
        table = _read_parquet(path)
    else:
        raise DataError(
            f"{path}: unsupported file type '{path.suffix}': expected a .csv or .parquet file"
        )
    if table.shape[1] == 0:
        raise DataError(f"{path}: no columns")
    if len(table) == 0:
        raise DataError(f"{path}: no data rows (only a header)")
    return table


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: not a CSV text file (binary content)")
    try:
        table = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: cannot parse CSV: not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DataError(f"{path}: cannot parse CSV: {one_line(exc)}") from None
    _check_header(path, head)
    if table.shape[1] == 1:
        for separator in (";", "\t", "|"):
            if separator in str(table.columns[0]):
                raise DataError(
                    f"{path}: one column only; the file seems separated by {separator!r}, "
                    "but a CSV must be separated by ','"
                )
    return _drop_blank_columns(table)


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


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; all mean "unreadable parquet"
        raise DataError(f"{path}: cannot read parquet: {one_line(exc)}") from None
    if not isinstance(table.index, pd.RangeIndex):
        name = str(table.index.name) if table.index.name is not None else "date"
        table = table.rename_axis(name).reset_index()
    return table


def _drop_blank_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the empty ``Unnamed: k`` columns that trailing commas create."""
    blank = [c for c in table.columns if str(c).startswith("Unnamed: ") and table[c].isna().all()]
    if blank:
        logger.debug("dropping %d empty unnamed column(s) (trailing commas?)", len(blank))
        table = table.drop(columns=blank)
    return table
