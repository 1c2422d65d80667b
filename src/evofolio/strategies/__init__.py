"""evofolio.strategies."""
