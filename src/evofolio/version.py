"""The package version (layer 0): what run files and reports record as their writer."""

__version__ = "0.1.0"
