"""Bazaar: follows open-source AI news and brings it to a Discord community."""

__version__ = "0.1.0"
