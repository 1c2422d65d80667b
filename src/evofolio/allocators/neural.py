"""Model 1 as an allocator: features -> training-only scaling -> chunked LSTM -> weights.

``fit(X)`` builds the causal feature panel of the training prices (the beta features read
``X``'s market series), fits the scaler on those rows only, and trains the network to maximise
the objective of the portfolio returns ``w_t · r_{t→t+1}``; the last training date has no next
return inside the training period and is left out. ``allocate(X, dates)`` rebuilds the panel
from the prices it is given (history included), streams the network over it and returns the
rows of ``dates``; the row of date *t* depends on prices up to *t* only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple, Self

import numpy as np
import pandas as pd
from torch import nn

from evofolio.allocators.neural_base import NeuralAllocator, rows_for
from evofolio.config import DEFAULT_FEATURES, TrainingConfig
from evofolio.data import AllocationData, as_data, as_dates
from evofolio.data.universe import Universe
from evofolio.errors import DataError, InsufficientHistoryError, ParameterError
from evofolio.features import FEATURES, FeaturePanel, build_panel
from evofolio.features.scaling import MaskedFeatureScaler
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMParams
from evofolio.training.loop import Progress

__all__ = ["AssetLSTMAllocator", "next_returns", "rows_for"]

logger = logging.getLogger(__name__)


def next_returns(
    prices: pd.DataFrame, dates: pd.DatetimeIndex, universe: Universe | None = None
) -> np.ndarray:
    """``(len(dates) - 1, N)`` returns from each date to the next one of ``dates``; with a
    ragged ``universe`` (padded prices), the return from an asset's last price to the next
    date is its delisting return (what holding it then earns in the backtest)."""
    values = prices.loc[dates].to_numpy(dtype=np.float64)
    out = values[1:] / values[:-1] - 1.0
    if universe is not None:
        alive = universe.alive.reindex(index=dates, columns=prices.columns).to_numpy(bool)
        rates = universe.delisting.reindex(prices.columns).to_numpy(dtype=np.float64)
        ends = alive[:-1] & ~alive[1:] & np.isfinite(rates)[None, :]
        out = np.where(ends, rates[None, :], out)
    return out


JOINT_REFUSED = (
    "{owner}: network__encoder = 'joint' is refused for a ragged universe (assets that list "
    "and delist): the joint LSTM reads all N assets as one fixed vector per day, so an asset's "
    "empty years would be fake inputs in its slot; use encoder = 'shared' (or the "
    "asset_attention family), which score each investable asset on its own"
)


class ModelInputs(NamedTuple):
    """A neural allocator's inputs for some prices (:meth:`AssetLSTMAllocator.model_inputs`):
    the feature ``dates`` and the ``values`` ``(dates, assets, features)``, unstandardised."""

    dates: pd.DatetimeIndex
    values: np.ndarray


def masked_inputs(panel: FeaturePanel, universe: Universe | None) -> np.ndarray:
    """``(T, N, F + 1)``: the panel's features and, last, each asset's availability (1 where
    investable at the date (member and alive) and every feature defined, else 0; the
    features there are set to 0: the network never reads them)."""
    values = panel.values
    available = np.isfinite(values).all(axis=2)
    if universe is not None:
        investable = universe.on(panel.dates).investable().reindex(columns=list(panel.assets))
        available &= investable.to_numpy(dtype=bool)
    out = np.zeros((*values.shape[:2], values.shape[2] + 1), dtype=np.float32)
    np.copyto(out[..., :-1], values, where=available[..., None])  # no panel-sized temporary
    out[..., -1] = available
    return out


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

    def _ragged_panel(self, data: AllocationData) -> FeaturePanel:
        """The features of a ragged universe, per asset on its own life (NaN before each
        feature's warm-up in the life)."""
        universe = data.universe
        assert universe is not None
        if getattr(self.network, "encoder", "shared") == "joint" and universe.ragged:
            raise ParameterError(
                JOINT_REFUSED.format(owner=type(self).__name__),
                key="network__encoder",
                reason="joint is refused for a ragged universe",
            )
        return build_panel(
            universe.raw(data.prices), list(self.features), data.market, missing=True
        )

    def fit(self, X: Any, y: Any = None) -> Self:
        self.check_params()
        data = as_data(X)
        masked = data.universe is not None
        panel = self._ragged_panel(data) if masked else self._panel(data)
        if panel.n_dates < 3:
            raise InsufficientHistoryError(
                f"{self.family} needs more training dates after the feature warm-up, "
                f"got {panel.n_dates}"
            )
        config = self.network_config(panel)
        if masked:
            config = dataclasses.replace(config, masked=True)
        dates = panel.dates
        # the masked inputs are a new array: drop the panel's before training, and
        # standardise them in place (a ragged universe's largest arrays, one copy each)
        inputs = masked_inputs(panel, data.universe) if masked else panel.values
        del panel
        self._train(
            config,
            inputs[:-1],
            next_returns(data.prices, dates, data.universe),
            data.prices,
            dates,
            scaler=MaskedFeatureScaler() if masked else None,
            in_place=masked,
        )
        logger.debug("%s trained: %s", self.family, self.result_)
        return self

    def network_config(self, panel: FeaturePanel) -> Any:
        """The network's dataclass config for ``panel``'s assets and features."""
        return self._network_config(n_assets=panel.n_assets, n_features=panel.n_features)

    def model_inputs(self, X: Any) -> ModelInputs:
        """The network's inputs for ``X`` before standardisation: the feature dates and
        ``(dates, assets, features)`` values (a ragged universe's with the availability channel
        last). What :meth:`weights_frame` computes first; members of a seed ensemble with the
        same features share it (``inputs=``)."""
        data = self._check_assets(as_data(X))
        masked = bool(getattr(self.network_config_, "masked", False))
        if data.universe is not None and not masked:
            raise DataError(
                f"the {self.family} model was trained on a rectangle of assets; X is a ragged "
                "universe: fit it on the ragged universe"
            )
        if masked:
            panel = self._ragged_panel(data) if data.universe is not None else self._panel(data)
            return ModelInputs(panel.dates, masked_inputs(panel, data.universe))
        panel = self._panel(data)
        return ModelInputs(panel.dates, panel.values)

    def weights_frame(
        self, X: Any, start: Any = None, inputs: ModelInputs | None = None
    ) -> pd.DataFrame:
        """Weights for every date of ``X`` past the feature warm-up and the burn-in (from
        ``start`` on when given: the same weights, without running the network on the
        chunks of rows before it). ``inputs``: :meth:`model_inputs` of ``X``, when the caller
        already has them (never modified here)."""
        dates, values = inputs if inputs is not None else self.model_inputs(X)
        first = 0 if start is None else int(dates.searchsorted(pd.Timestamp(start)))
        if first >= len(dates):
            return pd.DataFrame(np.empty((0, len(self.assets_))), columns=self.assets_)
        weights = self._stream(values, first)
        usable = dates[len(dates) - len(weights) :]
        return pd.DataFrame(weights, index=usable, columns=self.assets_)

    def allocate(
        self, X: Any, dates: pd.DatetimeIndex, inputs: ModelInputs | None = None
    ) -> pd.DataFrame:
        """Weights (``dates`` × assets); with a ragged universe exactly 0 on the assets not
        investable at the date (not a member, not alive, or a feature not yet defined).
        ``inputs``: :meth:`model_inputs` of ``X``, if already computed."""
        data = as_data(X)
        wanted = as_dates(dates)
        frame = self.weights_frame(data, wanted.min() if len(wanted) else None, inputs)
        out = rows_for(frame, wanted, f"the {self.family} model", data.index)
        empty = out.to_numpy().sum(axis=1) < 0.5
        if empty.any():
            day = out.index[int(np.argmax(empty))]
            raise InsufficientHistoryError(
                f"the {self.family} model: no asset is investable with every feature defined "
                f"on {day:%Y-%m-%d} (feature warm-up inside each life)"
            )
        return out
