"""The public Python API: `from evofolio import ...`, and the README's notebook example run."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import pytest

import evofolio as ev
from evofolio.errors import ConfigError, DataError, UsageError
from synthetic import random_prices

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
HEADING = "Python API"
GUIDE = ROOT / "docs" / "guide" / "python-api.md"  # the user guide's page on the API


def readme_block(path: Path, heading: str) -> str:
    """The first ```python block after the markdown heading ``heading`` (any level) in
    ``path``, before the next heading of the same or a higher level."""
    lines = path.read_text(encoding="utf-8").splitlines()
    pattern = re.compile(r"^(#+)\s+(.*?)\s*$")
    start = level = None
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match and match.group(2) == heading:
            start, level = i + 1, len(match.group(1))
            break
    if start is None or level is None:
        raise AssertionError(f"{path}: no heading '{heading}'")
    inside, block = False, []
    for line in lines[start:]:
        match = pattern.match(line)
        if not inside and match and len(match.group(1)) <= level:
            break
        if not inside and line.strip() == "```python":
            inside = True
        elif inside and line.strip() == "```":
            return "\n".join(block) + "\n"
        elif inside:
            block.append(line)
    raise AssertionError(f"{path}: no ```python block under '{heading}'")


def sharpe(returns: pd.Series) -> float:
    """The annualised Sharpe ratio by hand: mean / sample std * sqrt(252)."""
    r = returns.to_numpy()
    return float(r.mean() / r.std(ddof=1) * math.sqrt(252))


# ---------------------------------------------------------------- the package's surface


def test_import_is_cheap_and_pulls_no_torch() -> None:
    code = "import sys, evofolio; print(sorted({'torch', 'pandas', 'optuna'} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ev.__all__)
def test_every_exported_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(ev, name)
    if callable(value):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_backtest_stays_the_function_after_the_subpackage_is_imported() -> None:
    from evofolio.api.backtest import backtest
    from evofolio.backtesting import run_folds  # the subpackage is still importable by name

    assert callable(run_folds)
    assert ev.backtest is backtest
    from evofolio import backtest as again

    assert again is backtest


def test_the_package_root_is_a_plain_module() -> None:
    # no module-class swap: the engine is evofolio.backtesting, evofolio.backtest the function
    import types

    import evofolio.backtesting

    assert type(sys.modules["evofolio"]) is types.ModuleType
    assert ev.backtest is not evofolio.backtesting and callable(ev.backtest)


