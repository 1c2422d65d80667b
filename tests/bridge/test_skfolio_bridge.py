"""evofolio allocators inside skfolio: cross_val_predict with WalkForward, Population."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skfolio import Population, RiskMeasure
from skfolio.model_selection import WalkForward, cross_val_predict
from skfolio.optimization import (
    EqualWeighted,
    HierarchicalRiskParity,
    MeanRisk,
    ObjectiveFunction,
)
from skfolio.portfolio import MultiPeriodPortfolio

import evofolio as ev
from evofolio.allocators.bridge import prices_from_returns
from evofolio.config import TrainingConfig
from synthetic import random_prices


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    prices = random_prices(n_days=700, n_assets=5, seed=3)
    return prices.pct_change().iloc[1:]


def test_prices_rebuilt_from_returns_give_the_same_returns(returns: pd.DataFrame) -> None:
    prices = prices_from_returns(returns)
    assert len(prices) == len(returns) + 1 and prices.index[0] < returns.index[0]
    np.testing.assert_allclose(
        prices.pct_change().iloc[1:].to_numpy(), returns.to_numpy(), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize(
    ("rule", "theirs"),
    [
        (
            "min_variance",
            MeanRisk(
                objective_function=ObjectiveFunction.MINIMIZE_RISK,
                risk_measure=RiskMeasure.VARIANCE,
            ),
        ),
        ("hrp", HierarchicalRiskParity(risk_measure=RiskMeasure.VARIANCE)),
        ("equal_weight", EqualWeighted()),
    ],
)
def test_a_classic_rule_through_the_bridge_is_skfolios_own(
    returns: pd.DataFrame, rule: str, theirs: object
) -> None:
    cv = WalkForward(train_size=252, test_size=63)
    ours = ev.ClassicAllocator(rule, 252, covariance="empirical").as_optimization()
    mine = cross_val_predict(ours, returns, cv=cv)
    reference = cross_val_predict(theirs, returns, cv=cv)
    assert isinstance(mine, MultiPeriodPortfolio) and len(mine.portfolios) == len(
        reference.portfolios
    )
    for a, b in zip(mine.portfolios, reference.portfolios, strict=True):
        np.testing.assert_allclose(a.weights, b.weights, atol=1e-8, rtol=0)
    np.testing.assert_allclose(mine.returns, reference.returns, atol=1e-8, rtol=0)


def test_the_bridge_decides_at_the_end_of_the_training_window(returns: pd.DataFrame) -> None:
    # the weights of a fold read the training returns only: moving the test rows changes nothing
    bridge = ev.ClassicAllocator("min_variance", 200, covariance="empirical").as_optimization()
    fitted = bridge.fit(returns.iloc[:300])
    moved = returns.copy()
    moved.iloc[300:] *= -3.0
    again = ev.AllocatorOptimization(bridge.allocator).fit(moved.iloc[:300])
    np.testing.assert_array_equal(fitted.weights_, again.weights_)
    changed = ev.AllocatorOptimization(bridge.allocator).fit(returns.iloc[:301])
    assert not np.allclose(changed.weights_, fitted.weights_)


def test_a_one_epoch_lstm_through_the_bridge_gives_a_valid_portfolio(returns: pd.DataFrame) -> None:
    training = TrainingConfig(epochs=1, seq_len=10, chunk_len=20, batch_size=8, device="cpu")
    model = ev.AssetLSTMAllocator(training=training, features=("ret_1", "vol_21"))
    model.set_params(network__hidden=8)
    cv = WalkForward(train_size=300, test_size=100)
    portfolio = cross_val_predict(model.as_optimization(), returns, cv=cv)
    folds = len(list(cv.split(returns)))
    assert isinstance(portfolio, MultiPeriodPortfolio) and len(portfolio.portfolios) == folds >= 3
    for part in portfolio.portfolios:
        assert (part.weights >= 0).all() and abs(part.weights.sum() - 1.0) < 1e-6
    population = Population(
        [portfolio, cross_val_predict(HierarchicalRiskParity(), returns, cv=cv)]
    )
    assert np.isfinite(population.summary().loc["Annualized Sharpe Ratio"].astype(float)).all()
