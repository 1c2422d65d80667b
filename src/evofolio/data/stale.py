"""Stale prices: a close that does not move for many consecutive dates.

A listed stock's close almost never repeats exactly for a month of trading days. A long run
of unchanged closes is a stale quote (a dead feed), a trading suspension, or a delisted
stock whose last price was filled forward; its returns are then zero, its volatility near
zero, and risk-based rules (minimum variance, risk parity) pile into it. :func:`check_stale`
logs one warning per asset: how many runs of at least :data:`MIN_STALE_DATES` consecutive
dates with the same close it has, with the first and last date of the first (a run of
``MIN_STALE_DATES`` dates holds ``MIN_STALE_DATES - 1`` zero returns). Prices are never
changed here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MIN_STALE_DATES = 20  # consecutive dates with one close: about a month of trading days
_CAUSE = "a stale quote, a trading suspension or a delisted stock filled forward"


@dataclass(frozen=True)
class StaleRun:
    """``asset`` closed at ``price`` on all ``n_dates`` dates from ``first`` to ``last``."""

    asset: str
    first: pd.Timestamp
    last: pd.Timestamp
    n_dates: int
    price: float


def find_stale_runs(prices: pd.DataFrame, min_dates: int = MIN_STALE_DATES) -> list[StaleRun]:
    """Every run of ``min_dates`` or more consecutive equal closes, by asset column then date.

    ``prices`` is a clean frame (dates x assets, float64, no NaN); equality is exact (a
    stale quote repeats the same number).
    """
    values = prices.to_numpy(dtype=np.float64)
    runs: list[StaleRun] = []
    for j in range(values.shape[1]):
        same = values[1:, j] == values[:-1, j]  # same[i]: date i + 1 closes as date i
        edges = np.diff(np.concatenate(([0], same.astype(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            n_dates = end - start + 1  # end - start equal steps span one date more
            if n_dates >= min_dates:
                runs.append(
                    StaleRun(
                        str(prices.columns[j]),
                        prices.index[start],
                        prices.index[end],
                        n_dates,
                        float(values[start, j]),
                    )
                )
    return runs


def check_stale(prices: pd.DataFrame, source: str, min_dates: int = MIN_STALE_DATES) -> None:
    """Log one warning per asset with stale runs (see the module doc); prices are unchanged."""
    by_asset: dict[str, list[StaleRun]] = {}
    for run in find_stale_runs(prices, min_dates):
        by_asset.setdefault(run.asset, []).append(run)
    for asset, runs in by_asset.items():
        first = runs[0]
        if first.n_dates == len(prices):
            logger.warning(
                "%s: asset '%s': close constant at %g on every date: a cash line or a dead "
                "quote; it has no risk, so the risk-based rules leave it out (weight 0)",
                source,
                asset,
                first.price,
            )
            continue
        more = f" (and {len(runs) - 1} more such runs)" if len(runs) > 1 else ""
        logger.warning(
            "%s: asset '%s': close unchanged at %g for %d consecutive dates, %s to %s%s: "
            "likely %s; its returns there are zero, so risk-based rules may favour it",
            source,
            asset,
            first.price,
            first.n_dates,
            f"{first.first:%Y-%m-%d}",
            f"{first.last:%Y-%m-%d}",
            more,
            _CAUSE,
        )
