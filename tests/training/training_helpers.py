"""Helpers for the training tests.

A small synthetic market where asset 0's next-day return follows its own feature.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evofolio.config import TrainingConfig
from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig
from evofolio.training import seed_everything


def make_market(rows: int = 1200, assets: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(rows, assets, 1)`` and next returns ``(rows, assets)``, float32."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, assets, 1))
    r = rng.normal(0.0, 0.01, size=(rows, assets))
    r[:, 0] += 0.01 * x[:, 0, 0]
    return x.astype(np.float32), r.astype(np.float32)


SMALL = TrainingConfig(epochs=4, seq_len=10, chunk_len=40, batch_size=8, lr=1e-2, patience=None)


def fresh_model(assets: int = 4, features: int = 1, seed: int = 0, **kw: Any) -> AssetLSTM:
    seed_everything(seed)
    return AssetLSTM(AssetLSTMConfig(assets, features, hidden=8, **kw))
