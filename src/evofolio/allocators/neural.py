"""Model 1 as an Allocator: features -> training-only scaling -> chunked LSTM -> weights.

``fit(prices_train)`` builds the causal feature panel of the training prices, fits the
scaler on those rows only, and trains the network to maximise the objective of the
portfolio returns ``w_t · r_{t→t+1}``; the last training date has no next return inside
the training period and is left out. ``allocate(prices, dates)`` rebuilds the panel from
the prices it is given (history included), streams the network over it and returns the
rows of ``dates``; the row of date *t* depends on prices up to *t* only.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import torch
from torch import nn

from evofolio.config import ModelConfig, TrainingConfig
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.features import FeaturePanel, FeatureScaler, build_panel
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.training import (
    TrainConfig,
    TrainResult,
    load_checkpoint,
    predict_weights,
    save_checkpoint,
    seed_everything,
    select_device,
    train,
)
from evofolio.training.loop import Progress

logger = logging.getLogger(__name__)


def train_config(training: TrainingConfig, seed: int) -> TrainConfig:
    """The training loop's settings from the run configuration."""
    return TrainConfig(**training.model_dump(exclude={"device"}), seed=seed)


def next_returns(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """``(len(dates) - 1, N)`` returns from each date to the next one of ``dates``."""
    values = prices.loc[dates].to_numpy(dtype=np.float64)
    return values[1:] / values[:-1] - 1.0


def rows_for(frame: pd.DataFrame, dates: pd.DatetimeIndex, what: str) -> pd.DataFrame:
    """The rows of ``frame`` at ``dates``, or a clear error when the history is too short."""
    missing = dates.difference(pd.DatetimeIndex(frame.index))
    if len(missing):
        raise InsufficientHistoryError(
            f"{what} has no weights for {missing[0].date()}: its first usable date is "
            f"{frame.index[0].date()} (feature warm-up plus sequence burn-in)"
        )
    return frame.loc[dates]


class AssetLSTMAllocator:
    """Model 1 (asset-level LSTM, Zhang, Zohren & Roberts 2020) behind the Allocator contract.

    ``market`` is the market price series (for the beta features), indexed by date; only its
    values on the dates of the prices given to ``fit``/``allocate`` are read. ``on_epoch``
    receives ``(epoch, train_loss, val_loss)`` during training.
    """

    def __init__(
        self,
        model: ModelConfig,
        training: TrainingConfig,
        *,
        market: pd.Series | None = None,
        seed: int = 0,
        on_epoch: Progress | None = None,
    ) -> None:
        self.model = model
        self.training = training
        self.market = market
        self.seed = seed
        self.on_epoch = on_epoch

    def _panel(self, prices: pd.DataFrame) -> FeaturePanel:
        market = None if self.market is None else self.market.reindex(prices.index)
        return build_panel(prices, self.model.features, market)

    def fit(self, prices: pd.DataFrame) -> Self:
        panel = self._panel(prices)
        if panel.n_dates < 3:
            raise InsufficientHistoryError(
                f"Model 1 needs more training dates after the feature warm-up, got {panel.n_dates}"
            )
        inputs = panel.values[:-1]
        self.scaler_ = FeatureScaler().fit(inputs)
        config = AssetLSTMConfig(
            n_assets=panel.n_assets,
            n_features=panel.n_features,
            encoder=self.model.encoder,
            layers=self.model.layers,
            hidden=self.model.hidden,
            dropout=self.model.dropout,
            max_weight=self.model.max_weight,
            temperature=self.model.temperature,
        )
        self.device_ = select_device(self.training.device)
        seed_everything(self.seed)
        self.network_config_ = config
        self.network_: nn.Module = AssetLSTM(config).to(self.device_)
        self.train_config_ = train_config(self.training, self.seed)
        self.result_: TrainResult = train(
            self.network_,
            self.scaler_.transform(inputs),
            next_returns(prices, panel.dates),
            self.train_config_,
            device=self.device_,
            progress=self.on_epoch,
        )
        self.assets_ = prices.columns
        self.train_period_ = (panel.dates[0], panel.dates[-1])
        logger.debug("Model 1 trained: %s", self.result_)
        return self

    def weights_frame(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Weights for every date of ``prices`` past the feature warm-up."""
        if not prices.columns.equals(self.assets_):
            raise DataError(
                f"the model was trained on assets {list(self.assets_)}, got {list(prices.columns)}"
            )
        panel = self._panel(prices)
        weights = predict_weights(
            self.network_,
            self.scaler_.transform(panel.values),
            self.train_config_.seq_len,
            self.train_config_.chunk_len,
            self.device_,
        )
        usable = panel.dates[self.train_config_.seq_len :]
        return pd.DataFrame(
            weights[self.train_config_.seq_len :], index=usable, columns=self.assets_
        )

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        return rows_for(self.weights_frame(prices), dates, "Model 1")

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the fitted model, scaler and settings to one checkpoint file."""
        payload = {
            "family": "asset",
            "model": self.model.model_dump(),
            "training": self.training.model_dump(),
            "seed": self.seed,
            "assets": [str(a) for a in self.assets_],
            "train_period": [str(d.date()) for d in self.train_period_],
            **(extra or {}),
        }
        return save_checkpoint(
            path,
            self.network_,
            dataclasses.asdict(self.network_config_),
            list(self.model.features),
            self.scaler_.to_state(),
            payload,
        )

    @classmethod
    def load(cls, path: str | Path, market: pd.Series | None = None) -> AssetLSTMAllocator:
        """A fitted allocator from a checkpoint written by :meth:`save` (ready to allocate)."""
        network, payload = load_checkpoint(path)
        extra = payload["extra"]
        allocator = cls(
            ModelConfig.model_validate(extra["model"]),
            TrainingConfig.model_validate(extra["training"]),
            market=market,
            seed=int(extra["seed"]),
        )
        allocator.scaler_ = FeatureScaler.from_state(payload["scaler_state"])
        allocator.device_ = torch.device("cpu")
        allocator.network_ = network
        allocator.network_config_ = AssetLSTMConfig(**payload["model_config"])
        allocator.train_config_ = train_config(allocator.training, allocator.seed)
        allocator.assets_ = pd.Index(extra["assets"])
        start, end = extra["train_period"]
        allocator.train_period_ = (pd.Timestamp(start), pd.Timestamp(end))
        return allocator
