"""
Your own allocator, checked and backtested
==========================================

Any object with ``fit(prices)`` and a causal ``allocate(prices, dates)`` (weights decided at
the close of each date, long-only, each row summing to 1) trades in :func:`evofolio.backtest`
beside the classic rules, with the same costs and rebalancing.
:func:`evofolio.testing.check_allocator` runs the contract every evofolio allocator honours
on it first: valid weights, no look-ahead (the future is perturbed and nothing decided
before it may change), a refit forgets the previous fit, seeded repeats agree.
"""

# %%
# A momentum rule: equal weight in the ``top`` assets with the best return over the last
# ``lookback`` days. It learns nothing, so ``fit`` only returns itself.
import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev
from evofolio.testing import check_allocator


class TopMomentum:
    def __init__(self, lookback: int = 60, top: int = 2) -> None:
        self.lookback, self.top = lookback, top

    def fit(self, prices: pd.DataFrame) -> "TopMomentum":
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        momentum = prices / prices.shift(self.lookback) - 1  # known at each close
        rows = []
        for date in dates:
            past = momentum.loc[:date].iloc[-1]
            if past.isna().all():  # not enough history yet: equal weight
                rows.append(pd.Series(1.0 / prices.shape[1], index=prices.columns))
                continue
            chosen = past.nlargest(self.top).index
            rows.append(
                pd.Series(
                    np.where(prices.columns.isin(chosen), 1.0 / self.top, 0.0), index=prices.columns
                )
            )
        return pd.DataFrame(rows, index=dates)


# %%
# The contract, on synthetic prices (raises ``AssertionError`` naming a broken rule):
check_allocator(TopMomentum())
print("the allocator contract holds")

# %%
# Backtested beside two classic rules (as allocators, through the same engine), monthly,
# 10 bps of costs. Each factory returns a fresh allocator; it is fitted once on the dates
# before the backtest starts, then decides at every rebalance from the prices up to it.
rng = np.random.default_rng(11)
dates = pd.bdate_range("2012-01-01", periods=1000, name="date")
drift = np.array([0.0001, 0.0003, 0.0005, 0.0002, 0.0004])
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(rng.normal(drift, 0.012, size=(1000, 5)), axis=0)),
    index=dates,
    columns=["A", "B", "C", "D", "E"],
)
run = ev.backtest(
    {
        "top_momentum": TopMomentum,
        "equal_weight": lambda: ev.ClassicAllocator("equal_weight", 60),
        "inverse_vol": lambda: ev.ClassicAllocator("inverse_vol", 60),
    },
    prices,
    rebalance="monthly",
    cost_bps=10,
    start="2013-01-01",
)
run.metrics[["sharpe", "max_drawdown", "annual_turnover"]].round(3)

# %%
growth = pd.DataFrame({name: (1 + result.net).cumprod() for name, result in run.results.items()})
fig = px.line(growth, labels={"value": "growth of 1, net", "variable": "allocator"})
fig.update_layout(height=360, margin={"t": 30})
fig
