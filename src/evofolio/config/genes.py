"""The gene table: every gene of the genome declared once (the data; layer 0).

Each :class:`Gene` says its distribution (kind, log scale, its default range or choices and
the ``[search.space]`` key that overrides them), the config field it sets (``model.*`` or
``training.*``), how a gene value becomes a config value and back, and its words in the
report. Everything else derives from this table: :class:`~evofolio.config.SpaceConfig`'s
fields, defaults and checks (:mod:`evofolio.config.space`), Optuna's distributions,
suggesting, decoding and encoding a genome (:mod:`evofolio.search.space`), which families
read a gene (:func:`evofolio.search.space.reads`, from each family's parameters) and the report's
sentences (:func:`evofolio.report.text.genome_sentences`).

Besides these genes, a genome holds the ``family`` gene (its choices are
``search.families``) and one on/off switch per feature (``feature_<name>``) and per strategy
(``strategy_<name>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["FEATURE_PREFIX", "GENES", "NO_CAP", "STRATEGY_PREFIX", "TABLE", "Gene"]

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


def _check_cap(value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ValueError(f"every max_weight choice must lie in (0, 1], got {value}")


def _check_positive(value: int) -> None:
    if value < 1:
        raise ValueError(f"every choice must be >= 1, got {value}")


@dataclass(frozen=True)
class Gene:
    """One gene.

    Attributes:
        name: the gene (Optuna parameter) name.
        kind: ``"int"`` / ``"float"`` (a ``[low, high]`` range, both ends included) or
            ``"choice"`` (a list of choices).
        space: the ``[search.space]`` key that overrides its range or choices.
        target: the config field it sets, ``"model.<field>"`` or ``"training.<field>"``.
        default: the default range ``(low, high)`` or choices.
        about: what the ``[search.space]`` key holds (the config reference's words).
        words: the report's words for a gene value (e.g. ``"0.10"``, ``"the Sortino ratio"``).
        log: the range is searched on a log scale.
        to_config / to_gene: gene value -> config value and back (``max_weight``: 1.0 is
            ``None``, no cap).
        value_type: the type of one choice; ``None``: the type of the target config field
            (``training.*``; a ``model.*`` gene names its type, since ``[model]`` is the
            chosen family's own schema).
        check: raises ``ValueError`` for a choice the type allows but the gene does not.
    """

    name: str
    kind: Literal["int", "float", "choice"]
    space: str
    target: str
    default: Sequence[Any]
    about: str
    words: Callable[[Any], str] = str
    log: bool = False
    to_config: Callable[[Any], Any] = _same
    to_gene: Callable[[Any], Any] = _same
    value_type: Any = None
    check: Callable[[Any], None] | None = None

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


def _f1(value: Any) -> str:
    return f"{float(value):.1f}"


def _f2(value: Any) -> str:
    return f"{float(value):.2f}"


def _encoder_words(value: Any) -> str:
    return ENCODERS.get(str(value), f"encoder {value}")


def _objective_words(value: Any) -> str:
    return OBJECTIVES.get(str(value), str(value))


def _mode_words(value: Any) -> str:
    return MODES.get(str(value), f"uses mode {value}")


def _index(table: Sequence[Gene]) -> dict[str, Gene]:
    """The table by gene name; ``ValueError`` if two genes share a name, a ``[search.space]``
    key or a config field (each gene is declared once, and sets one field of its own)."""
    for attribute in ("name", "space", "target"):
        seen = [getattr(gene, attribute) for gene in table]
        twice = sorted({value for value in seen if seen.count(value) > 1})
        if twice:
            raise ValueError(f"gene table: {attribute} {twice[0]!r} is declared twice")
    return {gene.name: gene for gene in table}


# fmt: off
TABLE: tuple[Gene, ...] = (
    Gene("encoder", "choice", "encoders", "model.encoder", ("joint", "shared"),
         "LSTM encoders to choose from", _encoder_words, value_type=str),
    Gene("layers", "int", "layers", "model.layers", (1, 3), "LSTM or attention layers", _int,
         value_type=int),
    Gene("hidden", "int", "hidden", "model.hidden", (8, 256), "hidden units (log scale)", _int,
         log=True, value_type=int),
    Gene("heads", "choice", "heads", "model.heads", (1, 2, 4),
         "asset_attention: attention heads to choose from", _int, value_type=int,
         check=_check_positive),
    Gene("width", "choice", "widths", "model.width", (16, 32, 64),
         "asset_attention: model widths to choose from (multiples of every head count)", _int,
         value_type=int, check=_check_positive),
    Gene("dropout", "float", "dropout", "model.dropout", (0.0, 0.5), "dropout between layers",
         _f2, value_type=float),
    Gene("lr", "float", "lr", "training.lr", (1e-4, 1e-2), "learning rate (log scale)", _g2,
         log=True),
    Gene("weight_decay", "float", "weight_decay", "training.weight_decay", (1e-6, 1e-3),
         "(log scale)", _g2, log=True),
    Gene("seq_len", "int", "seq_len", "training.seq_len", (10, 120),
         "burn-in days before each chunk", _int),
    Gene("chunk_len", "int", "chunk_len", "training.chunk_len", (50, 250),
         "days per training chunk", _int),
    Gene("objective", "choice", "objectives", "training.objective",
         ("sharpe", "sortino", "utility"), "training losses", _objective_words),
    Gene("cost_bps", "float", "cost_bps", "training.cost_bps", (0.0, 20.0),
         "cost term in the loss", _f1),
    Gene("max_weight", "choice", "max_weight", "model.max_weight", (1.0, 0.5, 0.3),
         "per-asset caps to choose from (1.0: none)", _cap_words, to_config=_cap_to_config,
         to_gene=_cap_to_gene, value_type=float, check=_check_cap),
    Gene("mode", "choice", "modes", "model.mode", ("blend", "select"),
         "Model 2 modes to choose from", _mode_words, value_type=str),
)
# fmt: on

GENES: dict[str, Gene] = _index(TABLE)
"""Every gene of :data:`TABLE` by name, in table order (the genome's order)."""
