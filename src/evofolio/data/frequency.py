"""The sampling frequency of a price table, inferred once at load.

evofolio works on **daily closes** (one price per trading day): every annualisation in the
project (Sharpe ratios, volatility targets, the 252-day windows of the rules and features)
assumes :data:`TRADING_DAYS` periods a year. The frequency is inferred from the median
spacing of the dates in calendar days, so holidays and gaps in daily data leave it daily:

=================  ===============  ================
median spacing     frequency        periods per year
=================  ===============  ================
1 to 4 days        daily            252
5 to 10 days       weekly           52
11 to 20 days      biweekly         26
21 to 45 days      monthly          12
46 to 135 days     quarterly        4
more               yearly or rarer  365.25 / spacing
=================  ===============  ================

Anything but daily is refused by :func:`require_daily` with an error naming the detected
frequency (annualising weekly closes as daily overstates a Sharpe ratio by about
sqrt(252/52) = 2.2 times). Intraday stamps are refused earlier, when dates are parsed
(:mod:`evofolio.data.stamps`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.errors import DataError

TRADING_DAYS = 252

_BANDS: tuple[tuple[float, str, int], ...] = (
    (4.5, "daily", TRADING_DAYS),
    (10.5, "weekly", 52),
    (20.5, "biweekly", 26),
    (45.5, "monthly", 12),
    (135.5, "quarterly", 4),
)


@dataclass(frozen=True)
class Frequency:
    """A sampling frequency: its ``name``, ``periods_per_year`` and the median spacing (days)."""

    name: str
    periods_per_year: int
    median_days: float


DAILY = Frequency("daily", TRADING_DAYS, 1.0)


def infer_frequency(dates: pd.DatetimeIndex) -> Frequency:
    """The frequency of sorted, unique, midnight-normalised ``dates`` (see the module table).

    Fewer than 3 dates cannot tell: they are taken as daily.
    """
    if len(dates) < 3:
        return DAILY
    steps = (dates[1:] - dates[:-1]) / pd.Timedelta(days=1)
    median = float(np.median(steps))
    for upper, name, per_year in _BANDS:
        if median <= upper:
            return Frequency(name, per_year, median)
    per_year = max(1, round(365.25 / median))
    return Frequency("yearly" if per_year == 1 else "irregular", per_year, median)


def require_daily(frequency: Frequency, source: str) -> None:
    """Refuse anything but daily data, naming the frequency found (a :class:`DataError`)."""
    if frequency.name == "daily":
        return
    raise DataError(
        f"{source}: the dates are {frequency.name} (median spacing {frequency.median_days:g} "
        f"days, about {frequency.periods_per_year} a year); evofolio needs daily closes (one "
        "price per trading day) and would annualise these as daily: use a daily price file"
    )
