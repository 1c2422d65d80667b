"""A classic rule as an Allocator: refit at every decision date on a trailing window."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from evofolio.allocators.base import BaseAllocator
from evofolio.allocators.classic_compute import decide
from evofolio.backtesting import FALLBACK_COLUMNS, no_fallbacks
from evofolio.data import as_data, as_dates
from evofolio.errors import DataError, InsufficientHistoryError, NotFittedError, ParameterError
from evofolio.strategies import STRATEGIES, zero_variance_mask
from evofolio.strategies.covariance import AUTO, COVARIANCES, resolve_covariance

logger = logging.getLogger(__name__)


class ClassicAllocator(BaseAllocator):
    """Decide the weights of rule ``name`` at each date from the last ``window`` daily returns.

    The rule has nothing to learn across dates, so :meth:`fit` only records the assets. At
    date *t* the window holds the returns of the ``window`` rows ending at *t* (the return of
    *t-1 → t* included, nothing after *t*).

    * An asset with zero variance in the window (a constant cash line) cannot enter a rule that
      uses risk: the rule is fitted on the other assets and gives it weight 0 (see
      :func:`evofolio.strategies.strategy_weights`); ``zero_variance_`` records the dates.
    * If the rule cannot be applied at some date (its optimiser fails, or no asset has variance)
      the previous decision is held (when there is none: equal weight over the assets the rule
      may hold, those with variance in the window): a *fallback*, recorded in
      ``fallbacks_`` (columns ``date``, ``cause``, ``held``) and counted by the backtest result.

    Each cause gives one aggregated warning per :meth:`allocate` call (the count, the first and
    last dates), not one per date; ``warn=False`` leaves the logging to the caller (see
    :func:`rule_warnings`).

    ``covariance``: the estimator of the rules that use risk (see
    :func:`evofolio.strategies.covariance.resolve_covariance`; ``auto`` is resolved with the
    number of assets of the prices and ``window``, the choice kept in ``covariance_``).
    Decisions are computed through :func:`evofolio.allocators.classic_compute.decide`: in
    parallel and remembered, so the same rule, window and date is fitted once per process.
    """

    def __init__(
        self,
        name: str = "equal_weight",
        window: int = 252,
        *,
        warn: bool = True,
        covariance: str = AUTO,
    ) -> None:
        self.name = name
        self.window = window
        self.warn = warn
        self.covariance = covariance

    def check_params(self) -> Self:
        """``name`` a registered rule, ``window`` an integer >= 1, ``covariance`` a known
        estimator (or ``auto``)."""
        check_rule_params(type(self).__name__, [self.name], self.window, self.covariance)
        return self

    def fit(self, X: Any, y: Any = None) -> Self:
        self.check_params()
        prices = as_data(X).prices
        self.assets_ = prices.columns
        self.covariance_ = resolve_covariance(self.covariance, prices.shape[1], self.window)
        return self

    def _state(self) -> dict[str, Any]:
        return {"assets": [str(a) for a in self.assets_], "covariance": self.covariance_}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.assets_ = pd.Index(state["assets"])
        self.covariance_ = str(state["covariance"])

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        if not hasattr(self, "assets_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")
        data = as_data(X)
        prices = data.prices
        dates = as_dates(dates)
        if data.universe is not None:
            return _ragged_allocate(self, data, dates)
        values = prices.to_numpy(dtype=np.float64)
        returns = values[1:] / values[:-1] - 1.0  # row k is the return of date k+1
        positions = prices.index.get_indexer(dates)
        if (positions < 0).any():
            foreign = dates[positions < 0][0]
            raise DataError(f"{self.name}: {foreign.date()} is not a price date of X")
        if len(positions) and positions.min() < self.window:
            raise InsufficientHistoryError(
                f"{self.name} needs {self.window + 1} prices before its first decision "
                f"({dates[0].date()}), got {positions.min() + 1}"
            )
        assets = [str(asset) for asset in prices.columns]
        uses_risk = STRATEGIES[self.name].uses_risk
        out = np.empty((len(dates), values.shape[1]))
        previous = np.full(values.shape[1], 1.0 / values.shape[1])
        decided = False
        riskless: dict[str, list[pd.Timestamp]] = {}
        fallbacks: list[tuple[pd.Timestamp, str, str]] = []
        covariance = resolve_covariance(self.covariance, values.shape[1], self.window)
        decisions = decide(self.name, returns, positions.tolist(), self.window, covariance, assets)
        for row, (pos, decision) in enumerate(zip(positions, decisions, strict=True)):
            if uses_risk:
                flat = zero_variance_mask(returns[pos - self.window : pos])
                for column in np.flatnonzero(flat):
                    riskless.setdefault(assets[column], []).append(dates[row])
                if not decided and not flat.all():  # the 1/N fallback skips riskless assets
                    previous = np.where(flat, 0.0, 1.0 / (~flat).sum())
            if isinstance(decision, str):
                cause = decision.split(". ")[0]
                fallbacks.append((dates[row], cause, "previous" if decided else "equal_weight"))
            else:
                previous = decision
                decided = True
            out[row] = previous
        self.decisions_ = len(dates)
        self.zero_variance_ = {a: pd.DatetimeIndex(d) for a, d in riskless.items()}
        self.fallbacks_ = (
            pd.DataFrame(fallbacks, columns=list(FALLBACK_COLUMNS)) if fallbacks else no_fallbacks()
        )
        if self.warn:
            for line in rule_warnings([self]):
                logger.warning(line)
        return pd.DataFrame(out, index=dates, columns=prices.columns)


def _ragged_allocate(self: ClassicAllocator, data: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """:meth:`ClassicAllocator.allocate` on a ragged universe: at each date the rule is fitted
    (skfolio) on the sub-panel of the assets investable then with a full window (member, alive,
    ``window`` returns of life up to *t*: :meth:`Universe.investable`), zero elsewhere. A
    fallback holds the previous weights restricted to those assets (renormalised), else equal
    weight over them."""
    prices = data.prices
    values = prices.to_numpy(dtype=np.float64)
    returns = values[1:] / values[:-1] - 1.0  # inside a full window: returns of the life only
    positions = prices.index.get_indexer(dates)
    if (positions < 0).any():
        foreign = dates[positions < 0][0]
        raise DataError(f"{self.name}: {foreign.date()} is not a price date of X")
    if len(positions) and positions.min() < self.window:
        raise InsufficientHistoryError(
            f"{self.name} needs {self.window + 1} prices before its first decision "
            f"({dates[0].date()}), got {positions.min() + 1}"
        )
    eligible = data.universe.on(dates).investable(self.window).to_numpy(dtype=bool)
    empty = ~eligible.any(axis=1)
    if empty.any():
        day = dates[int(np.argmax(empty))]
        universe = data.universe
        alive = universe.alive.loc[day].to_numpy()
        members = alive & universe.member.loc[day].to_numpy()
        if members.any():
            cause = (
                f"{int(members.sum())} member(s) alive, none with a full {self.window}-row "
                "window of its life; start later or use a shorter window"
            )
        else:
            where = f" (membership: {universe.membership})" if universe.membership else ""
            cause = f"{int(alive.sum())} asset(s) alive, none a member that day{where}"
        raise InsufficientHistoryError(
            f"{self.name}: no asset is investable on {day:%Y-%m-%d}: {cause}"
        )
    assets = [str(asset) for asset in prices.columns]
    n = values.shape[1]
    uses_risk = STRATEGIES[self.name].uses_risk
    columns = [np.flatnonzero(eligible[row]) for row in range(len(dates))]
    # the estimator of each date from its own investable count (causal), one batch per estimator
    chosen = [resolve_covariance(self.covariance, len(c), self.window) for c in columns]
    decisions: list[Any] = [None] * len(dates)
    for covariance in dict.fromkeys(chosen):
        rows = [row for row, name in enumerate(chosen) if name == covariance]
        ends = [int(positions[row]) for row in rows]
        first = min(ends) - self.window
        found = decide(  # in parallel over dates, each on its own investable sub-panel
            self.name,
            np.ascontiguousarray(returns[first : max(ends)]),
            [end - first for end in ends],
            self.window,
            covariance,
            assets,
            [columns[row] for row in rows],
        )
        for row, decision in zip(rows, found, strict=True):
            if isinstance(decision, str):
                decisions[row] = decision
            else:
                full = np.zeros(n)
                full[columns[row]] = decision
                decisions[row] = full
    out = np.empty((len(dates), n))
    previous: np.ndarray | None = None
    riskless: dict[str, list[pd.Timestamp]] = {}
    fallbacks: list[tuple[pd.Timestamp, str, str]] = []
    for row, decision in enumerate(decisions):
        cols = eligible[row]
        pos = int(positions[row])
        flat = np.zeros(n, dtype=bool)
        if uses_risk:
            flat[cols] = zero_variance_mask(returns[pos - self.window : pos][:, cols])
            for column in np.flatnonzero(flat):
                riskless.setdefault(assets[column], []).append(dates[row])
        if isinstance(decision, str):
            held = "equal_weight"
            kept = None if previous is None else np.where(cols, previous, 0.0)
            if kept is not None and kept.sum() > 0:
                out[row] = kept / kept.sum()
                held = "previous"
            else:
                allowed = cols & ~flat if (cols & ~flat).any() else cols
                out[row] = np.where(allowed, 1.0 / allowed.sum(), 0.0)
            fallbacks.append((dates[row], decision.split(". ")[0], held))
        else:
            out[row] = decision
        previous = out[row]
    self.decisions_ = len(dates)
    self.zero_variance_ = {a: pd.DatetimeIndex(d) for a, d in riskless.items()}
    self.fallbacks_ = (
        pd.DataFrame(fallbacks, columns=list(FALLBACK_COLUMNS)) if fallbacks else no_fallbacks()
    )
    if self.warn:
        for line in rule_warnings([self]):
            logger.warning(line)
    return pd.DataFrame(out, index=dates, columns=prices.columns)


def check_rule_params(owner: str, names: Any, window: Any, covariance: Any) -> None:
    """``ParameterError`` naming the parameter unless ``names`` are registered rules (a list,
    not one string), ``window`` an integer >= 1 and ``covariance`` a known estimator."""
    if isinstance(names, str) or not names:
        reason = f"a non-empty list of rule names, got {names!r}"
        raise ParameterError(f"{owner}: names must be {reason}", key="names", reason=reason)
    unknown = [name for name in names if name not in STRATEGIES]
    if unknown:
        reason = f"unknown strategy '{unknown[0]}'; choose from {', '.join(STRATEGIES)}"
        raise ParameterError(f"{owner}: {reason}", key="name", reason=reason)
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        reason = f"must be an integer >= 1 (days of returns), got {window!r}"
        raise ParameterError(f"{owner}: window {reason}", key="window", reason=reason)
    if covariance != AUTO and covariance not in COVARIANCES:
        reason = f"choose from {AUTO}, {', '.join(COVARIANCES)}; got {covariance!r}"
        raise ParameterError(f"{owner}: covariance: {reason}", key="covariance", reason=reason)


def _span(dates: pd.DatetimeIndex) -> str:
    first, last = dates.min(), dates.max()
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def rule_warnings(allocators: Sequence[ClassicAllocator]) -> list[str]:
    """The aggregated warnings of allocators that have run :meth:`ClassicAllocator.allocate`.

    One line per zero-variance asset, naming the asset, the rules that dropped it, how many of
    their decisions and which dates; then one line per rule that fell back, with the count, the
    first date and cause, and what was held.
    """
    lines = []
    dropped: dict[str, tuple[list[str], pd.DatetimeIndex, int]] = {}
    for allocator in allocators:
        for asset, dates in allocator.zero_variance_.items():
            rules, seen, total = dropped.get(asset, ([], pd.DatetimeIndex([]), 0))
            if allocator.name not in rules:
                rules.append(allocator.name)
                total = max(total, allocator.decisions_)
            dropped[asset] = (rules, seen.union(dates), total)
    for asset, (rules, dates, total) in dropped.items():
        lines.append(
            f"{asset} has zero variance in the trailing {allocators[0].window}-row window at "
            f"{len(dates)} of {total} decisions ({_span(dates)}; a constant price, e.g. a cash "
            f"line?): {', '.join(rules)} are fitted on the other assets and give {asset} "
            "weight 0 there"
        )
    by_rule: dict[str, list[pd.DataFrame]] = {}
    decisions: dict[str, int] = {}
    for allocator in allocators:
        decisions[allocator.name] = decisions.get(allocator.name, 0) + allocator.decisions_
        if len(allocator.fallbacks_):
            by_rule.setdefault(allocator.name, []).append(allocator.fallbacks_)
    for name, frames in by_rule.items():
        table = pd.concat(frames, ignore_index=True)
        first = table.iloc[0]
        equal = int((table["held"] == "equal_weight").sum())
        held = "held the previous weights" + (
            f" (equal weight at {equal}, with no decision before)" if equal else ""
        )
        lines.append(
            f"{name} could not be applied at {len(table)} of {decisions[name]} decisions "
            f"({_span(pd.DatetimeIndex(table['date']))}; first, {first['date']:%Y-%m-%d}: "
            f"{first['cause']}); {held}"
        )
    return lines


class EqualBlendAllocator(BaseAllocator):
    """The static counterpart of Model 2: the average of several rules' decided weights
    (``names``; ``None``: every registered rule).

    ``fallbacks_`` gathers the rules' fallbacks (each cause names its rule).
    """

    def __init__(
        self, names: Sequence[str] | None = None, window: int = 252, *, covariance: str = AUTO
    ) -> None:
        self.names = names
        self.window = window
        self.covariance = covariance

    def check_params(self) -> Self:
        """``names`` None or registered rules, ``window`` and ``covariance`` as the rules'."""
        names = list(STRATEGIES) if self.names is None else self.names
        check_rule_params(type(self).__name__, names, self.window, self.covariance)
        return self

    def fit(self, X: Any, y: Any = None) -> Self:
        self.check_params()
        names = list(STRATEGIES) if self.names is None else list(self.names)
        self.rules_ = [
            ClassicAllocator(name, self.window, covariance=self.covariance).fit(X) for name in names
        ]
        return self

    def _state(self) -> dict[str, Any]:
        return {"rules": [rule._state() for rule in self.rules_]}

    def _set_state(self, state: dict[str, Any]) -> None:
        names = list(STRATEGIES) if self.names is None else list(self.names)
        self.rules_ = []
        for name, rule_state in zip(names, state["rules"], strict=True):
            rule = ClassicAllocator(name, self.window, covariance=self.covariance)
            rule._set_state(rule_state)
            self.rules_.append(rule)

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        if not hasattr(self, "rules_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")
        frames = [rule.allocate(X, dates) for rule in self.rules_]
        self.fallbacks_ = pd.concat([rule.fallbacks_ for rule in self.rules_], ignore_index=True)
        return sum(frames[1:], frames[0]) / len(frames)
