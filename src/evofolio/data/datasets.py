"""Real datasets shipped with, or downloaded by, skfolio: ``sp500``, ``factors``, ``ftse100``,
``nasdaq``.

==========  ===================================  ==========  ===============  ===============
name        what                                 span        market series    default holdout
==========  ===================================  ==========  ===============  ===============
sp500       20 S&P 500 stocks (offline)          1990-2022   S&P 500 index    2018-01-01
factors     5 factor ETFs MTUM QUAL SIZE USMV    2014-2022   S&P 500 index    2021-01-01
            VLUE (offline)
ftse100     64 FTSE 100 stocks (downloaded once  2000-2023   equal weight     2019-01-01
            and cached by skfolio)
nasdaq      1455 NASDAQ stocks (downloaded once  2018-2023   equal weight     2022-01-01
            and cached by skfolio)
==========  ===================================  ==========  ===============  ===============

All are daily adjusted closes of today's index members (survivorship bias: firms that left
the index are absent), provided by skfolio "solely for testing and example purposes" (stale,
not for investment use). ``ftse100`` and ``nasdaq`` are downloaded by skfolio on first use
into ``~/skfolio_data`` (or ``$SKFOLIO_DATA``) and read from there afterwards; without a
network and without that cache the load is a one-line :class:`DataError` saying the data
must be downloaded once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evofolio.data.files import one_line
from evofolio.errors import DataError


@dataclass(frozen=True)
class Dataset:
    """A named dataset: its skfolio loader, market spec (None: equal weight), default holdout."""

    name: str
    loader: str
    market: str | None
    holdout_start: pd.Timestamp
    downloads: bool


DATASETS: dict[str, Dataset] = {
    "sp500": Dataset("sp500", "load_sp500_dataset", "sp500", pd.Timestamp("2018-01-01"), False),
    "factors": Dataset(
        "factors", "load_factors_dataset", "sp500", pd.Timestamp("2021-01-01"), False
    ),
    "ftse100": Dataset("ftse100", "load_ftse100_dataset", None, pd.Timestamp("2019-01-01"), True),
    "nasdaq": Dataset("nasdaq", "load_nasdaq_dataset", None, pd.Timestamp("2022-01-01"), True),
}

DEFAULT_HOLDOUT_STARTS: dict[str, pd.Timestamp] = {
    name: dataset.holdout_start for name, dataset in DATASETS.items()
}


def dataset_prices(name: str) -> pd.DataFrame:
    """The raw wide price frame (dates x assets, float64) of the dataset ``name``."""
    import skfolio.datasets  # heavy import, done only when used

    dataset = DATASETS[name]
    load = getattr(skfolio.datasets, dataset.loader)
    try:
        frame = load()
    except Exception as exc:  # urllib, sockets, gzip: all mean "not downloaded"
        if not dataset.downloads:
            raise
        raise DataError(
            f"{name}: the data must be downloaded once (skfolio downloads it on first use "
            "into ~/skfolio_data or $SKFOLIO_DATA, then reads it from there offline); the "
            f"download failed ({type(exc).__name__}: {one_line(exc)}): run once with network "
            "access"
        ) from None
    return pd.DataFrame(
        frame.to_numpy(dtype=np.float64),
        index=pd.DatetimeIndex(frame.index, name="date"),
        columns=pd.Index([str(c) for c in frame.columns]),
    )
