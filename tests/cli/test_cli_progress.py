"""The classic rules' progress line: rule, dates done of the total, elapsed, remaining."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress

from evofolio.allocators.classic_compute import RuleProgress
from evofolio.cli.common import ClassicProgress, clock


def _live() -> Progress:
    progress = Progress(console=Console(file=io.StringIO()))
    progress.start()
    return progress


def test_the_line_follows_the_rule_and_hides_when_done() -> None:
    progress = _live()
    show = ClassicProgress(progress)
    show(RuleProgress("hrp", 0, 40, 0.0, None))
    task = progress.tasks[0]
    assert task.total == 40 and task.completed == 0 and task.visible
    assert task.description == "classic rule hrp: dates (0:00 elapsed · ~? left)"
    show(RuleProgress("hrp", 10, 40, 75.0, 225.0))
    assert task.completed == 10
    assert task.description == "classic rule hrp: dates (1:15 elapsed · ~3:45 left)"
    show(RuleProgress("hrp", 40, 40, 300.0, 0.0))
    assert not task.visible
    show(RuleProgress("min_variance", 0, 12, 0.0, None))  # the next rule reuses the line
    assert len(progress.tasks) == 1 and task.visible and task.total == 12
    progress.stop()


def test_a_closed_display_gives_way_to_a_line_of_its_own_while_a_rule_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import evofolio.cli.common as common

    monkeypatch.setattr(common.err_console, "_force_terminal", True)  # shown on terminals only
    closed = Progress(console=Console(file=io.StringIO()))  # e.g. the search display, done
    show = ClassicProgress(closed, status_column=True)
    show(RuleProgress("hrp", 3, 40, 1.0, 12.0))
    assert not closed.tasks
    assert show.own is not None and show.own.live.is_started
    own = show.own
    assert own.tasks[0].completed == 3
    show(RuleProgress("hrp", 40, 40, 14.0, 0.0))
    assert show.own is None and not own.live.is_started


def test_clock() -> None:
    assert clock(None) == "?"
    assert clock(59.9) == "0:59"
    assert clock(3725) == "1:02:05"


def test_the_progress_bar_is_off_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off a terminal the work logs lines instead, and a transient display would only leave
    an empty line before them (e.g. before an ``error:`` line)."""
    import evofolio.cli.common as common

    assert common.progress_bar().disable  # pytest's stderr is not a terminal
    monkeypatch.setattr(common.err_console, "_force_terminal", True)
    assert not common.progress_bar().disable
