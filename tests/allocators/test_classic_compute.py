"""The classic rules' decisions: computed once per process, in parallel, with progress."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest

import evofolio.allocators.classic_compute as compute
from evofolio.allocators.classic import ClassicAllocator, EqualBlendAllocator
from evofolio.allocators.classic_compute import RuleProgress, classic_compute, clear_memo
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.backtesting import TradingRules, run_period
from evofolio.data import load_data
from evofolio.strategies import STRATEGIES
from synthetic import random_prices


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Patch the one place decisions are fitted; record (rule, window rows) per fit."""
    original = compute.strategy_weights
    calls: list[tuple[str, int]] = []

    def spy(name: str, returns: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:
        calls.append((name, len(returns)))
        return original(name, returns, *args, **kwargs)

    monkeypatch.setattr(compute, "strategy_weights", spy)
    return calls


def test_auto_leaves_the_20_stock_sp500_panel_as_the_sample_covariance_gives_it() -> None:
    prices = load_data("sp500").prices.iloc[-320:]  # 20 assets; 68 dates after the window
    assert prices.shape[1] == 20
    names = list(STRATEGIES)
    auto = build_strategy_panel(prices, names, window=252, covariance="auto")
    clear_memo()
    empirical = build_strategy_panel(prices, names, window=252, covariance="empirical")
    pd.testing.assert_frame_equal(auto.returns(), empirical.returns())
    for name in names:
        pd.testing.assert_frame_equal(auto.results[name].weights, empirical.results[name].weights)
    # and the setting does reach the panel: a window short enough for auto to shrink differs
    clear_memo()
    short = {
        c: build_strategy_panel(prices, ["min_variance"], window=150, covariance=c)
        for c in ("auto", "empirical")
    }
    assert not np.allclose(
        short["auto"].results["min_variance"].weights,
        short["empirical"].results["min_variance"].weights,
    )


def test_a_decision_is_fitted_once_whatever_later_prices_are_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prices = random_prices(n_days=200, n_assets=4)
    calls = _count_fits(monkeypatch)
    dates = pd.DatetimeIndex(prices.index[60:120:10])  # 6 decision dates
    development = prices.iloc[:130]
    first = ClassicAllocator("min_variance", 60).fit(development).allocate(development, dates)
    assert len(calls) == 6
    again = ClassicAllocator("min_variance", 60).fit(prices).allocate(prices, dates)
    assert len(calls) == 6  # the full prices end later: same windows, nothing refitted
    pd.testing.assert_frame_equal(first, again)
    ClassicAllocator("min_variance", 40).fit(prices).allocate(prices, dates)
    assert len(calls) == 12  # another window is another decision
    changed = prices.copy()
    changed.iloc[95, 1] *= 1.02  # inside the windows of the dates from row 95 to 154
    ClassicAllocator("min_variance", 60).fit(changed).allocate(changed, dates)
    refitted = sum(1 for d in dates if 95 <= prices.index.get_loc(d) <= 154)
    assert len(calls) == 12 + refitted


def test_a_panel_read_from_the_disk_cache_is_not_fitted_again_in_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """A second run reads the development panel from disk; the holdout's baselines and Model
    2's panel over the longer prices then reuse its decisions instead of refitting them."""
    prices = random_prices(n_days=260, n_assets=4, seed=4)
    development = prices.iloc[:200]
    names = ["inverse_vol", "min_variance", "risk_parity"]
    clear_memo()
    first = build_strategy_panel(development, names, window=60, cache_dir=tmp_path)
    clear_memo()  # a new process
    calls = _count_fits(monkeypatch)
    cached = build_strategy_panel(development, names, window=60, cache_dir=tmp_path)
    assert calls == []  # read from disk
    for name in names:
        pd.testing.assert_frame_equal(cached.results[name].weights, first.results[name].weights)
    longer = build_strategy_panel(prices, names, window=60)  # Model 2 over the holdout too
    new_dates = len(longer.results["min_variance"].weights) - len(
        first.results["min_variance"].weights
    )
    assert 0 < len(calls) == len(names) * new_dates  # only the dates after the development
    for name in names:
        shared = first.results[name].weights.index
        pd.testing.assert_frame_equal(
            longer.results[name].weights.loc[shared], first.results[name].weights
        )


def test_the_equal_blend_averages_the_rules_decisions_without_refitting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prices = random_prices(n_days=220, n_assets=4, seed=2)
    names = ["inverse_vol", "min_variance", "hrp"]
    calls = _count_fits(monkeypatch)
    start = prices.index[120]
    rules = TradingRules("weekly")
    alone = {
        n: run_period(lambda n=n: ClassicAllocator(n, 60), prices, start, rules=rules)
        for n in names
    }
    fitted = len(calls)
    assert fitted == 3 * len(alone["hrp"].weights)
    blend = run_period(lambda: EqualBlendAllocator(names, 60), prices, start, rules=rules)
    assert len(calls) == fitted
    mean = sum(alone[n].weights for n in names) / 3
    pd.testing.assert_frame_equal(blend.weights, mean)


def test_parallel_dates_give_the_serial_decisions_and_report_progress() -> None:
    prices = random_prices(n_days=260, n_assets=5, seed=4)
    dates = pd.DatetimeIndex(prices.index[60:260:5])  # 40 dates
    serial = ClassicAllocator("risk_parity", 60).fit(prices).allocate(prices, dates)
    clear_memo()
    steps: list[RuleProgress] = []
    with classic_compute(jobs=2, on_progress=steps.append):
        parallel = ClassicAllocator("risk_parity", 60).fit(prices).allocate(prices, dates)
    pd.testing.assert_frame_equal(serial, parallel)
    assert {s.rule for s in steps} == {"risk_parity"}
    done = [s.done for s in steps]
    assert done[0] == 0 and done[-1] == 40 and done == sorted(done) and len(done) > 2
    assert all(s.total == 40 for s in steps)
    assert steps[0].remaining is None and steps[-1].remaining == 0.0
    with classic_compute(jobs=2, on_progress=steps.append):  # remembered: done at once
        ClassicAllocator("risk_parity", 60).fit(prices).allocate(prices, dates)
    assert steps[-1].done == 40 and steps[-1].elapsed < 1.0


def _joblib_workers() -> list[int]:
    """This process's loky worker processes (Linux /proc), not its resource trackers."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and "loky" in command and "resource_tracker" not in command:
            found.append(int(entry))
    return found


def _no_joblib_workers_within(seconds: float) -> bool:
    """Whether this process's loky workers are gone (reaped) within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while _joblib_workers():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_release_workers_stops_the_idle_joblib_pool_the_parallel_fits_left() -> None:
    """After parallel fits loky keeps its workers for 300 s; ``release_workers`` (called
    before the search starts its own processes) stops them, and later fits still work."""
    prices = random_prices(n_days=200, n_assets=4, seed=5)
    dates = pd.DatetimeIndex(prices.index[60:200:10])
    clear_memo()
    with classic_compute(jobs=2):
        first = ClassicAllocator("min_variance", 60).fit(prices).allocate(prices, dates)
        assert _joblib_workers(), "the parallel fits should have left loky workers"
        compute.release_workers()
        assert _no_joblib_workers_within(5.0)
        clear_memo()
        again = ClassicAllocator("min_variance", 60).fit(prices).allocate(prices, dates)
        assert _joblib_workers(), "a later parallel fit starts a fresh pool"
        compute.release_workers()
        assert _no_joblib_workers_within(5.0)
    pd.testing.assert_frame_equal(first, again)


def test_the_pipeline_releases_the_joblib_pool_before_the_search_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import evofolio.search.jobs.run as pipeline

    order: list[str] = []

    def inputs(*args: Any) -> tuple[int, int]:
        order.append("inputs")
        return 0, 0

    monkeypatch.setattr(pipeline, "check_inputs", inputs)
    monkeypatch.setattr(pipeline, "release_workers", lambda: order.append("release"))

    def search(*args: Any, **kwargs: Any) -> None:
        order.append("search")

    monkeypatch.setattr(pipeline, "run_search", search)
    monkeypatch.setattr(pipeline, "fingerprint", lambda *a: "x")
    from evofolio import load_data as load_frame
    from evofolio.config import RunConfig

    data = load_frame(random_prices(n_days=300, n_assets=4, seed=1))
    pipeline._search(RunConfig(), data, None, None, None, None, None)  # type: ignore[arg-type]
    assert order == ["inputs", "release", "search"]


def test_a_wide_universe_is_fitted_in_smaller_tasks_with_the_same_decisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each parallel task holds at most TASK_CELLS dates x assets, so progress comes back
    every few seconds however slow a decision is at large N."""
    prices = random_prices(n_days=260, n_assets=5, seed=4)
    dates = pd.DatetimeIndex(prices.index[60:260:5])  # 40 dates
    clear_memo()
    serial = ClassicAllocator("min_variance", 60).fit(prices).allocate(prices, dates)
    clear_memo()
    monkeypatch.setattr(compute, "TASK_CELLS", 10)  # 5 assets: 2 dates a task
    steps: list[RuleProgress] = []
    with classic_compute(jobs=2, on_progress=steps.append):
        parallel = ClassicAllocator("min_variance", 60).fit(prices).allocate(prices, dates)
    pd.testing.assert_frame_equal(serial, parallel)
    done = [s.done for s in steps]
    assert done[-1] == 40 and max(b - a for a, b in itertools.pairwise(done)) <= 2
