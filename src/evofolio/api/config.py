"""``evofolio.load_config`` and ``evofolio.load_preset``: a run configuration, checked
against the family registry.

:mod:`evofolio.config` (layer 0) validates every section and key, but cannot see the model
families (registered above it, in :mod:`evofolio.allocators.registry`). Here the ``[model]``
section is checked against its family's own parameters
(:func:`~evofolio.allocators.registry.check_model`): a config whose ``model.family`` is
``asset`` but which sets ``mode`` (a ``portfolio`` setting), or sets ``hidden`` beyond the
network's bounds, is refused with a one-line ``ConfigError`` naming the file, the key and
the family.
"""

from __future__ import annotations

from pathlib import Path

from evofolio import config as _config
from evofolio.allocators.registry import check_model
from evofolio.config import RunConfig

__all__ = ["load_config", "load_preset"]


def load_config(path: str | Path | None) -> RunConfig:
    """Read a TOML file into a :class:`~evofolio.config.RunConfig` (``None``: the defaults).

    Raises ``ConfigError`` naming the file and the key: the file is missing or not TOML, a key
    is unknown or its value invalid, or ``[model]`` sets a key its family does not read.
    """
    loaded = _config.load_config(path)
    return check_model(loaded, str(path) if path is not None else "config")


def load_preset(name: str) -> RunConfig:
    """A shipped configuration by name (e.g. ``zhang2020``, see
    :func:`evofolio.config.preset_names`); ``ConfigError`` for an unknown name."""
    return check_model(_config.load_preset(name), f"preset {name}")
