"""The genome: fixed length, decode/encode round trip, constraint repair, pinned genes."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from evofolio.allocators.registry import estimator_for
from evofolio.config import RunConfig, parse_config
from evofolio.errors import ConfigError
from evofolio.features import FEATURES
from evofolio.search.space import (
    FEATURE_PREFIX,
    GENES,
    STRATEGY_PREFIX,
    Genome,
    check_space,
    decode,
    encode,
    gene_distributions,
    reads,
    suggest_genome,
)
from evofolio.strategies import STRATEGIES

FEATURE_NAMES = list(FEATURES)
STRATEGY_NAMES = list(STRATEGIES)
GENOME_LENGTH = 1 + len(GENES) + len(FEATURES) + len(STRATEGIES)  # family, table, switches


def random_genomes(config: RunConfig, count: int = 40) -> list[Genome]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    genomes = []
    for _ in range(count):
        trial = study.ask()
        genomes.append(suggest_genome(trial, config.search, FEATURE_NAMES, STRATEGY_NAMES))
        study.tell(trial, 0.0)
    return genomes


def switched(params: dict[str, Any], prefix: str, on: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: (k[len(prefix) :] in on) if k.startswith(prefix) else v for k, v in params.items()}


def switches_of(params: dict[str, Any]) -> set[str]:
    return {k for k in params if k.startswith((FEATURE_PREFIX, STRATEGY_PREFIX))}


MIXED = parse_config({"search": {"islands": False}})


def test_in_one_mixed_population_every_genome_has_every_gene() -> None:
    genomes = random_genomes(MIXED)
    assert {len(genome.params) for genome in genomes} == {GENOME_LENGTH}
    switches = {f"feature_{n}" for n in FEATURES} | {f"strategy_{n}" for n in STRATEGIES}
    assert all(switches <= set(genome.params) for genome in genomes)
    assert len({tuple(genome.params) for genome in genomes}) == 1  # same genes, same order
    assert {genome.family for genome in genomes} == {"asset", "portfolio", "asset_attention"}


def test_an_island_genome_holds_the_genes_its_family_reads_and_no_other() -> None:
    genomes = random_genomes(RunConfig())  # islands: the default
    assert {genome.family for genome in genomes} == {"asset", "portfolio", "asset_attention"}
    every = gene_distributions(RunConfig().search, FEATURE_NAMES, STRATEGY_NAMES)
    for genome in genomes:
        wanted = [name for name in every if reads(genome.family, name)]
        assert list(genome.params) == wanted  # genome order, the family's genes only
    portfolio = next(g for g in genomes if g.family == "portfolio")
    assert not any(k.startswith(FEATURE_PREFIX) for k in portfolio.params)
    assert "max_weight" not in portfolio.params and "mode" in portfolio.params
    attention = next(g for g in genomes if g.family == "asset_attention")
    assert "hidden" not in attention.params and "heads" in attention.params
    # the genes a family ignores still decode (to their first default value)
    assert decode(portfolio.params, RunConfig()).model.family == "portfolio"


def test_which_family_reads_which_gene() -> None:
    # Model 1 reads its encoder and features; Model 2 its mode and strategies (its weights
    # blend the strategies', so no cap); asset_attention its heads and width, not the LSTM's.
    assert reads("asset", "encoder") and not reads("asset", "mode")
    assert reads("asset", "feature_ret_1") and not reads("asset", "strategy_hrp")
    assert reads("portfolio", "mode") and reads("portfolio", "strategy_hrp")
    # Model 2's encoder is a parameter of its network (network__encoder): derived, it is read
    assert reads("portfolio", "encoder") and not reads("portfolio", "max_weight")
    assert not reads("portfolio", "feature_ret_1")
    assert reads("asset_attention", "heads") and reads("asset_attention", "width")
    assert not reads("asset_attention", "hidden") and not reads("asset_attention", "encoder")
    assert reads("asset_attention", "feature_ret_1") and reads("asset_attention", "max_weight")
    for family in ("asset", "portfolio", "asset_attention"):
        assert reads(family, "lr") and reads(family, "seq_len") and reads(family, "layers")


def params_of(config: RunConfig) -> dict[str, Any]:
    """The parameters of the estimator ``config`` builds (family defaults filled in; a
    sequence as a list, whether it came from TOML or a tuple default)."""
    params = estimator_for(config).get_params()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


@pytest.mark.parametrize("base", [RunConfig(), MIXED], ids=["islands", "mixed"])
def test_decoded_genomes_satisfy_the_constraints_and_round_trip(base: RunConfig) -> None:
    for genome in random_genomes(base):
        config = decode(genome.params, base)
        model = params_of(config)
        if reads(genome.family, FEATURE_PREFIX):
            assert len(genome.features) >= 1
        if reads(genome.family, STRATEGY_PREFIX):
            assert len(genome.strategies) >= 2
        assert config.model.family == genome.family
        assert config.training.lr == genome.lr and model["network__layers"] == genome.layers
        unused = tuple(k for k in genome.params if not reads(genome.family, k))
        if reads(genome.family, "hidden"):
            assert model["network__hidden"] == genome.hidden
        else:
            assert "hidden" not in config.model.settings()
        if reads(genome.family, FEATURE_PREFIX):
            assert model["features"] == list(genome.features)
            assert "strategies" not in model
        else:
            assert model["strategies"] == list(genome.strategies)
            assert "features" not in model
        assert decode(encode(config), base) == config
        if not genome.repairs:
            again = encode(config)
            read = [k for k in again if reads(genome.family, k)]
            assert set(read) == {k for k in genome.params if k not in unused}
            assert {k: again[k] for k in read} == {k: genome.params[k] for k in read}


def test_run_config_round_trips_through_the_genes() -> None:
    config = parse_config({"model": {"max_weight": 0.5, "hidden": 32}})
    # the same estimator: the genes spell out the family's defaults the config left out
    assert params_of(decode(encode(config), config)) == params_of(config)
    decoded = decode(encode(config), config)
    assert decode(encode(decoded), decoded) == decoded
    portfolio = parse_config(
        {"model": {"family": "portfolio", "strategies": ["equal_weight", "hrp"], "mode": "select"}}
    )
    assert decode(encode(portfolio), RunConfig()) == decode(encode(portfolio), portfolio)
    assert decode(encode(portfolio), RunConfig()).model.get("strategies") == ["equal_weight", "hrp"]


def test_repair_turns_on_documented_defaults_deterministically() -> None:
    params = encode(RunConfig())
    nothing = switched(switched(params, FEATURE_PREFIX), STRATEGY_PREFIX)
    genome = Genome.from_params(nothing)
    assert genome.features == ("ret_1",)
    assert genome.strategies == ("equal_weight", "inverse_vol")
    assert len(genome.repairs) == 2
    assert Genome.from_params(nothing) == genome
    one = switched(nothing, STRATEGY_PREFIX, on=("hrp",))
    assert Genome.from_params(one).strategies == ("equal_weight", "hrp")
    portfolio = decode({**nothing, "family": "portfolio"}, RunConfig())
    assert portfolio.model.get("strategies") == ["equal_weight", "inverse_vol"]
    assert decode(nothing, RunConfig()).model.get("features") == ["ret_1"]


def test_max_weight_one_means_no_cap() -> None:
    params = encode(RunConfig())
    assert params["max_weight"] == 1.0
    assert params_of(decode(params, RunConfig()))["network__max_weight"] is None
    assert (
        params_of(decode({**params, "max_weight": 0.3}, RunConfig()))["network__max_weight"] == 0.3
    )


def test_fixed_genes_stay_in_the_genome_with_one_value() -> None:
    config = parse_config(
        {
            "search": {
                "islands": False,
                "families": ["asset"],
                "space": {"fixed": {"layers": 2, "feature_macd": True}},
            }
        }
    )
    genomes = random_genomes(config, count=15)
    assert {g.layers for g in genomes} == {2}
    assert all("macd" in g.features for g in genomes)
    assert {g.family for g in genomes} == {"asset"}
    assert {len(g.params) for g in genomes} == {GENOME_LENGTH}
    assert len({tuple(g.params) for g in genomes}) == 1  # a fixed gene is still a gene
    assert switches_of(genomes[0].params) == {f"feature_{n}" for n in FEATURES} | {
        f"strategy_{n}" for n in STRATEGIES
    }


def test_bad_spaces_are_config_errors_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="unknown gene 'feature_nope'"):
        check_space(
            parse_config({"search": {"space": {"fixed": {"feature_nope": True}}}}).search,
            RunConfig(),
            FEATURE_NAMES,
            STRATEGY_NAMES,
        )
    wide = parse_config({"search": {"space": {"hidden": [4, 64]}}})
    with pytest.raises(ConfigError, match="model.hidden"):
        check_space(wide.search, wide, FEATURE_NAMES, STRATEGY_NAMES)
    with pytest.raises(ConfigError, match="search.families: unknown family 'tcn'"):
        check_space(
            parse_config({"search": {"families": ["asset", "tcn"]}}).search,
            RunConfig(),
            FEATURE_NAMES,
            STRATEGY_NAMES,
        )
    with pytest.raises(ConfigError, match="width 48 is not a multiple of heads 32"):
        parse_config({"search": {"space": {"widths": [48], "heads": [32]}}})
    with pytest.raises(ConfigError, match="at least 2 strategies"):
        check_space(RunConfig().search, RunConfig(), FEATURE_NAMES, ["hrp"])
    check_space(RunConfig().search, RunConfig(), FEATURE_NAMES, STRATEGY_NAMES)


def test_genome_without_a_gene_is_a_config_error() -> None:
    params = encode(RunConfig())
    del params["lr"]
    with pytest.raises(ConfigError, match="'lr'"):
        decode(params, RunConfig())


@pytest.mark.parametrize("key", ["features", "strategies"])
def test_an_unknown_name_in_the_model_section_is_refused_before_a_search(key: str) -> None:
    names = ["ret_1", "ret_999"] if key == "features" else ["hrp", "no_such_rule"]
    config = parse_config({"model": {key: names}})
    with pytest.raises(ConfigError, match=rf"model\.{key}: unknown name '{names[1]}'"):
        check_space(config.search, config, list(FEATURES), list(STRATEGIES))
