"""The model families: one registry line each, and the only place that knows them by name.

:data:`FAMILIES` maps a family name (the value of ``model.family`` and of the search's
``family`` gene) to a frozen :class:`Family` record that says how to build a fresh, unfitted
allocator of it from a run configuration, how to load a fitted one from a checkpoint, which
genes of :data:`evofolio.config.genes.GENES` it reads, which other ``[model]`` keys it reads
(together: its own ``[model]`` schema, checked by :func:`check_model_keys`), its default model
settings, what data it needs besides the prices (the classic-strategy panel, the market series)
and how the report describes a genome of it. Adding a family is one module (network +
allocator) and one line here; the contract tests in ``tests/families/`` then run over it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from evofolio.allocators.attention import AssetAttentionAllocator
from evofolio.allocators.neural import AssetLSTMAllocator
from evofolio.allocators.portfolio import PortfolioLSTMAllocator
from evofolio.allocators.strategy_panel import StrategyPanel
from evofolio.backtest import Allocator
from evofolio.config import GENES, ModelConfig, RunConfig
from evofolio.errors import ConfigError
from evofolio.training.loop import Progress

__all__ = [
    "FAMILIES",
    "Family",
    "FamilyInputs",
    "NeuralAllocator",
    "check_model_keys",
    "family_of",
]


class NeuralAllocator(Allocator, Protocol):
    """An allocator whose fitted state can be written to a checkpoint."""

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the fitted model, scaler and settings to ``path``."""
        ...


@dataclass(frozen=True)
class FamilyInputs:
    """What a family may read besides the prices: the market series (beta features), the
    classic-strategy panel (Model 2's inputs) and an epoch callback."""

    market: pd.Series | None = None
    panel: StrategyPanel | None = None
    on_epoch: Progress | None = None


def _feature_words(genome: Mapping[str, Any]) -> str:
    features = [
        k.removeprefix("feature_") for k, v in genome.items() if k.startswith("feature_") and v
    ]
    return (
        f"It reads {len(features)} feature{'s' if len(features) != 1 else ''}: "
        f"{', '.join(features) or 'none'}."
    )


@dataclass(frozen=True)
class Family:
    """One model family.

    Attributes:
        name: the registry key (``model.family``).
        title: how the report names it, e.g. ``"Model 1, the asset-level LSTM"``.
        allocator: the allocator class; ``allocator(model, training, seed=..., on_epoch=...,
            **extra)`` is a fresh, unfitted allocator, ``allocator.load(path, **extra)`` a
            fitted one from its checkpoint (``weights_only=True``).
        genes: the names of the model genes it reads (``evofolio.config.genes.GENES``;
            ``features`` / ``strategies`` stand for the ``feature_*`` / ``strategy_*``
            switches); the training genes are read by every family.
        settings: the ``[model]`` keys it reads besides ``family`` and its model genes'
            fields (e.g. ``temperature``); with the genes they make :attr:`model_keys`, the
            only ``[model]`` keys a config of this family may set (:func:`check_model_keys`).
        needs_panel: its allocator reads the classic-strategy panel (``panel=``).
        needs_market: its allocator reads the market series (``market=``).
        defaults: its model settings where they differ from ``ModelConfig``'s defaults.
        summary: the report's sentence on the network, from the genome's genes (the genes'
            words are filled in by :func:`evofolio.report.text.genome_sentences`).
        inputs_sentence: the report's sentence on what it reads, from the genome.
    """

    name: str
    title: str
    allocator: Any
    genes: tuple[str, ...]
    summary: str
    inputs_sentence: Callable[[Mapping[str, Any]], str]
    settings: tuple[str, ...] = ("temperature",)
    needs_panel: bool = False
    needs_market: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def model_keys(self) -> frozenset[str]:
        """The ``[model]`` keys this family reads: ``family``, its :attr:`settings`, the fields
        its model genes set and ``features`` / ``strategies`` for its switches."""
        keys = {"family", *self.settings}
        for gene in self.genes:
            entry = GENES.get(gene)
            if entry is None:  # the "features" / "strategies" switches
                keys.add(gene)
            elif entry.section == "model":
                keys.add(entry.field)
        return frozenset(keys)

    def _extra(self, inputs: FamilyInputs) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.needs_market:
            extra["market"] = inputs.market
        if self.needs_panel:
            if inputs.panel is None:
                raise ValueError(f"the {self.name} family needs the strategy panel")
            extra["panel"] = inputs.panel
        return extra

    def factory(self, config: RunConfig, inputs: FamilyInputs) -> Callable[[], NeuralAllocator]:
        """Fresh, unfitted allocators of this family for ``config`` (one per call)."""
        extra = self._extra(inputs)

        def make() -> NeuralAllocator:
            return self.allocator(
                config.model,
                config.training,
                seed=config.seed,
                on_epoch=inputs.on_epoch,
                **extra,
            )

        return make

    def loader(self, inputs: FamilyInputs) -> Callable[[Path], NeuralAllocator]:
        """Read one fitted allocator of this family from a checkpoint file."""
        return functools.partial(self.allocator.load, **self._extra(inputs))

    def default_model(self) -> ModelConfig:
        """The family's default model settings."""
        return ModelConfig(family=self.name, **self.defaults)


