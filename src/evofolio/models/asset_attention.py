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

Cost: the encoder's layers (their own weights, :func:`encoder_layer`) are evaluated on the
rows whose encodings are used, not on every row of the state: a call returns weights on its
new rows only, so the last layer's queries, feed-forward block and residuals run on those,
and each earlier layer on the ``context - 1`` rows more that the next one reaches. The
weights are those of ``TransformerEncoder(rows, mask=banded_alibi_mask(...))`` on all rows
(up to round-off; ``tests/models/test_asset_attention.py``). An epoch of the default network
on the sp500 development fold took 0.45 s instead of 0.78 s with the full encoder (a busy
2-core machine, ``benchmarks/bench_attention.py``); the compute budget counts what is
computed (:meth:`AssetAttention.call_flops`), including the work on the attention scores
that matrix-product FLOPs miss.

Scores: the attention of ``heads`` heads on ``q`` query and ``k`` key rows fills ``heads · q · k``
scores (mask, softmax, dropout and their gradients) whatever the width; with narrow heads
this, not the products, is the cost (4 heads of width 4 took 4-6x the time of 1 head of width
16 for the same products, 19-31x with attention dropout: ``benchmarks/bench_attention_scores.py``,
PyTorch's CPU kernel, one thread, a busy 2-core AMD EPYC machine, 2026-12-06; a score cost 60
to 160 FLOP-equivalents, and dropout 240 to 370 more, across runs). The budget
counts :data:`SCORE_FLOPS` FLOP-equivalents per score, and :data:`DROPOUT_SCORE_FLOPS` more
with attention dropout, so that ``search.fit_gflop`` binds on such genomes as it does on
wide ones.
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

CHECKPOINT_SCORES = 2**23
"""At most this many attention scores (sequences × heads × rows²) per group, 32 MiB of
float32: a long context squares each sequence's scores, so a count of sequences alone does
not bound them. A training step on one chunk of 536 assets (a ragged 500-asset universe) of 3
layers, 4 heads, a context of 116 rows and 221 new rows, under the sequences limit, peaked at
8.7 GiB resident in one pass, and in groups of this many scores at 0.82 GiB (1.0 GiB at 2²⁴,
1.7 GiB at 2²⁵; measured 2026-12-06, one thread)."""

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
    masked: bool = False
    """A ragged universe: the input's last channel is the 0/1 availability of each asset
    (see :class:`~evofolio.models.asset_lstm.AssetLSTMConfig`)."""

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


SCORE_FLOPS = 100.0
"""Forward FLOP-equivalents per attention score (mask, softmax and their share of the backward
pass), measured against the products' FLOP rate (see the module docstring)."""
DROPOUT_SCORE_FLOPS = 300.0
"""The same, added per score when attention dropout is on (a mask drawn over every score)."""


def banded_alibi_mask(rows: int, context: int, device: torch.device | None = None) -> Tensor:
    """``(rows, rows)`` additive attention mask: row ``t`` sees ``s`` in ``(t - context, t]``
    with bias ``-(t - s) / context``, and ``-inf`` elsewhere (the future and the far past)."""
    index = torch.arange(rows, device=device)
    lag = (index[:, None] - index[None, :]).to(torch.float32)
    mask = -lag / context
    return mask.masked_fill((lag < 0) | (lag >= context), float("-inf"))


def _gelu(x: Tensor) -> Tensor:
    """GELU as a plain function, the layers' activation (:func:`encoder_layer` applies it).
    Passed to ``TransformerEncoderLayer`` too: that module takes its inference fast path only
    for ``F.relu``/``F.gelu`` themselves, and that path does not add a float (ALiBi) mask the
    way the regular path does (it gave other weights under ``torch.no_grad`` than in
    training), so the module, were it called (the tests' reference), must never take it."""
    return functional.gelu(x)


def banded_attention(
    q: Tensor, k: Tensor, v: Tensor, q_first: int, k_first: int, context: int, dropout: float
) -> Tensor:
    """Each query row attends to the keys of its own last ``context`` rows, with ALiBi:
    ``softmax(q·kᵀ / √dim + mask) · v``, the mask that of :func:`banded_alibi_mask`.

    ``q`` ``(sequences, heads, rows, dim)`` holds rows ``q_first ..``; ``k`` and ``v`` rows
    ``k_first ..`` up to the same last row (``k_first <= q_first``). ``dropout`` is the
    attention-dropout probability.
    """
    rows = int(k.shape[2])
    mask = banded_alibi_mask(k_first + rows, context, q.device)[q_first:, k_first:]
    return functional.scaled_dot_product_attention(
        q, k, v, attn_mask=mask.to(q.dtype), dropout_p=dropout
    )


