"""evofolio.data."""