def _strategy_words(genome: Mapping[str, Any]) -> str:
    names = [
        k.removeprefix("strategy_") for k, v in genome.items() if k.startswith("strategy_") and v
    ]
    return f"Its inputs are {len(names)} classic strategies: {', '.join(names) or 'none'}."


FAMILIES: dict[str, Family] = {
    "asset": Family(
        "asset",
        "Model 1, the asset-level LSTM",
        AssetLSTMAllocator,
        ("encoder", "layers", "hidden", "dropout", "max_weight", "features"),
        "{encoder}, {layers} LSTM layer(s) of {hidden} hidden units, dropout {dropout}; it "
        "maps each day's features directly to portfolio weights",
        _feature_words,
        needs_market=True,
    ),
    "portfolio": Family(
        "portfolio",
        "Model 2, the portfolio-level LSTM over classic strategies",
        PortfolioLSTMAllocator,
        ("layers", "hidden", "dropout", "mode", "strategies"),
        "{layers} LSTM layer(s) of {hidden} hidden units, dropout {dropout}; it {mode}",
        _strategy_words,
        settings=("temperature", "encoder", "horizon"),
        needs_panel=True,
    ),
    "asset_attention": Family(
        "asset_attention",
        "The asset_attention family, a causal Transformer per asset (Kisiel & Gorse 2022)",
        AssetAttentionAllocator,
        ("layers", "width", "heads", "dropout", "max_weight", "features"),
        "{layers} causal self-attention layer(s) of width {width} with {heads} head(s), "
        "dropout {dropout}, over each asset's last {seq_len} days; it maps each day's "
        "features directly to portfolio weights",
        _feature_words,
        needs_market=True,
    ),
}


def family_of(name: str, key: str = "model.family") -> Family:
    """The registered family ``name``; ``ConfigError`` naming ``key`` and the choices."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"{key}: unknown family '{name}'; choose from {', '.join(FAMILIES)}"
        ) from None


def check_model_keys(
    config: RunConfig, source: str = "config", keys: Iterable[str] | None = None
) -> RunConfig:
    """``config`` if its ``[model]`` section sets only keys its family reads
    (:attr:`Family.model_keys`); else ``ConfigError`` naming ``source``, the key and the family.

    A family's settings thus form its own ``[model]`` schema, a union over the registry
    discriminated by ``model.family``: a config for one family cannot carry another's keys
    silently. The keys checked are ``keys``, by default those the file set (pydantic's
    ``model_fields_set``, so call it on a config just read from a file; after command-line
    overrides, pass the file's keys).
    """
    family = family_of(config.model.family, f"{source}: model.family")
    given = config.model.model_fields_set if keys is None else set(keys)
    foreign = sorted(given - family.model_keys)
    if not foreign:
        return config
    key = foreign[0]
    owners = [name for name, other in FAMILIES.items() if key in other.model_keys]
    raise ConfigError(
        f"{source}: model.{key} is not a setting of the {family.name} family "
        f"(model.family = '{family.name}'); it belongs to {' / '.join(owners) or 'no family'}. "
        f"The {family.name} family reads: {', '.join(sorted(family.model_keys))}"
    )
