"""tminus: a terminal console for the commander of a production launch."""

__version__ = "0.1.0"
