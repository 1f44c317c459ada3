"""Routing engine (ACD): pure, no I/O; time passed in."""
