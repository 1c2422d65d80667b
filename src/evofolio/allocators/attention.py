"""``asset_attention`` as an Allocator: Model 1's pipeline with a causal Transformer encoder.

Everything but the network is Model 1's (:class:`~evofolio.allocators.neural.AssetLSTMAllocator`):
the causal feature panel, the scaler fitted on training rows only, the chunked training loop
and the streaming at allocation time. The network is
:class:`~evofolio.models.asset_attention.AssetAttention`; its attention context is the
training ``seq_len`` (at least 1 day), so each day's encoding attends to the same history the
chunked training gives it as burn-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from torch import nn

from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.config import DEFAULT_FEATURES, TrainingConfig
from evofolio.features import FeaturePanel
from evofolio.models.asset_attention import AssetAttention, AssetAttentionParams
from evofolio.training.loop import Progress

__all__ = ["AssetAttentionAllocator"]


class AssetAttentionAllocator(AssetLSTMAllocator):
    """Model 1's interface with self-attention over each asset's last ``training.seq_len``
    days (Kisiel & Gorse 2022). ``network``: :class:`~evofolio.models.asset_attention.
    AssetAttentionParams`; the other parameters and ``X`` as
    :class:`~evofolio.allocators.neural.AssetLSTMAllocator`."""

    family = "asset_attention"
    title = "The asset_attention family, a causal Transformer per asset (Kisiel & Gorse 2022)"
    summary = (
        "{layers} causal self-attention layer(s) of width {width} with {heads} head(s), "
        "dropout {dropout}, over each asset's last {seq_len} days; it maps each day's "
        "features directly to portfolio weights"
    )
    network_cls: ClassVar[type[nn.Module]] = AssetAttention

    def __init__(
        self,
        *,
        network: AssetAttentionParams = AssetAttentionParams(),
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

    def network_config(self, panel: FeaturePanel) -> Any:
        return self._network_config(
            n_assets=panel.n_assets,
            n_features=panel.n_features,
            context=max(1, self.training.seq_len),
        )
