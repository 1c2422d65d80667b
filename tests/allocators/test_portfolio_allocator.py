"""Model 2 behind the Allocator contract: valid blends, causal, select mode learns, seeded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evofolio.allocators.portfolio import PortfolioLSTMAllocator, select_labels
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
    build_strategy_panel,
    derived_key,
    strategy_panel_into,
)
from evofolio.backtesting import BacktestResult
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError, ParameterError
from evofolio.models.portfolio_lstm import PortfolioLSTM, PortfolioLSTMParams
from evofolio.strategies import STRATEGIES
from evofolio.training import load_checkpoint

ALL = list(STRATEGIES)
THREE = ["equal_weight", "inverse_vol", "min_variance"]
TRAINING = TrainingConfig(epochs=2, seq_len=10, chunk_len=20, batch_size=8, device="cpu")
WINDOW = 60  # the strategy panel's trailing window


def random_prices(n_days: int, n_assets: int, seed: int) -> pd.DataFrame:
    """Geometric random walks (like ``tests/conftest.py``; importing ``conftest`` by name is
    ambiguous when several test folders have one)."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, 0.012, (n_days, n_assets)) + rng.normal(3e-4, 2e-4, n_assets)
    index = pd.bdate_range("2000-01-03", periods=n_days, name="date")
    columns = [f"A{i}" for i in range(n_assets)]
    return pd.DataFrame(100.0 * np.exp(np.cumsum(shocks, axis=0)), index=index, columns=columns)


def allocator(
    strategies: list[str] | None = None,
    training: TrainingConfig = TRAINING,
    *,
    seed: int = 0,
    horizon: int = 5,
    hard: bool = False,
    **network: object,
) -> PortfolioLSTMAllocator:
    return PortfolioLSTMAllocator(
        network=PortfolioLSTMParams.model_validate({"hidden": 8, **network}),
        training=training,
        strategies=strategies,
        horizon=horizon,
        hard=hard,
        strategy_window=WINDOW,
        seed=seed,
    )


def head(data: AllocationData, rows: int) -> AllocationData:
    """The first ``rows`` dates of ``data`` (the derived strategy panel shared)."""
    return data.loc[data.index[:rows]]


@pytest.fixture(scope="module")
def long_prices() -> pd.DataFrame:
    return random_prices(n_days=500, n_assets=4, seed=7)


@pytest.fixture(scope="module")
def data(long_prices: pd.DataFrame) -> AllocationData:
    """The prices with the strategy panel computed once over the whole history."""
    data = AllocationData(long_prices)
    strategy_panel_into(data, WINDOW)
    return data


@pytest.fixture(scope="module")
def panel(data: AllocationData) -> StrategyPanel:
    panel = data.derived[derived_key(WINDOW, 10.0, "auto")]
    assert isinstance(panel, StrategyPanel) and list(panel.names) == ALL
    return panel


@pytest.fixture(scope="module")
def fitted(data: AllocationData) -> PortfolioLSTMAllocator:
    model = allocator(THREE, seed=3)
    assert model.fit(head(data, 330)) is model
    return model


@pytest.mark.parametrize(
    "subset",
    [["equal_weight", "hrp"], ["max_sharpe", "min_variance", "risk_parity"], ALL, None],
)
@pytest.mark.parametrize("mode", ["blend", "select"])
def test_blend_weights_are_valid_for_any_subset(
    subset: list[str] | None,
    mode: str,
    data: AllocationData,
    panel: StrategyPanel,
    long_prices: pd.DataFrame,
) -> None:
    model = allocator(subset, mode=mode)
    model.fit(head(data, 330))
    dates = long_prices.index[250:500:3]
    weights = model.allocate(data, dates)
    assert weights.index.equals(dates) and weights.columns.equals(long_prices.columns)
    assert np.isfinite(weights.to_numpy()).all() and (weights.to_numpy() >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-9)
    alpha = model.strategy_weights(data).loc[dates]
    assert list(alpha.columns) == (subset or ALL)
    held = {s: panel.results[s].held.loc[dates] for s in alpha.columns}
    blend = sum(held[s].mul(alpha[s], axis=0) for s in alpha.columns)
    pd.testing.assert_frame_equal(weights, blend.div(blend.sum(axis=1), axis=0), check_freq=False)


