"""The search space at large universes: the joint encoder left out above a documented size."""

from __future__ import annotations

import logging

import pytest

from evofolio.config import parse_config
from evofolio.search.scale import JOINT_MAX_ASSETS, large_universe_space


def test_joint_is_left_out_above_the_limit_with_an_info_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = parse_config({"search": {"space": {"encoders": ["joint", "shared"]}}}, "test")
    assert large_universe_space(config, JOINT_MAX_ASSETS) is config  # at the limit: unchanged
    with caplog.at_level(logging.INFO, logger="evofolio"):
        wide = large_universe_space(config, JOINT_MAX_ASSETS + 1)
    assert wide.search.space.encoders == ["shared"]
    assert config.search.space.encoders == ["joint", "shared"]  # the input is not changed
    assert any(
        "joint encoder" in r.getMessage() and "101 assets" in r.getMessage() for r in caplog.records
    )


def test_joint_alone_is_kept_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config({"search": {"space": {"encoders": ["joint"]}}}, "test")
    with caplog.at_level(logging.WARNING, logger="evofolio"):
        assert large_universe_space(config, 500).search.space.encoders == ["joint"]
    assert any(r.levelno == logging.WARNING and "500" in r.getMessage() for r in caplog.records)
