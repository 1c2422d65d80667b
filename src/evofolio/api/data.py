"""``evofolio.load_data``: a source string or an in-memory price frame → validated MarketData.

A frame goes through the same checks as a file (:func:`evofolio.data.validate_prices`:
calendar dates, numbers, > 0, the missing-data policy; daily spacing; suspect jumps), so a
notebook user gets the same clean prices, and the same one-line :class:`DataError`, as the
command line.
"""

from __future__ import annotations

import dataclasses
import os

import pandas as pd

from evofolio.data import MarketData, MissingPolicy, validate_prices
from evofolio.data import load_data as load_source
from evofolio.data.checks import parse_frame
from evofolio.data.fields import asset_name, select_fielded
from evofolio.data.frequency import infer_frequency, require_daily
from evofolio.data.jumps import OnSuspectJump, check_jumps
from evofolio.data.layout import Format, to_wide
from evofolio.data.load import cut_before, log_lives
from evofolio.data.market import EQUAL_WEIGHT_SOURCE, align_market, load_market
from evofolio.data.returns import equal_weight_index
from evofolio.data.stamps import check_timezone
from evofolio.data.universe import DEFAULT_DELISTING_RETURN, build_universe, pad_lives
from evofolio.data.yf_table import price_level
from evofolio.errors import DataError, UsageError

__all__ = ["FRAME_SOURCE", "load_data"]

FRAME_SOURCE = "DataFrame"
"""The default ``source`` label of prices given as a frame (see :func:`load_data`'s ``name``)."""

PricesInput = str | os.PathLike[str] | pd.DataFrame | MarketData
MarketInput = str | os.PathLike[str] | pd.Series | None


