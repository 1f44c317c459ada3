"""Build hook: compile the routing engine's hot path with mypyc (it is mypy --strict clean, so it compiles
as written). Set BAIYING_PURE_PYTHON=1 to install without a C compiler; behaviour is the same, slower.
"""

import os

from setuptools import setup

COMPILED = [
    "availability",
    "decisions",
    "errors",
    "expressions",
    "model",
    "placement",
    "policy",
    "queueing",
    "router",
    "selection",
    "state",
    "timers",
    "waiting",
]

ext_modules = []
if os.environ.get("BAIYING_PURE_PYTHON") != "1":
    from mypyc.build import mypycify

    ext_modules = mypycify([f"src/baiying/routing/{name}.py" for name in COMPILED], opt_level="3")

setup(ext_modules=ext_modules)
