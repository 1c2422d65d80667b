"""
The classic rules, backtested
=============================

The baselines every evofolio model is judged against: equal weight, inverse volatility,
minimum variance, maximum Sharpe, risk parity, maximum diversification and hierarchical risk
parity, each refit on a trailing window and traded after costs. :func:`evofolio.backtest`
runs them on any prices; ``evofolio backtest`` is the same from the command line.
"""

# %%
import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev

rng = np.random.default_rng(3)
dates = pd.bdate_range("2010-01-01", periods=900, name="date")
vols = np.array([0.008, 0.012, 0.016, 0.020])
steps = rng.normal(0.0003, 1.0, size=(900, 4)) * vols
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["LOW", "MID", "HIGH", "WILD"]
)

# %%
# Four rules, monthly on 60 days of returns, 10 bps of costs on the traded amount. Every
# metric is net of costs, over the days after the first decision.
run = ev.backtest(
    ["equal_weight", "inverse_vol", "min_variance", "hrp"],
    prices,
    rebalance="monthly",
    window=60,
    cost_bps=10,
)
run.metrics[["sharpe", "mean_return", "volatility", "max_drawdown", "annual_turnover"]].round(3)

# %%
# Each rule's :class:`~evofolio.backtesting.BacktestResult` holds its weights, the weights it
# actually held (drifting between rebalances), its gross and net returns (``gross``,
# ``net``), turnover and costs.
growth = pd.DataFrame({name: (1 + result.net).cumprod() for name, result in run.results.items()})
fig = px.line(growth, labels={"value": "growth of 1, net", "variable": "rule"})
fig.update_layout(height=380, margin={"t": 30})
fig

# %%
# Minimum variance leans on the low-volatility asset, as it should:
run.results["min_variance"].weights.iloc[-1].round(3)
