"""Timestamps reduced to the calendar date of the market they belong to.

Price files carry dates in many shapes: plain dates (``2020-03-09``), times of day, UTC
offsets (``2020-03-09 00:00-04:00``, ``2020-03-08 23:00+00:00``), offsets that change with
daylight saving time. Each stamp is reduced to one calendar date:

* by default, the **local date in the offset the stamp itself carries** (the wall-clock
  date written in the file): ``2020-03-09 00:00-04:00`` is 9 March, whatever the offset;
* when a time zone is given (``data.timezone`` / ``--timezone``, an IANA name such as
  ``Europe/Berlin``), stamps that carry an offset are first converted to that zone, so the
  close of a Frankfurt trading day *t* written in UTC as ``t-1 23:00+00:00`` lands on *t*.
  Stamps without an offset are taken as already local.

Several distinct stamps on one calendar date mean intraday data, which is refused. Daily
data whose dates fall on weekends (beyond a handful) gets a warning naming the likely cause
(a time-zone shift) and the option that fixes it.
"""

from __future__ import annotations

import logging
import re
import zoneinfo

import numpy as np
import pandas as pd

from evofolio.errors import DataError

logger = logging.getLogger(__name__)

_OFFSET = re.compile(
    r"^(?P<wall>.*\d:\d\d(?::\d\d(?:\.\d+)?)?)\s*(?P<offset>Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)$",
    re.IGNORECASE,
)
WEEKEND_HANDFUL = 5  # weekend dates tolerated before warning (data errors, odd sessions)
WEEKEND_SHARE = 0.01


def check_timezone(name: str | None) -> str | None:
    """``name`` when it is a known IANA time zone (or None); else a :class:`DataError`."""
    if name is None:
        return None
    text = name.strip()
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DataError(
            f"unknown time zone '{name}' (data.timezone / --timezone): expected an IANA name "
            "such as Europe/Berlin, America/New_York or Asia/Tokyo"
        ) from None
    return text


def wall_times(
    values: pd.Index, timezone: str | None = None
) -> tuple[pd.Index, pd.DatetimeIndex | None, bool]:
    """Split raw stamps into what to parse as naive wall times and what carries an offset.

    Returns ``(text, converted, had_offset)``: ``text`` is the raw values with any offset cut
    off (default) or, with ``timezone``, ``None`` at stamps converted; ``converted`` is a
    naive ``DatetimeIndex`` (wall time in ``timezone``) at the stamps that carried an offset,
    NaT elsewhere, or None when no conversion happened.
    """
    if isinstance(values, pd.DatetimeIndex):
        if values.tz is None:
            return values, None, False
        local = values.tz_convert(timezone) if timezone else values
        return local.tz_localize(None), None, True
    text = pd.Index(values.astype(str)).str.strip()
    parts = text.str.extract(_OFFSET)
    has_offset = parts["offset"].notna().to_numpy()
    if not has_offset.any():
        return text, None, False
    if timezone is None:
        return pd.Index(np.where(has_offset, parts["wall"], text)), None, True
    stamped = pd.to_datetime(pd.Index(text[has_offset]), utc=True, errors="coerce")
    converted = pd.Series(pd.NaT, index=range(len(text)), dtype="datetime64[us]")
    converted.iloc[np.flatnonzero(has_offset)] = (
        pd.DatetimeIndex(stamped).tz_convert(timezone).tz_localize(None).as_unit("us")
    )
    return pd.Index(np.where(has_offset, None, text)), pd.DatetimeIndex(converted), True


def check_one_per_day(wall: pd.DatetimeIndex, source: str, column: str) -> None:
    """Refuse several distinct stamps on one calendar date (intraday data)."""
    stamps = wall.unique().sort_values()
    days = stamps.normalize()
    twice = np.flatnonzero(days[1:] == days[:-1])
    if twice.size:
        k = int(twice[0])
        raise DataError(
            f"{source}: column '{column}': intraday timestamps (several per calendar day, e.g. "
            f"{stamps[k]:%Y-%m-%d %H:%M} and {stamps[k + 1]:%Y-%m-%d %H:%M}); "
            "evofolio needs one close per trading day (resample to daily closes first)"
        )


def warn_weekends(
    wall: pd.DatetimeIndex, source: str, column: str, had_offset: bool, timezone: str | None
) -> None:
    """Warn when more than a handful of dates fall on a Saturday or Sunday (daily data only:
    weekly or monthly dates are refused by the frequency check, which says why)."""
    days = wall.normalize().unique().sort_values()
    gaps = np.diff(days.to_numpy()).astype("timedelta64[s]").astype(np.int64)
    if gaps.size and float(np.median(gaps)) > 4 * 86_400:
        return
    weekend = np.asarray(days.day_of_week >= 5)
    count = int(weekend.sum())
    if count <= max(WEEKEND_HANDFUL, WEEKEND_SHARE * len(days)):
        return
    first = days[int(np.argmax(weekend))]
    times = wall[wall.normalize() == first]
    if timezone is not None:
        cause = f"check that data.timezone / --timezone ('{timezone}') is the market's zone"
    elif had_offset:
        cause = (
            f"the stamps carry a UTC offset (e.g. {times[0]:%H:%M} on {first:%Y-%m-%d}): "
            "closes stamped in UTC or another zone than the market's fall on the previous "
            "day; set data.timezone / --timezone to the market's zone (e.g. Europe/Berlin)"
        )
    else:
        cause = (
            "dates shifted by a time-zone conversion before saving, or a market that trades "
            "on weekends (crypto); if shifted, re-export with local dates or with UTC offsets "
            "and set data.timezone / --timezone"
        )
    logger.warning(
        "%s: column '%s': %d of %d dates fall on a Saturday or Sunday (first %s, a %s); "
        "likely cause: %s",
        source,
        column,
        count,
        len(days),
        f"{first:%Y-%m-%d}",
        f"{first:%A}",
        cause,
    )
