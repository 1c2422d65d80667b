"""A generic genetic search engine: Optuna NSGA-II by ask/tell, resumable, parallel, crash-safe.

It knows nothing about portfolios: a domain hands it a
:class:`~evofolio.search.engine.workers.SearchPlan` (a picklable ``suggest(trial) -> genome``
callable, the objective names and directions, the engine settings) and an evaluator factory
(:mod:`evofolio.search.engine.evaluator`), and gets back the study and ``trials.parquet``. An
import-linter contract keeps it free of the portfolio domain (``evofolio.search``'s other
modules, allocators, backtest, strategies, features, models, training).
"""

from evofolio.search.engine.evaluator import (
    Direction,
    Evaluator,
    EvaluatorFactory,
    Suggest,
    TrialContext,
    TrialOutcome,
)
from evofolio.search.engine.progress import SearchEvent
from evofolio.search.engine.study import SearchResult, enqueue_genomes, run_search
from evofolio.search.engine.trial_record import TrialCounts
from evofolio.search.engine.workers import SearchPlan

__all__ = [
    "Direction",
    "Evaluator",
    "EvaluatorFactory",
    "SearchEvent",
    "SearchPlan",
    "SearchResult",
    "Suggest",
    "TrialContext",
    "TrialCounts",
    "TrialOutcome",
    "enqueue_genomes",
    "run_search",
]
