"""The progress a notebook sees by default (issue 23: ``evofolio.run`` printed nothing for
its whole duration but Optuna's "A new study created" line)."""

from __future__ import annotations

import io
import logging

import optuna

from evofolio.api.progress import NotebookProgress, progress_callbacks
from evofolio.search.engine.progress import SearchEvent
from evofolio.search.engine.trial_record import TrialCounts


def event(complete: int, pruned: int, *, finished: bool = False) -> SearchEvent:
    return SearchEvent(
        generation=1,
        generations=2,
        target=6,
        counts=TrialCounts(complete=complete, pruned=pruned, running=1),
        best=1.25,
        median=0.5,
        elapsed_s=30.0,
        eta_s=75.0,
        finished=finished,
        islands=(("asset", complete, 3), ("portfolio", pruned, 3)),
    )


def test_the_bar_counts_evaluated_genomes_and_shows_the_search() -> None:
    out = io.StringIO()
    display = NotebookProgress(file=out)
    display.on_event(event(2, 1))
    display.on_stage("classic rules: 7 of them")
    display.on_event(event(4, 2, finished=True))
    text = out.getvalue()
    assert "3/6" in text and "6/6" in text  # pruned genomes count toward the budget
    assert "gen 2/2" in text and "best 1.250" in text and "median 0.500" in text
    assert "asset 2/3" in text and "~1:15 left" in text
    assert "classic rules: 7 of them" in text
    assert display.bar is None  # closed with the search; the next one starts a new bar
    display.on_event(event(0, 0))
    assert display.searches == 2 and "search 2" in out.getvalue()
    display.close()


def test_own_callbacks_replace_the_bar_and_false_silences_it() -> None:
    def mine(_: object) -> None:
        return None

    with progress_callbacks(True, mine, mine) as (on_event, on_stage):
        assert on_event is mine and on_stage is mine
    with progress_callbacks(False, None, None) as (on_event, on_stage):
        assert on_event is None and on_stage is None
    with progress_callbacks(True, None, None) as (on_event, on_stage):
        assert on_event is not None and on_stage is not None


def test_optuna_info_lines_are_quieted_while_a_job_runs_and_restored_after() -> None:
    optuna.logging.set_verbosity(logging.INFO)
    try:
        with progress_callbacks(False, None, None):
            assert optuna.logging.get_verbosity() == logging.WARNING
        assert optuna.logging.get_verbosity() == logging.INFO
    finally:
        optuna.logging.set_verbosity(logging.WARNING)
