"""`evofolio data`: what a price source holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    DelistingOpt,
    FormatOpt,
    MarketOpt,
    PriceColumnOpt,
    QuietOpt,
    RaggedOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    UniverseOpt,
    VerboseOpt,
    console,
    handle_errors,
    load_market_data,
    resolve_config,
    setup_logging,
)

if TYPE_CHECKING:
    from evofolio.data import MarketData


@handle_errors
def data_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    price_column: PriceColumnOpt = None,
    ragged: RaggedOpt = None,
    universe: UniverseOpt = None,
    delisting_return: DelistingOpt = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show the assets, the date range and frequency, the periods and the missing-data report
    of a source; with a ragged universe, each asset's life (first and last date, delisting
    return) and per year the assets alive and investable, the entries and the exits."""
    setup_logging(verbose, quiet)
    import pandas as pd  # imported when the command runs: `data --help` stays instant

    from evofolio.backtesting import split_periods
    from evofolio.report.tables import records_table

    run_config = resolve_config(
        config,
        data,
        fmt,
        market,
        timezone=timezone,
        on_suspect_jump=on_suspect_jump,
        price_column=price_column,
        families=False,
        ragged=ragged,
        universe=universe,
        delisting_return=delisting_return,
    )
    loaded = load_market_data(run_config)
    prices = loaded.prices
    periods = split_periods(
        pd.DatetimeIndex(prices.index), run_config.data.holdout_start, source=loaded.source
    )
    console.print(f"source:      {loaded.source}")
    console.print(f"assets ({prices.shape[1]}): {', '.join(loaded.assets)}")
    console.print(
        f"dates:       {len(prices)} from {prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}"
    )
    console.print(f"frequency:   {loaded.frequency} ({loaded.periods_per_year} periods a year)")
    console.print(
        f"development: {periods.development[0]:%Y-%m-%d} to {periods.development[-1]:%Y-%m-%d}"
        f" ({len(periods.development)} dates)"
    )
    console.print(
        f"holdout:     {periods.holdout[0]:%Y-%m-%d} to {periods.holdout[-1]:%Y-%m-%d}"
        f" ({len(periods.holdout)} dates)"
    )
    console.print(f"market:      {loaded.market_source}")
    console.print(f"missing:     {loaded.report.summary()}")
    console.print(records_table(loaded.report.rows(), "Missing-data report"))
    if loaded.universe is not None:
        _show_universe(loaded)


def _show_universe(loaded: MarketData) -> None:
    """The lives, and per year who is alive and investable, who enters and who exits."""
    import pandas as pd

    from evofolio.report.tables import records_table

    universe = loaded.universe
    assert universe is not None
    lives = universe.lives()
    last = universe.dates[-1]
    exits = lives[lives["last"] < last]
    entries = lives[lives["first"] > universe.dates[0]]
    membership = universe.membership or "none (every asset is a member)"
    console.print(
        f"universe:    ragged: {len(entries)} entries, {len(exits)} exits; membership: "
        f"{membership}; investable = member and alive (and warm for each allocator)"
    )
    rows = [
        {
            "asset": str(asset),
            "first": f"{row['first']:%Y-%m-%d}",
            "last": f"{row['last']:%Y-%m-%d}",
            "member_days": int(row["member_days"]),
            "delisting_return": "-"
            if pd.isna(row["delisting_return"])
            else f"{row['delisting_return']:+.2f}",
        }
        for asset, row in lives.iterrows()
    ]
    console.print(records_table(rows, "Lives (delisting return booked after the last price)"))
    console.print(
        records_table(
            [{str(k): v for k, v in row.items()} for row in universe.by_year().to_dict("records")],
            "Universe by year",
        )
    )
