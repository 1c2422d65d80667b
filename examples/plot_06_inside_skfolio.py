"""
An evofolio model inside skfolio
================================

``allocator.as_optimization()`` (or :class:`evofolio.AllocatorOptimization`) makes any
evofolio allocator a skfolio optimiser: ``fit`` on the assets' *returns*, then ``weights_``
is the allocator's decision at the close of the last training day, held over the test window
as skfolio holds every optimiser's weights. So an LSTM runs in ``cross_val_predict`` with
``WalkForward`` and sits in a ``Population`` beside skfolio's own optimisers.
"""

# %%
# Five stocks of the S&P 500 data that ships with skfolio (no download), daily returns from
# 2015, walked forward: fit on two years, hold a quarter, repeat.
from skfolio import Population
from skfolio.datasets import load_sp500_dataset
from skfolio.model_selection import WalkForward, cross_val_predict
from skfolio.optimization import HierarchicalRiskParity
from skfolio.preprocessing import prices_to_returns

import evofolio as ev

X = prices_to_returns(load_sp500_dataset()).loc["2015":, ["AAPL", "AMD", "JPM", "XOM", "KO"]]
cv = WalkForward(train_size=504, test_size=63)

# %%
# A tiny Model 1 (8 hidden units, 1 epoch: seconds per fold), a classic rule through the
# same bridge, and skfolio's own hierarchical risk parity.
lstm = ev.AssetLSTMAllocator(features=("ret_1", "ret_21", "vol_21"), seed=0)
lstm.set_params(network__hidden=8, training__epochs=1, training__device="cpu")
population = Population(
    [
        cross_val_predict(lstm.as_optimization(), X, cv=cv, portfolio_params={"name": "LSTM"}),
        cross_val_predict(
            ev.ClassicAllocator("min_variance", 504).as_optimization(),
            X,
            cv=cv,
            portfolio_params={"name": "min variance (evofolio)"},
        ),
        cross_val_predict(
            HierarchicalRiskParity(), X, cv=cv, portfolio_params={"name": "HRP (skfolio)"}
        ),
    ]
)
population.summary().loc[["Annualized Sharpe Ratio", "MAX Drawdown"]]

# %%
# skfolio's own plots work on the result (here the cumulative returns of the three):
fig = population.plot_cumulative_returns()
fig.update_layout(height=380)
fig
