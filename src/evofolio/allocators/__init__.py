"""evofolio.allocators."""
