"""Model 1: an LSTM that reads per-asset features and outputs long-only asset weights.

After Zhang, Zohren & Roberts (2020), "Deep Learning for Portfolio Optimization".
The model streams: it returns weights at *every* time step, and its recurrent state can
be carried from one call to the next, so a series is processed once, not window by window.

Two encoders:

* ``"shared"`` (default): one LSTM with shared weights reads each asset's own feature
  series, ``(batch, time, assets, features) -> (batch · assets, time, features)``; a linear
  layer turns each asset's hidden state into a score. Works for any number of assets.
* ``"joint"``: one LSTM reads the concatenated features of all assets per day,
  ``(batch, time, assets · features)``; a linear layer gives one score per asset.

Scores go through :class:`~evofolio.models.heads.SimplexHead` (temperature softmax with
an optional cap), so weights are non-negative and sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor, nn

from evofolio.models.groups import in_groups
from evofolio.models.heads import SimplexHead, check_cap
from evofolio.models.params import NetworkParams

CHECKPOINT_SEQUENCES = 1024
"""Above this many sequences (chunks × assets) the shared encoder runs in groups of at most
this many sequences (fewer for long, wide, deep sequences: see :data:`CHECKPOINT_UNITS`), each
group's LSTM, dropout and projection at once, so that only its scores outlive it. In training
each group is checkpointed (its activations recomputed in the backward pass); without
gradients its activations are freed before the next group. Memory is then bounded whatever
the number of assets; at or below this many sequences (every fit on 20 assets), nothing
changes."""

CHECKPOINT_UNITS = 2**20
"""At most this many ``time steps × hidden units × layers`` per group of sequences (tens of
MB of a group's activations in training). At 500 assets a 3-layer, 256-unit shared LSTM on
chunks of 120 + 250 rows took 8.7 GB in one search trial when the groups were 1,024
sequences and the hidden outputs of every sequence were kept for the projection; one
training step of it now peaks at 2.7 GB (``benchmarks/bench_memory.py``; much of that is
memory the C allocator freed but keeps). Smaller groups were not slower on this CPU: one
step of the default 2-layer, 64-unit network took 7.6 s in groups of 2**20 units and 12.9 s
in groups of 2**24."""

CHECKPOINT_CALL_UNITS = 2**24
"""Above this many ``sequences × time steps × hidden units × layers`` in one call the shared
encoder runs in groups too, under :data:`CHECKPOINT_SEQUENCES` sequences. One chunk of a
ragged 500-asset universe is 536 sequences: a training step on it of 2 layers of 161 units
over 27 + 192 rows (38 million units) peaked at 1.84 GiB resident in one pass, 0.54 GiB in
groups (and took 6.3 s instead of 4.5 s: the groups' forward pass runs again in the backward
one; measured 2026-12-06, one thread). At 20 assets and the default lengths a call stays
below it (16 chunks × 20 assets × 150 rows × 64 units × 2 layers: 6.1 million) and nothing
is grouped."""

LSTMState = tuple[Tensor, Tensor]
"""``(h, c)``, each ``(layers, sequences, hidden)``; sequences = batch (joint) or
batch · assets (shared)."""


class LSTMParams(NetworkParams):
    """The hyperparameters of this module's LSTM encoder, shared by Model 1 and by Model 2
    (which runs the same encoder over the strategies, :mod:`evofolio.models.portfolio_lstm`)."""

    encoder: Literal["joint", "shared"] = Field(
        "shared",
        description="one LSTM over all items (joint) or one per asset / strategy (shared)",
    )
    layers: int = Field(1, ge=1, le=3, description="stacked LSTM layers")
    hidden: int = Field(16, ge=8, le=256, description="LSTM hidden units")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between layers")
    temperature: float = Field(1.0, gt=0.0, description="softmax temperature")


class AssetLSTMParams(LSTMParams):
    """Model 1's LSTM (:class:`~evofolio.models.asset_lstm.AssetLSTM`): the encoder's
    hyperparameters and a cap on each asset's weight."""

    max_weight: float | None = Field(None, gt=0.0, le=1.0, description="cap per asset")


@dataclass(frozen=True)
class AssetLSTMConfig:
    """Hyperparameters of :class:`AssetLSTM`; validated on construction (``ValueError``)."""

    n_assets: int
    n_features: int
    encoder: Literal["joint", "shared"] = "shared"
    layers: int = 1
    hidden: int = 16
    dropout: float = 0.0
    max_weight: float | None = None
    temperature: float = 1.0
    masked: bool = False
    """A ragged universe: the input's last channel (after the ``n_features``) is the 0/1
    availability of each asset, and the head's softmax is masked to the available assets."""

    def __post_init__(self) -> None:
        if self.n_assets < 1 or self.n_features < 1:
            raise ValueError(
                f"n_assets and n_features must be positive, got {self.n_assets}, {self.n_features}"
            )
        AssetLSTMParams.check(self)
        check_cap(self.max_weight, self.n_assets)


class AssetLSTM(nn.Module):
    """Features ``(batch, time, assets, features)`` to weights ``(batch, time, assets)``."""

    config_cls: ClassVar[type] = AssetLSTMConfig

    def __init__(self, config: AssetLSTMConfig) -> None:
        super().__init__()
        self.config = config
        shared = config.encoder == "shared"
        self.lstm = nn.LSTM(
            input_size=config.n_features if shared else config.n_assets * config.n_features,
            hidden_size=config.hidden,
            num_layers=config.layers,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.proj = nn.Linear(config.hidden, 1 if shared else config.n_assets)
        self.head = SimplexHead(config.n_assets, config.temperature, config.max_weight)

    def forward(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        """Weights at every step, and the state after the last step.

        Args:
            x: ``(batch, time, assets, features)``; row ``t`` holds data up to day ``t``.
            state: the state returned by the previous call on the preceding rows, or
                ``None`` to start from zeros.

        Returns:
            weights ``(batch, time, assets)``, decided at the close of each row, and the
            new state (see :data:`LSTMState`).
        """
        mask = None
        if self.config.masked:  # the availability channel: exactly 0 weight off it
            x, mask = x[..., :-1], x[..., -1] > 0.5
        scores, new_state = self.scores(x, state)
        return self.head(scores, mask), new_state

    def step_flops(self) -> float:
        """Forward FLOPs per sample and time step (2 per weight of the LSTM and projection,
        once per asset for the shared encoder): the unit of the training compute budget."""
        weights = sum(p.numel() for p in self.lstm.parameters() if p.dim() == 2)
        weights += self.proj.weight.numel()
        sequences = self.config.n_assets if self.config.encoder == "shared" else 1
        return 2.0 * weights * sequences

    def scores(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        """The raw scores ``(batch, time, assets)`` before the head, and the new state."""
        if x.dim() != 4:
            raise ValueError(f"x must be (batch, time, assets, features), got {tuple(x.shape)}")
        b, t, n, f = x.shape
        cfg = self.config
        # masked: a ragged universe's chunks hold the assets they can use, fewer than n_assets
        if (n > cfg.n_assets if cfg.masked else n != cfg.n_assets) or f != cfg.n_features:
            raise ValueError(
                f"x has {n} assets x {f} features; the model expects "
                f"{cfg.n_assets} x {cfg.n_features}"
            )
        if cfg.encoder == "shared":
            seq = x.permute(0, 2, 1, 3).reshape(b * n, t, f)
            units = b * n * t * cfg.hidden * cfg.layers
            if b * n > CHECKPOINT_SEQUENCES or units > CHECKPOINT_CALL_UNITS:
                flat, new_state = self._grouped(seq, state)
            else:
                flat, new_state = self._encode(seq, state)
            scores = flat.reshape(b, n, t).transpose(1, 2)
        else:
            out, new_state = self.lstm(x.reshape(b, t, n * f), state)
            scores = self.proj(self.dropout(out))
        return scores, new_state

    def _encode(self, seq: Tensor, state: LSTMState | None) -> tuple[Tensor, LSTMState]:
        """Shared encoder: sequences ``(s, time, features)`` → scores ``(s, time, 1)``."""
        out, new_state = self.lstm(seq, state)
        return self.proj(self.dropout(out)), new_state

    def group_sequences(self, steps: int) -> int:
        """Sequences per group for sequences of ``steps`` rows (see
        :data:`CHECKPOINT_SEQUENCES` and :data:`CHECKPOINT_UNITS`); at least one."""
        units = steps * self.config.hidden * self.config.layers
        return max(1, min(CHECKPOINT_SEQUENCES, CHECKPOINT_UNITS // max(1, units)))

    def _grouped(self, seq: Tensor, state: LSTMState | None) -> tuple[Tensor, LSTMState]:
        """The shared encoder over groups of :meth:`group_sequences` sequences
        (:func:`~evofolio.models.groups.in_groups`: checkpointed when gradients are on, so
        that only each group's scores and final state are kept)."""

        def step(part: slice) -> tuple[Tensor, LSTMState]:
            sub_state = None if state is None else (state[0][:, part], state[1][:, part])
            return self._encode(seq[part], sub_state)

        groups = in_groups(step, int(seq.shape[0]), self.group_sequences(int(seq.shape[1])))
        scores = torch.cat([out for out, _ in groups])
        h = torch.cat([h for _, (h, _) in groups], dim=1)
        c = torch.cat([c for _, (_, c) in groups], dim=1)
        return scores, (h, c)

    def last_weights(self, x: Tensor, state: LSTMState | None = None) -> Tensor:
        """Weights ``(batch, assets)`` decided at the last row of ``x``."""
        weights, _ = self.forward(x, state)
        return weights[:, -1, :]
