"""The compute budget: an epoch's GFLOP counted by hand, and the epochs it allows."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch
from torch import nn

from evofolio.config import TrainingConfig, parse_config
from evofolio.search.fitness import budgeted
from evofolio.training.chunks import Chunks
from evofolio.training.loop import FitBudget, budget_epochs, epoch_gflop

STEP_FLOPS = 1e6  # forward FLOPs per sample and time step of the stub model


class Counted(nn.Module):
    def step_flops(self) -> float:
        return STEP_FLOPS


def chunks(n_chunks: int, burn_in: int, chunk_len: int) -> Chunks:
    inputs = torch.zeros(n_chunks, burn_in + chunk_len, 2, 1)
    mask = torch.ones(n_chunks, chunk_len, dtype=torch.bool)
    return Chunks(inputs, None, mask, burn_in)


TRAIN = chunks(3, burn_in=10, chunk_len=20)
VALIDATION = chunks(2, burn_in=10, chunk_len=20)


def test_an_epoch_costs_three_passes_of_the_scored_rows_and_one_of_the_rest() -> None:
    # training: 3 chunks x (10 burn-in + 3 x 20 scored) = 210 steps; validation: 2 x 30 = 60
    assert epoch_gflop(Counted(), TRAIN, None) == pytest.approx(210 * 1e6 / 1e9)
    assert epoch_gflop(Counted(), TRAIN, VALIDATION) == pytest.approx(270 * 1e6 / 1e9)
    assert epoch_gflop(nn.Linear(1, 1), TRAIN, VALIDATION) == 0.0  # no step_flops: unknown


@pytest.mark.parametrize(
    ("epochs", "max_gflop", "expected"),
    [
        (100, None, 100),  # no budget
        (100, 1.0, 3),  # 3 x 0.27 = 0.81 <= 1.0 < 4 x 0.27
        (2, 1.0, 2),  # the budget never adds epochs
        (100, 0.54, 2),  # exactly two epochs
        (100, 0.27, 1),  # exactly one epoch, on every chunk
    ],
)
def test_the_budget_caps_the_epochs(epochs: int, max_gflop: float | None, expected: int) -> None:
    config = TrainingConfig(epochs=epochs, max_gflop=max_gflop)
    assert budget_epochs(Counted(), config, TRAIN, VALIDATION) == FitBudget(expected)


@pytest.mark.parametrize(
    ("max_gflop", "chunks"),
    [
        # an epoch: 3 training chunks of 70 MFLOP each (10 burn-in + 3 x 20 scored steps)
        # and a 60-MFLOP validation pass; below 270 MFLOP the validation pass is paid first
        (0.26, 2),  # 200 MFLOP left: two chunks
        (0.20, 2),  # 140: exactly two
        (0.19, 1),  # 130: one
        (0.05, 1),  # less than the validation pass: still one chunk
    ],
)
def test_below_one_epoch_the_budget_trains_the_chunks_it_pays_for(
    max_gflop: float, chunks: int
) -> None:
    config = TrainingConfig(epochs=100, max_gflop=max_gflop)
    assert budget_epochs(Counted(), config, TRAIN, VALIDATION) == FitBudget(1, chunks)


def test_a_model_without_a_flop_count_ignores_the_budget(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        epochs = budget_epochs(
            nn.Linear(1, 1), TrainingConfig(epochs=7, max_gflop=0.1), TRAIN, None
        )
    assert epochs == FitBudget(7)
    assert "Linear has no step_flops()" in caplog.text


def test_the_search_budget_applies_unless_training_sets_its_own() -> None:
    config = parse_config({"search": {"fit_gflop": 5.0}})
    assert config.training.max_gflop is None
    assert budgeted(config).training.max_gflop == 5.0
    own = parse_config({"search": {"fit_gflop": 5.0}, "training": {"max_gflop": 2.0}})
    assert budgeted(own).training.max_gflop == 2.0
    unbudgeted = parse_config({"search": {"fit_gflop": None}})
    assert budgeted(unbudgeted).training.max_gflop is None


class Quadratic(Counted):
    """A model whose call costs rows² (attention): the budget must count calls, not rows."""

    def chunk_flops(self, rows: int) -> float:
        return float(rows * rows) * 1e6


def test_a_call_whose_cost_grows_faster_than_its_length_is_counted_per_call() -> None:
    # training: 3 chunks x (10² burn-in + 3 x 20² scored) = 3 x 1300; validation: the same
    # two calls per chunk, forward only: 2 x (10² + 20²)
    assert epoch_gflop(Quadratic(), TRAIN, None) == pytest.approx(3 * 1300 * 1e6 / 1e9)
    assert epoch_gflop(Quadratic(), TRAIN, VALIDATION) == pytest.approx(
        (3 * 1300 + 2 * 500) * 1e6 / 1e9
    )


class WarmedUp(Quadratic):
    """A model whose burn-in (``warm_up``: the last row's weights only) costs less."""

    def warm_up_flops(self, rows: int) -> float:
        return float(rows) * 1e6


def test_a_cheaper_burn_in_is_counted_as_the_models_warm_up() -> None:
    # training: 3 x (10 burn-in + 3 x 20²); validation: 2 x (10 + 20²)
    assert epoch_gflop(WarmedUp(), TRAIN, VALIDATION) == pytest.approx(
        (3 * (10 + 1200) + 2 * 410) * 1e6 / 1e9
    )


def test_the_attention_budget_counts_the_rows_each_layer_computes() -> None:
    """By hand: 4 assets, 3 features, context 10, 2 layers of width 16, a call on 20 new rows
    after 2 x 9 carried ones (38 tokens). Layer 0 runs its queries on the 20 + 9 rows that
    layer 1's queries reach and its keys on all 38; layer 1 queries the 20 new rows with keys
    on 29. Per row, 2 FLOPs per multiply-add: keys and values 2 x 2·16², queries and output
    projection 2 x 2·16², feed-forward 2 x 2·(16·32); scores and mixing 4·q·k·16; the 2
    heads' q·k scores at SCORE_FLOPS each (DROPOUT_SCORE_FLOPS more with dropout)."""
    from evofolio.models.asset_attention import (
        DROPOUT_SCORE_FLOPS,
        SCORE_FLOPS,
        AssetAttention,
        AssetAttentionConfig,
    )

    config = AssetAttentionConfig(n_assets=4, n_features=3, context=10, layers=2, width=16)
    assert config.heads == 2 and config.dropout == 0.0
    network = AssetAttention(config)
    embed, proj = 2 * 3 * 16 * 20, 2 * 16 * 20
    kv, q_out_ffn = 2 * 2 * 16 * 16, 2 * (2 * 16 * 16 + 2 * 16 * 32)
    layer0 = kv * 38 + q_out_ffn * 29 + (4 * 16 + 2 * SCORE_FLOPS) * 29 * 38
    layer1 = kv * 29 + q_out_ffn * 20 + (4 * 16 + 2 * SCORE_FLOPS) * 20 * 29
    assert network.chunk_flops(20) == pytest.approx((embed + proj + layer0 + layer1) * 4)
    # a burn-in of 10 rows without state, the last row's weights only: layer 0 on all 10
    # rows, layer 1 queries the last row against 10 keys
    embed, proj = 2 * 3 * 16 * 10, 2 * 16 * 1
    layer0 = kv * 10 + q_out_ffn * 10 + (4 * 16 + 2 * SCORE_FLOPS) * 10 * 10
    layer1 = kv * 10 + q_out_ffn * 1 + (4 * 16 + 2 * SCORE_FLOPS) * 1 * 10
    assert network.warm_up_flops(10) == pytest.approx((embed + proj + layer0 + layer1) * 4)
    # with attention dropout every score costs DROPOUT_SCORE_FLOPS more
    dropped = AssetAttention(
        AssetAttentionConfig(n_assets=4, n_features=3, context=10, layers=2, width=16, dropout=0.1)
    )
    scores = 2 * (29 * 38 + 20 * 29) * 4
    assert dropped.chunk_flops(20) - network.chunk_flops(20) == pytest.approx(
        scores * DROPOUT_SCORE_FLOPS
    )


def linear_flops(counter: Any) -> float:
    """The FLOPs ``counter`` (a ``FlopCounterMode``) counted in matrix products."""
    products = ("aten.mm", "aten.addmm", "aten.bmm")
    return float(
        sum(n for op, n in counter.get_flop_counts()["Global"].items() if str(op) in products)
    )


@pytest.mark.parametrize("layers", [1, 3])
def test_the_attention_budget_counts_what_a_call_multiplies(layers: int) -> None:
    """The matrix products of the linear layers that torch counts in a call (FlopCounterMode)
    are the estimate's, less its attention term (counted by hand: the attention kernel is
    left out of the comparison, whether or not a torch version counts it)."""
    from torch.utils.flop_counter import FlopCounterMode

    from evofolio.models.asset_attention import SCORE_FLOPS, AssetAttention, AssetAttentionConfig

    config = AssetAttentionConfig(n_assets=3, n_features=4, context=7, layers=layers, width=8)
    network = AssetAttention(config).eval()

    def attention_term(outputs: int, tokens: int) -> float:
        total = 0.0
        for layer in range(layers):
            q = min(tokens, outputs + (layers - 1 - layer) * 6)
            total += (4.0 * 8 + config.heads * SCORE_FLOPS) * q * min(tokens, q + 6)
        return total * 3

    with torch.no_grad():
        _, state = network(torch.randn(2, 30, 3, 4))
        with FlopCounterMode(display=False) as counter:
            network(torch.randn(2, 12, 3, 4), state)
        counted = linear_flops(counter) / 2  # per sample
        assert counted == pytest.approx(
            network.chunk_flops(12) - attention_term(12, config.memory + 12)
        )
        with FlopCounterMode(display=False) as counter:
            network.warm_up(torch.randn(2, 9, 3, 4))
        counted = linear_flops(counter) / 2
        assert counted == pytest.approx(network.warm_up_flops(9) - attention_term(1, 9))
