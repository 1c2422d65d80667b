"""Ragged universes: asset lives, point-in-time membership, the investable set, delistings.

A price file whose assets start late and end early is *ragged*. With ragged handling on
(``data.ragged = true``, or a membership file given), each asset's **life** runs from its first
to its last price; inside it the missing-data rules apply as to a rectangle (see
:mod:`evofolio.data.missing`), outside it the asset has no price.

To keep every frame of the library rectangular, :attr:`MarketData.prices` holds, outside a
life, the nearest price of the life (the first one before it, the last one after it): those
cells have a return of 0 and are **not prices**; :attr:`Universe.alive` says which cells are,
and :meth:`Universe.raw` gives the prices with NaN outside the lives (what a user allocator
reads).

An asset is **investable** at the close of *t* when it is a member at *t* (the membership
file; every asset when there is none), alive at *t* (it has a price at *t*) and warm: its life
has at least ``warmup`` returns up to *t* (``warmup`` is the allocator's: a classic rule's
window, the features' longest warm-up). Each is known at the close of *t*, so the set is
causal: nothing dated after *t* changes it.

When a life ends before the data's last date, the backtest closes the position at the last
price times ``1 + r`` (``r`` the asset's **delisting return**), booked on the first date after
the last price, as CRSP books delisting returns; the proceeds stay in cash until the next
rebalance. ``r`` defaults to ``data.delisting_return`` = -0.30, the average delisting return
of performance-related delistings reported by Shumway (1997, "The Delisting Bias in CRSP
Data", Journal of Finance 52(1)); set 0 when the exits are mergers paid at the last price.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evofolio.data.checks import parse_dates, parse_numbers
from evofolio.data.files import read_table
from evofolio.data.layout import date_column, key
from evofolio.errors import DataError

logger = logging.getLogger(__name__)

DEFAULT_DELISTING_RETURN = -0.30
"""Shumway (1997): the mean delisting return of performance-related delistings (about -30 %)."""

ROW_COLUMNS = ("asset", "start", "end")


@dataclass(frozen=True, eq=False)
class Universe:
    """Who exists and who may be held, date by date (dates × assets, causal).

    ``alive``: bool frame, True where the asset has a price (inside its life); ``member``:
    bool frame, True where the membership file lists it (all True without one); ``age``: int
    frame, the number of returns of the asset's life up to *t* (``-1`` outside the life; 0 on
    its first price); ``delisting``: float series (assets), the delisting return of each asset
    whose life ends before the data's last date (NaN for the others); ``membership``: the
    membership file, or None.
    """

    alive: pd.DataFrame
    member: pd.DataFrame
    age: pd.DataFrame
    delisting: pd.Series
    membership: str | None = None

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The price dates."""
        return pd.DatetimeIndex(self.alive.index)

    @property
    def assets(self) -> list[str]:
        """The assets, in the prices' column order."""
        return [str(c) for c in self.alive.columns]

    @property
    def ragged(self) -> bool:
        """Whether any asset is outside its life or not a member at some date."""
        return bool(not self.alive.to_numpy().all() or not self.member.to_numpy().all())

    def investable(self, warmup: int = 0) -> pd.DataFrame:
        """Bool frame (dates × assets): member ∧ alive ∧ at least ``warmup`` returns of life
        up to the date."""
        return self.member & self.alive & (self.age >= warmup)

    def raw(self, prices: pd.DataFrame) -> pd.DataFrame:
        """``prices`` with NaN outside the lives (the padding removed)."""
        return prices.where(self.alive.reindex(index=prices.index, columns=prices.columns))

    def rows(self, rows: Any) -> Universe:
        """The same universe on fewer dates (``rows`` as for ``DataFrame.loc[rows]``)."""
        return Universe(
            self.alive.loc[rows],
            self.member.loc[rows],
            self.age.loc[rows],
            self.delisting,
            self.membership,
        )

    def on(self, dates: pd.DatetimeIndex) -> Universe:
        """The same universe on ``dates`` (a subset of its dates)."""
        return Universe(
            self.alive.loc[dates],
            self.member.loc[dates],
            self.age.loc[dates],
            self.delisting,
            self.membership,
        )

    def lives(self) -> pd.DataFrame:
        """One row per asset: ``first`` and ``last`` date of its life, ``delisting_return``
        (NaN when alive at the last date) and ``member_days`` (dates in the membership while
        alive)."""
        alive = self.alive.to_numpy()
        dates = self.dates
        first = np.argmax(alive, axis=0)
        last = len(dates) - 1 - np.argmax(alive[::-1], axis=0)
        return pd.DataFrame(
            {
                "first": dates[first],
                "last": dates[last],
                "delisting_return": self.delisting.reindex(self.alive.columns).to_numpy(),
                "member_days": (alive & self.member.to_numpy()).sum(axis=0),
            },
            index=pd.Index(self.assets, name="asset"),
        )

    def survivors(self) -> list[str]:
        """The assets alive at the last date (what a survivors-only backtest keeps)."""
        last = self.alive.iloc[-1]
        return [str(a) for a in last.index[last.to_numpy()]]

    def by_year(self) -> pd.DataFrame:
        """Per calendar year: assets alive and investable (member ∧ alive) at the year's last
        date, and the entries and exits (first / last prices) during the year."""
        lives = self.lives()
        ends = self.dates.to_series().groupby(self.dates.year).max()
        investable = self.member & self.alive
        last_date = self.dates[-1]
        rows = []
        for year, day in zip(ends.index, ends.to_numpy(), strict=True):
            entries = lives.index[
                (lives["first"].dt.year == year) & (lives["first"] > self.dates[0])
            ]
            exits = lives.index[(lives["last"].dt.year == year) & (lives["last"] < last_date)]
            rows.append(
                {
                    "year": int(year),
                    "alive": int(self.alive.loc[day].to_numpy().sum()),
                    "investable": int(investable.loc[day].to_numpy().sum()),
                    "entries": ", ".join(entries) or "-",
                    "exits": ", ".join(exits) or "-",
                }
            )
        return pd.DataFrame(rows)


