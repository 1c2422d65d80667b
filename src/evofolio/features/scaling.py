"""Per-feature standardisation of a feature panel.

:class:`FeatureScaler` learns one mean and one scale per feature, pooled over every date
and asset it is fitted on. **Callers fit it on training rows only** (the training part of
a walk-forward fold, never its test rows or the holdout) and then transform every other
row with those statistics; fitting on all rows would leak future information into the
inputs. Its state is plain Python floats and lists, so it can be stored in a torch
checkpoint that loads with ``weights_only=True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evofolio.errors import DataError

ScalerState = dict[str, list[float] | float | None]

_STATE_KEYS = ("mean", "scale", "clip", "min_scale")
_CHUNK_ROWS = 1 << 16


class FeatureScaler:
    """Standardise features: ``clip((x - mean_) / scale_, -clip, clip)`` in float32.

    Args:
        clip: clip standardised values to ``[-clip, clip]`` (``None``: no clipping).
        min_scale: floor on ``scale_``, so a constant feature maps to 0 rather than
            dividing by zero.

    Attributes:
        mean_: ``(F,)`` float64 mean per feature, set by :meth:`fit`.
        scale_: ``(F,)`` float64 standard deviation per feature (``ddof=0``), floored at
            ``min_scale``, set by :meth:`fit`.
    """

    def __init__(self, clip: float | None = 5.0, min_scale: float = 1e-8) -> None:
        if clip is not None and clip <= 0:
            raise ValueError(f"clip must be positive or None, got {clip}")
        if min_scale <= 0:
            raise ValueError(f"min_scale must be positive, got {min_scale}")
        self.clip = clip
        self.min_scale = min_scale
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, values: np.ndarray) -> FeatureScaler:
        """Learn ``mean_`` and ``scale_`` from ``values`` of shape ``(..., F)``, e.g. ``(T, N, F)``.

        Pass the training rows only. Raises :class:`DataError` on NaN or infinite values.
        """
        array = np.asarray(values)
        if array.ndim < 1 or array.shape[-1] == 0 or array.size == 0:
            raise DataError(f"cannot fit a FeatureScaler on an empty array {array.shape}")
        if not np.isfinite(array).all():
            raise DataError("cannot fit a FeatureScaler on values with NaN or infinity")
        axes = tuple(range(array.ndim - 1))
        self.mean_ = np.asarray(np.mean(array, axis=axes, dtype=np.float64))
        std = np.std(array, axis=axes, dtype=np.float64)
        self.scale_ = np.maximum(std, self.min_scale)
        return self

    def transform(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Standardise ``values`` of shape ``(..., F)``; returns a new float32 array, same shape
        (or ``out``, a C-contiguous float32 array of that shape, which may be ``values``
        itself: standardised in place, a block of rows at a time)."""
        mean, scale = self._fitted()
        array = np.asarray(values)
        if array.ndim < 1 or array.shape[-1] != mean.shape[0]:
            raise ValueError(
                f"FeatureScaler was fitted on {mean.shape[0]} features; got shape {array.shape}"
            )
        out = _output(array, out)
        flat_in = array.reshape(-1, array.shape[-1])
        flat_out = out.reshape(-1, array.shape[-1])
        # Standardise in float64 (exact enough for features with large means and small
        # spreads), a chunk of rows at a time so the float64 temporaries stay small.
        for first in range(0, flat_in.shape[0], _CHUNK_ROWS):
            rows = slice(first, first + _CHUNK_ROWS)
            chunk = (flat_in[rows].astype(np.float64) - mean) / scale
            if self.clip is not None:
                np.clip(chunk, -self.clip, self.clip, out=chunk)
            flat_out[rows] = chunk
        return out

    def fit_transform(self, values: np.ndarray) -> np.ndarray:
        """``fit(values)`` then ``transform(values)``."""
        return self.fit(values).transform(values)

    def to_state(self) -> ScalerState:
        """The fitted state as plain Python types (for ``torch.save`` / JSON)."""
        mean, scale = self._fitted()
        return {
            "mean": [float(x) for x in mean],
            "scale": [float(x) for x in scale],
            "clip": None if self.clip is None else float(self.clip),
            "min_scale": float(self.min_scale),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FeatureScaler:
        """Rebuild a fitted scaler from :meth:`to_state` output."""
        missing = [key for key in _STATE_KEYS if key not in state]
        if missing:
            raise DataError(f"feature scaler state is missing key(s) {missing}")
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape or not np.all(scale > 0):
            raise DataError(
                "feature scaler state needs equal-length 'mean' and positive 'scale' lists; "
                f"got {mean.shape[0] if mean.ndim else 0} means and "
                f"{scale.shape[0] if scale.ndim else 0} scales"
            )
        clip = state["clip"]
        scaler = cls(clip=None if clip is None else float(clip), min_scale=state["min_scale"])
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("FeatureScaler is not fitted; call fit() on the training rows")
        return self.mean_, self.scale_

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean_ is None else f"{self.mean_.shape[0]} features"
        return f"FeatureScaler(clip={self.clip}, min_scale={self.min_scale}, {fitted})"


class MaskedFeatureScaler(FeatureScaler):
    """A :class:`FeatureScaler` for a ragged universe's inputs ``(..., F + 1)``: the last
    channel is each asset's 0/1 availability (investable and every feature defined).

    ``fit`` learns the ``F`` means and scales from the available cells only; ``transform``
    standardises the ``F`` features of the available cells, puts 0 in the others (their
    features are undefined: NaN before the warm-up of a life, never filled from another life)
    and keeps the availability channel as it is (the network masks its softmax with it).
    """

    def fit(self, values: np.ndarray) -> MaskedFeatureScaler:
        array = np.asarray(values)
        available = array[..., -1] > 0.5
        if not available.any():
            raise DataError("no available (investable, warm) asset-date to fit the scaler on")
        super().fit(array[..., :-1][available])
        return self

    def transform(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        array = np.asarray(values)
        out = _output(array, out)
        if array.ndim < 2:
            raise ValueError(f"expected (..., features + 1) values, got shape {array.shape}")
        # a block of leading rows at a time: the float64 temporaries of a 20-year, 1,000-asset
        # panel would otherwise take several times the panel itself
        step = max(1, _CHUNK_ROWS // max(1, int(np.prod(array.shape[1:-1]))))
        for first in range(0, array.shape[0], step):
            block, target = array[first : first + step], out[first : first + step]
            available = block[..., -1] > 0.5
            features = np.where(available[..., None], block[..., :-1], self._fitted()[0])
            target[..., :-1] = super().transform(features)
            target[..., :-1][~available] = 0.0
            target[..., -1] = available
        return out

    def to_state(self) -> ScalerState:
        return {**super().to_state(), "masked": 1.0}


def scaler_from_state(state: dict[str, Any]) -> FeatureScaler:
    """:meth:`FeatureScaler.from_state`, or a :class:`MaskedFeatureScaler` for a state written
    by one."""
    plain = FeatureScaler.from_state(state)
    if not state.get("masked"):
        return plain
    masked = MaskedFeatureScaler(plain.clip, plain.min_scale)
    masked.mean_, masked.scale_ = plain.mean_, plain.scale_
    return masked


def _output(array: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """A new float32 array shaped like ``array``, or ``out`` checked to be one (C-contiguous,
    so that its row blocks are views that the transform writes into)."""
    if out is None:
        return np.empty(array.shape, dtype=np.float32)
    if out.shape != array.shape or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be a C-contiguous float32 array of shape {array.shape}, got "
            f"{out.dtype} {out.shape}"
        )
    return out
