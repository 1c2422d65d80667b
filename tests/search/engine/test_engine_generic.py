"""The engine is generic: it runs a search for a stub domain that has nothing to do with
portfolios (one float gene, one named objective), and loads no portfolio module to do it."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

from evofolio.config import SearchConfig
from evofolio.search.engine import SearchPlan, TrialContext, TrialOutcome, run_search

DOMAIN = [
    "evofolio.search.space",
    "evofolio.search.fitness",
    "evofolio.search.plan",
    "evofolio.allocators",
    "evofolio.backtesting",
    "evofolio.features",
    "evofolio.strategies",
    "evofolio.models",
    "evofolio.training",
    "torch",
]


def suggest_x(trial: optuna.Trial, high: float) -> float:
    """The stub domain's genome: one float ``x`` in [0, high]."""
    return trial.suggest_float("x", 0.0, high)


class Parabola:
    """Scores genome ``x`` as ``loss = (x - 0.3)**2`` (to minimise) and keeps ``x``."""

    def __call__(self, trial: optuna.Trial, genome: Any, context: TrialContext) -> TrialOutcome:
        assert context.objectives == ("loss",) and not context.multi_objective
        return TrialOutcome(((genome - 0.3) ** 2,), {"x_seen": genome})


def stub_plan(run_dir: Path, population: int = 4, generations: int = 2) -> SearchPlan:
    settings = SearchConfig(population=population, generations=generations, heartbeat_seconds=1)
    return SearchPlan(
        search=settings,
        run_dir=run_dir,
        suggest=functools.partial(suggest_x, high=1.0),
        objectives=("loss",),
        directions=("minimize",),
        seed=5,
        target=population * generations,
        max_trials=3 * population * generations,
        poll_seconds=0.1,
    )


@pytest.fixture(autouse=True)
def _quiet() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_engine_searches_a_stub_domain(tmp_path: Path) -> None:
    opened: list[str] = []
    result = run_search(
        stub_plan(tmp_path / "run"), Parabola, on_open=lambda s: opened.append(s.study_name)
    )
    frame = pd.read_parquet(result.trials_path)
    assert opened == ["evofolio"] and result.reached_target and result.counts.complete == 8
    assert [d.name for d in result.study.directions] == ["MINIMIZE"]
    # the table names the objective as the plan does, and the values are the evaluator's
    assert "loss" in frame.columns and "fitness" not in frame.columns
    x = frame["params_x"]
    assert ((frame["loss"] - (x - 0.3) ** 2).abs() < 1e-12).all()
    assert (frame["attr_x_seen"] == x).all()  # the genome the evaluator got is suggest's
    # the best trial (pareto column, from study.best_trials) has the smallest loss
    assert frame.loc[frame["pareto"], "loss"].item() == frame["loss"].min()
    # a resumed search with the same plan evaluates nothing more
    again = run_search(stub_plan(tmp_path / "run"), Parabola)
    assert again.counts.complete == 8 and len(again.study.trials) == 8


def test_a_refused_start_leaves_no_run_directory(tmp_path: Path) -> None:
    def refuse(study: optuna.Study) -> None:
        raise RuntimeError("refused by the domain")

    with pytest.raises(RuntimeError, match="refused"):
        run_search(stub_plan(tmp_path / "new"), Parabola, on_open=refuse)
    assert not (tmp_path / "new").exists()


def test_a_plan_needs_one_direction_per_objective(tmp_path: Path) -> None:
    plan = stub_plan(tmp_path)
    with pytest.raises(ValueError, match="2 objectives for 1 directions"):
        SearchPlan(**{**plan.__dict__, "objectives": ("a", "b")})


def test_a_search_with_the_engine_loads_no_portfolio_module(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from test_engine_generic import Parabola, stub_plan
        from evofolio.search.engine import run_search
        result = run_search(stub_plan(Path({str(tmp_path / "sub")!r})), Parabola)
        assert result.counts.complete == 8
        print(",".join(sorted(m for m in sys.modules if m.startswith(("evofolio", "torch")))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = done.stdout.strip().splitlines()[-1].split(",")
    assert "evofolio.search.engine.study" in loaded
    assert not [m for m in loaded if m.startswith(tuple(DOMAIN))]
