"""Named run configurations shipped with evofolio (`--preset NAME`)."""
