"""Which price field to read when a table carries several: the adjusted close first.

Vendors ship the raw close (what traded that day) beside a close adjusted for splits and
dividends; the returns of the raw close show every ex-dividend date as a loss holders never
had. Names are matched on their letters and digits only (case, spaces, dots, dashes and
underscores ignored: ``Adj. Close`` is ``adjclose``):

* adjusted (:data:`ADJUSTED_CLOSES`): Yahoo ``Adj Close``, Quandl WIKI ``Adj. Close``, Quandl
  EOD ``Adj_Close``, Sharadar ``closeadj``, Tiingo and FMP ``adjClose``, EODHD and Alpha
  Vantage ``adjusted_close``, IEX ``fClose`` (fully adjusted), ``adj_price``;
* raw or partly adjusted (:data:`RAW_CLOSES`, in order of preference): ``close``, ``price``,
  ``px_last``, ``last``, ``value``, then the explicitly unadjusted Sharadar ``closeunadj``,
  IEX ``uClose``, Norgate ``Unadjusted Close``.

:func:`choose_price` reads the one adjusted close when there is one (the caller's ``info:``
line names the raw close(s) left aside, :func:`read_note`); two adjusted closes are an error
naming both and ``data.price_column``, the option that chooses (a name given there is read
whatever it is).
Polygon's aggregates (``c``) and Stooq's ``Close`` are adjusted or not by the request, with no
second column, so they need no choice.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence

import pandas as pd

from evofolio.errors import DataError

logger = logging.getLogger(__name__)

ADJUSTED_CLOSES = (
    "adjclose",
    "adjustedclose",
    "closeadj",
    "closeadjusted",
    "fclose",
    "adjprice",
    "adjustedprice",
)
RAW_CLOSES = (
    "close",
    "price",
    "pxlast",
    "last",
    "value",
    "closeunadj",
    "closeunadjusted",
    "unadjclose",
    "unadjustedclose",
    "uclose",
    "rawclose",
)
OTHER_FIELDS = (
    "open",
    "high",
    "low",
    "volume",
    "adjopen",
    "adjhigh",
    "adjlow",
    "adjvolume",
    "adjustedopen",
    "adjustedhigh",
    "adjustedlow",
    "adjustedvolume",
    "dividend",
    "dividends",
    "dividendamount",
    "exdividend",
    "splitratio",
    "splitcoefficient",
    "splitfactor",
    "stocksplits",
    "capitalgains",
)
FIELDS = frozenset(ADJUSTED_CLOSES + RAW_CLOSES + OTHER_FIELDS)
OPTION = "data.price_column"
_SEPARATORS = re.compile(r"[\s_\-.:/|(),'\"]+")
_STRIP = " \t_-.:/|(),'\""


def compact(name: object) -> str:
    """A field name reduced to lower-case letters and digits (``Adj. Close`` -> ``adjclose``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def is_close(name: object) -> bool:
    """Whether ``name`` is a close price field, adjusted or not."""
    return compact(name) in ADJUSTED_CLOSES or compact(name) in RAW_CLOSES


def choose_price(
    names: Sequence[str], source: str, price_column: str | None = None, what: str = "column"
) -> tuple[str | None, list[str]]:
    """The price field to read among ``names`` (``None`` if none is a close) and the raw
    closes it leaves aside for an adjusted one (say so with :func:`read_note`).

    ``price_column`` (``data.price_column``): the field to read, matched leniently; a
    :class:`DataError` naming the choices if ``names`` lacks it. Two adjusted closes are a
    :class:`DataError` naming both and ``data.price_column``.
    """
    if price_column is not None:
        wanted = compact(price_column)
        matches = [n for n in names if compact(n) == wanted]
        if not matches:
            listing = ", ".join(f"'{n}'" for n in names)
            raise DataError(
                f"{source}: {OPTION} = '{price_column}' is not a price {what} here "
                f"(found {listing})"
            )
        return matches[0], []
    adjusted = [n for n in names if compact(n) in ADJUSTED_CLOSES]
    raw = sorted(
        (n for n in names if compact(n) in RAW_CLOSES), key=lambda n: RAW_CLOSES.index(compact(n))
    )
    if len(adjusted) > 1:
        raise DataError(
            f"{source}: two adjusted closes, {what}s '{adjusted[0]}' and '{adjusted[1]}': "
            f"set {OPTION} (or --price-column) to the one to read"
        )
    if adjusted:
        return adjusted[0], raw
    return (raw[0] if raw else None), []


def read_note(chosen: str, ignored: Sequence[str]) -> str:
    """How an info line names the field read: ``'Adj Close'``, followed, when raw closes were
    left aside for it, by ``, the adjusted close (splits and dividends), not the raw close
    'Close' (data.price_column chooses)``."""
    return f"'{chosen}'" + adjusted_note(ignored)


def adjusted_note(ignored: Sequence[str]) -> str:
    """``, the adjusted close (...), not the raw close 'Close' (...)`` or ``""``."""
    if not ignored:
        return ""
    raw = " or ".join(f"'{n}'" for n in ignored)
    return (
        f", the adjusted close (splits and dividends), not the raw close {raw} ({OPTION} chooses)"
    )


def asset_name(label: object) -> str:
    """An asset label as text: integral numbers without a decimal part (``1234.0`` ->
    ``1234``), an absent label (``None``, NaN) as ``""`` (an unnamed column); text as it is,
    stripped, so ``NA`` or ``None`` written as text stay those tickers."""
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return ""
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return str(label).strip()


def asset_ids(ids: pd.Series) -> pd.Series:
    """An asset-id column as text (numbers read as numbers become their integer text when
    integral); absent ids stay missing."""
    if pd.api.types.is_float_dtype(ids.dtype):
        present = ids.notna()
        integral = ids[present].map(lambda v: float(v).is_integer()).all()
        if integral:
            text = ids.astype(object)
            text[present] = ids[present].astype("int64").astype(str)
            return text
    if pd.api.types.is_numeric_dtype(ids.dtype) or pd.api.types.is_bool_dtype(ids.dtype):
        return (
            ids.astype(object).where(ids.notna(), None).map(lambda v: None if v is None else str(v))
        )
    return ids.map(lambda v: v.strip() if isinstance(v, str) else v)


def split_field(name: str) -> tuple[str, str, str] | None:
    """``(asset, field, side)`` when column ``name`` is an asset and a price field joined by a
    separator (``AAPL Adj Close``, ``MSFT_close``, ``Adj Close_AAPL``, ``('Close', 'X')``);
    ``side`` says where the field is (``"suffix"`` or ``"prefix"``)."""
    tokens = [t for t in _SEPARATORS.split(name) if t]
    if len(tokens) < 2:
        return None
    for k in range(len(tokens) - 1, 0, -1):  # the longest field first
        tail, head = tokens[-k:], tokens[:k]
        if compact("".join(tail)) in FIELDS:
            asset = _rejoin(name, tokens[:-k], left=True)
            field = name[name.index(asset) + len(asset) :]
            return asset, field.strip(_STRIP), "suffix"
        if compact("".join(head)) in FIELDS:
            asset = _rejoin(name, tokens[k:], left=False)
            field = name[: name.rindex(asset)]
            return asset, field.strip(_STRIP), "prefix"
    return None


def _rejoin(name: str, tokens: list[str], *, left: bool) -> str:
    """The part of ``name`` spanned by ``tokens`` (separators inside an asset name kept)."""
    if left:
        end = 0
        for token in tokens:
            end = name.index(token, end) + len(token)
        start = name.index(tokens[0])
        return name[start:end]
    start = len(name)
    for token in reversed(tokens):
        start = name.rindex(token, 0, start)
    end = name.rindex(tokens[-1]) + len(tokens[-1])
    return name[start:end]


def select_fielded(
    table: pd.DataFrame, dates: str, source: str, price_column: str | None = None
) -> pd.DataFrame | None:
    """A wide table whose columns are asset-field pairs (``AAPL Close``, ``AAPL Adj Close``,
    ...) reduced to one column per asset of the chosen field (:func:`choose_price`), named
    by the asset; ``None`` when its columns are not such pairs (every one split the same
    way, some asset with two fields or more, a close among them)."""
    columns = [c for c in table.columns if c != dates]
    parts = [split_field(str(c)) for c in columns]
    if not parts or any(p is None for p in parts):
        return None
    pairs = [p for p in parts if p is not None]
    if len({side for _, _, side in pairs}) != 1:
        return None
    fields: dict[str, str] = {}
    by_asset: dict[str, dict[str, str]] = {}
    for column, (asset, field, _) in zip(columns, pairs, strict=True):
        fields.setdefault(compact(field), field)
        by_asset.setdefault(asset, {})[compact(field)] = column
    if max(len(f) for f in by_asset.values()) < 2 or not any(is_close(f) for f in fields):
        return None
    chosen, ignored = choose_price(list(fields.values()), source, price_column, what="field")
    if chosen is None:
        listing = ", ".join(fields.values())
        raise DataError(
            f"{source}: asset and field columns without a close (fields {listing}); "
            f"set {OPTION} to the field to read"
        )
    wanted = compact(chosen)
    lacking = [asset for asset, held in by_asset.items() if wanted not in held]
    if lacking:
        held = ", ".join(f"'{c}'" for c in by_asset[lacking[0]].values())
        raise DataError(
            f"{source}: asset '{lacking[0]}' has no '{chosen}' column (it has {held}); "
            f"give every asset the same fields, or set {OPTION}"
        )
    logger.info(
        "%s: columns are asset and field pairs (%d assets; fields %s): reading %s",
        source,
        len(by_asset),
        ", ".join(fields.values()),
        read_note(chosen, ignored),
    )
    picked = {asset: table[held[wanted]] for asset, held in by_asset.items()}
    out = pd.DataFrame(picked, index=table.index)
    out.insert(0, dates, table[dates])
    return out