def test_the_estimators_are_exported_and_clone_with_nested_parameters() -> None:
    code = (
        "import evofolio as ev; from sklearn.base import clone; "
        "e = ev.AssetLSTMAllocator().set_params(network__hidden=32); "
        "print(clone(e).get_params()['network__hidden'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "32"
    assert ev.FAMILIES["asset"] is ev.AssetLSTMAllocator
    assert ev.FAMILIES["portfolio"] is ev.PortfolioLSTMAllocator
    assert ev.FAMILIES["asset_attention"] is ev.AssetAttentionAllocator


@pytest.mark.parametrize("heading", ["Estimators", "Inside skfolio"])
def test_the_guide_estimator_examples_run(
    heading: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(readme_block(GUIDE, heading), str(GUIDE), "exec"), namespace)
    if heading == "Estimators":
        weights, walked = namespace["weights"], namespace["walked"]
        assert (weights.to_numpy() >= 0).all()
        assert np.allclose(weights.sum(axis=1), 1.0)
        assert len(walked.models) == len(walked.folds) >= 2
        assert not hasattr(namespace["model"], "network_")  # train() fits clones only
    else:
        summary = namespace["population"].summary()
        assert summary.shape[1] == 3


def test_library_signatures_hold_no_command_line_options() -> None:
    import inspect

    for name in ("backtest", "run", "evolve", "validate", "train", "load_data", "search_worker"):
        params = set(inspect.signature(getattr(ev, name)).parameters)
        assert not params & {"option_names", "verbose", "quiet", "console"}, name


def test_registries_are_the_library_registries() -> None:
    from evofolio.features import FEATURES
    from evofolio.objectives import OBJECTIVES
    from evofolio.strategies import STRATEGIES

    assert ev.FEATURES is FEATURES and ev.STRATEGIES is STRATEGIES
    assert ev.OBJECTIVES is OBJECTIVES


# ---------------------------------------------------------------- load_data


def test_a_frame_is_validated_like_the_same_file(tmp_path: Path) -> None:
    prices = random_prices(n_days=300, n_assets=3, seed=2)
    path = tmp_path / "p.csv"
    prices.to_csv(path)
    from_file = ev.load_data(str(path))
    from_frame = ev.load_data(
        prices.reset_index().assign(date=lambda f: f["date"].astype(str)).set_index("date")
    )
    pd.testing.assert_frame_equal(from_frame.prices, from_file.prices)
    pd.testing.assert_series_equal(from_frame.market, from_file.market, check_names=False)
    assert from_frame.source == "DataFrame"
    assert from_frame.market_source == from_file.market_source
    index = path.with_name("index.csv")
    prices.mean(axis=1).rename("level").to_csv(index)
    from_path = ev.load_data(path, market=index)  # pathlib paths as the strings
    from_strings = ev.load_data(str(path), market=str(index))
    pd.testing.assert_frame_equal(from_path.prices, from_file.prices)
    pd.testing.assert_series_equal(from_path.market, from_strings.market)
    assert from_path.market_source == from_strings.market_source != from_file.market_source


def test_a_bad_frame_is_one_line_naming_column_and_date() -> None:
    prices = random_prices(n_days=50, n_assets=3)
    prices.iloc[7, 1] = -1.0
    with pytest.raises(DataError, match=r"DataFrame: column 'A1', 2000-01-12: price must be > 0"):
        ev.load_data(prices)
    with pytest.raises(DataError, match="index must hold the dates"):
        ev.load_data(prices.reset_index(drop=True))


def test_a_market_series_is_aligned_backward_only() -> None:
    prices = random_prices(n_days=10, n_assets=2)
    dates = prices.index
    # no value on dates[4]; a value dated between dates[4] and dates[5] is never "earlier"
    market = pd.Series([10.0, 11, 12, 13, 15, 16, 17, 18, 19], index=dates.delete(4), name="idx")
    loaded = ev.load_data(prices, market=market, max_missing_frac=0.2)
    expected = [10.0, 11, 12, 13, 13, 15, 16, 17, 18, 19]  # dates[4] takes dates[3]'s value
    assert loaded.market.tolist() == expected
    assert loaded.market.index.equals(loaded.prices.index)


# ---------------------------------------------------------------- backtest


class AllInFirst:
    """Holds 100 % of the first asset: its returns are the portfolio's, by hand."""

    def fit(self, prices: pd.DataFrame) -> Self:
        self.assets_ = prices.columns
        return self

    def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
        weights = np.zeros((len(dates), len(self.assets_)))
        weights[:, 0] = 1.0
        return pd.DataFrame(weights, index=dates, columns=self.assets_)


def test_an_allocator_factory_is_backtested_after_costs() -> None:
    prices = random_prices(n_days=120, n_assets=3, seed=4)
    run = ev.backtest(AllInFirst, prices, window=60, cost_bps=25, rebalance="daily")
    result = run.results["allocator"]
    first = prices.index[60]
    assert result.weights.index[0] == first  # the first decision after a full window
    # from equal cash to 100 % A0: one trade of 1.0 at the first decision, then none
    own = prices["A0"].pct_change().loc[first:].iloc[1:]
    expected = own.copy()
    expected.iloc[0] -= 0.0025
    np.testing.assert_allclose(result.net.to_numpy(), expected.to_numpy(), atol=1e-12)
    assert run.metrics.loc["allocator", "sharpe"] == pytest.approx(sharpe(result.net))
    assert run.metrics.loc["allocator", "decisions"] == 120 - 60


def test_named_rules_and_a_factory_agree_on_one_over_n(tmp_path: Path) -> None:
    prices = random_prices(n_days=150, n_assets=4, seed=6)

    class OneOverN(AllInFirst):
        def allocate(self, prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
            n = len(self.assets_)
            return pd.DataFrame(1.0 / n, index=dates, columns=self.assets_)

    run = ev.backtest({"mine": OneOverN}, prices, window=60, cost_bps=10, cache=False)
    rule = ev.backtest("equal_weight", prices, window=60, cost_bps=10, cache=False)
    pd.testing.assert_series_equal(
        run.results["mine"].net, rule.results["equal_weight"].net, check_names=False
    )
    net = rule.results["equal_weight"].net
    assert rule.metrics.loc["equal_weight", "sharpe"] == pytest.approx(sharpe(net))
    saved = rule.save(tmp_path / "bt")
    assert {p.name for p in saved.iterdir()} == {
        "weights.parquet",
        "held.parquet",
        "returns.parquet",
        "fallbacks.parquet",
        "metrics.json",
    }


def test_backtest_errors_name_the_argument() -> None:
    prices = random_prices(n_days=120, n_assets=3)
    with pytest.raises(UsageError, match=r"start 2000-01-05 leaves 2 days of history"):
        ev.backtest("all", prices, window=60, start="2000-01-05")
    with pytest.raises(UsageError, match="end: not a date"):
        ev.backtest("all", prices, window=60, end="soon")
    with pytest.raises(UsageError, match="unknown strategy|nope"):
        ev.backtest("nope", prices, window=60)
    with pytest.raises(UsageError, match=r"^strategies: give 'all'.*got int 5$"):
        ev.backtest(5, prices)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"got MarketData: the data comes second"):
        ev.backtest(ev.load_data(prices))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"^config: expected a RunConfig or None, got dict$"):
        ev.backtest("all", prices, config={"backtest": {}})  # type: ignore[arg-type]


