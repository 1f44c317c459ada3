"""Python's object arenas on transparent huge pages, for the processes that route much.

The router touches tens of megabytes of small objects per second in no order a cache can guess; with
4 KiB pages most of those touches also miss the TLB. `enable()` has pymalloc take its arenas from 2 MiB
aligned regions the kernel is asked to back with huge pages (`baiying._hugepages`, compiled with the
package; Linux, transparent huge pages in `madvise` or `always` mode). Memory the process frees is then
kept for its reuse rather than handed back to the system.

Why not always: measured back to back on the 2-core machine (2026-12-06), the router benchmark went from
108-118k to 141-151k decisions/s, the in-process HTTP calls stayed as they were (2.7-2.8 ms of CPU a
contact), but the simulator, which allocates and frees far more, dropped from 205k to 143-160k callers/s.
pymalloc puts a pool's header at every 16 KiB boundary; on 2 MiB pages the headers' physical addresses
are as regular as their virtual ones, so they crowd a few sets of the cache, where 4 KiB pages scatter
them. So: on for `baiying serve` (a server that routes much and simulates little), off elsewhere, the digital
twin included; `BAIYING_HUGE_PAGES=1` or `0` decides for any `baiying` command.
"""

import os

SWITCH = "BAIYING_HUGE_PAGES"


def enable(*, default: bool = False) -> bool:
    """Take pymalloc's new arenas from huge-page regions if `BAIYING_HUGE_PAGES` says so (`1`; `0` says
    not), else if `default`; False where that is not wanted or cannot be (not built, not Linux)."""
    wanted = os.environ.get(SWITCH)
    if not (wanted == "1" or (wanted is None and default)):
        return False
    try:
        from baiying import _hugepages
    except ImportError:
        return False
    return _hugepages.install()


def stats() -> tuple[int, int]:
    """(arenas taken from huge-page regions, regions mapped) so far; (0, 0) where not built."""
    try:
        from baiying import _hugepages
    except ImportError:
        return (0, 0)
    return _hugepages.stats()