def load_data(
    source_or_prices: PricesInput = "sp500",
    *,
    market: MarketInput = None,
    fmt: Format = "auto",
    timezone: str | None = None,
    on_suspect_jump: OnSuspectJump = "warn",
    max_ffill_days: int = 5,
    max_missing_frac: float = 0.10,
    name: str = FRAME_SOURCE,
    end: pd.Timestamp | str | None = None,
    price_column: str | None = None,
    ragged: bool | None = None,
    universe: str | os.PathLike[str] | pd.DataFrame | None = None,
    delisting_return: float = DEFAULT_DELISTING_RETURN,
) -> MarketData:
    """Validated prices and their market series, from a source or an in-memory frame.

    Args:
        source_or_prices: a source as ``--data`` takes it (``"sp500"``, ``"factors"``,
            ``"ftse100"``, ``"nasdaq"``, a ``.csv``/``.parquet`` path (a string or a
            ``pathlib.Path``), ``"yahoo:AAPL,MSFT"``),
            or a ``DataFrame`` of adjusted closes, dates × assets (the index holds the dates:
            strings, datetimes; at least 2 asset columns), or a ``MarketData`` (returned as is).
        market: the market series used for beta: ``"sp500"`` or ``"PATH[:COLUMN]"`` (or a
            ``pathlib.Path``), or a
            ``Series`` of index levels indexed by date (aligned to the price dates as-of,
            backward only: a value dated after *t* is never used at *t*). Default: the
            source's own (S&P 500 index for ``sp500``/``factors``), else the equal-weight
            average of the assets.
        fmt: layout of a price file, ``"auto"``, ``"wide"`` or ``"long"`` (files only).
        timezone: IANA zone whose calendar date stamps with a UTC offset get.
        on_suspect_jump: ``"warn"`` (a logging warning naming asset and date), ``"error"``
            or ``"ignore"`` for one-day jumps like an unadjusted split.
        max_ffill_days, max_missing_frac: the missing-data policy (``[data]`` keys).
        name: how a frame is named in messages and in ``MarketData.source``.
        end: a date: prices dated on or after it are dropped as soon as the dates are
            parsed, before any value is read, checked or counted as missing (``validate``
            loads the development period this way): a string, ``date``, ``datetime`` or
            ``Timestamp`` without a time zone; a time of day is ignored. A ``MarketData`` was
            validated whole: it is only cut.
        price_column: the price column of a long file or frame, or the price field of one
            with several per asset (``("Adj Close", "AAPL")`` levels, ``AAPL Close`` /
            ``AAPL Adj Close`` columns); default the adjusted close when there is one
            (:mod:`evofolio.data.fields`, an info line says so).
        ragged: True: prices may start late and end early, each asset living from its
            first to its last price (``data.ragged``; see :mod:`evofolio.data.universe`);
            ``MarketData`` then has a ``universe`` (lives, membership, delisting returns) and
            its prices outside a life are padded (return 0). False: a rectangle (an asset
            missing on more than ``max_missing_frac`` of the dates is dropped). None
            (default): with lives when an asset starts or ends more than ``max_ffill_days``
            dates after the first or before the last price (a listing or a delisting), else a
            rectangle; an info line says which.
        universe: a membership file (``data.universe``) or table: rows of (asset, start,
            end[, delisting_return]) or a wide 0/1 table by date; implies ``ragged``.
        delisting_return: the return booked when a life ends before the data's last date
            (``data.delisting_return``; default -0.30, Shumway 1997; 0 for mergers).

    A frame may also be long (row numbers as its index; date, asset and price columns, as a
    long file), have two-level columns as ``yfinance.download`` returns them, or asset-field
    column pairs: each is read as the file of that layout would be. Asset labels are text
    (``1234.0`` is ``1234``; ``"NA"`` is a ticker); a label ``None`` or NaN is an unnamed
    column.

    Returns:
        :class:`~evofolio.data.MarketData`: ``prices`` (dates × assets, float64, tz-naive
        midnight dates), ``market`` (on the same dates), ``source``, ``market_source``,
        ``report`` (missing data), ``frequency`` (always daily), ``periods_per_year``.

    Raises:
        DataError: one line naming the source (or ``name``), column, row or date, for
            anything unreadable, non-positive, unordered, intraday or not daily.
    """
    cut = _end_date(end)
    if isinstance(source_or_prices, MarketData):
        if cut is None:
            return source_or_prices
        if not (source_or_prices.prices.index < cut).any():
            raise DataError(f"{source_or_prices.source}: no dates before {cut:%Y-%m-%d}")
        return cut_before(source_or_prices, cut)
    if isinstance(universe, os.PathLike):
        universe = os.fspath(universe)
    policy = MissingPolicy(
        max_ffill_days,
        max_missing_frac,
        True if universe is not None else ragged,
        exits_as_given=ragged is True,
    )
    if isinstance(market, os.PathLike):
        market = os.fspath(market)
    if isinstance(source_or_prices, os.PathLike):
        source_or_prices = os.fspath(source_or_prices)
    if isinstance(source_or_prices, str):
        spec = market if isinstance(market, str) else None
        loaded = load_source(
            source_or_prices,
            fmt=fmt,
            market=spec,
            policy=policy,
            timezone=timezone,
            on_suspect_jump=on_suspect_jump,
            end=cut,
            price_column=price_column,
            universe=universe,
            delisting_return=delisting_return,
        )
        if isinstance(market, pd.Series):
            return _with_market(loaded, market, policy)
        return loaded
    if not isinstance(source_or_prices, pd.DataFrame):
        raise DataError(
            f"prices: expected a source string or path, a DataFrame or MarketData, got "
            f"{type(source_or_prices).__name__}"
        )
    frame = _wide_frame(source_or_prices, name, timezone, price_column)
    loaded = _from_frame(frame, market, policy, name, timezone, on_suspect_jump, cut)
    if loaded.report.lives is None:
        return loaded
    lives = build_universe(
        loaded.prices,
        membership=universe,
        delisting_return=delisting_return,
        timezone=check_timezone(timezone),
    )
    log_lives(lives, name)
    return dataclasses.replace(loaded, prices=pad_lives(loaded.prices), universe=lives)


