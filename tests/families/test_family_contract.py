"""Contract of every registered allocator (parametrised over FAMILIES and the classic rules: a
new family is picked up without editing this file): the shipped checks of
``evofolio.testing.check_allocator`` (clone without fitted state, valid and causal weights,
refit forgets, seeded repeat, save/load with ``weights_only=True``), a streaming network that
honours the SequenceModel protocol, genomes that decode to an estimator of the family through
``clone().set_params()``, and the report's description. A toy GRU family registered here in
one line passes the same checks and a 2 x 2 search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from toy_gru import GRUAllocator

import evofolio as ev
from evofolio.allocators.registry import FAMILIES, estimator_for, model_keys, param_for
from evofolio.config import RunConfig, parse_config
from evofolio.data import AllocationData
from evofolio.data.returns import equal_weight_index
from evofolio.models.protocol import SequenceModel
from evofolio.report.text import genome_sentences
from evofolio.search.space import GENES, decode, encode, reads, suggest_genome
from evofolio.testing import check_allocator
from synthetic import random_prices

STRATEGIES = ["equal_weight", "inverse_vol", "min_variance"]
FEATURES = ["ret_1", "ret_5", "vol_21", "beta_63"]
N_DAYS = 500


def tiny_config(name: str, seed: int = 3) -> RunConfig:
    model = {"family": name, "hidden": 8, "width": 16, "heads": 2}
    model |= {"features": FEATURES, "strategies": STRATEGIES}
    model = {k: v for k, v in model.items() if k == "family" or k in model_keys(name)}
    training = {"epochs": 2, "seq_len": 10, "chunk_len": 20, "batch_size": 8, "device": "cpu"}
    strategies = {"window": 60}
    return parse_config(
        {"seed": seed, "model": model, "training": training, "strategies": strategies}
    )


@pytest.fixture(scope="module")
def data() -> AllocationData:
    prices = random_prices(n_days=N_DAYS, n_assets=4, seed=11)
    return AllocationData(prices, equal_weight_index(prices) * 1.01)


@pytest.fixture(params=list(FAMILIES))
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_family_passes_the_shipped_checks(family: str, data: AllocationData) -> None:
    check_allocator(estimator_for(tiny_config(family)), data)


@pytest.mark.parametrize("rule", ["equal_weight", "min_variance", "hrp"])
def test_classic_rules_pass_the_shipped_checks(rule: str, data: AllocationData) -> None:
    check_allocator(ev.ClassicAllocator(rule, 60), data)
    check_allocator(ev.EqualBlendAllocator(["equal_weight", rule], 60), data)


def test_a_seed_ensemble_passes_the_shipped_checks(data: AllocationData) -> None:
    check_allocator(ev.SeedEnsemble(estimator_for(tiny_config("asset")), seeds=[0, 1]), data)


def test_the_checks_catch_a_peeking_allocator(data: AllocationData) -> None:
    class Peeking(ev.ClassicAllocator):
        def allocate(self, X: Any, dates: pd.DatetimeIndex) -> pd.DataFrame:
            prices = X.prices
            last = prices.iloc[-1] / prices.iloc[-1].sum()  # the last price: the future
            return pd.DataFrame([last.to_numpy()] * len(dates), index=dates, columns=prices.columns)

    with pytest.raises(AssertionError, match="causality"):
        check_allocator(Peeking("equal_weight", 60), data)


def test_the_network_streams_like_one_pass(family: str, data: AllocationData) -> None:
    fitted = estimator_for(tiny_config(family)).fit(data.loc[data.index[:330]])
    network = fitted.network_
    assert isinstance(network, SequenceModel) and type(network) is FAMILIES[family].network_cls
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


def test_a_genome_decodes_to_an_estimator_of_the_family(family: str) -> None:
    search = parse_config({"search": {"families": [family]}}).search
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = tiny_config(family)
    for _ in range(5):
        trial = study.ask()
        genome = suggest_genome(trial, search, FEATURES, STRATEGIES)
        study.tell(trial, 0.0)
        config = decode(genome.params, base)
        assert config.model.family == family
        assert decode(encode(config, FEATURES, STRATEGIES), config) == config
        estimator = estimator_for(config)
        params = estimator.get_params(deep=True)
        for name, gene in GENES.items():
            key = param_for(family, gene.target)
            if reads(family, name):  # the gene reaches the estimator's parameter
                assert key is not None and params[key] == gene.to_config(genome.params[name])
            elif gene.section == "model":  # a gene the family ignores sets nothing
                assert key is None and gene.field not in config.model.settings()
            else:
                assert getattr(config.training, gene.field) == getattr(base.training, gene.field)
        assert not hasattr(estimator, "network_") and type(estimator) is FAMILIES[family]


def test_the_report_describes_the_family(family: str) -> None:
    genome = encode(tiny_config(family), FEATURES, STRATEGIES)
    words = " ".join(genome_sentences(genome, family))
    assert FAMILIES[family].title in words and "?" not in words
    assert ("ret_5" in words) == reads(family, "feature_ret_5")
    assert ("min_variance" in words) == reads(family, "strategy_min_variance")


def test_nested_parameters_clone_and_validate() -> None:
    model = ev.AssetLSTMAllocator().set_params(network__hidden=32, training__lr=1e-3)
    copy = clone(model)
    assert copy.get_params()["network__hidden"] == 32 and copy.get_params()["training__lr"] == 1e-3
    assert copy.network is not model.network or copy.network == model.network
    with pytest.raises(ev.ConfigError, match=r"network__hidden"):
        ev.AssetLSTMAllocator().set_params(network__hidden=1000)
    with pytest.raises(ValueError, match=r"unknown parameter 'network__heads'"):
        ev.AssetLSTMAllocator().set_params(network__heads=2)
    ensemble = ev.SeedEnsemble(model, seeds=[1, 2])
    assert clone(ensemble).get_params()["estimator__network__hidden"] == 32
    ensemble.set_params(estimator__network__hidden=16, seeds=[3])
    assert clone(ensemble).get_params()["estimator__network__hidden"] == 16


def test_a_toy_family_is_one_module_and_one_line(
    monkeypatch: pytest.MonkeyPatch, data: AllocationData, tmp_path: Path
) -> None:
    monkeypatch.setitem(FAMILIES, "gru", GRUAllocator)  # the one line
    assert model_keys("gru") == {"family", "layers", "hidden", "dropout", "temperature", "features"}
    assert reads("gru", "hidden") and reads("gru", "lr") and not reads("gru", "mode")
    check_allocator(estimator_for(tiny_config("gru")), data)
    search = {"families": ["gru"], "population": 2, "generations": 2, "folds": 2}
    search |= {"min_test_days": 60, "prune": False}
    values = tiny_config("gru").model_dump(by_alias=True)
    values |= {"search": search, "champion": {"seeds": 1}, "evaluation": {"n_boot": 100}}
    prices = random_prices(n_days=1300, n_assets=4, seed=5)
    result = ev.evolve(parse_config(values), prices, out=tmp_path / "run")
    trials = pd.read_parquet(result.run_dir / "trials.parquet")
    done = trials[trials["state"] == "COMPLETE"]
    assert len(done) >= 4 and set(done["params_family"]) == {"gru"}
    assert np.isfinite(done["fitness"]).all()
    assert result.pipeline is not None and result.config.model.family == "gru"


def test_streaming_from_a_start_reads_its_own_chunks_only(
    family: str, data: AllocationData
) -> None:
    """``weights_frame(X, start)`` gives the rows of the whole pass from ``start`` on, and
    reads no row before :func:`~evofolio.training.first_row_read` (NaN there changes
    nothing): the holdout standardises and runs its own chunks only."""
    from evofolio.allocators.neural import ModelInputs
    from evofolio.training import first_row_read

    fitted = estimator_for(tiny_config(family)).fit(data.loc[data.index[:330]])
    if not hasattr(fitted, "model_inputs"):
        pytest.skip("a family over strategies: its weights come from the whole panel")
    dates, values = fitted.model_inputs(data)
    whole = fitted.weights_frame(data, inputs=ModelInputs(dates, values))
    first = 300
    part = fitted.weights_frame(data, dates[first], ModelInputs(dates, values))
    assert part.index[0] == dates[first]
    pd.testing.assert_frame_equal(part, whole.loc[dates[first] :], rtol=1e-6, atol=1e-9)
    read = first_row_read(first, chunk_len=20, burn_in=10)
    assert 0 < read < first
    spoiled = values.copy()
    spoiled[:read] = np.nan
    pd.testing.assert_frame_equal(
        fitted.weights_frame(data, dates[first], ModelInputs(dates, spoiled)), part
    )
