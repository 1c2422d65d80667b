"""The missing-data policy: drop sparse assets, trim the ragged start, fill short gaps.

The policy runs after the structural checks of :mod:`evofolio.data.checks`, on a float
frame (dates x assets) whose only remaining defect may be NaN cells. In order:

1. count the NaN cells of every asset; drop the assets missing on more than
   ``max_missing_frac`` of the dates (or on all of them), with a warning;
2. trim the leading dates before every remaining asset has its first price;
3. forward-fill the remaining runs of at most ``max_ffill_days`` consecutive missing dates;
   a longer run (interior or trailing) is an error naming the asset and its first date.

With ``lives=None`` (the default, ``data.ragged`` unset) the file decides: it is read with
lives when an asset's first price comes more than ``max_ffill_days`` dates after the first
asset's, or its last price more than ``max_ffill_days`` dates before the last asset's (a
listing or a delisting, not a late quote); otherwise as a rectangle, exactly as with
``lives=False``. An info line says which and why.

With ``lives=True`` (a ragged universe, see :mod:`evofolio.data.universe`) an asset's
**life** runs from its first to its last price, and only the dates inside it count: step 1
counts the missing dates inside the life against ``max_missing_frac`` of the life's length
(an asset with fewer than 2 prices is dropped), step 2 trims only the leading (and trailing)
dates on which no asset has a price, step 3 fills and checks the gaps inside each life. The
dates outside a life stay NaN (:func:`apply_missing_policy` returns them so; the loader pads
them, see :func:`evofolio.data.universe.pad_lives`). A life that ends within
``max_ffill_days`` dates of the data's last date is read as a late quote, not a delisting, as
in a rectangle: its last price is carried to the end with the stale-price warning (booking a
delisting return on a feed a few days behind would be a large wrong number), unless
``exits_as_given`` (``data.ragged = true``: every early end is a delisting, as the user
said).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from evofolio.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class MissingPolicy:
    """How much missing data is tolerated, and how it is repaired.

    ``max_ffill_days``: the longest run of consecutive missing dates of one asset that is
    forward-filled (0 disables filling). ``max_missing_frac``: an asset missing on more than
    this fraction of the dates is dropped. ``lives``: prices may start late and end early
    (each asset's life is its first to last price); None (the default) decides from the file:
    with lives when an asset lists or delists, else a rectangle (see the module doc).
    ``exits_as_given``: with lives, every early end is a delisting, even one within
    ``max_ffill_days`` of the last date (``data.ragged = true``); otherwise such an end is a
    late quote, carried forward with a warning.
    """

    max_ffill_days: int = 5
    max_missing_frac: float = 0.10
    lives: bool | None = None
    exits_as_given: bool = False

    def __post_init__(self) -> None:
        if self.max_ffill_days < 0:
            raise ConfigError(f"max_ffill_days must be >= 0, got {self.max_ffill_days}")
        if not 0.0 <= self.max_missing_frac <= 1.0:
            raise ConfigError(f"max_missing_frac must be in [0, 1], got {self.max_missing_frac}")


@dataclass(frozen=True)
class MissingReport:
    """What the missing-data policy found and did.

    ``missing``: NaN cells per input asset, counted before anything was dropped or trimmed
    (with lives: inside the asset's life only);
    ``filled``: cells forward-filled per kept asset; ``dropped``: the assets removed for
    missing too much; ``trimmed_rows``: leading dates removed; ``n_dates``: input dates;
    ``lives``: each kept asset's first and last price date when the prices were read with
    lives (a ragged universe), else None.
    """

    n_dates: int
    missing: dict[str, int]
    filled: dict[str, int]
    dropped: tuple[str, ...]
    trimmed_rows: int
    lives: dict[str, tuple[pd.Timestamp, pd.Timestamp]] | None = None

    @property
    def kept(self) -> tuple[str, ...]:
        """The assets that survived, in input order."""
        return tuple(name for name in self.missing if name not in self.dropped)

    def rows(self) -> list[dict[str, str | int | float]]:
        """One row per input asset, ready for a table: asset, missing, missing %, filled, status."""
        return [
            {
                "asset": name,
                "missing": count,
                "missing_pct": round(100.0 * count / self.n_dates, 2) if self.n_dates else 0.0,
                "filled": self.filled.get(name, 0),
                "status": "dropped" if name in self.dropped else "kept",
            }
            for name, count in self.missing.items()
        ]

    def summary(self) -> str:
        """A one-line account, for logs and report headers."""
        filled = sum(self.filled.values())
        dropped = ", ".join(self.dropped) if self.dropped else "none"
        return (
            f"{len(self.kept)} assets kept, dropped: {dropped}; "
            f"{self.trimmed_rows} leading dates trimmed; {filled} cells forward-filled"
        )


def nan_runs(mask: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Starts and lengths of the runs of ``True`` in a 1-D boolean mask."""
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[0::2], edges[1::2]
    return starts, ends - starts


def first_long_gap(mask: npt.NDArray[np.bool_], max_len: int) -> tuple[int, int] | None:
    """``(start, length)`` of the first run of ``True`` longer than ``max_len``, or None."""
    starts, lengths = nan_runs(mask)
    too_long = np.flatnonzero(lengths > max_len)
    if too_long.size == 0:
        return None
    k = int(too_long[0])
    return int(starts[k]), int(lengths[k])


def gap_message(
    source: str, column: str, dates: pd.DatetimeIndex, gap: tuple[int, int], limit: int
) -> str:
    """The one-line error for a run of missing dates (``gap``: start, length) over ``limit``."""
    start, length = gap
    end = "the last date" if start + length == len(dates) else _day(dates[start + length - 1])
    return (
        f"{source}: column '{column}': {length} consecutive missing dates from "
        f"{_day(dates[start])} to {end}; at most max_ffill_days={limit} are filled"
    )


def apply_missing_policy(
    prices: pd.DataFrame, source: str, policy: MissingPolicy
) -> tuple[pd.DataFrame, MissingReport]:
    """Apply ``policy`` to a float frame with a sorted, unique DatetimeIndex (see module doc)."""
    with_lives = policy.lives
    if with_lives is None:
        from evofolio.data.lives import lists_or_delists

        with_lives = lists_or_delists(prices, source, policy.max_ffill_days)
    if with_lives:
        from evofolio.data.lives import apply_lives  # it builds on this module's helpers

        return apply_lives(prices, source, policy, late_quotes=not policy.exits_as_given)
    names = [str(c) for c in prices.columns]
    values = prices.to_numpy(dtype=np.float64)
    isnan = np.isnan(values)
    n_dates = len(prices)
    counts = isnan.sum(axis=0)
    missing = {name: int(c) for name, c in zip(names, counts, strict=True)}
    if not isnan.any():
        report = MissingReport(n_dates, missing, dict.fromkeys(names, 0), (), 0)
        return prices, report

    drop = (counts > policy.max_missing_frac * n_dates) | (counts == n_dates)
    dropped = tuple(name for name, d in zip(names, drop, strict=True) if d)
    if dropped:
        lives = [_life(prices, isnan, names.index(name)) for name in dropped]
        ragged = any("list" in life for life in lives)
        logger.warning(
            "%s: dropping %d asset(s) missing on more than %g%% of the %d dates: %s%s",
            source,
            len(dropped),
            100 * policy.max_missing_frac,
            n_dates,
            "; ".join(f"{name} ({life})" for name, life in zip(dropped, lives, strict=True)),
            "; dropping assets that list late or delist early keeps the survivors "
            "(survivorship bias): read the file point in time with --ragged "
            "(data.ragged = true)"
            if ragged
            else "",
        )
    keep = kept_assets(names, drop, source)
    isnan = isnan[:, keep]
    kept = [names[j] for j in keep]

    first_valid = np.argmax(~isnan, axis=0)
    start = int(first_valid.max())
    if start > 0:
        late = kept[int(np.argmax(first_valid))]
        logger.info(
            "%s: trimming %d leading dates before %s, when the last asset (%s) starts",
            source,
            start,
            _day(pd.DatetimeIndex(prices.index)[start]),
            late,
        )
    frame = prices.iloc[start:, keep]
    isnan = isnan[start:]
    end = _trailing_cut(isnan, pd.DatetimeIndex(frame.index), source)
    frame, isnan = frame.iloc[:end], isnan[:end]
    dates = pd.DatetimeIndex(frame.index)
    _warn_stale_end(isnan, dates, kept, source)

    cells: dict[str, tuple[int, pd.Timestamp]] = {}
    for j, name in enumerate(kept):
        gap = first_long_gap(isnan[:, j], policy.max_ffill_days)
        if gap is not None:
            raise DataError(gap_message(source, name, dates, gap, policy.max_ffill_days))
        cells[name] = filled_cells(isnan[:, j], dates)
    filled = {name: n for name, (n, _) in cells.items()}
    if sum(filled.values()):
        log_filled(source, cells, "")
        frame = frame.ffill()
    report = MissingReport(n_dates, missing, filled, dropped, start)
    return frame, report


def filled_cells(gaps: npt.NDArray[np.bool_], dates: pd.DatetimeIndex) -> tuple[int, pd.Timestamp]:
    """How many cells a column's ``gaps`` (booleans over ``dates``) forward-fills, and the
    first filled date (``dates[0]`` when there is none; read only with a count)."""
    return int(gaps.sum()), pd.Timestamp(dates[int(np.argmax(gaps))])


def log_filled(source: str, filled: dict[str, tuple[int, pd.Timestamp]], where: str) -> None:
    """One info line: the cells forward-filled and the assets that had most of them, each with
    its count and first filled date (at most five named)."""
    counts = {name: n for name, (n, _) in filled.items() if n}
    if not counts:
        return
    ranked = sorted(counts, key=lambda name: (-counts[name], name))
    named = [f"{name} ({counts[name]}, first {_day(filled[name][1])})" for name in ranked]
    logger.info(
        "%s: forward-filled %d missing cells%s in %d asset(s): %s",
        source,
        sum(counts.values()),
        where,
        len(counts),
        abbreviated(named),
    )


def abbreviated(names: list[str], limit: int = 5) -> str:
    """The first ``limit`` of ``names``, then how many more (for one-line messages)."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def kept_assets(names: list[str], drop: npt.NDArray[np.bool_], source: str) -> IntArray:
    """The positions of the assets not in ``drop``; ``DataError`` when fewer than 2 are left."""
    keep = np.flatnonzero(~drop)
    if keep.size < 2:
        left = ", ".join(names[j] for j in keep) or "none"
        dropped = [names[j] for j in np.flatnonzero(drop)]
        raise DataError(
            f"{source}: {keep.size} asset(s) left ({left}) after dropping "
            f"{abbreviated(dropped)} for missing data; need at least 2"
        )
    return keep


def _day(stamp: pd.Timestamp) -> str:
    return stamp.strftime("%Y-%m-%d")


def _life(prices: pd.DataFrame, isnan: np.ndarray, j: int) -> str:
    """Where asset ``j`` has prices, in words: its first and last price dates and whether it
    lists after the first date or stops before the last (a listing or a delisting)."""
    have = np.flatnonzero(~isnan[:, j])
    if have.size == 0:
        return "no price at all"
    dates = pd.DatetimeIndex(prices.index)
    first, last = dates[have[0]], dates[have[-1]]
    parts = [f"prices {first:%Y-%m-%d} to {last:%Y-%m-%d}"]
    if have[0] > 0:
        parts.append(f"lists after the first date {dates[0]:%Y-%m-%d}")
    if have[-1] < len(dates) - 1:
        parts.append(f"stops before the last date {dates[-1]:%Y-%m-%d}, likely delisted")
    return ", ".join(parts)


def _trailing_cut(isnan: np.ndarray, dates: pd.DatetimeIndex, source: str) -> int:
    """The row count without the trailing dates on which no asset has a price (a file that
    ends with empty rows), each dropped with a warning: forward-filling them would date a
    decision to a close that has no price."""
    has_any = ~isnan.all(axis=1)
    if has_any.all() or not has_any.any():
        return len(dates)
    end = int(np.flatnonzero(has_any)[-1]) + 1
    if end < len(dates):
        logger.warning(
            "%s: dropping %d trailing date(s) from %s on, on which no asset has a price "
            "(the last prices are on %s): empty rows at the end of the file?",
            source,
            len(dates) - end,
            _day(dates[end]),
            _day(dates[end - 1]),
        )
    return end


def _warn_stale_end(
    isnan: np.ndarray, dates: pd.DatetimeIndex, names: list[str], source: str
) -> None:
    """A warning per asset whose price is missing on the last date(s) and so carried forward
    into the latest decision (a stale price there, not a return of 0 by choice)."""
    if not len(dates):
        return
    for j, name in enumerate(names):
        if not isnan[-1, j]:
            continue
        have = np.flatnonzero(~isnan[:, j])
        last = _day(dates[have[-1]]) if have.size else "never"
        logger.warning(
            "%s: asset '%s' has no price on the last %d date(s) (from %s; its last price is "
            "on %s): it is carried forward, so a decision at the close of %s uses a stale "
            "price; likely a late or missing quote",
            source,
            name,
            len(dates) - 1 - (int(have[-1]) if have.size else -1),
            _day(dates[int(have[-1]) + 1 if have.size else 0]),
            last,
            _day(dates[-1]),
        )
