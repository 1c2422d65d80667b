"""Model 2 as an Allocator: strategy features -> LSTM -> weights over strategies -> blend.

The strategy panel (every classic rule's held weights and returns, refit monthly) is causal by
construction (a rule's row *t* uses prices up to *t*): it is read from ``X``'s derived data
when the caller computed it once over the whole history (:func:`strategy_panel_into`), else
computed from ``X``'s prices (cached on disk). ``fit(X)`` and ``allocate(X, dates)`` read only
the panel rows on the dates of ``X``, so the row of date *t* depends on prices up to *t*.

* Inputs at *t*: the strategy features of :mod:`evofolio.features.strategy_features`
  (returns realised at *t*, turnover traded at the close of *t*, ...), standardised with
  statistics of the training rows only.
* Blend mode target: the strategies' next-day gross returns ``sum_i held_s,i(t) · r_i(t→t+1)``
  (the panel's gross return realised at *t+1*), so ``alpha(t) · g(t+1)`` is exactly the gross
  return of the blended asset weights.
* Select mode target: a one-hot label of the strategy with the best compounded gross return
  over the next ``horizon`` days; rows whose window runs past the training rows (or from the
  training into the validation slice) have no label.
* Asset weights at *t*: ``sum_s alpha_s(t) · held_s(t)``, renormalised to sum to 1.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from torch import nn

from evofolio.allocators.neural_base import NeuralAllocator, rows_for
from evofolio.allocators.strategy_panel import (
    StrategyPanel,
    derived_key,
    strategy_panel,
)
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData, as_data
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError, ParameterError
from evofolio.features import FeaturePanel
from evofolio.features.strategy_features import (
    STRATEGY_FEATURES,
    build_strategy_panel_features,
    strategy_inputs,
)
from evofolio.models.portfolio_lstm import PortfolioLSTM, PortfolioLSTMParams
from evofolio.strategies.covariance import AUTO
from evofolio.training import (
    selection_loss,
    validation_start,
)
from evofolio.training.loop import Progress

logger = logging.getLogger(__name__)


def _strategy_words(genome: Mapping[str, Any]) -> str:
    names = [
        k.removeprefix("strategy_") for k, v in genome.items() if k.startswith("strategy_") and v
    ]
    return f"Its inputs are {len(names)} classic strategies: {', '.join(names) or 'none'}."


def select_labels(next_returns: np.ndarray, horizon: int, val_start: int) -> np.ndarray:
    """One-hot labels ``(T, M)`` of the strategy with the best return over ``horizon`` rows.

    ``next_returns[t]`` is each strategy's return from row *t* to *t+1*; the label of row *t*
    compounds rows ``t .. t + horizon - 1``. Rows whose window runs past the last row, or
    (for rows before ``val_start``) past ``val_start``, get an all-zero row: no label.
    """
    n_rows = len(next_returns)
    growth = np.concatenate(
        [np.zeros((1, next_returns.shape[1])), np.cumsum(np.log1p(next_returns), axis=0)]
    )
    labels = np.zeros(next_returns.shape, dtype=np.float32)
    rows = np.arange(n_rows)
    ends = rows + horizon
    valid = (ends <= n_rows) & ((rows >= val_start) | (ends <= val_start))
    window = growth[ends[valid]] - growth[rows[valid]]
    labels[rows[valid], np.argmax(window, axis=1)] = 1.0
    return labels


class PortfolioLSTMAllocator(NeuralAllocator):
    """Model 2 (a strategy of strategies) as an estimator.

    Args:
        network: the LSTM's hyperparameters and mode
            (:class:`~evofolio.models.portfolio_lstm.PortfolioLSTMParams`).
        training: how it is trained (:class:`~evofolio.config.TrainingConfig`).
        strategies: the classic strategies blended (``None``: every registered one; at least
            2 distinct).
        horizon: select mode: the days ahead over which the best strategy is labelled.
        hard: put everything on the strategy with the largest weight.
        strategy_window, cost_bps, covariance: the strategy panel's settings (each rule's
            trailing window in days, the cost of its monthly rebalancing in bps, the
            covariance estimator).
        seed, on_epoch: as :class:`~evofolio.allocators.neural.AssetLSTMAllocator`.

    ``X``: prices, ``MarketData`` or ``AllocationData`` (whose derived data may hold the panel
    computed once over the whole history: :func:`strategy_panel_into`).
    """

    family = "portfolio"
    title = "Model 2, the portfolio-level LSTM over classic strategies"
    summary = "{layers} LSTM layer(s) of {hidden} hidden units, dropout {dropout}; it {mode}"
    network_cls: ClassVar[type[nn.Module]] = PortfolioLSTM
    reads_strategies = True
    feature_names = tuple(STRATEGY_FEATURES)

    def __init__(
        self,
        *,
        network: PortfolioLSTMParams = PortfolioLSTMParams(),
        training: TrainingConfig = TrainingConfig(),
        strategies: Sequence[str] | None = None,
        horizon: int = 5,
        hard: bool = False,
        strategy_window: int = 252,
        cost_bps: float = 10.0,
        covariance: str = AUTO,
        seed: int = 0,
        on_epoch: Progress | None = None,
    ) -> None:
        self.network = network
        self.training = training
        self.strategies = strategies
        self.horizon = horizon
        self.hard = hard
        self.strategy_window = strategy_window
        self.cost_bps = cost_bps
        self.covariance = covariance
        self.seed = seed
        self.on_epoch = on_epoch

    @classmethod
    def inputs_sentence(cls, genome: Mapping[str, Any]) -> str:
        return _strategy_words(genome)

    def _panel(self, data: AllocationData) -> StrategyPanel:
        dates = data.index
        first_decision = dates[min(self.strategy_window, len(dates) - 1)]

        def covers(panel: StrategyPanel) -> bool:
            held = next(iter(panel.results.values())).held.index
            return bool(held[-1] >= dates[-1] and held[0] <= first_decision)

        key = derived_key(self.strategy_window, self.cost_bps, self.covariance)
        return data.cached(
            key,
            lambda: strategy_panel(
                data.prices, self.strategy_window, self.cost_bps, self.covariance, data.universe
            ),
            covers,
        )

    def _names(self, panel: StrategyPanel) -> tuple[str, ...]:
        """The strategies blended, validated against the panel (``ConfigError``)."""
        names = tuple(panel.names if self.strategies is None else self.strategies)
        missing = [name for name in names if name not in panel.results]
        if missing:
            raise ConfigError(
                f"model.strategies: {missing} not in the strategy panel {list(panel.names)}"
            )
        if len(set(names)) != len(names) or len(names) < 2:
            raise ConfigError(f"model.strategies: need at least 2 distinct strategies, got {names}")
        return names

    def _features(self, data: AllocationData) -> tuple[FeaturePanel, pd.DataFrame, StrategyPanel]:
        """Strategy features on the panel rows inside the price dates, the gross returns and
        the panel."""
        prices = data.prices
        panel = self._panel(data)
        names = self._names(panel)
        first, last = prices.index[0], prices.index[-1]
        held = {name: panel.results[name].held.loc[first:last] for name in names}
        for name, frame in held.items():
            if not frame.columns.equals(prices.columns):
                raise DataError(
                    f"strategy {name!r} holds assets {list(frame.columns)}, "
                    f"the prices have {list(prices.columns)}"
                )
        returns = panel.returns(net=True).loc[first:last, list(names)]
        features = build_strategy_panel_features(strategy_inputs(returns, held, prices))
        gross = panel.returns(net=False).loc[first:last, list(names)]
        return features, gross, panel

    def check_params(self) -> Self:
        """``horizon`` >= 1; ``hard`` a boolean; ``strategies``: None or at least 2 distinct
        names (and the checks of every neural allocator)."""
        super().check_params()
        name = type(self).__name__
        if not isinstance(self.hard, bool | np.bool_):
            reason = f"must be true or false, got {self.hard!r}"
            raise ParameterError(f"{name}: hard {reason}", key="hard", reason=reason)
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise ParameterError(
                f"{name}: horizon must be an integer >= 1, got {self.horizon!r}",
                key="horizon",
                reason=f"must be an integer >= 1, got {self.horizon!r}",
            )
        if isinstance(self.strategies, str):
            reason = f"a list of strategy names, got the string {self.strategies!r}"
            raise ParameterError(f"{name}: strategies: {reason}", key="strategies", reason=reason)
        if self.strategies is not None:  # their names are checked against the panel at fit
            names = list(self.strategies)
            if len(set(names)) != len(names) or len(names) < 2:
                reason = f"need at least 2 distinct strategies, got {names}"
                raise ParameterError(
                    f"{name}: strategies: {reason}", key="strategies", reason=reason
                )
        return self

    def fit(self, X: Any, y: Any = None) -> Self:
        self.check_params()
        data = as_data(X)
        features, gross, _ = self._features(data)
        if features.n_dates < 3:
            raise InsufficientHistoryError(
                f"Model 2 needs more training dates after the strategy-feature warm-up, "
                f"got {features.n_dates}"
            )
        inputs = features.values[:-1]
        # row t: each strategy's gross return realised on the next date (t -> t+1)
        targets = gross.shift(-1).loc[features.dates[:-1]].to_numpy(dtype=np.float64, copy=True)
        loss = None
        mode = getattr(self.network, "mode", "blend")
        if mode == "select":
            val_start = validation_start(len(targets), self.training.val_frac)
            targets = select_labels(targets, self.horizon, val_start)
            labelled = targets.sum(axis=1) > 0
            no_val = val_start < len(targets) and not labelled[val_start:].any()
            if no_val or not labelled[:val_start].any():
                raise InsufficientHistoryError(
                    f"Model 2 (select) has no {self.horizon}-day label in its training or "
                    f"validation rows ({len(targets)} rows)"
                )
            loss = selection_loss
        config = self._network_config(
            n_strategies=features.n_assets, n_features=features.n_features
        )
        self._train(config, inputs, targets, data.prices, features.dates, loss)
        self.strategies_ = features.assets
        logger.debug("Model 2 trained: %s", self.result_)
        return self

    def strategy_weights(self, X: Any) -> pd.DataFrame:
        """Weights over the strategies (dates × strategies) past the warm-up and burn-in."""
        data = self._check_assets(as_data(X))
        features, _, _ = self._features(data)
        if features.assets != self.strategies_:
            raise ConfigError(
                f"the model was trained on strategies {list(self.strategies_)}, "
                f"got {list(features.assets)}"
            )
        alpha = self._stream(features.values)
        if self.hard:
            alpha = np.eye(alpha.shape[1])[np.argmax(alpha, axis=1)]
        usable = features.dates[self.training.seq_len :]
        return pd.DataFrame(alpha, index=usable, columns=list(self.strategies_))

    def weights_frame(self, X: Any) -> pd.DataFrame:
        """Asset weights ``sum_s alpha_s(t) · held_s(t)`` for every usable date of ``X``."""
        data = as_data(X)
        alpha = self.strategy_weights(data)
        panel = self._panel(data)
        held = np.stack(
            [
                panel.results[name].held.loc[alpha.index].to_numpy(dtype=np.float64)
                for name in alpha.columns
            ],
            axis=1,
        )  # (dates, strategies, assets)
        blend = np.einsum("tm,tmn->tn", alpha.to_numpy(), held)
        fallback = np.full_like(blend, 1.0 / blend.shape[1])
        if data.universe is not None:  # a drifted holding that left the universe: sold at t
            frame = data.universe.on(pd.DatetimeIndex(alpha.index)).investable()
            allowed = frame.reindex(columns=self.assets_).to_numpy(bool)
            blend = np.where(allowed, blend, 0.0)
            fallback = allowed / np.maximum(allowed.sum(axis=1, keepdims=True), 1)
        total = blend.sum(axis=1, keepdims=True)
        blend = np.divide(blend, total, out=fallback, where=total > 0)
        return pd.DataFrame(blend, index=alpha.index, columns=self.assets_)

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        data = as_data(X)
        return rows_for(self.weights_frame(data), dates, "Model 2", data.index)

    def _payload(self) -> dict[str, Any]:
        return {"strategies_fitted": list(self.strategies_)}

    def _set_payload(self, extra: dict[str, Any]) -> None:
        self.strategies_ = tuple(extra["strategies_fitted"])
