"""The genome: a fixed-length set of genes per trial, and its decoding into a run config.

Every gene is suggested for every trial, because Optuna's genetic sampler only evolves the
parameters present in every trial; genes the chosen model family does not use are ignored
when decoding (the genes: the gene table :data:`evofolio.config.genes.GENES`, which this
module derives everything from; which family reads which: :func:`reads`, from the family's
parameters). A
gene pinned in ``[search.space.fixed]`` keeps its place in the genome with a single possible
value.

Constraint repair is deterministic and happens in decoding only (the stored genes are never
changed): if no ``feature_*`` gene is on, the first of :data:`REPAIR_FEATURES` that has a gene
is turned on (else the first feature gene); if fewer than two ``strategy_*`` genes are on,
:data:`REPAIR_STRATEGIES` are added in that order (then the other strategy genes, in order)
until two are on. The repairs made are listed in :attr:`Genome.repairs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from evofolio.allocators.registry import (
    check_model,
    estimator_for,
    family_of,
    model_keys,
    param_for,
)
from evofolio.config import GeneValue, RunConfig, SearchConfig, SpaceConfig, parse_config
from evofolio.config.genes import FEATURE_PREFIX, GENES, NO_CAP, STRATEGY_PREFIX, Gene
from evofolio.errors import ConfigError
from evofolio.features import FEATURES
from evofolio.strategies import STRATEGIES

__all__ = [
    "FEATURE_PREFIX",
    "GENES",
    "NO_CAP",
    "REPAIR_FEATURES",
    "REPAIR_STRATEGIES",
    "STRATEGY_PREFIX",
    "Genome",
    "check_space",
    "decode",
    "encode",
    "gene_distributions",
    "reads",
    "suggest_genome",
]

REPAIR_FEATURES = ("ret_1", "vol_21", "norm_price")
REPAIR_STRATEGIES = ("equal_weight", "inverse_vol", "min_variance")


def reads(family: str, gene: str) -> bool:
    """Whether ``family`` reads ``gene``: ``family`` always; a table gene when the family has
    the parameter its config field sets (:func:`~evofolio.allocators.registry.param_for`:
    ``model.hidden`` -> ``network__hidden``, ``training.lr`` -> ``training__lr``); a
    ``feature_*`` / ``strategy_*`` switch when it has a ``features`` / ``strategies``
    parameter. Derived from the family's ``get_params``, never declared."""
    if gene == "family":
        return True
    if gene.startswith(FEATURE_PREFIX):
        return param_for(family, "model.features") is not None
    if gene.startswith(STRATEGY_PREFIX):
        return param_for(family, "model.strategies") is not None
    entry = GENES.get(gene)
    return entry is not None and param_for(family, entry.target) is not None


@dataclass(frozen=True)
class Genome:
    """One trial's genes (``params``) and what they mean, repairs applied.

    ``values`` maps every gene of :data:`~evofolio.config.genes.GENES` to its config value
    (``max_weight`` 1.0 is ``None``); they read as attributes too (``genome.lr``).
    """

    params: Mapping[str, GeneValue]
    family: str
    values: Mapping[str, Any]
    features: tuple[str, ...]
    strategies: tuple[str, ...]
    repairs: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Genome:
        """Decode genes (e.g. ``trial.params``); an empty tuple means "no such genes"."""
        repairs: list[str] = []
        features = _switched_on(params, FEATURE_PREFIX, FEATURES)
        feature_genes = _switched_on(params, FEATURE_PREFIX, FEATURES, every=True)
        if feature_genes and not features:
            chosen = _first([*REPAIR_FEATURES, *feature_genes], feature_genes)
            features = (chosen,)
            repairs.append(f"no feature on: turned on {chosen}")
        strategies = _switched_on(params, STRATEGY_PREFIX, STRATEGIES)
        strategy_genes = _switched_on(params, STRATEGY_PREFIX, STRATEGIES, every=True)
        if strategy_genes and len(strategies) < 2:
            ordered = dict.fromkeys([*REPAIR_STRATEGIES, *strategy_genes])
            spare = [name for name in ordered if name in strategy_genes and name not in strategies]
            added = spare[: 2 - len(strategies)]
            strategies = _registry_order((*strategies, *added), STRATEGIES)
            repairs.append(f"fewer than 2 strategies on: added {', '.join(added)}")
        try:
            family = str(params["family"])
            values = {
                name: gene.to_config(
                    params[name]
                    if name in params or reads(family, name)
                    else gene.default[0]  # an island's genome lacks the genes its family ignores
                )
                for name, gene in GENES.items()
            }
        except KeyError as error:
            raise ConfigError(f"genome has no gene {error.args[0]!r}") from None
        return cls(
            params=dict(params),
            family=family,
            values=values,
            features=features,
            strategies=strategies,
            repairs=tuple(repairs),
        )