def pad_lives(prices: pd.DataFrame) -> pd.DataFrame:
    """``prices`` (NaN outside the lives, gaps inside already filled) padded: the first price
    back-filled before each life, the last one forward-filled after it (returns 0)."""
    return prices.ffill().bfill()


def build_universe(
    raw: pd.DataFrame,
    *,
    membership: str | pd.DataFrame | None = None,
    delisting_return: float = DEFAULT_DELISTING_RETURN,
    delisting_returns: pd.Series | None = None,
    timezone: str | None = None,
) -> Universe:
    """The universe of ``raw`` prices (dates × assets, NaN outside the lives, no gap inside).

    ``membership``: a membership file (path) or table (see :func:`read_membership`), or None
    (every asset a member); ``delisting_return``: the return booked for an exit before the
    last date (default -0.30, Shumway 1997), overridden per asset by ``delisting_returns``
    (asset → return, e.g. a ``delisting_return`` column of the membership file). Raises
    :class:`DataError` naming the file, row and column for a bad membership file or a
    delisting return below -1.
    """
    if not delisting_return >= -1.0:
        raise DataError(f"data.delisting_return must be >= -1 (-100 %), got {delisting_return:g}")
    alive = raw.notna()
    dates = pd.DatetimeIndex(raw.index)
    counts = alive.to_numpy().cumsum(axis=0) - 1
    age = pd.DataFrame(np.where(alive.to_numpy(), counts, -1), index=raw.index, columns=raw.columns)
    source: str | None = None
    per_asset: dict[str, float] = {}
    if membership is None:
        member = pd.DataFrame(True, index=raw.index, columns=raw.columns)
    else:
        source = membership if isinstance(membership, str) else "membership table"
        member, per_asset = read_membership(membership, dates, list(alive.columns), timezone)
    if delisting_returns is not None:
        per_asset.update({str(k): float(v) for k, v in delisting_returns.items()})
    exits = ~alive.iloc[-1].to_numpy()
    delisting = pd.Series(np.nan, index=raw.columns, name="delisting_return")
    for j, name in enumerate(alive.columns):
        if exits[j]:
            value = per_asset.get(str(name), delisting_return)
            if not (math.isfinite(value) and value >= -1.0):
                raise DataError(
                    f"{source or 'delisting_return'}: asset '{name}': delisting return must be "
                    f">= -1, got {value:g}"
                )
            delisting.iloc[j] = value
    return Universe(alive, member, age, delisting, source)


