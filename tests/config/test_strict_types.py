"""A configuration file means what it says: every value is of its key's TOML type.

The battery walks every key of every section (nested tables included) and gives it a value of
another TOML type, the kind of slip a hand-written or converted file makes (``"false"``,
``"5"``, a quoted date, a string for an array): each is one ``ConfigError`` naming the file,
the dotted key, the value as written and the type expected. ``[search.space.fixed]`` holds gene
values, checked against each gene's kind, and ``[model]`` each family's own parameters.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import pytest
from pydantic import BaseModel

from evofolio.allocators.registry import FAMILIES, model_keys
from evofolio.api.config import load_config
from evofolio.config import GENES, RunConfig
from evofolio.errors import ConfigError
from evofolio.features import FEATURES
from evofolio.strategies import STRATEGIES


def _bases(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is Annotated:
        return _bases(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [b for a in typing.get_args(annotation) for b in _bases(a) if b is not type(None)]
    return [annotation]


def _wrong(annotation: Any) -> tuple[str, str] | None:
    """A TOML value of another type than ``annotation`` and the words of the type expected."""
    bases = _bases(annotation)
    texts = [
        b
        for b in bases
        if b is str
        or (typing.get_origin(b) is Literal and all(isinstance(c, str) for c in typing.get_args(b)))
    ]
    if texts:
        return "true", "a string"
    if bool in bases:
        return '"false"', "a boolean"
    if int in bases:
        return '"5"', "an integer"
    if float in bases:
        return '"0.5"', "a number"
    if dt.date in bases:
        return '"2018-01-01"', "a date"
    if any(typing.get_origin(b) in (list, tuple) for b in bases):
        return '"x"', "an array"
    return None


def _leaves(model: type[BaseModel], prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    leaves = []
    for name, info in model.model_fields.items():
        key = (*prefix, info.alias or name)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            leaves += _leaves(annotation, key)
        elif key[-1] != "fixed" and not (key[0] == "model" and name == "family"):
            leaves.append((key, annotation))
    return leaves


LEAVES = [(k, a) for k, a in _leaves(RunConfig, ()) if _wrong(a) is not None]


def _toml(key: tuple[str, ...], value: str) -> str:
    table = f"[{'.'.join(key[:-1])}]\n" if len(key) > 1 else ""
    return f"{table}{key[-1]} = {value}\n"


def _refused(text: str, tmp_path: Path) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def test_the_battery_covers_every_section() -> None:
    covered = {key[0] for key, _ in LEAVES}
    fields = RunConfig.model_fields.items()
    assert covered == {info.alias or name for name, info in fields} - {"model"}
    assert ("search", "space", "hidden") in [key for key, _ in LEAVES]


@pytest.mark.parametrize(
    ("key", "annotation"), LEAVES, ids=lambda v: ".".join(v) if isinstance(v, tuple) else ""
)
def test_a_value_of_another_type_names_key_value_and_type(
    key: tuple[str, ...], annotation: Any, tmp_path: Path
) -> None:
    wrong = _wrong(annotation)
    assert wrong is not None
    value, expected = wrong
    message = _refused(_toml(key, value), tmp_path)
    assert f"{'.'.join(key)} = {value}" in message
    assert f"expected {expected}" in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[search]\nfamilies = ["asset", 1]\n', "search.families[1] = 1"),
        ('[search.space]\nhidden = [8, "64"]\n', 'search.space.hidden[1] = "64"'),
        ('[evaluation]\ncost_grid_bps = [0, "5"]\n', 'evaluation.cost_grid_bps[1] = "5"'),
        ("[backtest]\nrebalance = 2.5\n", "backtest.rebalance = 2.5"),
        ("[training]\nepochs = 5.0\n", "training.epochs = 5.0"),
        ("[training]\nepochs = true\n", "training.epochs = true"),
        (
            "[data]\nholdout_start = 2018-01-01T00:00:00\n",
            "data.holdout_start = 2018-01-01T00:00:00",
        ),
        ("[search]\nspace = 3\n", "search.space = 3"),
    ],
)
def test_items_of_arrays_and_nested_tables_are_checked_too(
    text: str, needle: str, tmp_path: Path
) -> None:
    assert needle in _refused(text, tmp_path)


SWITCHES = [f"feature_{n}" for n in FEATURES] + [f"strategy_{n}" for n in STRATEGIES]


@pytest.mark.parametrize("gene", SWITCHES)
@pytest.mark.parametrize("value", ['"false"', '"no"', '"true"', "0", "1"])
def test_a_switch_gene_is_pinned_by_a_boolean_only(gene: str, value: str, tmp_path: Path) -> None:
    message = _refused(f"[search.space.fixed]\n{gene} = {value}\n", tmp_path)
    assert f"search.space.fixed.{gene} = {value}" in message
    assert "expected a boolean" in message


def _gene_cases() -> list[tuple[str, str, str]]:
    cases = [("family", "1", "a string")]
    for name, gene in GENES.items():
        if gene.kind == "int":
            cases += [(name, '"2"', "an integer"), (name, "2.5", "an integer")]
        elif gene.kind == "float":
            cases += [(name, '"0.1"', "a number"), (name, "true", "a number")]
        else:
            first = gene.default[0]
            if isinstance(first, str):
                cases.append((name, "1", "a string"))
            elif isinstance(first, int):
                cases.append((name, f'"{first}"', "an integer"))
            else:
                cases.append((name, f'"{first}"', "a number"))
    return cases


@pytest.mark.parametrize(("gene", "value", "expected"), _gene_cases())
def test_every_gene_is_pinned_by_a_value_of_its_kind(
    gene: str, value: str, expected: str, tmp_path: Path
) -> None:
    message = _refused(f"[search.space.fixed]\n{gene} = {value}\n", tmp_path)
    assert f"search.space.fixed.{gene} = {value}" in message
    assert f"expected {expected}" in message


def test_pinned_genes_of_the_right_type_are_kept_and_unknown_genes_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(
        "[search.space.fixed]\nfeature_vol_21 = false\nlayers = 2\ndropout = 0\n"
        'encoder = "shared"\nfamily = "asset"\n'
    )
    fixed = load_config(path).search.space.fixed
    assert fixed["feature_vol_21"] is False and fixed["layers"] == 2
    message = _refused("[search.space.fixed]\nlayerz = 2\n", tmp_path)
    assert "search.space.fixed: unknown gene 'layerz'; genes are family, encoder" in message


def _model_cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for family, cls in FAMILIES.items():
        params = cls().get_params(deep=True)
        for key in sorted(model_keys(family) - {"family"}):
            default = params.get(f"network__{key}", params.get(key))
            wrong = (
                ('"no"', "a boolean")
                if isinstance(default, bool)
                else ('"5"', "an integer")
                if isinstance(default, int)
                else ('"0.5"', "a number")
                if isinstance(default, float)
                else ("5", "a string")
                if isinstance(default, str)
                else ('"x"', "an array")
                if isinstance(default, list | tuple)
                else None
            )
            if wrong is not None:
                cases.append((family, key, *wrong))
    return cases


@pytest.mark.parametrize(("family", "key", "value", "expected"), _model_cases())
def test_every_model_key_of_every_family_is_typed(
    family: str, key: str, value: str, expected: str, tmp_path: Path
) -> None:
    text = f'[model]\nfamily = "{family}"\n{key} = {value}\n'
    message = _refused(text, tmp_path)
    assert f"model.{key} = {value}" in message and f"expected {expected}" in message
