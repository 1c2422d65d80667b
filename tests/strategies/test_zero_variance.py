"""Assets with zero variance in the window, and solver messages that name assets by name."""

from __future__ import annotations

import numpy as np
import pytest

from evofolio.strategies import STRATEGIES, name_assets, strategy_weights

RISK_RULES = [name for name, rule in STRATEGIES.items() if rule.uses_risk]


def risky(n_days: int = 200, n_assets: int = 3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0004, 0.01 * (1 + np.arange(n_assets)), (n_days, n_assets))


def test_only_equal_weight_does_without_risk() -> None:
    assert [name for name in STRATEGIES if name != "equal_weight"] == RISK_RULES


@pytest.mark.parametrize("name", RISK_RULES)
@pytest.mark.parametrize("flat", [0.0, 1e-4])  # a constant price, a constant accrual
def test_a_riskless_column_gets_weight_zero_and_the_rest_is_the_rule_on_the_others(
    name: str, flat: float
) -> None:
    others = risky()
    with_cash = np.column_stack([others[:, :1], np.full(len(others), flat), others[:, 1:]])
    got = strategy_weights(name, with_cash, ["A", "CASH", "B", "C"])
    assert got[1] == 0.0
    np.testing.assert_allclose(got[[0, 2, 3]], strategy_weights(name, others), atol=1e-9)


def test_inverse_vol_with_cash_by_hand() -> None:
    others = risky()
    with_cash = np.column_stack([others, np.zeros(len(others))])
    inverse = 1.0 / others.std(axis=0)
    expected = np.append(inverse / inverse.sum(), 0.0)
    np.testing.assert_allclose(strategy_weights("inverse_vol", with_cash), expected, rtol=1e-6)


def test_equal_weight_keeps_the_cash_line() -> None:
    with_cash = np.column_stack([risky(), np.zeros(200)])
    np.testing.assert_allclose(strategy_weights("equal_weight", with_cash), 0.25)


@pytest.mark.parametrize("name", RISK_RULES)
def test_one_risky_asset_left_takes_everything(name: str) -> None:
    window = np.column_stack([np.zeros(100), risky(100, 1), np.zeros(100)])
    np.testing.assert_array_equal(strategy_weights(name, window), [0.0, 1.0, 0.0])


@pytest.mark.parametrize("name", RISK_RULES)
def test_no_risky_asset_is_a_failure_not_a_silent_answer(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}: no asset has variance"):
        strategy_weights(name, np.zeros((50, 3)))


def test_solver_messages_name_assets() -> None:
    message = "The following assets indices have a non positive variance: [np.int64(2), 0]"
    assert name_assets(message, ["AAA", "BBB", "CASH"]) == (
        "The following assets indices have a non positive variance: [CASH, AAA]"
    )
    untouched = "matrix of shape [3, 4] is not PSD"
    assert name_assets(untouched, ["AAA", "BBB", "CASH", "D", "E"]) == untouched
