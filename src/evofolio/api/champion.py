"""``evofolio.load_champion``: a finished run's champion, ready to decide weights.

The champion of a run is a seed ensemble (``champion/models/``: one fitted allocator per
seed, trading the average of their weights) of the genome in ``champion/config.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evofolio.allocators.ensemble import SeedEnsemble
from evofolio.api.data import PricesInput, load_data
from evofolio.config import RunConfig, override, parse_config
from evofolio.data import DATASETS, AllocationData, MarketData, load_from_config
from evofolio.data.load import reloadable
from evofolio.errors import DataError, UsageError
from evofolio.run_layout import CHAMPION_CONFIG, CHAMPION_MODELS
from evofolio.runlock import check_not_running
from evofolio.search.jobs.handoff import fetch_champion

__all__ = ["Champion", "load_champion", "read_json"]


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file of the run directory, or a user error naming it."""
    if not path.is_file():
        raise UsageError(f"{path} not found: is this the directory of a finished run?")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise DataError(f"{path}: expected a JSON object")
    return payload


@dataclass(frozen=True, eq=False)
class Champion:
    """A run's fitted champion: ``config`` (its genome as a run configuration, with the run's
    ``[data]`` section) and ``models`` (the directory of its seed ensemble)."""

    run_dir: Path
    config: RunConfig
    models: Path

    @property
    def family(self) -> str:
        """The model family (``asset``: Model 1, ``portfolio``: Model 2)."""
        return self.config.model.family

    @property
    def seeds(self) -> list[int]:
        """The training seeds of the ensemble's members."""
        listed = read_json(self.models / "ensemble.json").get("members", [])
        return [int(item["seed"]) for item in listed]

    def data(self, **data_options: Any) -> MarketData:
        """The run's own data source, reloaded (``data_options``: keys of ``[data]`` to
        change, e.g. ``source="prices.csv"``).

        Raises:
            UsageError: the run's source cannot be read again (prices given as a DataFrame,
                or a file since moved) and no ``source`` is given: it says to pass the
                prices (``prices=`` here, ``--data`` on the command line).
        """
        section = override(self.config, "data", **data_options).data
        self._check_reloadable(section.source)
        return load_from_config(section)

    def _check_reloadable(self, source: str) -> None:
        why = reloadable(source)
        if why is not None:
            raise UsageError(
                f"{self.run_dir}: the run's data cannot be read again ({why}): pass the "
                "prices with the run's assets: prices= (Python) or --data (command line)"
            )

    def allocate(
        self,
        prices: PricesInput | None = None,
        dates: Sequence[Any] | pd.DatetimeIndex | None = None,
        *,
        market: str | pd.Series | None = None,
    ) -> pd.DataFrame:
        """The ensemble's target weights, decided at the close of each of ``dates``.

        Args:
            prices: a prices DataFrame (dates × the run's assets, adjusted closes), a source
                string or ``MarketData``; default the run's own source reloaded. A frame is
                validated like a file (see :func:`evofolio.load_data`).
            dates: decision dates among the price dates, one date or several (default: the
                last one). The row for
                date *t* depends on prices up to *t* only; it is held from *t+1* on.
            market: the market series for beta (a frame's default: the run's market spec,
                else the equal-weight average of the assets, as the run had it).

        Returns:
            Weights, ``dates`` × assets: long-only, each row summing to 1. With a ragged
            universe (``data.ragged`` / ``data.universe``) the weights are 0 off the assets
            investable at each date, and for the default date (the last one) only the
            investable assets of that date are returned as columns.

        Raises:
            DataError: the prices lack the run's assets, or ``dates`` are not price dates.
            UsageError: no ``prices`` and the run's source cannot be read again (see
                :meth:`data`).
        """
        loaded = self._market_data(prices, market)
        frame = loaded.prices
        if dates is None:
            when = pd.DatetimeIndex([frame.index[-1]])
        else:
            single = isinstance(dates, str) or not isinstance(dates, Sequence | pd.Index)
            try:
                given: list[Any] = [dates] if single else list(dates)
                when = pd.DatetimeIndex([pd.Timestamp(day) for day in given])
            except (TypeError, ValueError):
                raise UsageError(
                    f"dates: expected a date or a list of dates (YYYY-MM-DD), got {dates!r}"
                ) from None
        when = when.as_unit(pd.DatetimeIndex(frame.index).unit)  # the prices' resolution
        missing = when.difference(pd.DatetimeIndex(frame.index))
        if len(missing):
            raise DataError(f"{loaded.source}: no prices on {missing[0]:%Y-%m-%d} (dates)")
        ensemble = SeedEnsemble.load(self.models)
        inputs = AllocationData(frame, loaded.market, universe=loaded.universe)
        weights = ensemble.allocate(inputs, when)
        if dates is None and loaded.universe is not None:
            investable = loaded.universe.investable().iloc[-1]
            weights = weights.loc[:, investable.reindex(weights.columns).to_numpy(bool)]
        return weights

    def _market_data(
        self, prices: PricesInput | None, market: str | pd.Series | None
    ) -> MarketData:
        if prices is None:
            self._check_reloadable(self.config.data.source)
            return load_from_config(override(self.config, "data", market=market).data)
        if isinstance(prices, pd.DataFrame) and market is None:
            market = _run_market(self.config)
        section = self.config.data
        return load_data(
            prices,
            market=market,
            timezone=section.timezone,
            on_suspect_jump=section.on_suspect_jump,
            max_ffill_days=section.max_ffill_days,
            max_missing_frac=section.max_missing_frac,
            ragged=section.ragged,
            universe=section.universe,
            delisting_return=section.delisting_return,
        )


def _run_market(config: RunConfig) -> str | None:
    """The market spec the run's data had: its own, else its dataset's (None: equal weight)."""
    if config.data.market is not None:
        return config.data.market
    dataset = DATASETS.get(config.data.source.strip().lower())
    return dataset.market if dataset is not None else None


def load_champion(
    run_dir: str | Path,
    *,
    storage: str | None = None,
    artifacts: str | None = None,
    study: str = "evofolio",
) -> Champion:
    """The champion of a finished ``run`` or ``evolve`` directory.

    With ``storage`` and ``artifacts`` (a shared study: its database URL and its artifact
    store, a directory or ``s3://bucket/prefix``) the champion of study ``study`` is first
    fetched into ``run_dir/champion/`` (created; it may be empty), so any machine can use it.

    Raises:
        SearchRunningError: a search is running in ``run_dir`` (another process holds its
            lock), or, with ``storage``, in the shared study (its published champion is
            not the one the search will choose).
        UsageError: ``run_dir`` or its ``champion/config.json`` is missing (not a finished
            run).
        DataError: it or the ensemble's list is unreadable.
        ConfigError: the stored configuration does not validate (naming the key).
    """
    if (storage is None) != (artifacts is None):
        raise UsageError("give storage and artifacts together (or neither)")
    check_not_running(run_dir, "loading its champion")
    if storage is not None and artifacts is not None:
        fetch_champion(storage, study, artifacts, Path(run_dir))
    run_dir = Path(run_dir).resolve()  # the champion outlives a change of directory
    if not run_dir.is_dir():
        what = "is not a directory" if run_dir.exists() else "not found"
        raise UsageError(f"run directory {what}: {run_dir}")
    path = run_dir / CHAMPION_CONFIG
    config = parse_config(read_json(path), str(path))
    models = run_dir / CHAMPION_MODELS
    if not (models / "ensemble.json").is_file():
        raise UsageError(f"{models / 'ensemble.json'} not found: is the run finished?")
    return Champion(run_dir, config, models)
