"""The gene table: every gene of the genome declared once.

Each :class:`Gene` says its distribution (kind, log scale, the ``[search.space]`` field that
holds its range or choices), the config field it sets (``model.*`` or ``training.*``), how a
gene value becomes a config value and back, and its words in the report. Suggesting
(:func:`evofolio.search.space.suggest_genome`), decoding (:func:`~evofolio.search.space.decode`),
encoding, checking ``[search.space]`` and describing a genome
(:func:`evofolio.report.text.genome_sentences`) all read this table.

Which families read a gene: every family reads the training genes; a model gene is read by
the families that list it in their :attr:`~evofolio.allocators.families.Family.genes`
(:func:`families_reading`). Besides these, the genome holds the ``family`` gene (its choices
are ``search.families``) and one on/off switch per feature (``feature_<name>``, read by the
families that list ``features``) and per strategy (``strategy_<name>``, ``strategies``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from evofolio.allocators.families import FAMILIES

__all__ = [
    "FEATURE_PREFIX",
    "GENES",
    "NO_CAP",
    "STRATEGY_PREFIX",
    "Gene",
    "families_reading",
    "genes_read",
    "reads",
]

FEATURE_PREFIX = "feature_"
STRATEGY_PREFIX = "strategy_"
NO_CAP = 1.0
"""The ``max_weight`` gene's value for "no cap" (``model.max_weight = None``)."""

ENCODERS = {
    "joint": "a joint encoder (one LSTM reads every asset's features together)",
    "shared": "a shared encoder (the same LSTM reads each asset on its own)",
}
MODES = {
    "blend": "blends the strategies' weights with the weights it outputs",
    "select": "selects the strategy it predicts will do best over the next days",
}
OBJECTIVES = {
    "sharpe": "the Sharpe ratio",
    "sortino": "the Sortino ratio",
    "utility": "a mean-variance utility",
}


def _same(value: Any) -> Any:
    return value


def _cap_to_config(value: Any) -> float | None:
    cap = float(value)
    return None if cap >= NO_CAP else cap


def _cap_to_gene(value: Any) -> float:
    return NO_CAP if value is None else float(value)


def _cap_words(value: Any) -> str:
    cap = float(value) if value is not None else NO_CAP
    return (
        "no cap on any asset's weight"
        if cap >= NO_CAP
        else f"each asset's weight capped at {100 * cap:.0f}%"
    )


@dataclass(frozen=True)
class Gene:
    """One gene.

    Attributes:
        name: the gene (Optuna parameter) name.
        kind: ``"int"`` / ``"float"`` (a ``[low, high]`` range, both ends included) or
            ``"choice"`` (a list of choices).
        space: the ``SpaceConfig`` field holding its range or choices.
        target: the config field it sets, ``"model.<field>"`` or ``"training.<field>"``.
        words: the report's words for a gene value (e.g. ``"0.10"``, ``"the Sortino ratio"``).
        log: the range is searched on a log scale.
        to_config / to_gene: gene value -> config value and back (``max_weight``: 1.0 is
            ``None``, no cap).
    """

    name: str
    kind: Literal["int", "float", "choice"]
    space: str
    target: str
    words: Callable[[Any], str] = str
    log: bool = False
    to_config: Callable[[Any], Any] = _same
    to_gene: Callable[[Any], Any] = _same

    @property
    def section(self) -> str:
        """``"model"`` or ``"training"``."""
        return self.target.split(".")[0]

    @property
    def field(self) -> str:
        return self.target.split(".")[1]


def _int(value: Any) -> str:
    return str(int(value))


def _g2(value: Any) -> str:
    return f"{float(value):.2g}"


GENES: dict[str, Gene] = {
    gene.name: gene
    for gene in (
        Gene(
            "encoder",
            "choice",
            "encoders",
            "model.encoder",
            lambda v: ENCODERS.get(str(v), f"encoder {v}"),
        ),
        Gene("layers", "int", "layers", "model.layers", _int),
        Gene("hidden", "int", "hidden", "model.hidden", _int, log=True),
        Gene("heads", "choice", "heads", "model.heads", _int),
        Gene("width", "choice", "widths", "model.width", _int),
        Gene("dropout", "float", "dropout", "model.dropout", lambda v: f"{float(v):.2f}"),
        Gene("lr", "float", "lr", "training.lr", _g2, log=True),
        Gene("weight_decay", "float", "weight_decay", "training.weight_decay", _g2, log=True),
        Gene("seq_len", "int", "seq_len", "training.seq_len", _int),
        Gene("chunk_len", "int", "chunk_len", "training.chunk_len", _int),
        Gene(
            "objective",
            "choice",
            "objectives",
            "training.objective",
            lambda v: OBJECTIVES.get(str(v), str(v)),
        ),
        Gene("cost_bps", "float", "cost_bps", "training.cost_bps", lambda v: f"{float(v):.1f}"),
        Gene(
            "max_weight",
            "choice",
            "max_weight",
            "model.max_weight",
            _cap_words,
            to_config=_cap_to_config,
            to_gene=_cap_to_gene,
        ),
        Gene(
            "mode", "choice", "modes", "model.mode", lambda v: MODES.get(str(v), f"uses mode {v}")
        ),
    )
}


def reads(family: str, gene: str) -> bool:
    """Whether ``family`` reads ``gene`` (a table gene, ``family``, or a switch)."""
    if gene == "family":
        return True
    if gene.startswith(FEATURE_PREFIX):
        return "features" in FAMILIES[family].genes
    if gene.startswith(STRATEGY_PREFIX):
        return "strategies" in FAMILIES[family].genes
    entry = GENES.get(gene)
    if entry is None:
        return False
    return entry.section == "training" or gene in FAMILIES[family].genes


def families_reading(gene: str) -> tuple[str, ...]:
    """The registered families that read ``gene``, in registry order."""
    return tuple(name for name in FAMILIES if reads(name, gene))


def genes_read(family: str) -> tuple[str, ...]:
    """The table genes ``family`` reads, in table order (switches not included)."""
    return tuple(name for name in GENES if reads(family, name))
