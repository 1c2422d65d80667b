"""The search's evaluator trains the genome it is given: it decodes the genes over the run
config and hands that config (not the base one) to the walk-forward fitness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

from evofolio.config import RunConfig, parse_config
from evofolio.search import fitness
from evofolio.search.engine import TrialContext
from evofolio.search.fitness import FitnessResult, SearchContext, make_evaluator
from evofolio.search.space import Genome, encode


def test_the_evaluator_scores_the_decoded_genome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = parse_config({"seed": 2, "training": {"epochs": 7}})
    genes = encode(base) | {"family": "portfolio", "hidden": 24, "lr": 0.004, "mode": "select"}
    seen: list[tuple[RunConfig, Any, Path | None]] = []

    def fake_evaluate(
        config: RunConfig,
        shared: SearchContext,
        trial_dir: Path | None = None,
        report: Any = None,
        note: Any = None,
    ) -> FitnessResult:
        seen.append((config, shared, trial_dir))
        metrics = [{"sharpe": 0.5}, {"sharpe": 0.25}]
        return FitnessResult((0.3,), 0.3, metrics, pd.Series(dtype=float), 1.5)

    monkeypatch.setattr(fitness, "evaluate", fake_evaluate)
    shared = object()
    evaluator = make_evaluator(shared, base)  # type: ignore[arg-type]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study().ask()
    context = TrialContext(3, 0, tmp_path, ("fitness",), can_prune=False, worker="h:1")
    outcome = evaluator(trial, Genome.from_params(genes), context)

    config, passed, trial_dir = seen[0]
    assert passed is shared and trial_dir == tmp_path
    assert (config.model.family, config.model.hidden, config.model.mode) == (
        "portfolio",
        24,
        "select",
    )
    assert config.training.lr == 0.004
    assert (config.seed, config.training.epochs) == (2, 7)  # what genes do not set is the base's
    assert outcome.values == (0.3,) and outcome.attrs["fold_sharpes"] == [0.5, 0.25]
