"""A toy model family in one module: a GRU network, its hyperparameters and its allocator.

Registering it is one line (``FAMILIES["gru"] = GRUAllocator``); everything else, the genes
it reads, its ``[model]`` keys, the search's decoding, is derived from its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from pydantic import Field
from torch import nn

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.config import DEFAULT_FEATURES, TrainingConfig
from evofolio.models.params import NetworkParams


class GRUParams(NetworkParams):
    layers: int = Field(1, ge=1, le=3)
    hidden: int = Field(16, ge=8, le=256)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    temperature: float = Field(1.0, gt=0.0)


@dataclass(frozen=True)
class GRUConfig:
    n_assets: int
    n_features: int
    layers: int = 1
    hidden: int = 16
    dropout: float = 0.0
    temperature: float = 1.0


class GRUNet(nn.Module):
    config_cls: ClassVar[type] = GRUConfig

    def __init__(self, config: GRUConfig) -> None:
        super().__init__()
        self.config = config
        drop = config.dropout if config.layers > 1 else 0.0
        self.gru = nn.GRU(
            config.n_features, config.hidden, config.layers, batch_first=True, dropout=drop
        )
        self.score = nn.Linear(config.hidden, 1)

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        batch, time, assets, features = x.shape
        out, state = self.gru(x.permute(0, 2, 1, 3).reshape(batch * assets, time, features), state)
        scores = self.score(out).reshape(batch, assets, time).permute(0, 2, 1)
        return torch.softmax(scores / self.config.temperature, dim=-1), state

    def step_flops(self) -> float:
        c = self.config
        return 6.0 * c.hidden * (c.n_features + c.hidden) * c.layers * c.n_assets


class GRUAllocator(AssetLSTMAllocator):
    family = "gru"
    title = "a toy GRU family"
    summary = "{layers} GRU layer(s) of {hidden} units"
    network_cls: ClassVar[type[nn.Module]] = GRUNet

    def __init__(
        self,
        *,
        network: GRUParams = GRUParams(),  # noqa: B008
        training: TrainingConfig = TrainingConfig(),
        features: Any = DEFAULT_FEATURES,
        seed: int = 0,
        on_epoch: Any = None,
    ) -> None:
        self.network, self.training, self.features = network, training, features
        self.seed, self.on_epoch = seed, on_epoch
