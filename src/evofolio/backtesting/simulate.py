"""Turn decided weights into daily returns, with drift, rebalancing costs and vol targeting.

Conventions (the project's look-ahead rules):

* weights decided at the close of day *t* earn the returns from *t* to *t+1*, never the
  return of day *t* itself;
* between decision dates the held weights drift with prices;
* at a decision date the portfolio trades from its drifted weights to the target; the cost is
  ``cost_bps`` basis points of the traded amount ``sum |target - drifted|`` and is charged to
  the return of the following period (net = gross - cost). Entering the first portfolio from
  cash is a trade too;
* a decision on the last date of the period has no following return and is not traded;
* with a ragged universe (:mod:`evofolio.data.universe`), an asset whose life ends before the
  data's last date while held is closed at its last price times ``1 + r`` (its delisting
  return), booked on the first date after the last price (as CRSP books delisting returns);
  the proceeds are cash (return 0) until the next rebalance, whose trade buys with them (the
  closed position is not sold a second time). Each applied delisting is logged and listed in
  the result's ``delistings``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.backtesting.rebalance import RebalanceRule
from evofolio.backtesting.results import BacktestResult
from evofolio.config import BacktestConfig
from evofolio.data.universe import Universe
from evofolio.errors import InsufficientHistoryError

logger = logging.getLogger(__name__)

TRADING_DAYS = 252
DELISTING_COLUMNS = ("asset", "last_price", "booked", "weight", "delisting_return")
RESIDUAL_WEIGHT = 1e-6
"""A held weight below this share of the portfolio is an optimiser's residue, not a position:
an interior-point solver leaves 1e-9 to 1e-7 on the assets it excludes. A delisting on such a
weight is applied all the same (its return is exact); the logs count it apart."""


def residual_delistings(delistings: pd.DataFrame | None) -> int:
    """How many rows of a result's ``delistings`` hit a weight below :data:`RESIDUAL_WEIGHT`."""
    if delistings is None or not len(delistings):
        return 0
    return int((delistings["weight"].abs() < RESIDUAL_WEIGHT).sum())


def residual_note(count: int) -> str:
    """`` (N of them on residual weights below 1e-06 of the portfolio)``, or "" for none."""
    if not count:
        return ""
    return f" ({count} of them on residual weights below {RESIDUAL_WEIGHT:g} of the portfolio)"


def delisted_names(delistings: pd.DataFrame, limit: int = 5) -> str:
    """Up to ``limit`` rows of ``delistings`` as ``ASSET (booked date)``, real positions first
    (residual weights after them), each group in date order; `` ...`` when there are more."""
    material = delistings["weight"].abs() >= RESIDUAL_WEIGHT
    first = pd.concat([delistings[material], delistings[~material]]).head(limit)
    named = [f"{a} ({d:%Y-%m-%d})" for a, d in zip(first["asset"], first["booked"], strict=True)]
    return ", ".join(named) + (" ..." if len(delistings) > limit else "")


@dataclass(frozen=True)
class TradingRules:
    """How decided weights are traded: schedule, costs and optional volatility targeting."""

    rebalance: RebalanceRule = "daily"
    cost_bps: float = 0.0
    vol_target: float | None = None
    vol_span: int = 50

    @classmethod
    def from_config(cls, section: BacktestConfig) -> TradingRules:
        """The ``[backtest]`` section of a run configuration as trading rules."""
        return cls(section.rebalance, section.cost_bps, section.vol_target, section.vol_span)


def ewm_volatility(prices: pd.DataFrame, span: int) -> pd.DataFrame:
    """Annualised exponentially weighted volatility of daily returns, using data up to *t*."""
    returns = prices.pct_change()
    vol = returns.ewm(span=span, min_periods=span, adjust=True).std()
    return vol * np.sqrt(TRADING_DAYS)


def _vol_scale(
    prices: pd.DataFrame,
    decisions: pd.DatetimeIndex,
    target: float,
    span: int,
    held: np.ndarray | None = None,
) -> np.ndarray:
    vol = ewm_volatility(prices, span).reindex(decisions).to_numpy(dtype=np.float64)
    if held is not None:  # a ragged universe: only the held assets need a volatility
        usable = np.isfinite(vol) & (vol > 0)
        if np.any((held > 0) & ~usable):
            raise InsufficientHistoryError(
                f"volatility targeting needs {span + 1} days of an asset's life before it is "
                f"held (first decision {decisions[0].date()})"
            )
        return np.where(held > 0, target / np.where(usable, vol, 1.0), 0.0)
    if not np.all(np.isfinite(vol)) or np.any(vol <= 0):
        raise InsufficientHistoryError(
            f"volatility targeting needs {span + 1} days of prices before the first decision "
            f"({decisions[0].date()})"
        )
    return target / vol


