"""Model 1 as an Allocator: features -> training-only scaling -> chunked LSTM -> weights.

``fit(prices_train)`` builds the causal feature panel of the training prices, fits the
scaler on those rows only, and trains the network to maximise the objective of the
portfolio returns ``w_t · r_{t→t+1}``; the last training date has no next return inside
the training period and is left out. ``allocate(prices, dates)`` rebuilds the panel from
the prices it is given (history included), streams the network over it and returns the
rows of ``dates``; the row of date *t* depends on prices up to *t* only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from torch import nn

from evofolio.allocators.neural_base import NeuralAllocatorBase, rows_for, train_config
from evofolio.config import ModelConfig, TrainingConfig
from evofolio.errors import DataError, InsufficientHistoryError
from evofolio.features import FeaturePanel, build_panel
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.training.loop import Progress

__all__ = ["AssetLSTMAllocator", "next_returns", "rows_for", "train_config"]

logger = logging.getLogger(__name__)


def next_returns(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """``(len(dates) - 1, N)`` returns from each date to the next one of ``dates``."""
    values = prices.loc[dates].to_numpy(dtype=np.float64)
    return values[1:] / values[:-1] - 1.0


class AssetLSTMAllocator(NeuralAllocatorBase):
    """Model 1 (asset-level LSTM, Zhang, Zohren & Roberts 2020) behind the Allocator contract.

    ``market`` is the market price series (for the beta features), indexed by date; only its
    values on the dates of the prices given to ``fit``/``allocate`` are read. ``on_epoch``
    receives ``(epoch, train_loss, val_loss)`` during training.
    """

    family = "asset"
    network_cls: ClassVar[type[nn.Module]] = AssetLSTM

    def __init__(
        self,
        model: ModelConfig,
        training: TrainingConfig,
        *,
        market: pd.Series | None = None,
        seed: int = 0,
        on_epoch: Progress | None = None,
    ) -> None:
        super().__init__(model, training, seed=seed, on_epoch=on_epoch)
        self.market = market

    def _panel(self, prices: pd.DataFrame) -> FeaturePanel:
        market = None if self.market is None else self.market.reindex(prices.index)
        return build_panel(prices, self.model.features, market)

    def fit(self, prices: pd.DataFrame) -> Self:
        panel = self._panel(prices)
        if panel.n_dates < 3:
            raise InsufficientHistoryError(
                f"Model 1 needs more training dates after the feature warm-up, got {panel.n_dates}"
            )
        self._train(
            self.network_config(panel),
            type(self).network_cls,
            panel.values[:-1],
            next_returns(prices, panel.dates),
            prices,
            panel.dates,
        )
        logger.debug("%s trained: %s", self.family, self.result_)
        return self

    def network_config(self, panel: FeaturePanel) -> Any:
        """The network's dataclass config for ``panel``'s assets and features (subclasses
        with another network override this and :attr:`network_cls`)."""
        return AssetLSTMConfig(
            n_assets=panel.n_assets,
            n_features=panel.n_features,
            encoder=self.model.encoder,
            layers=self.model.layers,
            hidden=self.model.hidden,
            dropout=self.model.dropout,
            max_weight=self.model.max_weight,
            temperature=self.model.temperature,
        )

    def weights_frame(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Weights for every date of ``prices`` past the feature warm-up and the burn-in."""
        self._check_assets(prices)
        panel = self._panel(prices)
        weights = self._stream(panel.values)
        usable = panel.dates[len(panel.dates) - len(weights) :]
        return pd.DataFrame(weights, index=usable, columns=self.assets_)

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        return rows_for(self.weights_frame(prices), dates, f"the {self.family} model")

    @classmethod
    def load(cls, path: str | Path, market: pd.Series | None = None) -> Self:
        """A fitted allocator from a checkpoint written by :meth:`save` (ready to allocate);
        ``DataError`` naming the file if it holds another family's network."""
        network, payload = cls.read(path)
        if type(network) is not cls.network_cls:
            raise DataError(f"checkpoint {path}: not a {cls.family} checkpoint")
        extra = payload["extra"]
        allocator = cls(
            ModelConfig.model_validate(extra["model"]),
            TrainingConfig.model_validate(extra["training"]),
            market=market,
            seed=int(extra["seed"]),
        )
        allocator._restore(network, payload, cls.network_cls.config_cls)  # type: ignore[attr-defined]
        return allocator
