"""The run configuration: pydantic models read from TOML (layer 0).

``from evofolio.config import ...`` gives every section, :class:`RunConfig` and the loaders.
The modules: :mod:`~evofolio.config.sections` (``[data]``, ``[backtest]``, ``[strategies]``,
``[model]``, ``[training]``, ``[walk_forward]``, ``[evaluation]``, ``[champion]``),
:mod:`~evofolio.config.genes` (the gene table, the one declaration of every gene),
:mod:`~evofolio.config.space` (``[search]`` and ``[search.space]``, derived from the gene
table) and :mod:`~evofolio.config.run` (the whole configuration; TOML, presets, overrides).
"""

from evofolio.config.genes import GENES, Gene
from evofolio.config.run import (
    RunConfig,
    load_config,
    load_preset,
    override,
    parse_config,
    preset_names,
)
from evofolio.config.sections import (
    DEFAULT_FEATURES,
    BacktestConfig,
    ChampionConfig,
    Covariance,
    DataConfig,
    EvaluationConfig,
    ModelConfig,
    Rebalance,
    StrategiesConfig,
    TrainingConfig,
    ValidateConfig,
    WalkForwardConfig,
)
from evofolio.config.space import Crossover, GeneValue, Sampler, SearchConfig, SpaceConfig

__all__ = [
    "DEFAULT_FEATURES",
    "GENES",
    "BacktestConfig",
    "ChampionConfig",
    "Covariance",
    "Crossover",
    "DataConfig",
    "EvaluationConfig",
    "Gene",
    "GeneValue",
    "ModelConfig",
    "Rebalance",
    "RunConfig",
    "Sampler",
    "SearchConfig",
    "SpaceConfig",
    "StrategiesConfig",
    "TrainingConfig",
    "ValidateConfig",
    "WalkForwardConfig",
    "load_config",
    "load_preset",
    "override",
    "parse_config",
    "preset_names",
]
