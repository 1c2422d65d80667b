"""evofolio.features."""
