"""evofolio.training."""
