"""The public Python API (top-level glue, beside the CLI): what ``from evofolio import ...``
offers. Each name lives in one small module, imported only when first used:

* :mod:`evofolio.api.data`: :func:`~evofolio.api.data.load_data`;
* :mod:`evofolio.api.config`: :func:`~evofolio.api.config.load_config`,
  :func:`~evofolio.api.config.load_preset` (checked against the family registry);
* :mod:`evofolio.api.backtest`: :func:`~evofolio.api.backtest.backtest`;
* :mod:`evofolio.api.search`: :func:`~evofolio.api.search.run`,
  :func:`~evofolio.api.search.evolve`;
* :mod:`evofolio.api.champion`: :func:`~evofolio.api.champion.load_champion`.

This module imports nothing heavy, so that ``import evofolio`` stays cheap (no torch).
"""
