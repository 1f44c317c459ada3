"""Blocking calls of `async` routes, in worker threads of their own.

A plain `def` route costs FastAPI two hops to its thread pool (anyio's, some 120 us of CPU each on this
2-core machine): one to run the route, one more to validate its return value against the response model.
The live center's hottest routes (create, accept and complete a contact: three calls per routed contact)
are `async` instead and hand only their blocking part (the center commits) to this executor, one hop of
some 55 us; the response is validated on the event loop, where it costs no hop.

The pool is as large as anyio's default (40), so as many commands can wait for a tenant's group commit as
before (`baiying.application.driver`).
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 40

# Threads start on first use and idle ones end with the process.
_workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="baiying-blocking")


async def off_loop(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` in a worker thread, awaited; its exception is raised here."""
    bound = functools.partial(call, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_workers, bound)
