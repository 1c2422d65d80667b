"""evofolio.training: model-agnostic training, seeding, devices and checkpoints (layer 4)."""

from evofolio.training.checkpoint import load_checkpoint, save_checkpoint
from evofolio.training.chunks import first_row_read, make_chunks, predict_weights
from evofolio.training.device import select_device
from evofolio.training.loop import (
    TrainingDivergedError,
    TrainResult,
    train,
    validation_start,
)
from evofolio.training.losses import ChunkLoss, objective_loss, selection_loss
from evofolio.training.seeding import seed_everything

__all__ = [
    "ChunkLoss",
    "TrainResult",
    "TrainingDivergedError",
    "first_row_read",
    "load_checkpoint",
    "make_chunks",
    "objective_loss",
    "predict_weights",
    "save_checkpoint",
    "seed_everything",
    "select_device",
    "selection_loss",
    "train",
    "validation_start",
]
