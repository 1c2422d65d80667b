"""`evofolio data`: what a price source holds."""

from __future__ import annotations

from evofolio.cli.common import (
    ConfigOpt,
    DataOpt,
    FormatOpt,
    MarketOpt,
    PriceColumnOpt,
    QuietOpt,
    SuspectJumpOpt,
    TimezoneOpt,
    VerboseOpt,
    console,
    handle_errors,
    load_market_data,
    resolve_config,
    setup_logging,
)


@handle_errors
def data_command(
    config: ConfigOpt = None,
    data: DataOpt = None,
    fmt: FormatOpt = None,
    market: MarketOpt = None,
    timezone: TimezoneOpt = None,
    on_suspect_jump: SuspectJumpOpt = None,
    price_column: PriceColumnOpt = None,
    verbose: VerboseOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Show the assets, the date range and frequency, the periods and the missing-data report
    of a source."""
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
