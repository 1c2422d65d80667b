"""Rebalancing schedules: on which dates the portfolio trades back to its targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evofolio.errors import UsageError

RebalanceRule = str | int


def parse_rebalance(value: str | int) -> RebalanceRule:
    """Accept ``daily``, ``weekly``, ``monthly`` or a positive number of days (also as text)."""
    if isinstance(value, int):
        if value < 1:
            raise UsageError(f"rebalance period must be >= 1 day, got {value}")
        return value
    text = value.strip().lower()
    if text in {"daily", "weekly", "monthly"}:
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise UsageError(f"rebalance must be daily, weekly, monthly or a number of days, got '{value}'")


def rebalance_mask(dates: pd.DatetimeIndex, rule: RebalanceRule) -> np.ndarray:
    """Boolean mask of the rebalance dates among ``dates``.

    Causal by construction: ``weekly`` and ``monthly`` trade on the *first* trading day of
    each week or month (known from the previous date alone); an integer ``k`` trades on every
    k-th date starting with the first. The first date always trades.
    """
    n = len(dates)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    if rule == "daily":
        mask[:] = True
    elif rule == "weekly":
        iso = dates.isocalendar()
        period = (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype(np.int64)
        mask[1:] = period[1:] != period[:-1]
    elif rule == "monthly":
        period = (dates.year * 12 + dates.month).to_numpy()
        mask[1:] = period[1:] != period[:-1]
    elif isinstance(rule, int):
        mask[::rule] = True
    else:
        raise UsageError(f"unknown rebalance rule '{rule}'")
    mask[0] = True
    return mask


def rebalance_dates(dates: pd.DatetimeIndex, rule: RebalanceRule) -> pd.DatetimeIndex:
    """The rebalance dates among ``dates`` (see :func:`rebalance_mask`)."""
    return dates[rebalance_mask(dates, rule)]
