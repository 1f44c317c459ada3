"""Run every benchmark module (or the ones named on the command line) and print their figures.

Each module runs in a process of its own (`python -m benchmarks --one NAME`), so one's heap, garbage and
memory settings (the router's arenas on huge pages, as `baiying serve` runs it) do not colour the next
one's figures. A benchmark that fails (one that cannot run here included) does not stop the others; the
run then ends with each failure named on stderr and exit status 1.
"""

import importlib
import pkgutil
import platform
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from baiying import hugepages


def main(argv: list[str] | None = None, runner: Callable[[str], int] | None = None) -> int:
    """`runner(name)` runs one module, 0 if it succeeded (default: in a process of its own)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--one"] and len(args) == 2:
        return run_one(args[1])
    wanted = set(args)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    unknown = sorted(w for w in wanted if f"bench_{w.removeprefix('bench_')}" not in names)
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names)})", file=sys.stderr)
        return 2
    # Figures depend on the interpreter as much as on the code: say which one ran them.
    shared = Path("/proc/self/maps").exists() and "libpython" in Path("/proc/self/maps").read_text()
    build = "interpreter in a shared libpython" if shared else "interpreter linked in"
    print(f"Python {platform.python_version()} ({sys.base_prefix}, {build})", flush=True)
    failed: list[str] = []
    for name in names:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        if (runner or _in_a_process)(name) != 0:
            failed.append(name)
    if failed:
        print(f"{len(failed)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _in_a_process(name: str) -> int:
    return subprocess.run([sys.executable, "-m", "benchmarks", "--one", name], check=False).returncode


def run_one(name: str) -> int:
    """Run `benchmarks.NAME.main()` here; a failure is printed, named, and returns 1."""
    hugepages.enable()  # if BAIYING_HUGE_PAGES=1 asks for it; a module may turn it on itself
    try:
        importlib.import_module(f"benchmarks.{name}").main()
    except Exception as exc:
        traceback.print_exc()
        print(f"BENCHMARK FAILED {name}: {type(exc).__name__}: {str(exc).strip()[:300]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
