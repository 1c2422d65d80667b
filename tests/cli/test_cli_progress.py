"""The classic rules' progress line: rule, dates done of the total, elapsed, remaining."""

from __future__ import annotations

from rich.progress import Progress

from evofolio.allocators.classic_compute import RuleProgress
from evofolio.cli.common import ClassicProgress, clock


def test_the_line_follows_the_rule_and_hides_when_done() -> None:
    progress = Progress()
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


def test_clock() -> None:
    assert clock(None) == "?"
    assert clock(59.9) == "0:59"
    assert clock(3725) == "1:02:05"
