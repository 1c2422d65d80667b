"""``[model]`` per family: a config for one family may set only that family's keys."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from evofolio.allocators.registry import FAMILIES, check_model_keys, model_keys
from evofolio.api.config import load_config, load_preset
from evofolio.config import ModelConfig, parse_config, preset_names
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
    defaults = ModelConfig()
    for key in foreign:
        config = parse_config({"model": {"family": family, key: getattr(defaults, key)}})
        with pytest.raises(ConfigError, match=rf"model\.{key} is not a setting of the {family}"):
            check_model_keys(config, "x.toml")


def test_a_family_keeps_its_own_settings(tmp_path: Path) -> None:
    text = '[model]\nfamily = "portfolio"\nmode = "select"\nhorizon = 3\nencoder = "joint"\n'
    model = load_config(write(tmp_path, text)).model
    assert (model.family, model.mode, model.horizon, model.encoder) == (
        "portfolio",
        "select",
        3,
        "joint",
    )
    text = '[model]\nfamily = "asset_attention"\nheads = 4\nwidth = 64\nfeatures = ["ret_1"]\n'
    model = load_config(write(tmp_path, text)).model
    assert (model.heads, model.width, model.features) == (4, 64, ["ret_1"])


def test_every_model_setting_belongs_to_a_family() -> None:
    read = set().union(*(model_keys(family) for family in FAMILIES))
    assert read == set(ModelConfig.model_fields)


def test_presets_configs_and_readme_examples_load() -> None:
    for name in preset_names():
        load_preset(name)
    for path in sorted((ROOT / "configs").glob("*.toml")):
        load_config(path)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```toml\n(.*?)```", readme, re.S):
        check_model_keys(parse_config(tomllib.loads(block)), "README")
