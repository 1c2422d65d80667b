"""The base of every network's hyperparameters: one frozen pydantic model per family,
declared beside its network (the ``network`` parameter of the family's allocator, nested in
its ``get_params`` as ``network__<field>``). Their ``Field`` bounds are the bounds.

The networks themselves are built from a frozen dataclass (``config_cls``) that adds what
the data decides (number of assets or strategies, of features):
``network_cls(network_cls.config_cls(n_assets=..., n_features=..., **params.model_dump()))``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["NetworkParams"]


class NetworkParams(BaseModel):
    """Base of every family's network hyperparameters (frozen, unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
