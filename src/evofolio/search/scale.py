"""The search space at large universes: what stops making sense as the assets grow.

Model 1's ``joint`` encoder reads the features of every asset at once, ``N · F`` inputs per
day: its LSTM's input weights grow as ``4 · hidden · N · F`` (with 500 assets and the 8
default features, 4,000 inputs per day: about a million weights per layer at 64 hidden
units) to be learned from a few thousand days, and every trial that draws it costs that
much. Above :data:`JOINT_MAX_ASSETS` assets it is left out of the search's encoders. The
``shared`` encoder and ``asset_attention`` read one asset at a time (assets batched), and
Model 2's blend reads the M classic strategies: they scale with N only through the batch
and the final weights.
"""

from __future__ import annotations

import logging

from evofolio.config import RunConfig
from evofolio.errors import ConfigError

__all__ = ["JOINT_MAX_ASSETS", "large_universe_space"]

logger = logging.getLogger(__name__)

JOINT_MAX_ASSETS = 100
"""Above this many assets the ``joint`` encoder is left out of the search space (800 inputs
per day with the 8 default features)."""


def large_universe_space(config: RunConfig, n_assets: int, ragged: bool = False) -> RunConfig:
    """``config`` whose ``search.space.encoders`` drop ``joint`` when ``n_assets`` exceeds
    :data:`JOINT_MAX_ASSETS` (an info line says so). When ``joint`` is the only encoder asked
    for it is kept, with a warning on its cost.

    ``ragged`` (a universe whose assets list and delist): ``joint`` is always left out (its
    fixed slots would read an asset's empty years as inputs; see
    :data:`evofolio.allocators.neural.JOINT_REFUSED`); ``ConfigError`` when it is the only
    encoder asked for."""
    space = config.search.space
    if ragged and "joint" in space.bounds("encoder"):
        kept = [encoder for encoder in space.bounds("encoder") if encoder != "joint"]
        if not kept:
            raise ConfigError(
                "search.space.encoders = ['joint'] is refused for a ragged universe: the joint "
                "LSTM reads all assets as one fixed vector per day; use 'shared'"
            )
        logger.info("ragged universe: the joint encoder is left out of the search")
        search = config.search.model_copy(
            update={"space": space.model_copy(update={"encoders": kept})}
        )
        config = config.model_copy(update={"search": search})
        space = config.search.space
    if n_assets <= JOINT_MAX_ASSETS or "joint" not in space.bounds("encoder"):
        return config
    kept = [encoder for encoder in space.bounds("encoder") if encoder != "joint"]
    if not kept:
        logger.warning(
            "search.space.encoders is only 'joint': with %d assets each genome reads %d x "
            "features inputs per day, slow and prone to overfit; consider 'shared'",
            n_assets,
            n_assets,
        )
        return config
    logger.info(
        "%d assets: the joint encoder (one LSTM over all %d assets' features) is left out of "
        "the search above %d assets; the search draws from %s",
        n_assets,
        n_assets,
        JOINT_MAX_ASSETS,
        ", ".join(kept),
    )
    search = config.search.model_copy(update={"space": space.model_copy(update={"encoders": kept})})
    return config.model_copy(update={"search": search})