def simulate(
    weights: pd.DataFrame,
    prices: pd.DataFrame,
    rules: TradingRules = TradingRules(),
    *,
    end: pd.Timestamp | None = None,
    universe: Universe | None = None,
    label: str | None = None,
) -> BacktestResult:
    """Simulate holding ``weights`` (decision dates × assets) on ``prices`` (dates × assets).

    The simulation runs from the first decision date to ``end`` (default: the last price
    date). Every row of ``weights`` is traded: the engine picks the rebalance dates from
    ``rules.rebalance``. ``rules.vol_target`` (annualised, e.g. ``0.10``) scales each asset's
    target weight by ``vol_target / sigma``, with ``sigma`` its exponentially weighted
    volatility over ``rules.vol_span`` days up to the decision date (Zhang, Zohren & Roberts
    2020, eq. 7); the positions then need not sum to 1 and the remainder is cash.
    """
    if weights.empty:
        raise ValueError("no weights to simulate")
    missing = weights.columns.difference(prices.columns)
    if len(missing):
        raise ValueError(f"weights name assets missing from prices: {list(missing)}")
    first = weights.index[0]
    last = prices.index[-1] if end is None else end
    period = prices.loc[first:last]
    if not weights.index.isin(period.index).all():
        raise ValueError("every decision date must be a price date inside the period")
    columns = weights.columns
    px = period[columns].to_numpy(dtype=np.float64)
    n_days, n_assets = px.shape

    targets = np.full((n_days, n_assets), np.nan)
    rows = period.index.get_indexer(weights.index)
    decided = weights.to_numpy(dtype=np.float64)
    if rules.vol_target is not None:
        scale = _vol_scale(
            prices[columns].loc[:last]
            if universe is None
            else universe.raw(prices[columns].loc[:last]),
            pd.DatetimeIndex(weights.index),
            rules.vol_target,
            rules.vol_span,
            None if universe is None else decided,
        )
        decided = decided * scale
    targets[rows] = decided
    is_decision = np.zeros(n_days, dtype=bool)
    is_decision[rows] = True

    asset_returns = np.zeros_like(px)
    asset_returns[1:] = px[1:] / px[:-1] - 1.0
    booked = np.zeros((n_days, n_assets), dtype=bool)
    if universe is not None:
        booked = _book_delistings(asset_returns, pd.DatetimeIndex(period.index), columns, universe)
    delisted: list[tuple[str, pd.Timestamp, pd.Timestamp, float, float]] = []
    held = np.zeros((n_days, n_assets))
    gross = np.zeros(n_days)
    turnover = np.zeros(n_days)
    current = np.zeros(n_assets)  # drifted weights before today's trade (cash at the start)
    for t in range(n_days):
        if t > 0:
            growth = held[t - 1] * (1.0 + asset_returns[t])
            gross[t] = growth.sum() - held[t - 1].sum()
            current = growth / (1.0 + gross[t])
            if booked[t].any():  # delisted: the proceeds become cash (the implicit remainder)
                for j in np.flatnonzero(booked[t] & (held[t - 1] != 0.0)):
                    delisted.append(
                        (
                            str(columns[int(j)]),
                            period.index[t - 1],
                            period.index[t],
                            float(held[t - 1, int(j)]),
                            float(asset_returns[t, j]),
                        )
                    )
                current = np.where(booked[t], 0.0, current)
        if is_decision[t] and t < n_days - 1:
            turnover[t] = np.abs(targets[t] - current).sum()
            current = targets[t]
        held[t] = current

    index = period.index
    cost = turnover * rules.cost_bps * 1e-4
    realised = index[1:]
    gross_s = pd.Series(gross[1:], index=realised, name="gross")
    cost_s = pd.Series(cost[:-1], index=realised, name="cost")
    delistings = None
    if universe is not None:
        delistings = pd.DataFrame(delisted, columns=list(DELISTING_COLUMNS))
        if delisted:
            logger.log(  # named: one info line; unnamed (a search fold, a seed alone): debug
                logging.INFO if label else logging.DEBUG,
                "%s%d delisting(s) applied to held positions%s, delisting return booked the day "
                "after the last price: %s (each at debug level, all in result.delistings)",
                f"{label}: " if label else "",
                len(delisted),
                residual_note(residual_delistings(delistings)),
                delisted_names(delistings),
            )
        for asset, last_price, day, weight, r in delisted:
            logger.debug(
                "delisting applied: %s, last price %s, held %.4g of the portfolio: delisting "
                "return %+.1f %% booked on %s, proceeds in cash until the next rebalance",
                asset,
                f"{last_price:%Y-%m-%d}",
                weight,
                100 * r,
                f"{day:%Y-%m-%d}",
            )
    return BacktestResult(
        weights=weights,
        held=pd.DataFrame(held, index=index, columns=columns),
        gross=gross_s,
        net=(gross_s - cost_s).rename("net"),
        turnover=pd.Series(turnover[:-1], index=realised, name="turnover"),
        costs=cost_s,
        delistings=delistings,
    )


def _book_delistings(
    asset_returns: np.ndarray, dates: pd.DatetimeIndex, columns: pd.Index, universe: Universe
) -> np.ndarray:
    """Put each delisting return on the first date after the asset's last price (in place);
    the bool mask (dates × assets) of those cells."""
    booked = np.zeros(asset_returns.shape, dtype=bool)
    alive = universe.alive.reindex(index=dates, columns=columns).to_numpy(dtype=bool)
    rates = universe.delisting.reindex(columns).to_numpy(dtype=np.float64)
    # the first date after a life's end: alive yesterday, not today, with a delisting return
    ends = np.zeros_like(alive)
    ends[1:] = alive[:-1] & ~alive[1:]
    ends &= np.isfinite(rates)[None, :]
    rows, cols = np.nonzero(ends)
    asset_returns[rows, cols] = rates[cols]
    booked[rows, cols] = True
    return booked
