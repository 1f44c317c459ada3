"""Bundled scenarios: `national.yaml` (the demo) and the single-skill validation cases."""

from importlib.resources import files
from pathlib import Path


def bundled(name: str) -> Path:
    """The path of a bundled scenario file, e.g. bundled("national.yaml")."""
    return Path(str(files(__package__).joinpath(name)))
