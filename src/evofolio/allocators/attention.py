"""``asset_attention`` as an Allocator: Model 1's pipeline with a causal Transformer encoder.

Everything but the network is Model 1's (:class:`~evofolio.allocators.neural.AssetLSTMAllocator`):
the causal feature panel, the scaler fitted on training rows only, the chunked training loop
and the streaming at allocation time. The network is
:class:`~evofolio.models.asset_attention.AssetAttention`; its attention context is the
training ``seq_len`` (at least 1 day), so each day's encoding attends to the same history the
chunked training gives it as burn-in.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.features import FeaturePanel
from evofolio.models.asset_attention import AssetAttention, AssetAttentionConfig

__all__ = ["AssetAttentionAllocator"]


class AssetAttentionAllocator(AssetLSTMAllocator):
    """Model 1's interface with self-attention over each asset's last ``seq_len`` days
    (Kisiel & Gorse 2022). Reads ``model.layers``, ``heads``, ``width``, ``dropout``,
    ``max_weight``, ``temperature`` and ``features``; ``market`` as Model 1 (beta features)."""

    family = "asset_attention"
    network_cls: ClassVar[type[nn.Module]] = AssetAttention

    def network_config(self, panel: FeaturePanel) -> Any:
        return AssetAttentionConfig(
            n_assets=panel.n_assets,
            n_features=panel.n_features,
            context=max(1, self.training.seq_len),
            layers=self.model.layers,
            width=self.model.width,
            heads=self.model.heads,
            dropout=self.model.dropout,
            max_weight=self.model.max_weight,
            temperature=self.model.temperature,
        )
