"""Model 1 as an allocator: features -> training-only scaling -> chunked LSTM -> weights.

``fit(X)`` builds the causal feature panel of the training prices (the beta features read
``X``'s market series), fits the scaler on those rows only, and trains the network to maximise
the objective of the portfolio returns ``w_t · r_{t→t+1}``; the last training date has no next
return inside the training period and is left out. ``allocate(X, dates)`` rebuilds the panel
from the prices it is given (history included), streams the network over it and returns the
rows of ``dates``; the row of date *t* depends on prices up to *t* only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from torch import nn

from evofolio.allocators.neural_base import NeuralAllocator, rows_for
from evofolio.config import DEFAULT_FEATURES, TrainingConfig
from evofolio.data import AllocationData, as_data
from evofolio.errors import InsufficientHistoryError, ParameterError
from evofolio.features import FEATURES, FeaturePanel, build_panel
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMParams
from evofolio.training.loop import Progress

__all__ = ["AssetLSTMAllocator", "next_returns", "rows_for"]

logger = logging.getLogger(__name__)


def next_returns(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """``(len(dates) - 1, N)`` returns from each date to the next one of ``dates``."""
    values = prices.loc[dates].to_numpy(dtype=np.float64)
    return values[1:] / values[:-1] - 1.0


class AssetLSTMAllocator(NeuralAllocator):
    """Model 1, the asset-level LSTM (Zhang, Zohren & Roberts 2020), as an estimator.

    Args:
        network: the LSTM's hyperparameters (:class:`~evofolio.models.asset_lstm.AssetLSTMParams`;
            nested: ``set_params(network__hidden=32)``).
        training: how it is trained (:class:`~evofolio.config.TrainingConfig`; nested:
            ``training__lr``).
        features: the per-asset input features, names of :data:`evofolio.features.FEATURES`.
        seed: seeds the initial weights, the chunk order and dropout.
        on_epoch: called with ``(epoch, train_loss, val_loss)`` after each epoch.

    ``X`` (``fit``/``allocate``): prices, ``MarketData`` or ``AllocationData``; the beta
    features read its market series (without one, the equal-weight average of the assets).
    Weights are ``(dates, assets)``, long-only, each row summing to 1.
    """

    family = "asset"
    title = "Model 1, the asset-level LSTM"
    summary = (
        "{encoder}, {layers} LSTM layer(s) of {hidden} hidden units, dropout {dropout}; it "
        "maps each day's features directly to portfolio weights"
    )
    network_cls: ClassVar[type[nn.Module]] = AssetLSTM

    def __init__(
        self,
        *,
        network: AssetLSTMParams = AssetLSTMParams(),
        training: TrainingConfig = TrainingConfig(),
        features: Sequence[str] = DEFAULT_FEATURES,
        seed: int = 0,
        on_epoch: Progress | None = None,
    ) -> None:
        self.network = network
        self.training = training
        self.features = features
        self.seed = seed
        self.on_epoch = on_epoch

    def check_params(self) -> Self:
        """``features``: at least one, each a name of :data:`evofolio.features.FEATURES`
        (and the checks of every neural allocator)."""
        super().check_params()
        if isinstance(self.features, str):
            reason = f"a list of feature names, got the string {self.features!r}"
            raise ParameterError(
                f"{type(self).__name__}: features must be {reason}", key="features", reason=reason
            )
        names = list(self.features)
        unknown = [name for name in names if name not in FEATURES]
        if not names or unknown or len(set(names)) != len(names):
            what = f"unknown feature '{unknown[0]}'" if unknown else "give distinct features"
            raise ParameterError(
                f"{type(self).__name__}: features: {what}; choose from {', '.join(FEATURES)}",
                key="features",
                reason=f"{what}; choose from: {', '.join(FEATURES)}",
            )
        return self

    def _panel(self, data: AllocationData) -> FeaturePanel:
        return build_panel(data.prices, list(self.features), data.market)

    def fit(self, X: Any, y: Any = None) -> Self:
        self.check_params()
        data = as_data(X)
        panel = self._panel(data)
        if panel.n_dates < 3:
            raise InsufficientHistoryError(
                f"{self.family} needs more training dates after the feature warm-up, "
                f"got {panel.n_dates}"
            )
        self._train(
            self.network_config(panel),
            panel.values[:-1],
            next_returns(data.prices, panel.dates),
            data.prices,
            panel.dates,
        )
        logger.debug("%s trained: %s", self.family, self.result_)
        return self

    def network_config(self, panel: FeaturePanel) -> Any:
        """The network's dataclass config for ``panel``'s assets and features."""
        return self._network_config(n_assets=panel.n_assets, n_features=panel.n_features)

    def weights_frame(self, X: Any) -> pd.DataFrame:
        """Weights for every date of ``X`` past the feature warm-up and the burn-in."""
        data = self._check_assets(as_data(X))
        panel = self._panel(data)
        weights = self._stream(panel.values)
        usable = panel.dates[len(panel.dates) - len(weights) :]
        return pd.DataFrame(weights, index=usable, columns=self.assets_)

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        data = as_data(X)
        return rows_for(self.weights_frame(data), dates, f"the {self.family} model", data.index)
