"""Run every benchmark module (or the ones named on the command line) and print their figures.

A benchmark that fails (one that cannot run here included) does not stop the others; the run then ends
with each failure named on stderr and exit status 1.
"""

import importlib
import pkgutil
import platform
import sys
import traceback
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    wanted = set(sys.argv[1:] if argv is None else argv)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    unknown = sorted(w for w in wanted if f"bench_{w.removeprefix('bench_')}" not in names)
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(names)})", file=sys.stderr)
        return 2
    # Figures depend on the interpreter as much as on the code: say which one ran them.
    shared = Path("/proc/self/maps").exists() and "libpython" in Path("/proc/self/maps").read_text()
    build = "interpreter in a shared libpython" if shared else "interpreter linked in"
    print(f"Python {platform.python_version()} ({sys.base_prefix}, {build})")
    failed: list[str] = []
    for name in names:
        if wanted and name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception as exc:
            traceback.print_exc()
            failed.append(f"{name}: {type(exc).__name__}: {str(exc).strip()[:300]}")
    for failure in failed:
        print(f"BENCHMARK FAILED {failure}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
