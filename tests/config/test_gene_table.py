"""The gene table is the one declaration of every gene: ``[search.space]`` is derived from it,
no gene is declared twice, and a range given in the config is the range the search draws."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from evofolio.config import SpaceConfig, parse_config
from evofolio.config.genes import GENES, TABLE, _index
from evofolio.errors import ConfigError
from evofolio.features import FEATURES
from evofolio.search.space import gene_distributions
from evofolio.strategies import STRATEGIES

SRC = Path(__file__).parents[2] / "src" / "evofolio"


def distributions(space: dict[str, object]) -> dict[str, object]:
    search = parse_config({"search": {"space": space}}).search
    return gene_distributions(search, list(FEATURES), list(STRATEGIES))


def test_every_gene_is_declared_once() -> None:
    names = [gene.name for gene in TABLE]
    assert len(names) == len(set(names)) == len(GENES)
    twin = dataclasses.replace(TABLE[1], target="model.other")  # same name, another field
    with pytest.raises(ValueError, match=f"name '{TABLE[1].name}' is declared twice"):
        _index((*TABLE, twin))
    same_field = dataclasses.replace(TABLE[1], name="other", space="other")
    with pytest.raises(ValueError, match="target 'model.layers' is declared twice"):
        _index((*TABLE, same_field))


def test_the_space_section_has_one_key_per_gene_and_fixed() -> None:
    assert set(SpaceConfig.model_fields) == {gene.space for gene in TABLE} | {"fixed"}


def test_no_module_keeps_a_second_list_of_the_genes() -> None:
    """No literal list/tuple/set anywhere in the package names more than half of the genes'
    names or ``[search.space]`` keys, except the table itself."""
    table = SRC / "config" / "genes.py"
    words = {gene.name for gene in TABLE} | {gene.space for gene in TABLE}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == table:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                named = {
                    e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in words
                }
                if len(named) > len(TABLE) // 2:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found


def test_documented_default_ranges() -> None:
    # docs/guide/search.md, "How the search works": layers 1-3, hidden 8-256 (log), dropout 0-0.5,
    # lr 1e-4-1e-2 (log), caps 1.0 (none) / 0.5 / 0.3, heads 1 | 2 | 4.
    genes = distributions({})
    assert genes["layers"] == IntDistribution(1, 3)
    assert genes["hidden"] == IntDistribution(8, 256, log=True)
    assert genes["dropout"] == FloatDistribution(0.0, 0.5)
    assert genes["lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert genes["max_weight"] == CategoricalDistribution([1.0, 0.5, 0.3])
    assert genes["heads"] == CategoricalDistribution([1, 2, 4])


def test_a_range_in_the_config_is_the_range_searched() -> None:
    genes = distributions({"hidden": [24, 40], "seq_len": [30, 30], "modes": ["select"]})
    assert genes["hidden"] == IntDistribution(24, 40, log=True)
    assert genes["seq_len"] == IntDistribution(30, 30)
    assert genes["mode"] == CategoricalDistribution(["select"])
    assert genes["layers"] == IntDistribution(1, 3)  # the others keep the table's default


@pytest.mark.parametrize(
    "space,expect",
    [
        ({"layers": [3, 1]}, "'search.space.layers': range low 3 is above high 1"),
        ({"objectives": ["mse"]}, "'search.space.objectives.0'"),  # the field's own choices
        ({"encoders": []}, "'search.space.encoders'"),
        ({"max_weight": [0.5, 1.5]}, "every max_weight choice must lie in (0, 1]"),
        ({"heads": [0]}, "'search.space.heads'"),
        ({"hiden": [8, 16]}, "unknown config key 'search.space.hiden'"),
    ],
)
def test_bad_ranges_name_the_key(space: dict[str, object], expect: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"search": {"space": space}}, "run.toml")
    assert str(error.value).startswith("run.toml: ") and expect in str(error.value)