def read_membership(
    membership: str | pd.DataFrame,
    dates: pd.DatetimeIndex,
    assets: list[str],
    timezone: str | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The membership (bool frame, ``dates`` × ``assets``) and the per-asset delisting returns
    of a membership file or table.

    Two layouts: **rows** (columns ``asset``, ``start``, ``end``, as index providers publish
    them; ``end`` empty = still a member; both ends inclusive; an asset may have several rows;
    an optional ``delisting_return`` column) or **wide** (a date column and one 0/1 column per
    asset: the row dated *t*, else the last one before *t*, says who is a member at *t*).
    Errors (:class:`DataError`, one line naming the file, row and column): unparsable dates or
    values, ``start`` after ``end``, a 0/1 cell that is neither. Assets of the membership
    without prices, and assets with prices never in the membership, are warnings.
    """
    source = membership if isinstance(membership, str) else "membership table"
    table = read_table(membership) if isinstance(membership, str) else membership.copy()
    table = table.reset_index(drop=True)
    if len(table) == 0:
        raise DataError(f"{source}: no rows")
    keys = {key(c): str(c) for c in table.columns}
    per_asset: dict[str, float] = {}
    if all(name in keys for name in ROW_COLUMNS):
        member, listed = _rows_membership(table, keys, source, dates, assets, timezone)
        if "delisting_return" in keys:
            column = keys["delisting_return"]
            values = parse_numbers(table[column], source, column)
            names = table[keys["asset"]].astype(str)
            for row, (name, value) in enumerate(zip(names, values, strict=True)):
                if math.isnan(value):
                    continue  # empty: the asset takes data.delisting_return
                if not (math.isfinite(value) and value >= -1.0):
                    raise DataError(
                        f"{source}: column '{column}', row {row + 1}: asset '{name.strip()}': "
                        f"delisting return must be >= -1 (-100 %), got {value:g}"
                    )
                per_asset[name.strip()] = float(value)
    else:
        member, listed = _wide_membership(table, source, dates, assets, timezone)
    unknown = sorted(set(listed) - set(assets))
    if unknown:
        logger.warning(
            "%s: %d member(s) without prices, left out: %s (a member without prices cannot be "
            "held: the backtest misses its returns)",
            source,
            len(unknown),
            ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else ""),
        )
    never = [a for a in assets if not member[a].to_numpy().any()]
    if never:
        logger.warning(
            "%s: %d asset(s) with prices are never members, never investable: %s",
            source,
            len(never),
            ", ".join(never[:10]) + (" ..." if len(never) > 10 else ""),
        )
    return member, per_asset


def _rows_membership(
    table: pd.DataFrame,
    keys: dict[str, str],
    source: str,
    dates: pd.DatetimeIndex,
    assets: list[str],
    timezone: str | None,
) -> tuple[pd.DataFrame, list[str]]:
    names = table[keys["asset"]]
    if names.isna().any():
        row = int(np.argmax(names.isna().to_numpy()))
        raise DataError(f"{source}: column '{keys['asset']}', row {row + 1}: missing asset")
    names = names.astype(str).str.strip()
    starts = parse_dates(pd.Index(table[keys["start"]]), source, keys["start"], timezone=timezone)
    end_raw = table[keys["end"]]
    open_end = end_raw.isna().to_numpy() | (end_raw.astype(str).str.strip() == "").to_numpy()
    filled = end_raw.where(~open_end, "2199-12-31")
    ends = parse_dates(pd.Index(filled), source, keys["end"], timezone=timezone)
    member = np.zeros((len(dates), len(assets)), dtype=bool)
    column = {a: j for j, a in enumerate(assets)}
    for row, (name, start, end) in enumerate(zip(names, starts, ends, strict=True)):
        if start > end:
            raise DataError(
                f"{source}: row {row + 1}: asset '{name}': start {start:%Y-%m-%d} is after end "
                f"{end:%Y-%m-%d}"
            )
        j = column.get(name)
        if j is not None:
            member[(dates >= start) & (dates <= end), j] = True
    frame = pd.DataFrame(member, index=dates, columns=pd.Index(assets))
    return frame, sorted(set(names))


def _wide_membership(
    table: pd.DataFrame,
    source: str,
    dates: pd.DatetimeIndex,
    assets: list[str],
    timezone: str | None,
) -> tuple[pd.DataFrame, list[str]]:
    when = date_column(table)
    try:
        stamps = parse_dates(pd.Index(table[when]), source, when, timezone=timezone)
    except DataError as error:  # neither layout: say what each needs
        raise DataError(
            f"{error}; a membership file has columns {', '.join(ROW_COLUMNS)} (rows) or a date "
            "column and one 0/1 column per asset (wide)"
        ) from None
    order = np.argsort(stamps.asi8, kind="stable")
    if (np.diff(stamps.asi8[order]) == 0).any():
        raise DataError(f"{source}: column '{when}': a date appears twice")
    listed = [str(c).strip() for c in table.columns if str(c) != when]
    values = np.zeros((len(table), len(listed)), dtype=bool)
    for k, column in enumerate(c for c in table.columns if str(c) != when):
        numbers = parse_numbers(table[column], source, str(column), stamps)
        bad = ~np.isin(numbers, (0.0, 1.0))
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"{source}: column '{column}', row {row + 1} ({stamps[row]:%Y-%m-%d}): "
                f"membership must be 0 or 1, got {_cell(table[column].iloc[row])}"
            )
        values[:, k] = numbers == 1.0
    values, sorted_stamps = values[order], stamps[order]
    at = sorted_stamps.searchsorted(dates, side="right") - 1  # as-of: the last row dated <= t
    member = np.zeros((len(dates), len(assets)), dtype=bool)
    position = {a: k for k, a in enumerate(listed)}
    known = at >= 0
    for j, asset in enumerate(assets):
        found = position.get(asset)
        if found is not None:
            member[known, j] = values[at[known], found]
    return pd.DataFrame(member, index=dates, columns=pd.Index(assets)), listed


def _cell(value: Any) -> str:
    """A table cell as a message shows it: an empty cell in words, a number as written."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return "an empty cell"
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)
