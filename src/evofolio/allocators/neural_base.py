"""What Model 1's and Model 2's allocators share: training a network on scaled inputs,
streaming it over a series, and the checkpoint that holds a fitted allocator."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from evofolio.config import ModelConfig, TrainingConfig
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.features import FeatureScaler
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
from evofolio.training.losses import ChunkLoss


def train_config(training: TrainingConfig, seed: int) -> TrainConfig:
    """The training loop's settings from the run configuration."""
    return TrainConfig(**training.model_dump(exclude={"device"}), seed=seed)


def rows_for(frame: pd.DataFrame, dates: pd.DatetimeIndex, what: str) -> pd.DataFrame:
    """The rows of ``frame`` at ``dates``, or a clear error when the history is too short."""
    missing = dates.difference(pd.DatetimeIndex(frame.index))
    if len(missing):
        raise InsufficientHistoryError(
            f"{what} has no weights for {missing[0].date()}: its first usable date is "
            f"{frame.index[0].date()} (feature warm-up plus sequence burn-in)"
        )
    return frame.loc[dates]


class NeuralAllocatorBase:
    """Settings and fitted state common to the neural allocators (see the subclasses).

    Fitted attributes: ``scaler_`` (fitted on training rows only), ``network_`` and its
    dataclass config ``network_config_``, ``device_``, ``train_config_``, ``result_``,
    ``assets_`` and ``train_period_``.
    """

    family = ""
    feature_names: tuple[str, ...] = ()

    def __init__(
        self,
        model: ModelConfig,
        training: TrainingConfig,
        *,
        seed: int = 0,
        on_epoch: Progress | None = None,
    ) -> None:
        self.model = model
        self.training = training
        self.seed = seed
        self.on_epoch = on_epoch

    def _train(
        self,
        network_config: Any,
        network_cls: type[nn.Module],
        inputs: np.ndarray,
        targets: np.ndarray,
        prices: pd.DataFrame,
        dates: pd.DatetimeIndex,
        loss: ChunkLoss | None = None,
    ) -> None:
        """Fit the scaler on ``inputs`` (training rows), build and train the network."""
        self.scaler_ = FeatureScaler().fit(inputs)
        self.train_config_ = train_config(self.training, self.seed)
        self.device_ = select_device(self.training.device)
        seed_everything(self.seed)
        self.network_config_ = network_config
        self.network_: nn.Module = network_cls(network_config).to(self.device_)
        self.result_: TrainResult = train(
            self.network_,
            self.scaler_.transform(inputs),
            targets,
            self.train_config_,
            device=self.device_,
            progress=self.on_epoch,
            loss=loss,
        )
        self.assets_ = prices.columns
        self.train_period_ = (dates[0], dates[-1])

    def _check_assets(self, prices: pd.DataFrame) -> None:
        if not prices.columns.equals(self.assets_):
            raise DataError(
                f"the model was trained on assets {list(self.assets_)}, got {list(prices.columns)}"
            )

    def _stream(self, values: np.ndarray) -> np.ndarray:
        """The network's outputs for every row of ``values`` (time, items, features), minus
        the first ``seq_len`` rows, whose burn-in is incomplete."""
        seq_len = self.train_config_.seq_len
        outputs = predict_weights(
            self.network_,
            self.scaler_.transform(values),
            seq_len,
            self.train_config_.chunk_len,
            self.device_,
        )
        return outputs[seq_len:]

    def _payload(self) -> dict[str, Any]:
        """The family-specific part of the checkpoint's ``extra`` (subclasses add to it)."""
        return {}

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the fitted network, scaler and settings to one checkpoint file."""
        payload = {
            "family": self.family,
            "model": self.model.model_dump(),
            "training": self.training.model_dump(),
            "seed": self.seed,
            "assets": [str(a) for a in self.assets_],
            "train_period": [str(d.date()) for d in self.train_period_],
            **self._payload(),
            **(extra or {}),
        }
        return save_checkpoint(
            path,
            self.network_,
            dataclasses.asdict(self.network_config_),
            list(self.feature_names or self.model.features),
            self.scaler_.to_state(),
            payload,
        )

    @staticmethod
    def read(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
        """The network and payload of a checkpoint (``DataError`` if unreadable)."""
        return load_checkpoint(path)

    def _restore(self, network: nn.Module, payload: dict[str, Any], config_cls: type) -> None:
        """Set the fitted state from a checkpoint read with :meth:`read`."""
        extra = payload["extra"]
        self.scaler_ = FeatureScaler.from_state(payload["scaler_state"])
        self.device_ = torch.device("cpu")
        self.network_ = network
        self.network_config_ = config_cls(**payload["model_config"])
        self.train_config_ = train_config(self.training, self.seed)
        self.assets_ = pd.Index(extra["assets"])
        start, end = extra["train_period"]
        self.train_period_ = (pd.Timestamp(start), pd.Timestamp(end))
