"""Build hook: compile the routing engine's hot path and the simulator's event loop with mypyc (they are
mypy --strict clean, so they compile as written), and the huge-page arena allocator (C). Set
BAIYING_PURE_PYTHON=1 to install without a C compiler; behaviour is the same, slower.
"""

import os

from setuptools import Extension, setup

COMPILED = [
    "availability",
    "decisions",
    "errors",
    "expressions",
    "model",
    "placement",
    "policy",
    "queueing",
    "recording",
    "router",
    "selection",
    "state",
    "timers",
    "waiting",
]

# The digital twin's event loop, which calls the router millions of times, its agenda, draws and arrivals.
SIMULATOR = ["agenda", "engine", "sampling", "streams"]
EVENTS = ["src/baiying/events.py"]  # the event classes, millions per simulated run

ext_modules = []
if os.environ.get("BAIYING_PURE_PYTHON") != "1":
    from mypyc.build import mypycify

    paths = [f"src/baiying/routing/{name}.py" for name in COMPILED]
    paths += [f"src/baiying/simulation/{name}.py" for name in SIMULATOR]
    paths += EVENTS
    ext_modules = mypycify(paths, opt_level="3")
    # Python's arenas on huge pages (baiying.hugepages); optional: where it does not build, nothing is lost.
    ext_modules.append(Extension("baiying._hugepages", ["src/baiying/_hugepages.c"], optional=True))

setup(ext_modules=ext_modules)
