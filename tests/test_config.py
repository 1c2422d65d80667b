"""The shipped config files parse, and bad configs name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from evofolio.config import RunConfig, load_config, load_preset, override, parse_config
from evofolio.errors import ConfigError

CONFIGS = sorted((Path(__file__).parents[1] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_parse(path: Path) -> None:
    assert isinstance(load_config(path), RunConfig)


def test_configs_folder_holds_the_shipped_presets() -> None:
    for name in ("default", "quick", "zhang2020"):
        path = Path(__file__).parents[1] / "configs" / f"{name}.toml"
        assert load_config(path) == load_preset(name)
    assert load_preset("quick").search.population * load_preset("quick").search.generations <= 8


def test_unknown_and_invalid_keys_are_named() -> None:
    with pytest.raises(ConfigError, match="unknown config key 'data.sourse'"):
        parse_config({"data": {"sourse": "x"}})
    with pytest.raises(ConfigError, match="'backtest.rebalance'"):
        parse_config({"backtest": {"rebalance": "yearly"}})
    with pytest.raises(ConfigError, match="'data.max_missing_frac'"):
        parse_config({"data": {"max_missing_frac": 2}})


def test_override_skips_none_and_validates() -> None:
    config = override(RunConfig(), "backtest", cost_bps=3.0, rebalance=None)
    assert config.backtest.cost_bps == 3.0
    assert config.backtest.rebalance == "monthly"
    with pytest.raises(ConfigError):
        override(config, "backtest", cost_bps=-1.0)


def test_the_validate_section_is_read_kept_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    path.write_text("[validate]\nouter_years = 2\nfirst_test = 2004\n")
    config = load_config(path)
    assert (config.validation.outer_years, config.validation.first_test) == (2, 2004)
    assert config.validation.generations_after_first == 2  # the default
    again = override(config, "validate", subsets=4, subset_size=5)
    assert (again.validation.outer_years, again.validation.subsets) == (2, 4)
    assert again.model_dump(mode="json")["validate"]["subset_size"] == 5
    path.write_text("[validate]\nouter_year = 2\n")
    with pytest.raises(ConfigError, match="unknown config key 'validate.outer_year'"):
        load_config(path)
    with pytest.raises(ConfigError, match="validate.outer_years"):
        override(config, "validate", outer_years=0)


def test_the_stated_difference_between_run_config_and_the_default_preset_is_the_real_one() -> None:
    """Issue 23: the API's RunConfig() rebalanced monthly while `evofolio run` rebalanced
    weekly, and no page said so. RunConfig's docstring states every difference; this test
    fails when the preset or a default changes without it."""
    import re

    from evofolio.config import RunConfig, load_preset

    def flat(values: dict, prefix: str = "") -> dict:
        out = {}
        for key, value in values.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out

    built_in, preset = flat(RunConfig().model_dump()), flat(load_preset("default").model_dump())
    actual = {key: str(preset[key]) for key in built_in if built_in[key] != preset[key]}
    text = " ".join(str(RunConfig.__doc__).split())
    stated = dict(re.findall(r"``([a-z_]+\.[a-z_]+)`` \(([^)]+)\)", text))
    assert stated == actual


def test_a_config_built_in_python_fails_in_one_line_naming_the_key() -> None:
    """Issue 23: RunConfig.model_validate with a misspelt key raised pydantic's raw error
    instead of the documented ConfigError."""
    import pytest

    from evofolio.config import RunConfig, parse_config
    from evofolio.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^RunConfig: unknown config key 'serach'$"):
        RunConfig.model_validate({"serach": {"population": 4}})
    with pytest.raises(ConfigError, match=r"^RunConfig: unknown config key 'search.popluation'$"):
        RunConfig(search={"popluation": 4})
    with pytest.raises(ConfigError, match=r"^my\.toml: invalid value for 'search\.population'"):
        parse_config({"search": {"population": 1}}, "my.toml")
    assert RunConfig.model_validate({"search": {"population": 4}}).search.population == 4


def test_a_mapping_typed_in_python_is_held_to_a_files_types() -> None:
    """Fresh-eyes finding: quoted booleans in search.space.fixed passed through the Python API
    turned the features on (field case 22's kind, which the TOML path refuses)."""
    import datetime

    import pytest

    from evofolio.config import DataConfig, RunConfig
    from evofolio.errors import ConfigError

    fixed = {"search": {"space": {"fixed": {"feature_vol_21": "false"}}}}
    with pytest.raises(ConfigError, match=r"feature_vol_21 = \"false\" is a string"):
        RunConfig.model_validate(fixed)
    with pytest.raises(ConfigError, match=r"search.population = \"3\" is a string"):
        RunConfig(search={"population": "3"})
    with pytest.raises(ConfigError, match=r"training.epochs = 5.0 is a number"):
        RunConfig(training={"epochs": 5.0})
    with pytest.raises(ConfigError, match=r"training.device': expected auto, cpu, cuda"):
        RunConfig(training={"device": "tpu"})
    # what Python writes naturally still works: sections as models, ISO date strings
    config = RunConfig(data=DataConfig(source="x.csv"), validate={"first_test": 2005})
    assert config.data.source == "x.csv" and config.validation.first_test == 2005
    dated = RunConfig.model_validate({"data": {"holdout_start": "2018-01-01"}})
    assert dated.data.holdout_start == datetime.date(2018, 1, 1)
