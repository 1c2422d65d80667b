"""The report's words: the champion's genome in sentences and how to read each statistic.

Plain functions from run-directory values to text (no HTML here; :mod:`~evofolio.report.html`
escapes it). Every function tolerates missing genes and nan values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "dataset_note",
    "dsr_sentence",
    "genome_sentences",
    "pbo_sentence",
    "rebalance_text",
]

PERIODS_PER_YEAR = 252
OBJECTIVES = {
    "sharpe": "the Sharpe ratio",
    "sortino": "the Sortino ratio",
    "utility": "a mean-variance utility",
}
ENCODERS = {
    "joint": "a joint encoder (one LSTM reads every asset's features together)",
    "shared": "a shared encoder (the same LSTM reads each asset on its own)",
}
MODES = {
    "blend": "blends the strategies' weights with the weights it outputs",
    "select": "selects the strategy it predicts will do best over the next days",
}
NO_CAP = 1.0
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


def _switched_on(genome: Mapping[str, Any], prefix: str) -> list[str]:
    return [key[len(prefix) :] for key, value in genome.items() if key.startswith(prefix) and value]


def genome_sentences(genome: Mapping[str, Any], family: str) -> list[str]:
    """The champion's genome as a few sentences, the genes its family ignores left out."""
    layers, hidden = int(_number(genome, "layers", 1)), int(_number(genome, "hidden", 0))
    network = (
        f"{layers} LSTM layer{'s' if layers != 1 else ''} of {hidden} hidden units, "
        f"dropout {_number(genome, 'dropout', 0.0):.2f}"
    )
    sentences: list[str] = []
    if family == "asset":
        encoder = ENCODERS.get(str(genome.get("encoder")), f"encoder {genome.get('encoder')}")
        features = _switched_on(genome, "feature_")
        sentences.append(
            f"Model 1, the asset-level LSTM: {encoder}, {network}; it maps each day's "
            "features directly to portfolio weights."
        )
        sentences.append(
            f"It reads {len(features)} feature{'s' if len(features) != 1 else ''}: "
            f"{', '.join(features) or 'none'}."
        )
    else:
        strategies = _switched_on(genome, "strategy_")
        mode = MODES.get(str(genome.get("mode")), f"uses mode {genome.get('mode')}")
        sentences.append(
            f"Model 2, the portfolio-level LSTM over classic strategies: {network}; it {mode}."
        )
        sentences.append(
            f"Its inputs are {len(strategies)} classic strategies: "
            f"{', '.join(strategies) or 'none'}."
        )
    objective = OBJECTIVES.get(str(genome.get("objective")), str(genome.get("objective")))
    sentences.append(
        f"Trained on sequences of {int(_number(genome, 'seq_len', 0))} days, back-propagated "
        f"through chunks of {int(_number(genome, 'chunk_len', 0))} days, with learning rate "
        f"{_number(genome, 'lr'):.2g} and weight decay {_number(genome, 'weight_decay'):.2g}, "
        f"to maximise {objective} net of a {_number(genome, 'cost_bps', 0.0):.1f} bps "
        "trading-cost penalty."
    )
    cap = _number(genome, "max_weight", NO_CAP)
    sentences.append(
        "No cap on any asset's weight (long-only, fully invested)."
        if math.isnan(cap) or cap >= NO_CAP
        else f"Each asset's weight is capped at {100 * cap:.0f}% (long-only, fully invested)."
    )
    return sentences


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
