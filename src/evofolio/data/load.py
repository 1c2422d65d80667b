"""One entry point for price data: :func:`load_data`.

Accepted sources:

* a dataset name (see :mod:`evofolio.data.datasets`): ``sp500`` (the default: 20 S&P 500
  stocks, 1990-2022, offline, with the S&P 500 index as the market series), ``factors``
  (5 factor ETFs, 2014-2022, offline, S&P 500 index as market), ``ftse100`` and ``nasdaq``
  (downloaded once by skfolio and cached);
* a path ending in ``.csv`` or ``.parquet`` (any case): a wide or long table, see
  :mod:`evofolio.data.layout` for the layouts and how ``fmt="auto"`` tells them apart, and
  :mod:`evofolio.data.yf_table` for tables saved from ``yfinance.download``;
* ``yahoo:AAPL,MSFT,...``: adjusted closes downloaded with the optional ``yfinance``
  (see :mod:`evofolio.data.yahoo`).

Every source goes through :func:`~evofolio.data.checks.validate_prices` once, so the
prices of a :class:`MarketData` are always clean: stamps reduced to the market's calendar
dates (``timezone``, :mod:`evofolio.data.stamps`), daily spacing required
(:mod:`evofolio.data.frequency`), suspect one-day jumps reported as ``on_suspect_jump``
says (:mod:`evofolio.data.jumps`), long runs of an unchanged close warned about
(:mod:`evofolio.data.stale`). The market series is the source's own (sp500, factors),
the one named by ``market`` (see :mod:`evofolio.data.market`), or else the equal-weight
average of the assets.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evofolio.config import DataConfig
from evofolio.data.checks import validate_prices
from evofolio.data.datasets import DATASETS, dataset_prices
from evofolio.data.files import (
    is_table_path,
    looks_like_path,
    read_prices_table,
    read_text_column,
)
from evofolio.data.frequency import infer_frequency, require_daily
from evofolio.data.jumps import OnSuspectJump, check_jumps
from evofolio.data.layout import FORMATS, Format, to_wide
from evofolio.data.market import EQUAL_WEIGHT_SOURCE, load_market, split_market_spec
from evofolio.data.missing import MissingPolicy, MissingReport, abbreviated
from evofolio.data.returns import equal_weight_index
from evofolio.data.stale import check_stale
from evofolio.data.stamps import check_timezone
from evofolio.data.universe import DEFAULT_DELISTING_RETURN, Universe, build_universe, pad_lives
from evofolio.data.yahoo import PREFIX, Downloader, download_prices, parse_tickers
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

SP500 = "sp500"
ACCEPTED = (
    f"{', '.join(repr(name) for name in DATASETS)}, 'yahoo:TICKER,TICKER,...' "
    "or a path to a .csv or .parquet file"
)


@dataclass(frozen=True, eq=False)
class MarketData:
    """Validated prices (dates x assets) and the market series on the same dates.

    ``source`` and ``market_source`` say where each came from, in words fit for a report
    (a dataset's ``source`` is its lower-case name); ``report`` is what the missing-data
    policy found and did; ``frequency`` the sampling frequency inferred at load (always
    ``"daily"``: other frequencies are refused) and ``periods_per_year`` the periods a
    year that annualisations of these prices use. ``universe``: the lives, membership and
    delisting returns of a ragged universe (:mod:`evofolio.data.universe`; None for a
    rectangle); with one, ``prices`` outside an asset's life hold the nearest price of the
    life (returns 0, not prices: see :meth:`Universe.raw`). (``eq=False``: records holding
    frames compare by identity.)
    """

    prices: pd.DataFrame
    market: pd.Series
    source: str
    market_source: str
    report: MissingReport
    frequency: str = "daily"
    periods_per_year: int = 252
    universe: Universe | None = None

    @property
    def assets(self) -> list[str]:
        """The asset names, in column order."""
        return [str(c) for c in self.prices.columns]


def cut_before(data: MarketData, end: pd.Timestamp) -> MarketData:
    """The prices and market series of ``data`` on the dates before ``end``."""
    keep = data.prices.index < end
    universe = None if data.universe is None else data.universe.rows(keep)
    return dataclasses.replace(
        data, prices=data.prices.loc[keep], market=data.market.loc[keep], universe=universe
    )


def survivors_of(data: MarketData) -> MarketData:
    """``data`` on the assets alive at its last date only (each keeps its life and
    membership): the universe a survivorship-biased backtest sees. ``DataError`` without a
    ragged universe, or with fewer than 2 survivors."""
    if data.universe is None:
        raise DataError(
            f"{data.source}: survivors-only needs a ragged universe: set data.ragged = true "
            "(--ragged) or give a membership file (data.universe, --universe)"
        )
    keep = data.universe.survivors()
    if len(keep) < 2:
        raise DataError(
            f"{data.source}: {len(keep)} asset(s) alive on the last date "
            f"({data.prices.index[-1]:%Y-%m-%d}); a survivors-only run needs at least 2"
        )
    universe = data.universe
    lives = Universe(
        universe.alive[keep],
        universe.member[keep],
        universe.age[keep],
        universe.delisting[keep],
        universe.membership,
    )
    return dataclasses.replace(
        data, prices=data.prices[keep], source=f"{data.source} (survivors only)", universe=lives
    )


def load_data(
    source: str = SP500,
    *,
    fmt: Format = "auto",
    market: str | None = None,
    policy: MissingPolicy | None = None,
    downloader: Downloader | None = None,
    timezone: str | None = None,
    on_suspect_jump: OnSuspectJump = "warn",
    end: pd.Timestamp | None = None,
    price_column: str | None = None,
    ragged: bool | None = None,
    universe: str | pd.DataFrame | None = None,
    delisting_return: float = DEFAULT_DELISTING_RETURN,
) -> MarketData:
    """Load, validate and align prices and a market series; see the module doc for sources.

    ``fmt`` applies to files only; ``downloader`` to ``yahoo:`` sources only (default
    ``yfinance.download``); ``policy`` defaults to :class:`MissingPolicy()`; ``timezone``
    (an IANA name) is the zone whose calendar date a stamp with a UTC offset gets (default:
    the stamp's own offset); ``on_suspect_jump`` is ``"warn"``, ``"error"`` or ``"ignore"``;
    ``end``: the prices dated on or after it are dropped once their dates are parsed, before
    any value is read or checked (see :func:`evofolio.data.validate_prices`);
    ``price_column`` (``data.price_column``, files only): the price column of a long table,
    or the field of a table with several per asset (default: the adjusted close, see
    :mod:`evofolio.data.fields`); ``ragged`` (``data.ragged``): True, prices may start late
    and end early, each asset living from its first to its last price; False, a rectangle
    (assets missing too much are dropped); None (default), the policy's ``lives`` (by
    default: with lives when an asset lists or delists, see
    :mod:`evofolio.data.missing`); ``universe``
    (``data.universe``, implies ``ragged``): a membership file or table (rows of asset, start,
    end or a wide 0/1 table); ``delisting_return`` (``data.delisting_return``, default -0.30
    after Shumway 1997): the return booked when a life ends before the last date. See
    :mod:`evofolio.data.universe`.

    Raises :class:`~evofolio.errors.DataError` (one line naming the file, column, row or
    date) for anything unreadable, invalid, intraday or not daily.
    """
    if fmt not in FORMATS:
        raise DataError(f"unknown format '{fmt}': expected one of {', '.join(FORMATS)}")
    policy = policy or MissingPolicy()
    if ragged is True:  # the user's word: every early end is a delisting
        policy = dataclasses.replace(policy, lives=True, exits_as_given=True)
    elif universe is not None:  # a membership implies lives; a late quote stays one
        policy = dataclasses.replace(policy, lives=True)
    elif ragged is False:
        policy = dataclasses.replace(policy, lives=False)
    timezone = check_timezone(timezone)
    text = source.strip()
    if price_column is not None and not is_table_path(text):
        raise DataError(
            f"{text}: data.price_column = '{price_column}' applies to .csv and .parquet files "
            "only (datasets and yahoo: sources hold one adjusted close per asset)"
        )
    dataset = DATASETS.get(text.lower())
    if dataset is not None:
        text = dataset.name
        raw, cite_rows = dataset_prices(dataset.name), False
    elif text.lower().startswith(PREFIX):
        raw, cite_rows = download_prices(parse_tickers(text), downloader), False
    elif is_table_path(text):
        table, leveled = read_prices_table(text, price_column)
        raw, cite_rows = to_wide(
            table,
            text,
            fmt,
            timezone=timezone,
            price_column=None if leveled else price_column,
            text_of=lambda column: read_text_column(text, column),
        )
    elif text and looks_like_path(text):
        suffix = Path(text).suffix or "(none)"
        raise DataError(
            f"{text}: unsupported file type '{suffix}': expected a .csv or .parquet file"
        )
    else:
        raise DataError(f"unknown data source '{text}': expected {ACCEPTED}")
    prices, report = validate_prices(
        raw, text, policy, cite_rows=cite_rows, timezone=timezone, end=end
    )
    dates = pd.DatetimeIndex(prices.index)
    frequency = infer_frequency(dates)
    require_daily(frequency, text)
    check_jumps(prices, text, on_suspect_jump)
    check_stale(prices, text)
    lives: Universe | None = None
    if report.lives is not None:
        lives = build_universe(
            prices, membership=universe, delisting_return=delisting_return, timezone=timezone
        )
        log_lives(lives, text)

    if market is None and dataset is not None:
        market = dataset.market
    if market is not None:
        series, market_source = load_market(market, dates, policy, timezone=timezone)
    else:
        series, market_source = equal_weight_index(prices), EQUAL_WEIGHT_SOURCE
    if lives is not None:
        prices = pad_lives(prices)
    logger.info(
        "loaded %s: %d dates x %d assets, %s to %s, %s; market: %s",
        text,
        len(prices),
        prices.shape[1],
        f"{dates[0]:%Y-%m-%d}",
        f"{dates[-1]:%Y-%m-%d}",
        frequency.name,
        market_source,
    )
    return MarketData(
        prices,
        series,
        text,
        market_source,
        report,
        frequency.name,
        frequency.periods_per_year,
        lives,
    )


def log_lives(universe: Universe, source: str) -> None:
    """One info line: the assets of a ragged universe, its listings and exits."""
    lives = universe.lives()
    late = int((lives["first"] > universe.dates[0]).sum())
    early = int((lives["last"] < universe.dates[-1]).sum())
    logger.info(
        "%s: ragged universe, read point in time: %d assets, %d start after the first date, "
        "%d end before the last (delisting returns booked for those)%s; --rectangular reads "
        "a rectangle instead (assets missing too much dropped, survivorship bias)",
        source,
        len(lives),
        late,
        early,
        f"; membership from {universe.membership}" if universe.membership else "",
    )
    _warn_suspect_exits(universe, lives, source)


RECENT_EXIT_DATES = 21
"""An exit this many dates or fewer before the data's last date gets a warning: a feed a few
weeks behind is as likely as a delisting there."""
MASS_EXIT_SHARE = 0.25
"""A date on which at least this share of the assets alive (and 3 or more) have their last
price gets a warning: simultaneous delistings are rare, a file whose columns stop early is
not."""


def _warn_suspect_exits(universe: Universe, lives: pd.DataFrame, source: str) -> None:
    """Warnings for the exits that look like data rather than delistings: many assets ending
    on the same date, and exits in the data's last weeks (each names the assets and dates)."""
    dates = universe.dates
    final = dates[-1]
    exits = lives[lives["last"] < final]
    if exits.empty:
        return
    alive = universe.alive.to_numpy().sum(axis=1)
    for day, group in exits.groupby("last"):
        count = len(group)
        living = int(alive[dates.get_loc(day)])
        if count >= 3 and count >= MASS_EXIT_SHARE * living:
            logger.warning(
                "%s: %d of the %d assets priced on %s have their last price that day (%s): "
                "read as %d delistings, each booking its delisting return; simultaneous "
                "delistings are rare: if the file's other columns just stop early (merged "
                "files, a partial update), cut the file at %s or read it as a rectangle "
                "(--rectangular)",
                source,
                count,
                living,
                f"{day:%Y-%m-%d}",
                abbreviated([str(n) for n in group.index]),
                count,
                f"{day:%Y-%m-%d}",
            )
    position = pd.Index(dates).get_indexer(pd.Index(exits["last"]))
    recent = exits[len(dates) - 1 - position <= RECENT_EXIT_DATES]
    if not recent.empty:
        logger.warning(
            "%s: %d asset(s) stop within %d dates of the last date %s (%s): each is read as a "
            "delisting (return %s booked the next date); if their quotes are only late, update "
            "the file or read it as a rectangle (--rectangular)",
            source,
            len(recent),
            RECENT_EXIT_DATES,
            f"{final:%Y-%m-%d}",
            "; ".join(f"{name} on {last:%Y-%m-%d}" for name, last in recent["last"].head(5).items())
            + (f"; {len(recent) - 5} more" if len(recent) > 5 else ""),
            ", ".join(sorted({f"{r:+.0%}" for r in recent["delisting_return"]})),
        )


def load_from_config(
    section: DataConfig, downloader: Downloader | None = None, end: pd.Timestamp | None = None
) -> MarketData:
    """:func:`load_data` with every setting of a run configuration's ``[data]`` section (and
    ``end``)."""
    return load_data(
        section.source,
        fmt=section.format,
        market=section.market,
        policy=MissingPolicy(section.max_ffill_days, section.max_missing_frac),
        downloader=downloader,
        timezone=section.timezone,
        on_suspect_jump=section.on_suspect_jump,
        end=end,
        price_column=section.price_column,
        ragged=section.ragged,
        universe=section.universe,
        delisting_return=section.delisting_return,
    )


def anchored(section: DataConfig) -> dict[str, str]:
    """The ``[data]`` keys whose file paths are relative, made absolute: ``source`` (a
    ``.csv``/``.parquet`` that exists) and the path of ``market`` (``PATH[:COLUMN]``). A run
    directory records them so, and ``allocate``, ``report`` and ``load_champion`` find the
    files from any working directory. Empty when nothing is relative."""
    out: dict[str, str] = {}
    source = section.source.strip()
    if is_table_path(source) and Path(source).expanduser().is_file():
        absolute = str(Path(source).expanduser().resolve())
        if absolute != source:
            out["source"] = absolute
    if section.market is not None:
        path, column = split_market_spec(section.market)
        if is_table_path(path) and Path(path).expanduser().is_file():
            absolute = str(Path(path).expanduser().resolve())
            if absolute != path:
                out["market"] = absolute if column is None else f"{absolute}:{column}"
    return out


def reloadable(source: str) -> str | None:
    """Why ``source`` (a run's ``data.source``) cannot be read again, or None when it can: a
    dataset name, a ``yahoo:`` list or an existing file can; the label of a frame passed in
    memory (``DataFrame``) or a file since moved cannot."""
    text = source.strip()
    if text.lower() in DATASETS or text.lower().startswith(PREFIX):
        return None
    if is_table_path(text) or looks_like_path(text):
        return None if Path(text).expanduser().is_file() else f"file not found: {text}"
    return f"'{text}' names prices that were given in memory (a DataFrame), not a file"
