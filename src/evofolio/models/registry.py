"""Registry of the networks: checkpoint name -> class (the family registry is
:data:`evofolio.allocators.families.FAMILIES`; each family's network is here under its name).

Every registered class takes one frozen-dataclass config (its ``config_cls``) and maps
inputs ``(batch, time, ...)`` to weights ``(batch, time, assets)`` plus a recurrent state,
so the training loop, checkpoints and contract tests treat all families alike (the
:class:`~evofolio.models.protocol.SequenceModel` protocol).
"""

from __future__ import annotations

from torch import nn

from evofolio.models.asset_attention import AssetAttention
from evofolio.models.asset_lstm import AssetLSTM
from evofolio.models.portfolio_lstm import PortfolioLSTM

MODELS: dict[str, type[nn.Module]] = {
    "asset": AssetLSTM,
    "portfolio": PortfolioLSTM,
    "asset_attention": AssetAttention,
}


def model_name(model: nn.Module) -> str:
    """The registry name of ``model``'s class (``KeyError`` if it is not registered)."""
    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    raise KeyError(f"{type(model).__name__} is not in evofolio.models.registry.MODELS")
