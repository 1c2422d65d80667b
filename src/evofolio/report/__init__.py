"""evofolio.report."""
