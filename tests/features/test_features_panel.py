"""build_panel and FeaturePanel: shape, order, errors, slicing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evofolio.data.returns import equal_weight_index
from evofolio.errors import ConfigError, DataError, InsufficientHistoryError
from evofolio.features import FEATURES, FeaturePanel, build_panel

MAX_WARMUP = max(f.warmup for f in FEATURES.values())


def test_all_features_shape_dtype_and_dates(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    panel = build_panel(prices, market=market)
    assert panel.values.shape == (len(prices) - MAX_WARMUP, prices.shape[1], len(FEATURES))
    assert panel.values.dtype == np.float32
    assert panel.names == tuple(FEATURES)
    assert panel.assets == tuple(prices.columns)
    assert panel.dates.equals(prices.index[MAX_WARMUP:])
    assert (panel.n_dates, panel.n_assets, panel.n_features) == panel.values.shape
    assert np.isfinite(panel.values).all()


def test_values_are_the_registered_functions_minus_warmup(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    names = ["drawdown", "vol_21", "ret_1"]
    panel = build_panel(prices, names, market=market)
    assert panel.names == tuple(names)
    assert panel.n_dates == len(prices) - 21  # the longest warm-up among the three
    for j, name in enumerate(names):
        expected = FEATURES[name].fn(prices, market).to_numpy()[21:].astype(np.float32)
        np.testing.assert_array_equal(panel.values[:, :, j], expected)
        np.testing.assert_array_equal(panel.feature(name), expected)


def test_market_defaults_to_equal_weight_index(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, _ = prices_and_market
    default = build_panel(prices, ["beta_63"])
    explicit = build_panel(prices, ["beta_63"], market=equal_weight_index(prices))
    np.testing.assert_array_equal(default.values, explicit.values)


def test_market_on_a_longer_index_is_aligned(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    inner = prices.iloc[50:]
    aligned = build_panel(inner, ["beta_63"], market=market.loc[inner.index])
    wider = build_panel(inner, ["beta_63"], market=market)
    np.testing.assert_array_equal(aligned.values, wider.values)


def test_market_missing_dates_or_nonpositive_is_a_data_error(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    with pytest.raises(DataError, match="no value on 10 price date"):
        build_panel(prices, ["beta_63"], market=market.iloc[10:])
    bad = market.copy()
    bad.iloc[70] = -1.0
    with pytest.raises(DataError, match="finite and positive"):
        build_panel(prices, ["beta_63"], market=bad)


def test_unknown_empty_or_duplicated_names_are_config_errors(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    with pytest.raises(ConfigError, match=r"unknown feature.*'rsi_99'.*valid features") as info:
        build_panel(prices, ["ret_1", "rsi_99"], market=market)
    assert "rsi_14" in str(info.value)
    with pytest.raises(ConfigError, match="no features selected"):
        build_panel(prices, [], market=market)
    with pytest.raises(ConfigError, match="more than once"):
        build_panel(prices, ["ret_1", "ret_1"], market=market)


def test_too_short_history_says_rows_needed_and_given(
    prices_and_market: tuple[pd.DataFrame, pd.Series],
) -> None:
    prices, market = prices_and_market
    short = prices.iloc[:MAX_WARMUP]
    with pytest.raises(
        InsufficientHistoryError, match=rf"{MAX_WARMUP + 1} rows.*{MAX_WARMUP} rows"
    ):
        build_panel(short, market=market.iloc[:MAX_WARMUP])
    one_row = build_panel(prices.iloc[: MAX_WARMUP + 1], market=market.iloc[: MAX_WARMUP + 1])
    assert one_row.n_dates == 1


def test_loc_is_inclusive_and_a_view(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    panel = build_panel(prices, ["ret_1", "ret_5"], market=market)
    start, end = panel.dates[10], panel.dates[20]
    part = panel.loc(start, end)
    assert part.n_dates == 11
    assert part.dates[0] == start
    assert part.dates[-1] == end
    assert np.shares_memory(part.values, panel.values)
    np.testing.assert_array_equal(part.values, panel.values[10:21])
    assert panel.loc(None, end).n_dates == 21
    assert panel.loc(start).n_dates == panel.n_dates - 10
    assert panel.loc("1900-01-01", "1900-12-31").n_dates == 0


def test_index_of(prices_and_market: tuple[pd.DataFrame, pd.Series]) -> None:
    prices, market = prices_and_market
    panel = build_panel(prices, ["ret_1"], market=market)
    assert panel.index_of(panel.dates[7]) == 7
    assert panel.index_of(str(panel.dates[0].date())) == 0
    with pytest.raises(DataError, match="not in the feature panel"):
        panel.index_of("1900-01-01")
    with pytest.raises(ConfigError, match="not in the panel"):
        panel.feature("vol_21")


def test_panel_rejects_inconsistent_shapes() -> None:
    with pytest.raises(ValueError, match="expected"):
        FeaturePanel(
            values=np.zeros((3, 2, 1), dtype=np.float32),
            dates=pd.bdate_range("2020-01-01", periods=4),
            assets=("a", "b"),
            names=("ret_1",),
        )
