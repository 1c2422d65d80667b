"""What every neural allocator shares: training a network on scaled inputs, streaming it over
a series, and the checkpoint that holds a fitted allocator (parameters + state).

A model family is one subclass of :class:`NeuralAllocator` (in a module of its own, beside its
network and the network's hyperparameters) and one line in
:data:`evofolio.allocators.registry.FAMILIES`. The subclass's constructor is the declaration
of its settings; everything else (which genes of the search it reads, its ``[model]`` keys,
how the search builds it) is derived from its ``get_params``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel
from torch import nn

from evofolio.allocators.base import BaseAllocator, validated
from evofolio.config import TrainingConfig
from evofolio.data import AllocationData, as_dates
from evofolio.data.missing import abbreviated
from evofolio.errors import DataError, InsufficientHistoryError, NotFittedError, ParameterError
from evofolio.features import FeatureScaler
from evofolio.features.scaling import scaler_from_state
from evofolio.training import (
    TrainResult,
    first_row_read,
    load_checkpoint,
    predict_weights,
    save_checkpoint,
    seed_everything,
    select_device,
    train,
)
from evofolio.training.losses import ChunkLoss

__all__ = ["NeuralAllocator", "rows_for"]


def rows_for(
    frame: pd.DataFrame, dates: Any, what: str, price_dates: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """The rows of ``frame`` at ``dates`` (anything :func:`evofolio.data.as_dates` reads), or a
    clear error: a date that is not one of ``price_dates`` (X's), or one before the first date
    with weights (the feature warm-up plus the sequence burn-in)."""
    dates = as_dates(dates)
    if price_dates is not None:
        foreign = dates.difference(price_dates)
        if len(foreign):
            raise DataError(
                f"{what}: {foreign[0].date()} is not a price date of X (X runs from "
                f"{price_dates[0].date()} to {price_dates[-1].date()}, trading days only)"
            )
    missing = dates.difference(pd.DatetimeIndex(frame.index))
    if len(missing):
        if len(frame):
            reason = f"its first usable date is {frame.index[0].date()} (feature warm-up plus "
            reason += "sequence burn-in)"
        else:
            rows = "its rows" if price_dates is None else f"its {len(price_dates)} rows"
            reason = f"X has no usable date at all: {rows} do not cover the feature warm-up plus "
            reason += "sequence burn-in"
        raise InsufficientHistoryError(f"{what} has no weights for {missing[0].date()}: {reason}")
    return frame.loc[dates]


def _feature_words(genome: Mapping[str, Any]) -> str:
    features = [
        k.removeprefix("feature_") for k, v in genome.items() if k.startswith("feature_") and v
    ]
    return (
        f"It reads {len(features)} feature{'s' if len(features) != 1 else ''}: "
        f"{', '.join(features) or 'none'}."
    )


class NeuralAllocator(BaseAllocator):
    """A network trained on a portfolio objective, behind the estimator contract.

    Class attributes a family sets: ``family`` (its registry name, also the checkpoint's
    network name), ``network_cls`` (the ``nn.Module``, built from its ``config_cls``),
    ``title`` and ``summary`` (the report's name and its sentence on a genome, filled with
    the genes' words) and ``reads_strategies`` (it reads the classic-strategy panel).
    Parameters every family has: ``network`` (a pydantic model of the network's
    hyperparameters), ``training`` (:class:`~evofolio.config.TrainingConfig`), ``seed`` and
    ``on_epoch`` (called with ``(epoch, train_loss, val_loss)`` while training).

    Fitted attributes: ``scaler_`` (fitted on training rows only), ``network_`` and its
    dataclass config ``network_config_``, ``device_``, ``result_``,
    ``assets_`` and ``train_period_``.
    """

    family: ClassVar[str] = ""
    title: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    network_cls: ClassVar[type[nn.Module]]
    reads_strategies: ClassVar[bool] = False
    feature_names: ClassVar[tuple[str, ...]] = ()

    network: BaseModel
    training: TrainingConfig
    seed: int
    on_epoch: Any

    def check_params(self) -> Self:
        """``network`` an instance of the family's hyperparameter model, ``training`` a
        ``TrainingConfig``, ``seed`` an integer >= 0."""
        name = type(self).__name__
        expected = type(inspect.signature(type(self).__init__).parameters["network"].default)
        if not isinstance(self.network, expected):
            raise ParameterError(
                f"{name}: network must be {expected.__name__}(...), got {self.network!r}",
                key="network",
                reason=f"must be {expected.__name__}(...), got {type(self.network).__name__}",
            )
        if not isinstance(self.training, TrainingConfig):
            raise ParameterError(
                f"{name}: training must be TrainingConfig(...), got {self.training!r}",
                key="training",
                reason=f"must be TrainingConfig(...), got {type(self.training).__name__}",
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            reason = f"must be an integer >= 0, got {self.seed!r}"
            raise ParameterError(f"{name}: seed {reason}", key="seed", reason=reason)
        if self.seed < 0:
            reason = f"must be an integer >= 0, got {self.seed!r}"
            raise ParameterError(f"{name}: seed {reason}", key="seed", reason=reason)
        return self

    @classmethod
    def inputs_sentence(cls, genome: Mapping[str, Any]) -> str:
        """The report's sentence on what a genome of this family reads."""
        return _feature_words(genome) if "features" in cls().get_params() else ""

    def _train(
        self,
        network_config: Any,
        inputs: np.ndarray,
        targets: np.ndarray,
        prices: pd.DataFrame,
        dates: pd.DatetimeIndex,
        loss: ChunkLoss | None = None,
        scaler: FeatureScaler | None = None,
        in_place: bool = False,
    ) -> None:
        """Fit the scaler (``scaler``, default a :class:`FeatureScaler`) on ``inputs``
        (training rows), build and train the network. ``in_place``: ``inputs`` (float32,
        C-contiguous, the caller's own) is standardised where it is, not copied: at 1,000
        assets × 20 years a copy is a few hundred MB per fit."""
        self.scaler_ = (scaler or FeatureScaler()).fit(inputs)
        self.device_ = select_device(self.training.device)
        seed_everything(int(self.seed))
        self.network_config_ = network_config
        self.network_: nn.Module = type(self).network_cls(network_config).to(self.device_)
        self.result_: TrainResult = train(
            self.network_,
            self.scaler_.transform(inputs, out=inputs if in_place else None),
            targets,
            self.training,
            device=self.device_,
            progress=self.on_epoch,
            loss=loss,
            seed=int(self.seed),
        )
        self.assets_ = prices.columns
        self.train_period_ = (dates[0], dates[-1])

    def _network_config(self, **sizes: Any) -> Any:
        """The network's dataclass config: what the data decides (``sizes``, e.g.
        ``n_assets``, ``n_features``), then the fields of the ``network`` parameter."""
        config_cls: Any = type(self).network_cls.config_cls  # type: ignore[attr-defined]
        try:
            return config_cls(**sizes, **self.network.model_dump())
        except ValueError as error:  # a setting the data cannot honour (a cap below 1 / N)
            raise ParameterError(
                f"{type(self).__name__}: network: {error}", key="network", reason=str(error)
            ) from None

    def _check_assets(self, data: AllocationData) -> AllocationData:
        """``data`` with its assets in the order the model was trained on: the same assets in
        another column order are reordered (the network's slots follow the training order),
        other assets are a ``DataError`` naming the ones missing and the ones not trained
        on."""
        if not hasattr(self, "network_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")
        columns = data.prices.columns
        if columns.equals(self.assets_):
            return data
        missing = [str(a) for a in self.assets_ if a not in columns]
        extra = [str(a) for a in columns if a not in self.assets_]
        if missing or extra or len(columns) != len(self.assets_):
            parts = [f"missing {len(missing)}: {abbreviated(missing)}" if missing else ""]
            parts.append(f"not trained on {len(extra)}: {abbreviated(extra)}" if extra else "")
            raise DataError(
                f"the model was trained on {len(self.assets_)} assets "
                f"({abbreviated([str(a) for a in self.assets_])}); the prices given differ: "
                + "; ".join(p for p in parts if p)
            )
        if data.universe is not None:
            raise DataError(
                "the prices of a ragged universe list the model's assets in another order: "
                f"give them in the training order ({', '.join(map(str, self.assets_))})"
            )
        # the cache is left behind: an entry built on the other order would label its
        # per-asset columns wrongly
        return AllocationData(data.prices.loc[:, self.assets_], data.market)

    def _stream(self, values: np.ndarray, first: int = 0) -> np.ndarray:
        """The network's outputs for the rows of ``values`` (time, items, features) from
        ``max(first, seq_len)`` on (the first ``seq_len`` rows' burn-in is incomplete; rows
        before ``first`` are not wanted, and the chunks that hold only those are not run)."""
        seq_len, chunk_len = self.training.seq_len, self.training.chunk_len
        start = max(first, seq_len)
        if start >= len(values):
            return np.empty((0, *values.shape[1:2]))
        # standardise only the rows the chunks read; the others stay zero pages, never touched
        read = first_row_read(start, chunk_len, seq_len)
        standardised = np.zeros(values.shape, dtype=np.float32)
        self.scaler_.transform(np.ascontiguousarray(values[read:]), out=standardised[read:])
        return predict_weights(
            self.network_, standardised, seq_len, chunk_len, self.device_, start=start
        )

    def _payload(self) -> dict[str, Any]:
        """The family-specific fitted state kept in the checkpoint (subclasses add to it)."""
        return {}

    def _set_payload(self, extra: dict[str, Any]) -> None:
        """Restore what :meth:`_payload` wrote (subclasses)."""

    def _input_names(self) -> list[str]:
        return list(self.feature_names or getattr(self, "features", ()))

    def save(self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None) -> Path:
        """Write the parameters and the fitted network and scaler to one checkpoint file
        (:mod:`evofolio.training.checkpoint`, read with ``weights_only=True``)."""
        if not hasattr(self, "network_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")
        payload = {
            "family": self.family,
            "params": self._saved_params(),
            "assets": [str(a) for a in self.assets_],
            "train_period": [str(d.date()) for d in self.train_period_],
            **self._payload(),
            **(extra or {}),
        }
        return save_checkpoint(
            path,
            self.family,
            self.network_,
            dataclasses.asdict(self.network_config_),
            self._input_names(),
            self.scaler_.to_state(),
            payload,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """A fitted allocator from a checkpoint written by :meth:`save`, ready to allocate;
        ``DataError`` naming the file if it holds another family's network or was written by
        an earlier version."""
        network, payload = load_checkpoint(path, {cls.family: cls.network_cls})
        return cls.from_checkpoint(path, network, payload)

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike[str], network: nn.Module, payload: dict[str, Any]
    ) -> Self:
        """The fitted allocator of a checkpoint already read (:func:`load_checkpoint`);
        ``DataError`` naming the file if a member is missing or does not fit the family."""
        try:
            return cls._restored(path, network, payload)
        except (KeyError, TypeError, ValueError) as error:  # ParameterError included
            what = f"no {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
            raise DataError(
                f"checkpoint {path}: not a {cls.family} model this version can read ({what}): "
                "train the model again"
            ) from None

    @classmethod
    def _restored(
        cls, path: str | os.PathLike[str], network: nn.Module, payload: dict[str, Any]
    ) -> Self:
        extra = payload["extra"]
        if "params" not in extra:
            raise DataError(
                f"checkpoint {path}: written by an earlier version of evofolio (no estimator "
                "parameters); train the model again"
            )
        allocator = cls()
        params = {}
        for name, value in extra["params"].items():
            current = getattr(allocator, name, None)
            if isinstance(current, BaseModel):
                value = validated(type(current), value, allocator, name)
            params[name] = value
        allocator.set_params(**params)
        allocator.scaler_ = scaler_from_state(payload["scaler_state"])
        allocator.device_ = torch.device("cpu")
        allocator.network_ = network
        config_cls: Any = cls.network_cls.config_cls  # type: ignore[attr-defined]
        allocator.network_config_ = config_cls(**payload["model_config"])
        allocator.assets_ = pd.Index(extra["assets"])
        start, end = extra["train_period"]
        allocator.train_period_ = (pd.Timestamp(start), pd.Timestamp(end))
        allocator._set_payload(extra)
        return allocator
