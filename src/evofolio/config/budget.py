"""Which shipped preset's budget a run had: ``quick`` (a demonstration), ``default``, or
``custom``, recorded in ``run.json`` and ``validate.json`` so that the reports can say it.

The budget is what decides how much the search could find: the genomes per generation, the
generations, the walk-forward folds, the epochs and patience of each fit and the champion's
seeds. A run whose values all equal a preset's has that preset's budget (however it was
started: ``--quick``, ``--config`` with the same numbers, or the API); any other is custom.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from evofolio.config.run import RunConfig, load_preset, preset_names

__all__ = ["BUDGET_KEYS", "budget_of", "budget_preset", "budget_record"]

BUDGET_KEYS = (
    ("search", "population"),
    ("search", "generations"),
    ("search", "folds"),
    ("training", "epochs"),
    ("training", "patience"),
    ("champion", "seeds"),
)
"""The configuration keys (section, key) that make up a run's budget."""
PRESET_ORDER = ("quick", "default")
"""Presets tried first: a budget equal to two presets' is named after the first."""


def budget_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The budget keys of a configuration dumped as JSON (``RunConfig.model_dump``), as
    ``{"population": 2, ...}``; a key the dump lacks is None."""
    out: dict[str, Any] = {}
    for section, key in BUDGET_KEYS:
        part = values.get(section)
        out[key] = part.get(key) if isinstance(part, Mapping) else None
    return out


@functools.cache
def _preset_budgets() -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    names = [n for n in PRESET_ORDER if n in preset_names()]
    names += [n for n in preset_names() if n not in names]
    return tuple(
        (name, tuple(budget_of(load_preset(name).model_dump(mode="json")).items()))
        for name in names
    )


def budget_preset(config: RunConfig | Mapping[str, Any]) -> str:
    """The name of the shipped preset whose budget ``config`` has, else ``"custom"``."""
    values = config.model_dump(mode="json") if isinstance(config, RunConfig) else config
    budget = tuple(budget_of(values).items())
    return next((name for name, preset in _preset_budgets() if preset == budget), "custom")


def budget_record(config: RunConfig | Mapping[str, Any]) -> dict[str, Any]:
    """``{"preset": "quick" | "default" | ... | "custom", "population": ..., ...}``: what
    ``run.json`` and ``validate.json`` record under ``budget`` (``config``: the run's, or
    its JSON dump, as a report reads it from a file written before the record existed)."""
    values = config.model_dump(mode="json") if isinstance(config, RunConfig) else config
    return {"preset": budget_preset(values), **budget_of(values)}