def _registry_order(names: Sequence[str], registry: Mapping[str, Any]) -> tuple[str, ...]:
    order = {name: index for index, name in enumerate(registry)}
    return tuple(sorted(names, key=lambda name: (order.get(name, len(order)), name)))


def _switched_on(
    params: Mapping[str, Any], prefix: str, registry: Mapping[str, Any], *, every: bool = False
) -> tuple[str, ...]:
    names = [
        key[len(prefix) :]
        for key, value in params.items()
        if key.startswith(prefix) and (every or bool(value))
    ]
    return _registry_order(names, registry)


def _first(candidates: Sequence[str], allowed: Sequence[str]) -> str:
    return next(name for name in candidates if name in allowed)


def _distribution(gene: Gene, space: SpaceConfig) -> BaseDistribution:
    bounds = space.bounds(gene.name)
    if gene.kind == "choice":
        return CategoricalDistribution(list(bounds))
    if gene.kind == "int":
        return IntDistribution(int(bounds[0]), int(bounds[1]), log=gene.log)
    return FloatDistribution(float(bounds[0]), float(bounds[1]), log=gene.log)


def gene_distributions(
    search: SearchConfig, feature_names: Sequence[str], strategy_names: Sequence[str]
) -> dict[str, BaseDistribution]:
    """Every gene's Optuna distribution, in genome order, ``fixed`` genes pinned: ``family``,
    the genes of :data:`~evofolio.config.genes.GENES` in table order, then the switches."""
    for name in search.families:
        family_of(name, "search.families")
    switch = CategoricalDistribution([False, True])
    genes: dict[str, BaseDistribution] = {"family": CategoricalDistribution(search.families)}
    for name, gene in GENES.items():
        try:
            genes[name] = _distribution(gene, search.space)
        except ValueError as error:
            raise ConfigError(f"search.space.{gene.space}: {error}") from None
    genes |= {FEATURE_PREFIX + name: switch for name in feature_names}
    genes |= {STRATEGY_PREFIX + name: switch for name in strategy_names}
    unknown = sorted(set(search.space.fixed) - set(genes))
    if unknown:
        raise ConfigError(
            f"search.space.fixed: unknown gene {unknown[0]!r}; genes are {', '.join(genes)}"
        )
    for name, value in search.space.fixed.items():
        genes[name] = CategoricalDistribution([value])
    return genes


def suggest_genome(
    trial: optuna.Trial,
    search: SearchConfig,
    feature_names: Sequence[str],
    strategy_names: Sequence[str],
) -> Genome:
    """Suggest the genes and decode them: every gene (a fixed-length genome) in one mixed
    population; with ``search.islands`` the family first (its island pins it), then only the
    genes that family reads (:func:`reads`), so that each island evolves its own genes."""
    params: dict[str, Any] = {}
    genes = gene_distributions(search, feature_names, strategy_names)
    if search.islands:
        family = genes.pop("family")
        assert isinstance(family, CategoricalDistribution)
        chosen = str(trial.suggest_categorical("family", family.choices))
        params["family"] = chosen
        genes = {name: d for name, d in genes.items() if reads(chosen, name)}
    for name, distribution in genes.items():
        if isinstance(distribution, IntDistribution):
            low, high = distribution.low, distribution.high
            params[name] = trial.suggest_int(name, low, high, log=distribution.log)
        elif isinstance(distribution, FloatDistribution):
            low_f, high_f = distribution.low, distribution.high
            params[name] = trial.suggest_float(name, low_f, high_f, log=distribution.log)
        else:
            assert isinstance(distribution, CategoricalDistribution)
            params[name] = trial.suggest_categorical(name, distribution.choices)
    return Genome.from_params(params)


