"""evofolio.metrics."""
