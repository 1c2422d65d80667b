"""``asset_attention``: Model 1's interface with a small causal Transformer encoder.

After Kisiel & Gorse (2022), "Portfolio Transformer for Attention-Based Asset Allocation":
self-attention replaces the LSTM. Each asset's feature series is embedded
(``Linear(features, width)``) and read by one ``torch.nn.TransformerEncoder`` shared across
assets (assets are batched, like Model 1's shared encoder); the encoding of day ``t`` attends
to the asset's own days ``t - context + 1 .. t`` only (a causal, banded mask). A linear layer
turns each asset's encoding into a score, and the scores go through Model 1's
:class:`~evofolio.models.heads.SimplexHead` (temperature softmax, optional cap).

Positions are encoded *relatively*, as a linear distance penalty added to the attention scores
through the mask (ALiBi, Press, Smith & Lewis 2022: ``bias(t, s) = -(t - s) / context``): an
absolute position would depend on where a chunk starts, and streaming must give the same
weights whatever the chunking.

Streaming: the state is the rolling window of the last ``layers · (context - 1)`` embedded
inputs, ``(batch · assets, rows, width)`` — exactly the history the next rows' encodings can
reach through ``layers`` banded layers, so two calls chained through the state give the same
weights as one call on all rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from pydantic import Field, model_validator
from torch import Tensor, nn
from torch.nn import functional

from evofolio.models.asset_lstm import CHECKPOINT_SEQUENCES
from evofolio.models.groups import in_groups
from evofolio.models.heads import SimplexHead, check_cap
from evofolio.models.params import NetworkParams

CHECKPOINT_TOKENS = 32_768
"""Above :data:`~evofolio.models.asset_lstm.CHECKPOINT_SEQUENCES` sequences (chunks × assets)
the encoder runs in groups of at most this many tokens (sequences × rows): one group's
attention scores and activations at a time, and in training each group is checkpointed
(recomputed in the backward pass). One training step of a 2-layer, width-64 encoder on 16
chunks of 500 assets: 2.8 GiB instead of 8.2 GiB; its prediction over 20 years, 1.1 GiB
instead of 9.1 GiB (``benchmarks/bench_memory.py``)."""

AttentionState = Tensor
"""``(batch · assets, rows, width)``: the last embedded inputs,
``rows <= layers · (context - 1)``."""


class AssetAttentionParams(NetworkParams):
    """The causal Transformer encoder (:class:`~evofolio.models.asset_attention.AssetAttention`)."""

    layers: int = Field(1, ge=1, le=3, description="stacked self-attention layers")
    width: int = Field(32, ge=8, le=256, description="model width (a multiple of heads)")
    heads: int = Field(2, ge=1, le=8, description="attention heads")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout in each layer")
    max_weight: float | None = Field(None, gt=0.0, le=1.0, description="cap per asset")
    temperature: float = Field(1.0, gt=0.0, description="softmax temperature")

    @model_validator(mode="after")
    def _width_fits_heads(self) -> AssetAttentionParams:
        if self.width % self.heads:
            raise ValueError(f"width {self.width} is not a multiple of heads {self.heads}")
        return self


@dataclass(frozen=True)
class AssetAttentionConfig:
    """Hyperparameters of :class:`AssetAttention`; validated on construction (``ValueError``).

    ``context`` is the days each encoding attends to (the training ``seq_len``, at least 1);
    ``width`` the model width ``d_model``, a multiple of ``heads``; the feed-forward layer has
    ``2 · width`` units.
    """

    n_assets: int
    n_features: int
    context: int = 50
    layers: int = 1
    width: int = 32
    heads: int = 2
    dropout: float = 0.0
    max_weight: float | None = None
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.n_assets < 1 or self.n_features < 1:
            raise ValueError(
                f"n_assets and n_features must be positive, got {self.n_assets}, {self.n_features}"
            )
        if self.context < 1:
            raise ValueError(f"context must be at least 1 day, got {self.context}")
        AssetAttentionParams.check(self)
        check_cap(self.max_weight, self.n_assets)

    @property
    def memory(self) -> int:
        """Embedded rows carried in the state: the reach of ``layers`` banded layers."""
        return self.layers * (self.context - 1)


def banded_alibi_mask(rows: int, context: int, device: torch.device | None = None) -> Tensor:
    """``(rows, rows)`` additive attention mask: row ``t`` sees ``s`` in ``(t - context, t]``
    with bias ``-(t - s) / context``, and ``-inf`` elsewhere (the future and the far past)."""
    index = torch.arange(rows, device=device)
    lag = (index[:, None] - index[None, :]).to(torch.float32)
    mask = -lag / context
    return mask.masked_fill((lag < 0) | (lag >= context), float("-inf"))


def _gelu(x: Tensor) -> Tensor:
    """GELU as a plain function: ``TransformerEncoderLayer`` takes its inference fast path only
    for ``F.relu``/``F.gelu`` themselves, and that path does not add a float (ALiBi) mask the way
    the regular path does (it gave other weights under ``torch.no_grad`` than in training), so
    the network must never take it."""
    return functional.gelu(x)


class AssetAttention(nn.Module):
    """Features ``(batch, time, assets, features)`` to weights ``(batch, time, assets)``."""

    config_cls: ClassVar[type] = AssetAttentionConfig

    def __init__(self, config: AssetAttentionConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Linear(config.n_features, config.width)
        layer = nn.TransformerEncoderLayer(
            d_model=config.width,
            nhead=config.heads,
            dim_feedforward=2 * config.width,
            dropout=config.dropout,
            activation=_gelu,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers=config.layers, enable_nested_tensor=False
        )
        self.proj = nn.Linear(config.width, 1)
        self.head = SimplexHead(config.n_assets, config.temperature, config.max_weight)

    def forward(
        self, x: Tensor, state: AttentionState | None = None
    ) -> tuple[Tensor, AttentionState]:
        """Weights at every step, and the state after the last step.

        Args:
            x: ``(batch, time, assets, features)``; row ``t`` holds data up to day ``t``.
            state: the state returned by the previous call on the preceding rows, or
                ``None`` to start without history.

        Returns:
            weights ``(batch, time, assets)``, decided at the close of each row from rows
            ``<= t``, and the new state (see :data:`AttentionState`).
        """
        if x.dim() != 4:
            raise ValueError(f"x must be (batch, time, assets, features), got {tuple(x.shape)}")
        b, t, n, f = x.shape
        cfg = self.config
        if n != cfg.n_assets or f != cfg.n_features:
            raise ValueError(
                f"x has {n} assets x {f} features; the model expects "
                f"{cfg.n_assets} x {cfg.n_features}"
            )
        embedded = self.embed(x.permute(0, 2, 1, 3).reshape(b * n, t, f))
        if state is not None:
            embedded = torch.cat([state.to(embedded.dtype), embedded], dim=1)
        rows = int(embedded.shape[1])
        mask = banded_alibi_mask(rows, cfg.context, embedded.device)
        if embedded.shape[0] > CHECKPOINT_SEQUENCES:
            encoded = self._grouped(embedded, mask, rows - t)
        else:
            encoded = self.encoder(embedded, mask=mask)[:, rows - t :, :]
        scores = self.proj(encoded).reshape(b, n, t).transpose(1, 2)
        new_state = embedded[:, max(0, rows - cfg.memory) :, :].detach()
        return self.head(scores), new_state

    def _grouped(self, embedded: Tensor, mask: Tensor, start: int) -> Tensor:
        """The encoder over groups of sequences (at most :data:`CHECKPOINT_TOKENS` tokens),
        its output from row ``start`` on: the attention scores and activations of one group
        at a time. With gradients each group is checkpointed (recomputed in the backward
        pass). Sequences are independent, so without dropout this is exactly the one-pass
        encoding; with dropout each group's masks are drawn once and replayed in its
        recomputation (the same distribution as one pass, other draws)."""
        rows = int(embedded.shape[1])
        size = max(1, min(CHECKPOINT_SEQUENCES, CHECKPOINT_TOKENS // rows))

        def step(part: slice) -> Tensor:
            return self.encoder(embedded[part], mask=mask)[:, start:, :]

        return torch.cat(in_groups(step, int(embedded.shape[0]), size))

    def chunk_flops(self, rows: int) -> float:
        """Forward FLOPs of one call on ``rows`` new rows per sample: the encoder runs over
        the carried memory plus the new rows, ``r = memory + rows`` tokens per asset, at 2 per
        weight and token plus ``4 · r² · width`` per layer for the attention products (the
        full score matrix is computed before the band mask applies)."""
        cfg = self.config
        weights = sum(p.numel() for p in self.parameters() if p.dim() == 2)
        tokens = float(cfg.memory + max(rows, 0))
        attention = 4.0 * tokens * tokens * cfg.width * cfg.layers
        return (2.0 * weights * tokens + attention) * cfg.n_assets

    def step_flops(self) -> float:
        """Forward FLOPs per sample and time step: 2 per weight of the embedding, encoder and
        projection, plus the attention products (``4 · context · width`` per layer), once per
        asset (the unit of the training compute budget, like Model 1's)."""
        cfg = self.config
        weights = sum(p.numel() for p in self.parameters() if p.dim() == 2)
        attention = 4.0 * cfg.context * cfg.width * cfg.layers
        return (2.0 * weights + attention) * cfg.n_assets