def decode(params: Mapping[str, Any], base: RunConfig) -> RunConfig:
    """``base`` with its ``model`` and ``training`` sections set from the genes.

    Genes the chosen family does not read (:func:`reads`) are ignored, and so are the
    ``[model]`` settings of ``base`` that the genome's family does not read (those of another
    family); a genome without feature (strategy) genes keeps ``base``'s features
    (strategies). Raises ``ConfigError`` naming the key when a gene's value is out of the
    bounds of the family's parameter (:func:`~evofolio.allocators.registry.check_model`), or
    the family is not registered.
    """
    genome = Genome.from_params(params)
    family_of(genome.family, "genome family")
    merged = base.model_dump()
    keys = model_keys(genome.family)
    merged["model"] = {k: v for k, v in base.model.settings().items() if k in keys}
    merged["model"]["family"] = genome.family
    for name, gene in GENES.items():
        if reads(genome.family, name):
            merged[gene.section][gene.field] = genome.values[name]
    if genome.features and reads(genome.family, FEATURE_PREFIX):
        merged["model"]["features"] = list(genome.features)
    if genome.strategies and reads(genome.family, STRATEGY_PREFIX):
        merged["model"]["strategies"] = list(genome.strategies)
    return check_model(parse_config(merged, "genome"), "genome")


def encode(
    config: RunConfig,
    feature_names: Sequence[str] | None = None,
    strategy_names: Sequence[str] | None = None,
) -> dict[str, GeneValue]:
    """The genes describing ``config``'s model and training (e.g. to enqueue a known genome).

    A gene the family reads takes the value of the estimator's parameter (the setting given,
    else the family's default); a gene it does not read takes the first value of the gene's
    default range or choices (ignored by ``decode``). ``decode(encode(c), c) == c`` when
    ``c``'s features are in registry order and its ``[model]`` settings are those its family
    reads.
    """
    family = config.model.family
    estimator = estimator_for(config, "config")
    values = estimator.get_params(deep=True)
    params: dict[str, GeneValue] = {"family": family}
    for name, gene in GENES.items():
        key = param_for(family, gene.target)
        value = values[key] if key is not None else gene.to_config(gene.default[0])
        params[name] = gene.to_gene(value)
    features = list(values.get("features") or ())
    strategies = values.get("strategies")
    chosen = list(STRATEGIES) if strategies is None else list(strategies)
    for name in FEATURES if feature_names is None else feature_names:
        params[FEATURE_PREFIX + name] = name in features
    for name in STRATEGIES if strategy_names is None else strategy_names:
        params[STRATEGY_PREFIX + name] = name in chosen
    return params


def check_space(
    search: SearchConfig,
    base: RunConfig,
    feature_names: Sequence[str],
    strategy_names: Sequence[str],
) -> None:
    """Raise ``ConfigError`` before a search if a corner of the gene space cannot decode, or
    if ``[model]`` names a feature or strategy that is not registered."""
    for key, given, known in (
        ("model.features", base.model.get("features") or [], feature_names),
        ("model.strategies", base.model.get("strategies") or [], strategy_names),
    ):
        unknown = [name for name in given if name not in known]
        if unknown:
            raise ConfigError(
                f"{key}: unknown name '{unknown[0]}'; choose from: {', '.join(known)}"
            )
    genes = gene_distributions(search, feature_names, strategy_names)
    for name in search.families:
        if family_of(name, "search.families").reads_strategies and len(strategy_names) < 2:
            raise ConfigError(f"search.families: the {name} family needs at least 2 strategies")
    families = genes["family"]
    assert isinstance(families, CategoricalDistribution)
    for family in families.choices:
        for corner in (0, -1):
            params: dict[str, Any] = {"family": family}
            for name, distribution in genes.items():
                if isinstance(distribution, CategoricalDistribution):
                    params.setdefault(name, distribution.choices[corner])
                else:
                    assert isinstance(distribution, IntDistribution | FloatDistribution)
                    params[name] = distribution.low if corner == 0 else distribution.high
            try:
                decode(params, base)
            except ConfigError as error:
                raise ConfigError(f"search.space: genes at the range ends fail: {error}") from None
