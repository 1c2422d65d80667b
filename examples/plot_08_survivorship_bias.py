"""
Survivorship bias, measured on a universe that lists and delists
================================================================

A price file in which companies list late and stop early is read **point in time** by
default: each asset lives from its first to its last price, is investable only inside its
life, and a position held into a delisting is closed at the last price times
``1 + delisting_return`` (-30 % by default, Shumway 1997). Dropping the assets that died, as
a rectangular reading would, keeps the winners: ``survivors_only=True`` runs the same rules
on the survivors too, and the difference of the Sharpe ratios is this data set's
survivorship bias.
"""

# %%
# Sixteen random walks over five years. Five of them are losers (a negative drift) that die
# the day after a 40 % drawdown from their peak; three list a year or two in.
import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev

rng = np.random.default_rng(3)
days, n = 1260, 16
drift = np.where(np.arange(n) < 5, -0.0008, 0.0004)
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(rng.normal(0, 0.015, (days, n)) + drift, axis=0)),
    index=pd.bdate_range("2015-01-01", periods=days, name="date"),
    columns=[f"S{j:02d}" for j in range(n)],
)
for j in range(5):  # a loser's prices end the day after its drawdown passes 40 %
    path = prices.iloc[:, j]
    down = np.flatnonzero(path < 0.6 * path.cummax())
    if down.size:
        prices.iloc[down[0] + 1 :, j] = np.nan
for j, first in zip(range(13, 16), (260, 400, 520), strict=True):  # late listings
    prices.iloc[:first, j] = np.nan

# %%
# Loaded as it is, the file is read point in time (``data.universe`` is set; pass
# ``ragged=False`` for the old rectangle, which would drop the dead). The universe holds each
# asset's life and the delisting return booked at its end.
data = ev.load_data(prices)
print(data.universe.lives())

# %%
# Equal weight and minimum variance, point in time and on the survivors only (the assets
# alive on the last date), traded monthly at 10 bps.
result = ev.backtest(
    ["equal_weight", "min_variance"],
    data,
    window=63,
    rebalance="monthly",
    cost_bps=10,
    survivors_only=True,
)
print(result.metrics[["sharpe", "mean_return", "max_drawdown"]].round(2))
print("survivorship bias (Sharpe):", result.settings["survivorship_bias"])
print(result.results["equal_weight"].delistings)

# %%
# The two equal-weight tracks: the survivors-only one never holds a company into its
# collapse.
wealth = pd.DataFrame({name: (1 + result.results[name].net).cumprod() for name in result.results})
px.line(wealth, labels={"value": "wealth", "variable": "portfolio"})
