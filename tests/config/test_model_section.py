"""``[model]`` per family: a config for one family may set only that family's keys."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from evofolio.allocators.registry import (
    FAMILIES,
    check_model,
    check_model_keys,
    estimator_for,
    model_keys,
)
from evofolio.api.config import load_config, load_preset
from evofolio.config import parse_config, preset_names
from evofolio.errors import ConfigError

ROOT = Path(__file__).parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_of_another_family_is_refused_naming_key_and_family(tmp_path: Path) -> None:
    path = write(tmp_path, '[model]\nfamily = "asset"\nhidden = 32\nmode = "select"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: model.mode is not a setting of the asset family")
    assert "belongs to portfolio" in message and "\n" not in message
    attention = write(tmp_path, '[model]\nfamily = "asset_attention"\nhidden = 32\n')
    with pytest.raises(ConfigError, match="model.hidden is not a setting of the asset_attention"):
        load_config(attention)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_refuses_the_keys_only_others_read(family: str) -> None:
    own = model_keys(family)
    foreign = sorted(set().union(*(model_keys(f) for f in FAMILIES)) - own)
    assert foreign  # each family has a setting another family does not share
    for key in foreign:
        owner = next(name for name in FAMILIES if key in model_keys(name))
        value = estimator_for(parse_config({"model": {"family": owner}})).get_params()
        value = value.get(f"network__{key}", value.get(key))
        config = parse_config({"model": {"family": family, key: value}})
        with pytest.raises(ConfigError, match=rf"model\.{key} is not a setting of the {family}"):
            check_model_keys(config, "x.toml")
        with pytest.raises(ConfigError, match=rf"x.toml: model\.{key} is not a setting"):
            check_model(config, "x.toml")


def test_a_family_keeps_its_own_settings(tmp_path: Path) -> None:
    text = '[model]\nfamily = "portfolio"\nmode = "select"\nhorizon = 3\nencoder = "joint"\n'
    config = load_config(write(tmp_path, text))
    params = estimator_for(config).get_params()
    assert config.model.family == "portfolio"
    assert (params["network__mode"], params["horizon"], params["network__encoder"]) == (
        "select",
        3,
        "joint",
    )
    text = '[model]\nfamily = "asset_attention"\nheads = 4\nwidth = 64\nfeatures = ["ret_1"]\n'
    params = estimator_for(load_config(write(tmp_path, text))).get_params()
    assert (params["network__heads"], params["network__width"], params["features"]) == (
        4,
        64,
        ["ret_1"],
    )


def test_a_key_left_out_takes_the_familys_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[model]\nfamily = "asset"\nhidden = 32\n'))
    assert config.model.settings() == {"hidden": 32}
    params = estimator_for(config).get_params()
    assert params["network__hidden"] == 32 and params["network__layers"] == 1


def test_a_value_out_of_the_familys_bounds_names_the_key(tmp_path: Path) -> None:
    for text, key in (
        ('[model]\nfamily = "asset"\nhidden = 1000\n', "model.hidden"),
        ('[model]\nfamily = "asset_attention"\nwidth = 30\nheads = 4\n', "model"),
        ('[model]\nfamily = "portfolio"\nhorizon = 0\n', "model.horizon"),
        ('[model]\nfamily = "portfolio"\nstrategies = ["hrp"]\n', "model.strategies"),
        ('[model]\nfamily = "asset"\nfeatures = ["nope"]\n', "model.features"),
        ('[model]\nfamily = "asset"\nencoder = "both"\n', "model.encoder"),
    ):
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as error:
            load_config(path)
        message = str(error.value)
        assert message.startswith(f"{path}: invalid value for '{key}") and "\n" not in message


def test_every_model_key_of_every_family_reaches_its_estimator() -> None:
    for family in FAMILIES:
        params = estimator_for(parse_config({"model": {"family": family}})).get_params()
        for key in model_keys(family) - {"family"}:
            assert f"network__{key}" in params or key in params


def test_presets_configs_and_readme_examples_load() -> None:
    for name in preset_names():
        load_preset(name)
    for path in sorted((ROOT / "configs").glob("*.toml")):
        load_config(path)
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```toml\n(.*?)```", text, re.S):
            check_model(parse_config(tomllib.loads(block)), page.name)


def test_a_misspelt_key_suggests_the_family_s_own(tmp_path: Path) -> None:
    path = write(tmp_path, '[model]\nfamily = "asset"\nhiden = 32\n')
    with pytest.raises(ConfigError, match=r"belongs to no family \(did you mean 'hidden'\?\)"):
        load_config(path)
