"""Turn decided weights into daily returns, with drift, rebalancing costs and vol targeting.

Conventions (the project's look-ahead rules):

* weights decided at the close of day *t* earn the returns from *t* to *t+1*, never the
  return of day *t* itself;
* between decision dates the held weights drift with prices;
* at a decision date the portfolio trades from its drifted weights to the target; the cost is
  ``cost_bps`` basis points of the traded amount ``sum |target - drifted|`` and is charged to
  the return of the following period (net = gross - cost). Entering the first portfolio from
  cash is a trade too;
* a decision on the last date of the period has no following return and is not traded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.backtesting.rebalance import RebalanceRule
from evofolio.backtesting.results import BacktestResult
from evofolio.config import BacktestConfig
from evofolio.errors import InsufficientHistoryError

TRADING_DAYS = 252


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
    prices: pd.DataFrame, decisions: pd.DatetimeIndex, target: float, span: int
) -> np.ndarray:
    vol = ewm_volatility(prices, span).reindex(decisions).to_numpy(dtype=np.float64)
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
            prices[columns].loc[:last],
            pd.DatetimeIndex(weights.index),
            rules.vol_target,
            rules.vol_span,
        )
        decided = decided * scale
    targets[rows] = decided
    is_decision = np.zeros(n_days, dtype=bool)
    is_decision[rows] = True

    asset_returns = np.zeros_like(px)
    asset_returns[1:] = px[1:] / px[:-1] - 1.0
    held = np.zeros((n_days, n_assets))
    gross = np.zeros(n_days)
    turnover = np.zeros(n_days)
    current = np.zeros(n_assets)  # drifted weights before today's trade (cash at the start)
    for t in range(n_days):
        if t > 0:
            growth = held[t - 1] * (1.0 + asset_returns[t])
            gross[t] = growth.sum() - held[t - 1].sum()
            current = growth / (1.0 + gross[t])
        if is_decision[t] and t < n_days - 1:
            turnover[t] = np.abs(targets[t] - current).sum()
            current = targets[t]
        held[t] = current

    index = period.index
    cost = turnover * rules.cost_bps * 1e-4
    realised = index[1:]
    gross_s = pd.Series(gross[1:], index=realised, name="gross")
    cost_s = pd.Series(cost[:-1], index=realised, name="cost")
    return BacktestResult(
        weights=weights,
        held=pd.DataFrame(held, index=index, columns=columns),
        gross=gross_s,
        net=(gross_s - cost_s).rename("net"),
        turnover=pd.Series(turnover[:-1], index=realised, name="turnover"),
        costs=cost_s,
    )
