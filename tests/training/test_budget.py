"""The compute budget: an epoch's GFLOP counted by hand, and the epochs it allows."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from evofolio.config import TrainingConfig, parse_config
from evofolio.search.fitness import budgeted
from evofolio.training.chunks import Chunks
from evofolio.training.loop import budget_epochs, epoch_gflop

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
        (100, 0.1, 1),  # below one epoch: still one
        (100, 0.54, 2),  # exactly two epochs
    ],
)
def test_the_budget_caps_the_epochs(epochs: int, max_gflop: float | None, expected: int) -> None:
    config = TrainingConfig(epochs=epochs, max_gflop=max_gflop)
    assert budget_epochs(Counted(), config, TRAIN, VALIDATION) == expected


def test_a_model_without_a_flop_count_ignores_the_budget(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        epochs = budget_epochs(
            nn.Linear(1, 1), TrainingConfig(epochs=7, max_gflop=0.1), TRAIN, None
        )
    assert epochs == 7
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
    # training: 3 chunks x (10² burn-in + 3 x 20² scored) = 3 x 1300; validation: 2 x 30²
    assert epoch_gflop(Quadratic(), TRAIN, None) == pytest.approx(3 * 1300 * 1e6 / 1e9)
    assert epoch_gflop(Quadratic(), TRAIN, VALIDATION) == pytest.approx(
        (3 * 1300 + 2 * 900) * 1e6 / 1e9
    )


def test_the_attention_budget_counts_its_memory_and_the_full_score_matrix() -> None:
    from evofolio.models.asset_attention import AssetAttention, AssetAttentionConfig

    config = AssetAttentionConfig(n_assets=4, n_features=3, context=10, layers=2, width=16)
    network = AssetAttention(config)
    weights = sum(p.numel() for p in network.parameters() if p.dim() == 2)
    tokens = config.memory + 20  # 2 x 9 carried rows + 20 new ones
    expected = (2 * weights * tokens + 4 * tokens**2 * 16 * 2) * 4
    assert network.chunk_flops(20) == pytest.approx(expected)
