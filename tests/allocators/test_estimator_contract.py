"""What every estimator refuses, in one line naming the parameter or the data: wrong types
(never converted), data that is not dates x positive prices, dates that are not X's, use
before fit; and the shipped checks catch the allocators that break the contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import evofolio as ev
from evofolio.cli import app
from evofolio.config import TrainingConfig
from evofolio.errors import ConfigError, DataError, NotFittedError, ParameterError
from evofolio.models.asset_attention import AssetAttentionParams
from evofolio.testing import check_allocator
from synthetic import random_prices

TRAINING = TrainingConfig(epochs=1, seq_len=5, chunk_len=20, batch_size=8, device="cpu")


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return random_prices(n_days=400, n_assets=4, seed=9)


def lstm(**params: Any) -> ev.AssetLSTMAllocator:
    model = ev.AssetLSTMAllocator(training=TRAINING, features=("ret_1", "vol_21"))
    model.set_params(network__hidden=8)
    return model.set_params(**params)


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"network__hidden": "32"}, "network__hidden"),  # a string is not an integer
        ({"network__encoder": "both"}, "network__encoder"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"features": "ret_1"}, "features"),  # one string is not a list of names
        ({"features": ["nope"]}, "features"),
        ({"network": {"hidden": 8}}, "network"),
        ({"network": AssetAttentionParams()}, "network"),
    ],
)
def test_a_wrong_parameter_is_one_error_naming_it(params: dict[str, Any], key: str) -> None:
    with pytest.raises(ParameterError) as error:
        lstm(**params)
    assert error.value.key == key and key in str(error.value) and "\n" not in str(error.value)


def test_model2_refuses_a_quoted_boolean_and_a_bad_horizon() -> None:
    for params in ({"hard": "false"}, {"horizon": 0}, {"horizon": True}, {"strategies": ["hrp"]}):
        with pytest.raises(ParameterError):
            ev.PortfolioLSTMAllocator().set_params(**params)


def test_a_quoted_value_in_model_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    for text, key in (
        ('[model]\nfamily = "portfolio"\nhard = "false"\n', "model.hard"),
        ('[model]\nfamily = "asset"\nhidden = "32"\n', "model.hidden"),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=rf"{key} = \".*\" is a string.*; expected a"):
            ev.load_config(path)


def test_constructors_take_keywords_only() -> None:
    with pytest.raises(TypeError):
        ev.AssetLSTMAllocator(("ret_1",))  # type: ignore[misc]


@pytest.mark.parametrize(
    "make", [lambda: lstm(), lambda: ev.ClassicAllocator("inverse_vol", 60)], ids=["lstm", "rule"]
)
def test_data_that_is_not_dates_by_prices_is_refused(make: Any, prices: pd.DataFrame) -> None:
    cases = {
        "ascending": prices.iloc[::-1],
        "more than once": pd.concat([prices.iloc[:200], prices.iloc[199:]]),
        "DatetimeIndex": prices.reset_index(drop=True),
        "positive and finite": prices.mask(prices.index.to_series() == prices.index[50], -5.0),
    }
    for words, frame in cases.items():
        with pytest.raises(DataError, match=words):
            make().fit(frame)


def test_dates_are_read_as_dates_and_must_be_x_s(prices: pd.DataFrame) -> None:
    for model in (lstm().fit(prices.iloc[:300]), ev.ClassicAllocator("hrp", 60).fit(prices)):
        day = prices.index[350]
        by_list = model.allocate(prices, [day])
        by_index = model.allocate(prices, pd.DatetimeIndex([day]))
        pd.testing.assert_frame_equal(by_list, by_index)
        with pytest.raises(DataError, match="not a price date of X"):
            model.allocate(prices, [day + pd.Timedelta(days=365 * 30)])


def test_use_before_fit_is_one_error(prices: pd.DataFrame, tmp_path: Path) -> None:
    for model in (lstm(), ev.ClassicAllocator("hrp", 60), ev.SeedEnsemble(lstm(), seeds=[1])):
        with pytest.raises(NotFittedError, match="call fit"):
            model.allocate(prices, prices.index[-2:])
    with pytest.raises(NotFittedError):
        lstm().save(tmp_path / "m.pt")
    assert issubclass(NotFittedError, AttributeError)


def test_a_cap_the_universe_cannot_honour_names_the_network(prices: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="network"):
        lstm(network__max_weight=0.1).fit(prices)  # 4 assets x 10 % cannot sum to 1


def test_wrappers_refuse_what_they_cannot_wrap(prices: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="estimator"):
        ev.SeedEnsemble("asset", seeds=[1]).fit(prices)
    with pytest.raises(ParameterError, match="seeds"):
        ev.SeedEnsemble(lstm(), seeds=[1, 1]).fit(prices)
    bridge = ev.ClassicAllocator("hrp", 60).as_optimization()
    with pytest.raises(DataError, match="looks like prices"):
        bridge.fit(prices)
    with pytest.raises(ParameterError, match="allocator"):
        ev.AllocatorOptimization("hrp").fit(prices.pct_change().iloc[1:])


def test_train_checks_its_settings_against_the_configuration_s_bounds(
    prices: pd.DataFrame,
) -> None:
    for option, key in (
        ({"purge_days": -1}, "walk_forward.purge_days"),
        ({"train_years": 0}, "walk_forward.train_years"),
        ({"retrain_years": 0}, "walk_forward.retrain_years"),
        ({"cost_bps": -5}, "backtest.cost_bps"),
        ({"holdout_start": "notadate"}, "data.holdout_start"),
    ):
        with pytest.raises(ConfigError, match=rf"train: invalid value for '{key}'"):
            ev.train(lstm(), prices, **option)


def test_a_negative_seed_on_the_command_line_is_one_error(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    random_prices(n_days=600, n_assets=3, seed=1).rename_axis("date").to_csv(csv)
    result = CliRunner().invoke(app, ["train", "--data", str(csv), "--seed", "-1"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "seed" in lines[0] and "Traceback" not in result.output


class LengthPeeker(ev.ClassicAllocator):
    """Decides from how many prices X holds: the future's length, not its values."""

    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
        prices = X.prices
        first = min(1.0, len(prices) / 1000.0)
        row = np.array([first, 1.0 - first] + [0.0] * (prices.shape[1] - 2))
        return pd.DataFrame([row] * len(dates), index=dates, columns=prices.columns)


class ArrayAllocator(ev.ClassicAllocator):
    def allocate(self, X: Any, dates: pd.DatetimeIndex) -> Any:
        return np.full((len(dates), X.prices.shape[1]), 1.0 / X.prices.shape[1])


def test_the_checks_catch_an_allocator_that_reads_how_much_data_follows() -> None:
    with pytest.raises(AssertionError, match="cut"):
        check_allocator(LengthPeeker("equal_weight", 60))
    with pytest.raises(AssertionError, match="DataFrame"):
        check_allocator(ArrayAllocator("equal_weight", 60))
    with pytest.raises(ValueError, match="step"):
        check_allocator(ev.ClassicAllocator("hrp", 60), step=0)


def test_a_checkpoint_missing_a_member_of_the_estimator_is_one_error(
    prices: pd.DataFrame, tmp_path: Path
) -> None:
    import torch

    path = lstm().fit(prices.iloc[:300]).save(tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    del payload["extra"]["assets"]
    torch.save(payload, tmp_path / "cut.pt")
    with pytest.raises(DataError, match=r"cut.pt: not a asset model this version can read"):
        ev.AssetLSTMAllocator.load(tmp_path / "cut.pt")
