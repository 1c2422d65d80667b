"""evofolio.search."""