def test_weights_before_a_date_ignore_prices_after_it(long_prices: pd.DataFrame) -> None:
    cut = long_prices.index[420]
    changed = long_prices.copy()
    after = changed.index > cut
    changed.loc[after] *= np.random.default_rng(0).uniform(0.7, 1.4, changed.loc[after].shape)
    runs = []
    for prices in (long_prices, changed):
        data = AllocationData(prices)
        strategy_panel_into(data, WINDOW)  # over the whole history
        model = allocator(THREE, seed=1).fit(head(data, 330))
        runs.append(model.allocate(data, prices.index[250:500]))
    base, other = runs
    # (check_freq: a panel read from the disk cache has lost its index's freq)
    pd.testing.assert_frame_equal(base.loc[:cut], other.loc[:cut], check_freq=False)
    assert not np.allclose(base.loc[cut:].iloc[2:].to_numpy(), other.loc[cut:].iloc[2:].to_numpy())
    # given plain prices, the panel is computed from them (fit: on the training dates only)
    plain = allocator(THREE, seed=1).fit(long_prices.iloc[:330])
    pd.testing.assert_frame_equal(
        plain.allocate(long_prices, long_prices.index[250:500]), base, check_freq=False
    )


def test_seeded_training_repeats_exactly(data: AllocationData) -> None:
    results = []
    for seed in (5, 5, 6):
        model = allocator(THREE, seed=seed, dropout=0.2, layers=2).fit(head(data, 330))
        results.append((model.result_.history, model.weights_frame(data)))
    assert results[0][0] == results[1][0]
    pd.testing.assert_frame_equal(results[0][1], results[1][1])
    assert results[0][0] != results[2][0]


def test_checkpoint_round_trip(
    fitted: PortfolioLSTMAllocator, data: AllocationData, long_prices: pd.DataFrame, tmp_path: Path
) -> None:
    path = fitted.save(tmp_path / "model2.pt")
    loaded = PortfolioLSTMAllocator.load(path)  # no panel: it comes with X at allocate time
    dates = long_prices.index[400:450]
    pd.testing.assert_frame_equal(fitted.allocate(data, dates), loaded.allocate(data, dates))
    assert loaded.get_params() == fitted.get_params() and loaded.strategies_ == tuple(THREE)
    assert loaded.network_config_ == fitted.network_config_
    # the estimator's parameters and the fitted strategies, nothing of the earlier layout
    _, payload = load_checkpoint(path, {"portfolio": PortfolioLSTM})
    extra = payload["extra"]
    assert extra["params"]["network"] == fitted.network.model_dump(mode="json")
    assert extra["params"]["strategies"] == THREE and extra["params"]["seed"] == 3
    assert extra["params"]["strategy_window"] == WINDOW
    assert extra["strategies_fitted"] == THREE
    assert not {"model", "training", "seed", "hard", "mode", "strategies"} & set(extra)


