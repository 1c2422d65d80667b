"""Which families read which gene: the gene table joined to the family registry.

The genes themselves are declared once, in :data:`evofolio.config.genes.GENES` (layer 0, so
that ``[search.space]`` is derived from it); they are re-exported here. Which families read a
gene comes from the registry: every family reads the training genes; a model gene is read by
the families that list it in their :attr:`~evofolio.allocators.families.Family.genes`
(:func:`reads`). Besides the table's genes, the genome holds the ``family`` gene
(its choices are ``search.families``) and one on/off switch per feature (``feature_<name>``,
read by the families that list ``features``) and per strategy (``strategy_<name>``,
``strategies``).
"""

from __future__ import annotations

from evofolio.allocators.families import FAMILIES
from evofolio.config.genes import FEATURE_PREFIX, GENES, NO_CAP, STRATEGY_PREFIX, Gene

__all__ = [
    "FEATURE_PREFIX",
    "GENES",
    "NO_CAP",
    "STRATEGY_PREFIX",
    "Gene",
    "reads",
]


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
