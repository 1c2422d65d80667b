"""Model 2: an LSTM over the behaviour of M classic strategies, a softmax over the strategies.

A strategy of strategies: the input is, for each strategy, its causal daily performance
features ``(batch, time, strategies, features)``; the output is a distribution over the
strategies at every step. The allocator blends the strategies' asset weights with it, so
turnover and costs are still measured at the asset level.

The encoder is Model 1's (:class:`~evofolio.models.asset_lstm.AssetLSTM`, by composition)
with the strategies in the role of the assets: ``"shared"`` reads each strategy's own
features with one LSTM (any number or order of strategies), ``"joint"`` reads all of them at
once (it can weigh one strategy's behaviour against another's).

Two modes share the network and differ in training only:

* ``"blend"``: trained on a portfolio objective (Sharpe, Sortino, utility) of the blended
  returns;
* ``"select"``: trained with cross-entropy on :meth:`PortfolioLSTM.logits` to predict which
  strategy will have the best return over the next days; ``forward`` returns the predicted
  probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor, nn

from evofolio.models.asset_lstm import AssetLSTM, AssetLSTMConfig, LSTMParams, LSTMState


class PortfolioLSTMParams(LSTMParams):
    """Hyperparameters of Model 2's LSTM over the strategies (:class:`PortfolioLSTM`): Model
    1's encoder's and the mode."""

    mode: Literal["blend", "select"] = Field(
        "blend", description="blend the strategies, or select the one predicted best"
    )


@dataclass(frozen=True)
class PortfolioLSTMConfig:
    """Hyperparameters of :class:`PortfolioLSTM`; validated on construction (``ValueError``)."""

    n_strategies: int
    n_features: int
    encoder: Literal["joint", "shared"] = "joint"
    layers: int = 1
    hidden: int = 16
    dropout: float = 0.0
    temperature: float = 1.0
    mode: Literal["blend", "select"] = "blend"

    def __post_init__(self) -> None:
        if self.n_strategies < 2:
            raise ValueError(f"Model 2 needs at least 2 strategies, got {self.n_strategies}")
        PortfolioLSTMParams.check(self)
        self.encoder_config()

    def encoder_config(self) -> AssetLSTMConfig:
        """The config of the composed Model 1 encoder (strategies as assets)."""
        return AssetLSTMConfig(
            n_assets=self.n_strategies,
            n_features=self.n_features,
            encoder=self.encoder,
            layers=self.layers,
            hidden=self.hidden,
            dropout=self.dropout,
            temperature=self.temperature,
        )


class PortfolioLSTM(nn.Module):
    """Features ``(batch, time, strategies, features)`` to strategy weights ``(batch, time,
    strategies)`` (softmax; in select mode, the predicted probability of each being best)."""

    config_cls: ClassVar[type] = PortfolioLSTMConfig

    def __init__(self, config: PortfolioLSTMConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = AssetLSTM(config.encoder_config())

    def step_flops(self) -> float:
        """Forward FLOPs per sample and time step (see :meth:`AssetLSTM.step_flops`)."""
        return self.encoder.step_flops()

    def logits(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        """Scores divided by the temperature ``(batch, time, strategies)``, and the state.

        ``softmax(logits)`` is :meth:`forward`'s output; select mode trains the cross-entropy
        of these logits.
        """
        scores, new_state = self.encoder.scores(x, state)
        return scores / self.config.temperature, new_state

    def forward(self, x: Tensor, state: LSTMState | None = None) -> tuple[Tensor, LSTMState]:
        """Weights over the strategies at every step, and the state after the last step.

        Args:
            x: ``(batch, time, strategies, features)``; row ``t`` holds data up to day ``t``.
            state: the state returned by the previous call on the preceding rows, or
                ``None`` to start from zeros.
        """
        logits, new_state = self.logits(x, state)
        return torch.softmax(logits, dim=-1), new_state
