"""The sequence-model contract every model family's network honours.

The training loop (:func:`evofolio.training.train`), the chunked streaming
(:func:`evofolio.training.chunks.run_chunks`, ``predict_weights``) and the checkpoints treat
every network alike through this protocol: inputs ``(batch, time, items, features)`` (items
are assets for Model 1 and ``asset_attention``, strategies for Model 2), outputs weights
``(batch, time, items)`` on the simplex plus a state that the next call on the following rows
accepts, so a long series is processed once, chunk by chunk.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

from torch import Tensor


@runtime_checkable
class SequenceModel(Protocol):
    """``forward(x, state) -> (weights, state)`` over ``(batch, time, items, features)``.

    * ``x``: row ``t`` holds data up to day ``t`` only;
    * ``state``: what the previous call on the preceding rows returned, or ``None`` to start
      without history (an LSTM's ``(h, c)``, an attention model's rolling window of encoded
      inputs);
    * returns ``weights`` ``(batch, time, items)``, non-negative and summing to 1 over the last
      axis, the row of ``t`` decided at the close of ``t`` from rows ``<= t`` only; and the new
      state.

    ``config_cls`` is the frozen dataclass the network is built from (``cls(config_cls(**d))``
    rebuilds it from a checkpoint); ``step_flops()`` is the forward cost per sample and time
    step, the unit of the training compute budget.

    Optional: ``warm_up(x, state) -> (weights (batch, items), state)``, the weights of the
    last row of ``forward(x, state)`` and its state, for a model that can compute the last
    row alone more cheaply than every row (a chunk's burn-in needs no more; attention).
    """

    config_cls: ClassVar[type]

    def __call__(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]: ...

    def forward(self, x: Tensor, state: Any = None) -> tuple[Tensor, Any]: ...

    def step_flops(self) -> float: ...
