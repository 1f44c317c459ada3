"""Baiying (百应): an open-source contact center with a multi-site routing engine and a digital twin."""

__version__ = "0.1.0"