def _wide_frame(
    frame: pd.DataFrame, name: str, timezone: str | None, price_column: str | None
) -> pd.DataFrame:
    """A frame of any layout a file may have as dates x assets (dates in the index), the
    asset labels as text (:func:`evofolio.data.fields.asset_name`)."""
    if isinstance(frame.columns, pd.MultiIndex):
        frame = price_level(frame, name, price_column)
    elif isinstance(frame.index, pd.RangeIndex):  # long, or refused below
        wide, rows = to_wide(
            frame.rename(columns=asset_name),
            name,
            "auto",
            timezone=check_timezone(timezone),
            price_column=price_column,
        )
        return frame if rows else wide
    else:
        dates = str(frame.index.name) if frame.index.name is not None else "date"
        table = frame.rename(columns=asset_name).rename_axis(dates).reset_index()
        fielded = select_fielded(table, dates, name, price_column)
        if fielded is not None:
            frame = fielded.set_index(dates)
        elif price_column is not None:
            raise DataError(
                f"{name}: price_column = '{price_column}' names no price field of this frame "
                "(a wide frame's columns are its assets)"
            )
    return frame.rename(columns=asset_name)


def _end_date(end: pd.Timestamp | str | None) -> pd.Timestamp | None:
    """``end`` as a tz-naive midnight date, or a :class:`UsageError` naming it."""
    if end is None:
        return None
    message = f"end: expected a calendar date such as '2018-01-01' (no time zone), got {end!r}"
    if isinstance(end, int | float):  # pandas would read a number as nanoseconds since 1970
        raise UsageError(message)
    try:
        stamp = pd.Timestamp(end)
    except (TypeError, ValueError):
        raise UsageError(message) from None
    if pd.isna(stamp) or stamp.tzinfo is not None:
        raise UsageError(message)
    return stamp.normalize()


def _from_frame(
    frame: pd.DataFrame,
    market: MarketInput,
    policy: MissingPolicy,
    name: str,
    timezone: str | None,
    on_suspect_jump: OnSuspectJump,
    end: pd.Timestamp | None = None,
) -> MarketData:
    """The steps of :func:`evofolio.data.load_data` after reading, on a frame."""
    if isinstance(frame.index, pd.RangeIndex):
        raise DataError(
            f"{name}: the index must hold the dates, got row numbers (use frame.set_index('date'))"
        )
    timezone = check_timezone(timezone)
    prices, report = validate_prices(
        frame, name, policy, cite_rows=False, timezone=timezone, end=end
    )
    dates = pd.DatetimeIndex(prices.index)
    frequency = infer_frequency(dates)
    require_daily(frequency, name)
    check_jumps(prices, name, on_suspect_jump)
    if isinstance(market, str):
        series, market_source = load_market(market, dates, policy, timezone=timezone)
    elif isinstance(market, pd.Series):
        where = f"{name} market"
        series, market_source = _aligned(market, dates, where, policy, timezone), where
    else:
        series, market_source = equal_weight_index(prices), EQUAL_WEIGHT_SOURCE
    return MarketData(
        prices, series, name, market_source, report, frequency.name, frequency.periods_per_year
    )


def _aligned(
    market: pd.Series,
    dates: pd.DatetimeIndex,
    where: str,
    policy: MissingPolicy,
    timezone: str | None,
) -> pd.Series:
    """A market series validated like prices, then aligned as-of to ``dates``."""
    column = str(market.name) if market.name is not None else "market"
    frame = parse_frame(market.rename(column).to_frame(), where, cite_rows=False, timezone=timezone)
    return align_market(frame.iloc[:, 0], dates, where, policy)


def _with_market(loaded: MarketData, market: pd.Series, policy: MissingPolicy) -> MarketData:
    where = f"{loaded.source} market"
    series = _aligned(market, pd.DatetimeIndex(loaded.prices.index), where, policy, None)
    return MarketData(
        loaded.prices,
        series,
        loaded.source,
        where,
        loaded.report,
        loaded.frequency,
        loaded.periods_per_year,
    )