def test_run_takes_a_mapping_and_checks_every_key_before_any_work(tmp_path: Path) -> None:
    """Issue 23: run({...}) raised "TypeError: expected str, bytes or os.PathLike"; a bad
    family in search.families passed the config check."""
    prices = random_prices(n_days=120, n_assets=3)
    out = tmp_path / "r"
    with pytest.raises(ConfigError, match=r"^config: unknown config key 'search.popluation'$"):
        ev.run({"search": {"popluation": 4}}, prices, out=out)
    with pytest.raises(ConfigError, match=r"search.families\[1\]: unknown family 'lstm'"):
        ev.run({"search": {"families": ["asset", "lstm"]}}, prices, out=out)
    with pytest.raises(ConfigError, match=r"search.families\[0\]: unknown family 'x'"):
        ev.run(ev.RunConfig(search={"families": ["x"]}), prices, out=out)
    with pytest.raises(UsageError, match=r"^config: expected a RunConfig.*got int$"):
        ev.run(7, prices, out=out)  # type: ignore[arg-type]
    quoted = {"search": {"space": {"fixed": {"feature_rsi_14": "no"}}}}
    with pytest.raises(ConfigError, match=r"^config: search.space.fixed.feature_rsi_14 = \"no\""):
        ev.run(quoted, prices, out=out)
    assert not out.exists()


# ---------------------------------------------------------------- run and load_champion


def test_run_and_champion_refuse_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="quick or config"):
        ev.run(ev.RunConfig(), quick=True, out=tmp_path / "r")
    with pytest.raises(UsageError, match="pareto_pick"):
        ev.run(ev.RunConfig(), pareto_pick="luck", out=tmp_path / "r")
    with pytest.raises(UsageError, match=r"champion/config\.json not found"):
        ev.load_champion(tmp_path)
    with pytest.raises(UsageError, match="run directory not found"):
        ev.load_champion(tmp_path / "nope")
    (tmp_path / "file.csv").write_text("date,A\n")
    with pytest.raises(UsageError, match="run directory is not a directory"):
        ev.load_champion(tmp_path / "file.csv")
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The README's example, run as a notebook would (in a fresh working directory)."""
    folder = tmp_path_factory.mktemp("notebook")
    patcher = pytest.MonkeyPatch()
    patcher.chdir(folder)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(readme_block(README, HEADING), str(README), "exec"), namespace)
    finally:
        patcher.undo()
    namespace["folder"] = folder
    return namespace


@pytest.mark.slow
def test_the_notebook_example_runs_end_to_end(notebook: dict[str, Any]) -> None:
    result, prices = notebook["result"], notebook["prices"]
    run_dir = notebook["folder"].resolve() / "runs" / "notebook"
    assert result.run_dir == run_dir and result.report == run_dir / "report.html"
    assert result.report.is_file()
    # the holdout table is what the run wrote: the champion's Sharpe from its returns file
    holdout = pd.read_parquet(run_dir / "holdout" / "returns.parquet")
    champion_net = holdout[holdout["strategy"] == "champion"]["net"]
    assert result.holdout.loc["champion", "sharpe"] == pytest.approx(sharpe(champion_net))
    assert set(ev.STRATEGIES) | {"champion", "equal_blend"} == set(result.holdout.index)
    assert result.verdict["verdict"]["outcome"] in {"beats", "trails", "no_evidence"}
    assert result.config.data.source == "DataFrame"
    weights = notebook["weights"]
    assert list(weights.index) == [prices.index[-1]]
    assert list(weights.columns) == ["AAA", "BBB", "CCC"]
    assert weights.to_numpy().min() >= 0 and weights.sum(axis=1).iloc[0] == pytest.approx(1.0)


@pytest.mark.slow
def test_the_champion_decides_causally(notebook: dict[str, Any]) -> None:
    champion, prices = notebook["champion"], notebook["prices"]
    day = prices.index[-40]
    full = champion.allocate(prices, [day])
    cut = champion.allocate(prices.loc[:day])  # the last date of the cut is `day`
    pd.testing.assert_frame_equal(full, cut)
    later = prices.copy()
    later.loc[later.index > day] *= 3.0  # prices after the decision must not matter
    pd.testing.assert_frame_equal(champion.allocate(later, [day]), full)
    assert champion.seeds == [3, 4]
    pd.testing.assert_frame_equal(champion.allocate(prices, f"{day:%Y-%m-%d}"), full)
    with pytest.raises(UsageError, match="dates: expected a date or a list of dates"):
        champion.allocate(prices, "soon")


@pytest.mark.slow
def test_a_run_made_from_a_frame_asks_for_the_prices(notebook: dict[str, Any]) -> None:
    """Issue 23: ``allocate()`` after a run from a DataFrame failed with "unknown data source
    'DataFrame'"; it says what to pass instead, and works once the prices are given."""
    champion = notebook["champion"]
    for call in (champion.allocate, champion.data):
        with pytest.raises(UsageError, match=r"given in memory.*prices= \(Python\) or --data"):
            call()
    assert list(champion.allocate(notebook["prices"]).columns) == ["AAA", "BBB", "CCC"]
