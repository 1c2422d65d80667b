"""evofolio.backtest."""
