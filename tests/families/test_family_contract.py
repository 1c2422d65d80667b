"""Contract of every registered model family (parametrised over FAMILIES: a new family is
picked up without editing this file): fresh unfitted allocators per fold, valid and causal
weights, seeded repeat, checkpoint round trip with ``weights_only=True``, a streaming network
that honours the SequenceModel protocol, genomes that decode to a config of the family, and
the report's description."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
import torch

from evofolio.allocators.families import FAMILIES, Family, FamilyInputs
from evofolio.allocators.strategy_panel import build_strategy_panel
from evofolio.config import RunConfig, parse_config
from evofolio.data.returns import equal_weight_index
from evofolio.models.protocol import SequenceModel
from evofolio.models.registry import MODELS
from evofolio.report.text import genome_sentences
from evofolio.search.genes import GENES, reads
from evofolio.search.space import decode, encode, suggest_genome
from synthetic import random_prices

STRATEGIES = ["equal_weight", "inverse_vol", "min_variance"]
FEATURES = ["ret_1", "ret_5", "vol_21", "beta_63"]
N_DAYS, TRAIN_DAYS, CUT = 500, 330, 420


def tiny_config(name: str, seed: int = 3) -> RunConfig:
    model = {**FAMILIES[name].defaults, "family": name, "features": FEATURES, "hidden": 8}
    model |= {"strategies": STRATEGIES, "width": 16, "heads": 2}
    training = {"epochs": 2, "seq_len": 10, "chunk_len": 20, "batch_size": 8, "device": "cpu"}
    return parse_config({"seed": seed, "model": model, "training": training})


def inputs_for(family: Family, prices: pd.DataFrame) -> FamilyInputs:
    panel = build_strategy_panel(prices, STRATEGIES, window=60) if family.needs_panel else None
    return FamilyInputs(market=equal_weight_index(prices), panel=panel)


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return random_prices(n_days=N_DAYS, n_assets=4, seed=11)


@pytest.fixture(scope="module", params=list(FAMILIES))
def case(request: pytest.FixtureRequest, prices: pd.DataFrame) -> dict[str, Any]:
    """One family's factory on ``prices`` and an allocator fitted on the first days."""
    family = FAMILIES[request.param]
    inputs = inputs_for(family, prices)
    make = family.factory(tiny_config(family.name), inputs)
    fitted = make()
    assert fitted.fit(prices.iloc[:TRAIN_DAYS]) is fitted
    return {"family": family, "inputs": inputs, "make": make, "fitted": fitted}


def test_the_factory_gives_fresh_unfitted_allocators(case: dict[str, Any]) -> None:
    make = case["make"]
    first, second = make(), make()
    assert first is not second and first is not case["fitted"]
    assert not hasattr(first, "network_") and not hasattr(second, "network_")
    assert hasattr(case["fitted"], "network_")


def test_weights_are_valid(case: dict[str, Any], prices: pd.DataFrame) -> None:
    dates = prices.index[TRAIN_DAYS + 10 :: 5]
    weights = case["fitted"].allocate(prices, dates)
    assert weights.index.equals(dates) and list(weights.columns) == list(prices.columns)
    assert (weights.to_numpy() >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


def test_allocation_is_causal(case: dict[str, Any], prices: pd.DataFrame) -> None:
    family, fitted = case["family"], case["fitted"]
    dates = prices.index[TRAIN_DAYS + 10 :]
    cut = prices.index[CUT]
    perturbed = prices.copy()
    after = perturbed.index > cut
    perturbed.loc[after] *= np.random.default_rng(0).uniform(0.7, 1.4, perturbed.loc[after].shape)
    inputs = inputs_for(family, perturbed)
    for attribute in ("market", "panel"):
        if hasattr(fitted, attribute):
            setattr(fitted, attribute, getattr(inputs, attribute))
    try:
        other = fitted.allocate(perturbed, dates)
    finally:
        for attribute in ("market", "panel"):
            if hasattr(fitted, attribute):
                setattr(fitted, attribute, getattr(case["inputs"], attribute))
    base = fitted.allocate(prices, dates)
    pd.testing.assert_frame_equal(base.loc[:cut], other.loc[:cut])
    late = slice(CUT - TRAIN_DAYS, None)  # the dates from 10 days after the cut on
    assert not np.allclose(base.iloc[late].to_numpy(), other.iloc[late].to_numpy())


def test_a_seeded_fit_repeats(case: dict[str, Any], prices: pd.DataFrame) -> None:
    again = case["make"]().fit(prices.iloc[:TRAIN_DAYS])
    dates = prices.index[TRAIN_DAYS + 10 :]
    pd.testing.assert_frame_equal(
        again.allocate(prices, dates), case["fitted"].allocate(prices, dates)
    )
    other_seed = case["family"].factory(tiny_config(case["family"].name, seed=4), case["inputs"])
    moved = other_seed().fit(prices.iloc[:TRAIN_DAYS]).allocate(prices, dates)
    assert not np.allclose(moved.to_numpy(), again.allocate(prices, dates).to_numpy())


def test_checkpoint_round_trip(case: dict[str, Any], prices: pd.DataFrame, tmp_path: Path) -> None:
    family, fitted = case["family"], case["fitted"]
    path = fitted.save(tmp_path / "model.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["model"] == family.name and payload["extra"]["family"] == family.name
    loaded = family.loader(case["inputs"])(path)
    dates = prices.index[TRAIN_DAYS + 10 :]
    pd.testing.assert_frame_equal(loaded.allocate(prices, dates), fitted.allocate(prices, dates))


def test_the_network_streams_like_one_pass(case: dict[str, Any]) -> None:
    network = case["fitted"].network_
    assert isinstance(network, SequenceModel) and MODELS[case["family"].name] is type(network)
    cfg = network.config
    n_items, n_features = getattr(cfg, "n_assets", None) or cfg.n_strategies, cfg.n_features
    x = torch.randn(2, 40, n_items, n_features, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        whole, _ = network(x)
        head, state = network(x[:, :17])
        tail, _ = network(x[:, 17:], state)
    torch.testing.assert_close(torch.cat([head, tail], dim=1), whole, atol=1e-5, rtol=1e-5)
    with_grad, _ = network(x)  # inference (no_grad) computes what training computes
    torch.testing.assert_close(with_grad.detach(), whole, atol=1e-5, rtol=1e-5)
    assert network.step_flops() > 0


def test_a_genome_decodes_to_a_valid_config_of_the_family(case: dict[str, Any]) -> None:
    family = case["family"]
    search = parse_config({"search": {"families": [family.name]}}).search
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for _ in range(5):
        trial = study.ask()
        genome = suggest_genome(trial, search, FEATURES, STRATEGIES)
        study.tell(trial, 0.0)
        config = decode(genome.params, tiny_config(family.name))
        assert config.model.family == family.name
        assert decode(encode(config, FEATURES, STRATEGIES), config) == config
        for name, gene in GENES.items():  # a gene the family ignores leaves the config alone
            if not reads(family.name, name):
                base = getattr(getattr(tiny_config(family.name), gene.section), gene.field)
                assert getattr(getattr(config, gene.section), gene.field) == base
    assert not hasattr(family.factory(config, case["inputs"])(), "network_")


def test_the_report_describes_the_family(case: dict[str, Any]) -> None:
    family = case["family"]
    genome = encode(tiny_config(family.name), FEATURES, STRATEGIES)
    words = " ".join(genome_sentences(genome, family.name))
    assert family.title in words and "?" not in words
    assert ("ret_5" in words) == reads(family.name, "feature_ret_5")
    assert ("min_variance" in words) == reads(family.name, "strategy_min_variance")