def test_hard_selection_holds_one_strategy(data: AllocationData, panel: StrategyPanel) -> None:
    model = allocator(THREE, mode="select", hard=True).fit(head(data, 330))
    alpha = model.strategy_weights(data)
    assert set(np.unique(alpha.to_numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(alpha.sum(axis=1), 1.0)
    date = alpha.index[-1]
    chosen = alpha.loc[date].idxmax()
    held = panel.results[chosen].held.loc[date]
    pd.testing.assert_series_equal(
        model.allocate(data, alpha.index[-1:]).iloc[0],
        held / held.sum(),
        check_names=False,
    )


def test_select_labels_exclude_windows_past_the_training_rows() -> None:
    nxt = np.array([[0.05, 0.0], [0.0, 0.1], [0.0, 0.3], [0.2, 0.0], [0.3, 0.0], [0.0, 0.1]])
    labels = select_labels(nxt, horizon=2, val_start=4)
    expected = [[0, 1], [0, 1], [0, 1], [0, 0], [1, 0], [0, 0]]  # row 3 crosses into validation
    np.testing.assert_array_equal(labels, expected)


def regime_panel(n_days: int = 1400, seed: int = 0) -> tuple[pd.DataFrame, StrategyPanel]:
    """Strategy A (all in asset 0) earns a drift of +-0.4 % a day by persistent regime, B (all
    in asset 1) none (noise 0.3 % a day): A wins when its own trailing returns are high."""
    rng = np.random.default_rng(seed)
    switch = rng.random(n_days) < 1 / 60
    regime = np.cumsum(switch) % 2 == 0
    rets = rng.normal(0.0, 0.003, (n_days, 2))
    rets[:, 0] += np.where(regime, 0.004, -0.004)
    rets[0] = 0.0
    dates = pd.bdate_range("2000-01-03", periods=n_days)
    prices = pd.DataFrame(100 * np.cumprod(1 + rets, axis=0), index=dates, columns=["X", "Y"])
    results = {}
    for name, asset in (("A", 0), ("B", 1)):
        held = pd.DataFrame(np.eye(2)[[asset] * n_days], index=dates, columns=prices.columns)
        gross = pd.Series(rets[1:, asset], index=dates[1:])
        zero = gross * 0.0
        results[name] = BacktestResult(held, held, gross, gross, zero, zero)
    return prices, StrategyPanel(results)


def test_select_mode_picks_the_winning_strategy_out_of_sample() -> None:
    prices, panel = regime_panel()
    training = TrainingConfig(
        epochs=40, seq_len=20, chunk_len=50, batch_size=8, lr=1e-2, device="cpu"
    )
    model = allocator(["A", "B"], training, mode="select", horizon=5)
    key = derived_key(model.strategy_window, model.cost_bps, model.covariance)
    data = AllocationData(prices, derived={key: panel})  # the strategies' panel, given in X
    model.fit(head(data, 1000))
    alpha = model.strategy_weights(data).iloc[-400:-5]
    ahead = np.log(prices).diff(5).shift(-5).loc[alpha.index]  # the next 5 days' returns
    truth = np.where(ahead["X"] > ahead["Y"], "A", "B")
    accuracy = float((alpha.idxmax(axis=1).to_numpy() == truth).mean())
    assert accuracy > 0.75, accuracy


def test_clear_errors(
    fitted: PortfolioLSTMAllocator, data: AllocationData, long_prices: pd.DataFrame
) -> None:
    with pytest.raises(ConfigError, match="at least 2"):
        allocator(["hrp"]).fit(data)
    with pytest.raises(ConfigError, match="'nope'"):
        allocator(["hrp", "nope"]).fit(data)
    with pytest.raises(ParameterError, match="horizon"):
        allocator(THREE, horizon=0).fit(data)
    with pytest.raises(InsufficientHistoryError, match="first usable date"):
        fitted.allocate(data, long_prices.index[:5])
    with pytest.raises(DataError, match="trained on .* assets.*missing"):
        fitted.allocate(long_prices.iloc[:, :3], long_prices.index[400:410])
    with pytest.raises(InsufficientHistoryError):
        allocator(THREE).fit(head(data, 130))


def test_a_panel_in_x_that_ends_too_early_is_computed_again(
    fitted: PortfolioLSTMAllocator, data: AllocationData, long_prices: pd.DataFrame
) -> None:
    key = derived_key(WINDOW, 10.0, "auto")
    short = build_strategy_panel(long_prices.iloc[:450], THREE, window=WINDOW)
    given = AllocationData(long_prices, derived={key: short})
    dates = long_prices.index[400:500]
    # the panel given does not reach the last price date: it is computed from X's prices
    pd.testing.assert_frame_equal(
        fitted.allocate(given, dates), fitted.allocate(data, dates), check_freq=False
    )
    assert given.derived[key] is not short
    pd.testing.assert_frame_equal(
        given.derived[key].returns(), data.derived[key].returns(), check_freq=False
    )