def encoder_layer(
    layer: nn.TransformerEncoderLayer, x: Tensor, x_first: int, q_first: int, context: int
) -> Tensor:
    """One pre-norm ``TransformerEncoderLayer`` (its own weights) with the banded ALiBi mask,
    evaluated on rows ``q_first ..`` only.

    ``x`` ``(sequences, rows, width)`` holds the layer's input on rows ``x_first ..``, with
    ``x_first = max(0, q_first - context + 1)`` (what those rows attend to). Returns the
    layer's output on rows ``q_first ..``: ``y = x + drop(attn(norm1(x)))``, ``y +
    drop(linear2(drop(gelu(linear1(norm2(y))))))``, the computation of
    ``layer(x, src_mask=banded_alibi_mask(...))`` (PyTorch's ``_sa_block`` and ``_ff_block``),
    with the queries, the feed-forward block and the residuals on the rows asked for only.
    """
    attn = layer.self_attn
    seqs, _, width = x.shape
    heads = attn.num_heads
    dim = width // heads
    training = layer.training
    offset = q_first - x_first
    normed = layer.norm1(x)
    weight, bias = attn.in_proj_weight, attn.in_proj_bias
    q = functional.linear(normed[:, offset:], weight[:width], bias[:width])
    kv = functional.linear(normed, weight[width:], bias[width:])
    k, v = kv.chunk(2, dim=-1)

    def split(part: Tensor) -> Tensor:
        return part.reshape(seqs, -1, heads, dim).transpose(1, 2)

    dropout = attn.dropout if training else 0.0
    mixed = banded_attention(split(q), split(k), split(v), q_first, x_first, context, dropout)
    mixed = mixed.transpose(1, 2).reshape(seqs, -1, width)
    y = x[:, offset:] + layer.dropout1(attn.out_proj(mixed))
    hidden = layer.dropout(_gelu(layer.linear1(layer.norm2(y))))
    return y + layer.dropout2(layer.linear2(hidden))


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
        return self._weights(x, state, int(x.shape[1]) if x.dim() == 4 else 0)

    def warm_up(
        self, x: Tensor, state: AttentionState | None = None
    ) -> tuple[Tensor, AttentionState]:
        """``forward(x, state)``'s weights on the last row only, ``(batch, assets)``, and its
        state: a chunk's burn-in (:func:`~evofolio.training.chunks.run_chunks`) needs no
        more, and the encoder then computes the last row's encoding alone."""
        weights, new_state = self._weights(x, state, 1)
        return weights[:, -1], new_state

    def _weights(
        self, x: Tensor, state: AttentionState | None, outputs: int
    ) -> tuple[Tensor, AttentionState]:
        """The weights of the last ``outputs`` rows of ``x`` and the state after them."""
        if x.dim() != 4:
            raise ValueError(f"x must be (batch, time, assets, features), got {tuple(x.shape)}")
        cfg = self.config
        mask = None
        if cfg.masked:  # the availability channel: exactly 0 weight off it
            x, mask = x[..., :-1], x[..., -1] > 0.5
        b, t, n, f = x.shape
        # masked: a ragged universe's chunks hold the assets they can use, fewer than n_assets
        if (n > cfg.n_assets if cfg.masked else n != cfg.n_assets) or f != cfg.n_features:
            raise ValueError(
                f"x has {n} assets x {f} features; the model expects "
                f"{cfg.n_assets} x {cfg.n_features}"
            )
        embedded = self.embed(x.permute(0, 2, 1, 3).reshape(b * n, t, f))
        if state is not None:
            embedded = torch.cat([state.to(embedded.dtype), embedded], dim=1)
        rows = int(embedded.shape[1])
        outputs = min(outputs, t)
        sequences = int(embedded.shape[0])
        if sequences > CHECKPOINT_SEQUENCES or sequences * self._scores(rows) > CHECKPOINT_SCORES:
            encoded = self._grouped(embedded, rows - outputs)
        else:
            encoded = self._encode(embedded, rows - outputs)
        scores = self.proj(encoded).reshape(b, n, outputs).transpose(1, 2)
        new_state = embedded[:, max(0, rows - cfg.memory) :, :].detach()
        return self.head(scores, None if mask is None else mask[:, t - outputs :]), new_state

    def _encode(self, embedded: Tensor, start: int) -> Tensor:
        """The encoder's output on rows ``start ..`` of ``embedded`` ``(sequences, rows,
        width)``: what ``self.encoder(embedded, mask=banded_alibi_mask(rows, context))[:,
        start:]`` gives, computing only what those rows depend on (:func:`encoder_layer`).

        Layer ``l`` of ``L`` (from 0) is evaluated on rows ``start - (L - 1 - l) · (context -
        1)`` on (at least 0), the rows the next layer's queries reach, and reads its keys
        ``context - 1`` rows further back; the first layer starts there.
        """
        context = self.config.context
        layers = list(self.encoder.layers)
        firsts = [max(0, start - (len(layers) - 1 - i) * (context - 1)) for i in range(len(layers))]
        lowest = max(0, firsts[0] - (context - 1))
        hidden, at = embedded[:, lowest:], lowest
        for layer, first in zip(layers, firsts, strict=True):
            hidden = encoder_layer(layer, hidden, at, first, context)
            at = first
        return hidden

    def _scores(self, rows: int) -> int:
        """The attention scores of one sequence of ``rows`` rows in a layer (heads × rows²)."""
        return max(1, self.config.heads * rows * rows)

    def _grouped(self, embedded: Tensor, start: int) -> Tensor:
        """The encoder over groups of sequences (at most :data:`CHECKPOINT_TOKENS` tokens and
        :data:`CHECKPOINT_SCORES` scores),
        its output from row ``start`` on: the attention scores and activations of one group
        at a time. With gradients each group is checkpointed (recomputed in the backward
        pass). Sequences are independent, so without dropout this is exactly the one-pass
        encoding; with dropout each group's masks are drawn once and replayed in its
        recomputation (the same distribution as one pass, other draws)."""
        rows = int(embedded.shape[1])
        size = max(
            1,
            min(
                CHECKPOINT_SEQUENCES,
                CHECKPOINT_TOKENS // rows,
                CHECKPOINT_SCORES // self._scores(rows),
            ),
        )

        def step(part: slice) -> Tensor:
            return self._encode(embedded[part], start)

        return torch.cat(in_groups(step, int(embedded.shape[0]), size))

    def chunk_flops(self, rows: int) -> float:
        """Forward FLOPs of one call on ``rows`` new rows per sample after the carried memory
        (``layers · (context - 1)`` rows), its weights on every new row: see
        :meth:`call_flops`."""
        return self.call_flops(max(rows, 0), self.config.memory, max(rows, 0))

    def warm_up_flops(self, rows: int) -> float:
        """Forward FLOPs of :meth:`warm_up` on ``rows`` rows without a state (a chunk's
        burn-in): the last row's weights only, see :meth:`call_flops`."""
        return self.call_flops(max(rows, 0), 0, 1)

    def call_flops(self, rows: int, carried: int, outputs: int) -> float:
        """Forward FLOPs per sample of a call on ``rows`` new rows after ``carried`` embedded
        rows of state, with weights on the last ``outputs`` rows: what :meth:`_encode`
        computes, at 2 per multiply-add of a weight matrix. The new rows are embedded; layer
        ``l`` of ``L`` (from 0) projects keys and values on the ``k`` rows its ``q`` query rows
        reach (``q = outputs + (L - 1 - l) · (context - 1)``, ``k = q + context - 1``, both
        at most ``carried + rows``), queries, output projection and feed-forward block on the
        ``q`` rows, and the attention products ``q · k`` scores of ``width`` (2 · 2 · q · k ·
        width: the band mask applies after them), plus the ``heads · q · k`` scores at
        :data:`SCORE_FLOPS` each (:data:`DROPOUT_SCORE_FLOPS` more with dropout); the score
        projection runs on the outputs. Once per asset."""
        cfg = self.config
        width, context = cfg.width, cfg.context
        per_score = SCORE_FLOPS + (DROPOUT_SCORE_FLOPS if cfg.dropout > 0.0 else 0.0)
        tokens = carried + rows
        flops = 2.0 * cfg.n_features * width * rows + 2.0 * width * outputs
        for layer in range(cfg.layers):
            q = min(tokens, outputs + (cfg.layers - 1 - layer) * (context - 1))
            k = min(tokens, q + context - 1)
            keys_values = 2.0 * (2 * width * width) * k
            queries_out_ffn = 2.0 * (2 * width * width + 2 * (2 * width * width)) * q
            scores = cfg.heads * q * k * per_score
            flops += keys_values + queries_out_ffn + 4.0 * q * k * width + scores
        return flops * cfg.n_assets

    def step_flops(self) -> float:
        """Forward FLOPs per sample and time step: 2 per weight of the embedding, encoder and
        projection, plus the attention products and scores (``(4 · width + heads ·``
        :data:`SCORE_FLOPS` ``) · context`` per layer), once per asset (the unit of the
        training compute budget, like Model 1's)."""
        cfg = self.config
        weights = sum(p.numel() for p in self.parameters() if p.dim() == 2)
        per_score = SCORE_FLOPS + (DROPOUT_SCORE_FLOPS if cfg.dropout > 0.0 else 0.0)
        attention = (4.0 * cfg.width + cfg.heads * per_score) * cfg.context * cfg.layers
        return (2.0 * weights + attention) * cfg.n_assets
