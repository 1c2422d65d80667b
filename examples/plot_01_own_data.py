"""
Your own prices, in a notebook
==============================

evofolio takes any :class:`pandas.DataFrame` of adjusted closing prices, one row per date
and one column per asset, exactly as it takes a CSV or parquet file: the frame goes through
the same checks (dates, gaps, non-positive prices, suspect one-day jumps) and comes back as
:class:`evofolio.MarketData`.
"""

# %%
# Prices
# ------
# Here three random walks over five and a half years of business days; in practice, the
# frame you already have (``pd.read_csv(..., index_col=0, parse_dates=True)``, a database
# query, ``yfinance.download(...)["Close"]``).
import numpy as np
import pandas as pd
import plotly.express as px

import evofolio as ev

rng = np.random.default_rng(7)
dates = pd.bdate_range("2004-01-01", periods=1400, name="date")
steps = rng.normal(0.0003, 0.012, size=(1400, 3))
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=["AAA", "BBB", "CCC"]
)
prices.head()

# %%
# Load and check
# --------------
# :func:`evofolio.load_data` validates the frame and adds a market series for the beta
# features (without one, the equal-weight average of the assets).
data = ev.load_data(prices)
print(data.source, data.prices.shape, data.prices.index[0].date(), data.prices.index[-1].date())
print(data.report)

# %%
# A gap of a few days is forward-filled (``max_ffill_days``, 5 by default) and reported; a
# bad price is one :class:`evofolio.DataError` naming the column and the date.
broken = prices.copy()
broken.iloc[10, 1] = -1.0
try:
    ev.load_data(broken)
except ev.DataError as error:
    print("DataError:", error)

# %%
# The prices, growth of 100
# -------------------------
fig = px.line(data.prices, labels={"value": "price", "variable": "asset"})
fig.update_layout(height=380, margin={"t": 30})
fig
