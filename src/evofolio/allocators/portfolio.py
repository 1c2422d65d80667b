"""Model 2 as an Allocator: strategy features -> LSTM -> weights over strategies -> blend.

The strategy panel (every classic rule's held weights and returns) is computed once by the
caller over the whole history; it is causal by construction (a rule's row *t* uses prices up
to *t*). ``fit(prices_train)`` and ``allocate(prices, dates)`` read only the panel rows on
the dates of the prices they are given, so the row of date *t* depends on prices up to *t*.

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
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from evofolio.allocators.neural_base import NeuralAllocatorBase, rows_for, train_config
from evofolio.allocators.strategy_panel import StrategyPanel
from evofolio.config import ModelConfig, TrainingConfig
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError
from evofolio.features import FeaturePanel
from evofolio.features.strategy_features import (
    STRATEGY_FEATURES,
    build_strategy_panel_features,
    strategy_inputs,
)
from evofolio.models.portfolio_lstm import PortfolioLSTM, PortfolioLSTMConfig
from evofolio.training import (
    selection_loss,
    validation_start,
)
from evofolio.training.loop import Progress

logger = logging.getLogger(__name__)


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


class PortfolioLSTMAllocator(NeuralAllocatorBase):
    """Model 2 (a strategy of strategies) behind the Allocator contract.

    ``panel`` holds the strategies named by ``model.strategies`` (``None``: every strategy of
    the panel, at least 2). ``hard`` puts everything on the strategy with the largest
    weight (meant for select mode; otherwise the weights blend the strategies). ``on_epoch``
    receives ``(epoch, train_loss, val_loss)`` during training. Of the model settings, Model 2
    reads ``strategies``, ``mode``, ``horizon``, ``encoder``, ``layers``, ``hidden``,
    ``dropout`` and ``temperature``; ``features`` and ``max_weight`` are Model 1's.
    """

    family = "portfolio"
    feature_names = tuple(STRATEGY_FEATURES)

    def __init__(
        self,
        model: ModelConfig,
        training: TrainingConfig,
        *,
        panel: StrategyPanel,
        seed: int = 0,
        on_epoch: Progress | None = None,
        hard: bool = False,
    ) -> None:
        super().__init__(model, training, seed=seed, on_epoch=on_epoch)
        self.panel = panel
        self.hard = hard

    def strategies(self) -> tuple[str, ...]:
        """The strategies blended, validated against the panel (``ConfigError``)."""
        names = tuple(self.panel.names if self.model.strategies is None else self.model.strategies)
        missing = [name for name in names if name not in self.panel.results]
        if missing:
            raise ConfigError(
                f"model.strategies: {missing} not in the strategy panel {list(self.panel.names)}"
            )
        if len(set(names)) != len(names) or len(names) < 2:
            raise ConfigError(f"model.strategies: need at least 2 distinct strategies, got {names}")
        return names

    def _features(self, prices: pd.DataFrame) -> tuple[FeaturePanel, pd.DataFrame]:
        """Strategy features on the panel rows inside the price dates, and the gross returns."""
        names = self.strategies()
        first, last = prices.index[0], prices.index[-1]
        ends = self.panel.results[names[0]].held.index[-1]
        if ends < last:
            raise DataError(
                f"the strategy panel ends on {ends.date()}, before the last price date "
                f"{last.date()}: build it over the whole history"
            )
        held = {name: self.panel.results[name].held.loc[first:last] for name in names}
        for name, frame in held.items():
            if not frame.columns.equals(prices.columns):
                raise DataError(
                    f"strategy {name!r} holds assets {list(frame.columns)}, "
                    f"the prices have {list(prices.columns)}"
                )
        returns = self.panel.returns(net=True).loc[first:last, list(names)]
        features = build_strategy_panel_features(strategy_inputs(returns, held, prices))
        gross = self.panel.returns(net=False).loc[first:last, list(names)]
        return features, gross

    def fit(self, prices: pd.DataFrame) -> Self:
        features, gross = self._features(prices)
        if features.n_dates < 3:
            raise InsufficientHistoryError(
                f"Model 2 needs more training dates after the strategy-feature warm-up, "
                f"got {features.n_dates}"
            )
        inputs = features.values[:-1]
        # row t: each strategy's gross return realised on the next date (t -> t+1)
        targets = gross.shift(-1).loc[features.dates[:-1]].to_numpy(dtype=np.float64, copy=True)
        self.train_config_ = train_config(self.training, self.seed)
        loss = None
        if self.model.mode == "select":
            val_start = validation_start(len(targets), self.train_config_.val_frac)
            targets = select_labels(targets, self.model.horizon, val_start)
            labelled = targets.sum(axis=1) > 0
            no_val = val_start < len(targets) and not labelled[val_start:].any()
            if no_val or not labelled[:val_start].any():
                raise InsufficientHistoryError(
                    f"Model 2 (select) has no {self.model.horizon}-day label in its training or "
                    f"validation rows ({len(targets)} rows)"
                )
            loss = selection_loss
        config = PortfolioLSTMConfig(
            n_strategies=features.n_assets,
            n_features=features.n_features,
            encoder=self.model.encoder,
            layers=self.model.layers,
            hidden=self.model.hidden,
            dropout=self.model.dropout,
            temperature=self.model.temperature,
            mode=self.model.mode,
        )
        self._train(config, PortfolioLSTM, inputs, targets, prices, features.dates, loss)
        self.strategies_ = features.assets
        logger.debug("Model 2 trained: %s", self.result_)
        return self

    def strategy_weights(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Weights over the strategies (dates × strategies) past the warm-up and burn-in."""
        self._check_assets(prices)
        features, _ = self._features(prices)
        if features.assets != self.strategies_:
            raise ConfigError(
                f"the model was trained on strategies {list(self.strategies_)}, "
                f"got {list(features.assets)}"
            )
        alpha = self._stream(features.values)
        if self.hard:
            alpha = np.eye(alpha.shape[1])[np.argmax(alpha, axis=1)]
        usable = features.dates[self.train_config_.seq_len :]
        return pd.DataFrame(alpha, index=usable, columns=list(self.strategies_))

    def weights_frame(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Asset weights ``sum_s alpha_s(t) · held_s(t)`` for every usable date of ``prices``."""
        alpha = self.strategy_weights(prices)
        held = np.stack(
            [
                self.panel.results[name].held.loc[alpha.index].to_numpy(dtype=np.float64)
                for name in alpha.columns
            ],
            axis=1,
        )  # (dates, strategies, assets)
        blend = np.einsum("tm,tmn->tn", alpha.to_numpy(), held)
        total = blend.sum(axis=1, keepdims=True)
        blend = np.divide(
            blend, total, out=np.full_like(blend, 1.0 / blend.shape[1]), where=total > 0
        )
        return pd.DataFrame(blend, index=alpha.index, columns=self.assets_)

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        return rows_for(self.weights_frame(prices), dates, "Model 2")

    def _payload(self) -> dict[str, Any]:
        return {"hard": self.hard, "mode": self.model.mode, "strategies": list(self.strategies_)}

    @classmethod
    def load(cls, path: str | Path, panel: StrategyPanel) -> PortfolioLSTMAllocator:
        """A fitted allocator from a checkpoint written by :meth:`save`, reading ``panel``."""
        network, payload = cls.read(path)
        extra = payload["extra"]
        if not isinstance(network, PortfolioLSTM):
            raise DataError(f"checkpoint {path}: not a Model 2 (portfolio) checkpoint")
        if payload["feature_names"] != list(STRATEGY_FEATURES):
            raise DataError(
                f"checkpoint {path}: strategy features {payload['feature_names']} differ from "
                f"this version's {list(STRATEGY_FEATURES)}"
            )
        model = ModelConfig.model_validate(extra["model"])
        allocator = cls(
            model.model_copy(update={"strategies": list(extra["strategies"])}),
            TrainingConfig.model_validate(extra["training"]),
            panel=panel,
            seed=int(extra["seed"]),
            hard=bool(extra["hard"]),
        )
        allocator.strategies()
        allocator._restore(network, payload, PortfolioLSTMConfig)
        allocator.strategies_ = tuple(extra["strategies"])
        return allocator
