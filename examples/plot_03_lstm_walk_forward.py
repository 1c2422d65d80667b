"""
One LSTM, walked forward
========================

Model 1, the asset-level LSTM (Zhang, Zohren & Roberts 2020), as a scikit-learn-style
estimator: settings in the constructor, ``fit(X)`` learns, ``allocate(X, dates)`` decides at
each close from the past only. :func:`evofolio.train` walks it forward through the
development period: refit every year on the dates before, traded on the next, after costs.
The network here is tiny (8 hidden units, 2 epochs) so that the page builds in seconds.
"""

# %%
import numpy as np
import pandas as pd
import plotly.express as px
from sklearn.base import clone

import evofolio as ev

rng = np.random.default_rng(1)
dates = pd.bdate_range("2010-01-01", periods=1200, name="date")
prices = pd.DataFrame(
    100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, (1200, 4)), axis=0)),
    index=dates,
    columns=["AAA", "BBB", "CCC", "DDD"],
)

# %%
# The estimator
# -------------
# Nested parameters, as in scikit-learn: ``network__*`` for the network, ``training__*`` for
# how it is trained. ``clone`` copies the settings, never a fitted state.
model = ev.AssetLSTMAllocator(features=("ret_1", "ret_21", "vol_21"))
model.set_params(network__hidden=8, training__epochs=2, training__device="cpu", seed=0)
print(clone(model).get_params()["network__hidden"])

# %%
# Fitted on the first 800 days, it decides weights at later closes: long-only, each row
# summing to 1, to hold from the next day.
fitted = clone(model).fit(prices.iloc[:800])
weights = fitted.allocate(prices, prices.index[800::21])
weights.round(3).head()

# %%
# Walked forward
# --------------
# One fit per fold (refit every year on all the dates before it), the out-of-sample
# stretches chained into one track, 10 bps of costs, the holdout (the last 20 % of the
# dates) never touched.
walked = ev.train(model, prices, retrain_years=1, min_train_days=500)
print(len(walked.models), "fits")
metrics = walked.metrics()
print({key: round(metrics[key], 3) for key in ("sharpe", "max_drawdown", "annual_turnover")})

# %%
# Its weights over the walk-forward, decision by decision:
fig = px.area(
    walked.backtest.weights, labels={"value": "weight", "variable": "asset", "index": "date"}
)
fig.update_layout(height=380, margin={"t": 30})
fig
