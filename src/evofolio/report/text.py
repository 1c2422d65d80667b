"""The report's words: the champion's genome in sentences and how to read each statistic.

Plain functions from run-directory values to text (no HTML here; :mod:`~evofolio.report.html`
escapes it). Every function tolerates missing genes and nan values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from evofolio.allocators.registry import FAMILIES
from evofolio.config.genes import GENES, NO_CAP
from evofolio.search.space import reads

__all__ = [
    "budget_sentence",
    "champion_sentence",
    "dataset_note",
    "dsr_sentence",
    "genome_sentences",
    "pbo_sentence",
    "rebalance_text",
]

PERIODS_PER_YEAR = 252
DATASET_NOTES = {
    "sp500": (
        "The sp500 universe is the 20 S&P 500 stocks shipped with skfolio, chosen among "
        "today's index members: they are survivors, so every strategy, champion included, "
        "benefits from survivorship bias and absolute returns are optimistic. Compare the "
        "strategies with each other, not with the index."
    ),
}


def _number(genome: Mapping[str, Any], gene: str, default: float = math.nan) -> float:
    try:
        return float(genome.get(gene, default))
    except (TypeError, ValueError):
        return default


def _words(genome: Mapping[str, Any], name: str) -> str:
    """A gene's words in the report (see :data:`~evofolio.config.genes.GENES`), ``"?"`` if
    the gene is missing or unreadable."""
    if name not in genome:
        return "?"
    try:
        return GENES[name].words(genome[name])
    except (TypeError, ValueError):
        return "?"


def genome_sentences(genome: Mapping[str, Any], family: str) -> list[str]:
    """The champion's genome as a few sentences, the genes its family ignores left out.

    The family's sentences come from its registry entry
    (:data:`~evofolio.allocators.registry.FAMILIES`: the allocator class's title, network
    summary with the genes' words, its inputs); the training and cap sentences from the gene
    table.
    """
    entry = FAMILIES.get(family)
    sentences: list[str] = []
    if entry is None:
        sentences.append(f"A model of the unregistered family '{family}'.")
    else:
        words = {name: _words(genome, name) for name in GENES}
        sentences.append(
            f"{entry.title[0].upper()}{entry.title[1:]}: {entry.summary.format(**words)}."
        )
        inputs = entry.inputs_sentence(genome)
        if inputs:
            sentences.append(inputs)
    sentences.append(
        f"Trained on sequences of {_words(genome, 'seq_len')} days, back-propagated "
        f"through chunks of {_words(genome, 'chunk_len')} days, with learning rate "
        f"{_words(genome, 'lr')} and weight decay {_words(genome, 'weight_decay')}, "
        f"to maximise {_words(genome, 'objective')} net of a {_words(genome, 'cost_bps')} bps "
        "trading-cost penalty."
    )
    if entry is None or reads(family, "max_weight"):
        cap = (
            _words(genome, "max_weight")
            if "max_weight" in genome
            else GENES["max_weight"].words(NO_CAP)
        )
        sentences.append(f"{cap[0].upper()}{cap[1:]} (long-only, fully invested).")
    return sentences


def _budget_numbers(budget: Mapping[str, Any]) -> str:
    def value(key: str) -> str:
        found = budget.get(key)
        return "?" if found is None else str(found)

    def count(key: str, one: str, many: str) -> str:
        return f"{value(key)} {one if budget.get(key) == 1 else many}"

    return (
        f"{count('population', 'genome', 'genomes')} × "
        f"{count('generations', 'generation', 'generations')}, "
        f"{count('folds', 'walk-forward fold', 'walk-forward folds')}, up to "
        f"{count('epochs', 'epoch', 'epochs')} per fit (patience {value('patience')}), "
        f"{count('seeds', 'champion seed', 'champion seeds')}"
    )


def budget_sentence(budget: Mapping[str, Any]) -> str:
    """The run's budget preset (``run.json`` / ``validate.json`` ``budget``), its numbers and
    what it means for the verdict."""
    if not budget:
        return "Budget: not recorded (a run directory written before budgets were recorded)."
    preset = str(budget.get("preset", "custom"))
    numbers = _budget_numbers(budget)
    if preset == "quick":
        return (
            f"Budget: the quick preset, a demonstration budget: {numbers}. Far too small for "
            "the verdict to mean much: it shows the whole pipeline working, not whether the "
            "model beats the classic rules; run without --quick for a real search."
        )
    if preset == "custom":
        return f"Budget: custom (no shipped preset's): {numbers}."
    return f"Budget: the {preset} preset's: {numbers}."


def champion_sentence(trial: int, family: str, genome: Mapping[str, Any]) -> str:
    """The champion's trial, family and genome in words (:func:`genome_sentences`)."""
    return f"Champion: trial {trial}, {family} family. " + " ".join(
        genome_sentences(genome, family)
    )


def dsr_sentence(dsr: Mapping[str, float]) -> str:
    """How to read the deflated Sharpe ratio, with this run's numbers."""
    n_trials = int(_number(dsr, "n_trials", 0))
    sr_star = _number(dsr, "sr_star") * math.sqrt(PERIODS_PER_YEAR)
    return (
        f"Against zero, not against the benchmark: the probability that the champion's true "
        f"Sharpe ratio is above zero once its selection as the best of {n_trials} trials is "
        f"accounted for (the best of {n_trials} skill-less trials would show an annualised "
        f"Sharpe ratio of about {sr_star:.2f} by luck alone). Every mostly-invested long-only "
        "equity portfolio passes this test, equal weight included, so it says nothing about "
        "beating the classic rules: read the verdict's benchmark-relative statistics for that."
    )


def pbo_sentence(pbo: Mapping[str, float] | None, n_complete: int) -> str:
    """How to read the probability of backtest overfitting, or why it is missing."""
    if pbo is None:
        return (
            f"The probability of backtest overfitting was not computed: it compares the "
            f"configurations of the search across halves of the development period and needs "
            f"at least 2 completed trials (this run has {n_complete})."
        )
    combos = int(_number(pbo, "n_combinations", 0))
    return (
        f"The probability of backtest overfitting is the share of the {combos:,} ways of "
        "splitting the development period into two halves in which the configuration that was "
        "best on one half ranked at or below the median on the other: below 0.5 the search's "
        "choice carries over to unseen data, near or above 0.5 picking the best is no better "
        "than picking at random."
    )


def rebalance_text(rule: str) -> str:
    """``"monthly"`` → ``"monthly"``, ``"21"`` → ``"every 21 trading days"``."""
    return f"every {rule} trading days" if rule.isdigit() else rule


def dataset_note(source: str) -> str:
    """The limits of the price source, for the assumptions section."""
    if source in DATASET_NOTES:
        return DATASET_NOTES[source]
    return (
        f"The prices come from '{source}'. If the asset list was chosen with hindsight (for "
        "example today's index members) every strategy benefits from survivorship bias: "
        "compare the strategies with each other rather than with an index."
    )
