"""The infeasible-cap filter: a max_weight choice below 1/N is dropped before the search."""

from __future__ import annotations

import logging

import pytest

from evofolio.config import RunConfig, parse_config
from evofolio.search.jobs.run import feasible_caps


def with_caps(caps: list[float]) -> RunConfig:
    return parse_config({"search": {"space": {"max_weight": caps}}})


@pytest.mark.parametrize(
    ("caps", "n_assets", "kept"),
    [
        ([0.2, 0.3, 0.5, 1.0], 4, [0.3, 0.5, 1.0]),  # 0.2 x 4 = 0.8 < 1
        ([0.2, 0.3, 0.5, 1.0], 3, [0.5, 1.0]),  # 0.3 x 3 = 0.9 < 1
        ([0.25, 0.5], 4, [0.25, 0.5]),  # exactly 1/N is feasible (equal weight)
        ([0.2, 0.4], 2, [1.0]),  # nothing feasible: uncapped
    ],
)
def test_caps_below_one_over_n_are_dropped(
    caps: list[float], n_assets: int, kept: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    config = with_caps(caps)
    with caplog.at_level(logging.WARNING):
        result = feasible_caps(config, n_assets)
    assert result.search.space.max_weight == kept
    dropped = sorted(set(caps) - set(kept))
    if dropped:
        assert f"max_weight choices {dropped} are infeasible for {n_assets} assets" in caplog.text
    else:
        assert result is config and not caplog.text
    assert config.search.space.max_weight == caps  # the caller's config is left as it was
