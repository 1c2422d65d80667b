"""Every broken input fails with a one-line DataError naming the file and the fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from broken_inputs import BROKEN_INPUTS, BrokenInput

from evofolio.data import load_data
from evofolio.errors import DataError


def test_catalogue_is_broad() -> None:
    assert len(BROKEN_INPUTS) >= 12
    assert len({case.name for case in BROKEN_INPUTS}) == len(BROKEN_INPUTS)
    assert len({case.filename for case in BROKEN_INPUTS}) == len(BROKEN_INPUTS)


@pytest.mark.parametrize("case", BROKEN_INPUTS, ids=lambda case: case.name.replace(" ", "-"))
def test_broken_input_raises_one_line_data_error(case: BrokenInput, tmp_path: Path) -> None:
    path = case.path(tmp_path)
    with pytest.raises(DataError) as caught:
        load_data(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert case.filename in message
    assert case.expect in message, message
