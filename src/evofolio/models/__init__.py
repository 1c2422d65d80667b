"""evofolio.models."""
