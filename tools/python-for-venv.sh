#!/bin/sh
# Prints the Python 3.11 interpreter `make` builds .venv with (override: `make PYTHON=/path/to/python3.11`).
#
# Where several are installed, it prefers one whose interpreter is not loaded from a shared libpython:
# calls between the interpreter's own functions then go direct instead of through the dynamic linker's
# tables. Distribution builds (Debian's /usr/bin/python3.11, built with PGO and LTO) are such; pyenv's
# default build (`--enable-shared`, no PGO) is not, and measured 30% more CPU per routed contact on the
# same machine (benchmarks/bench_contact_calls.py: 6.03 against 4.23 ms). Otherwise the first 3.11 found,
# else `python3` (whose version the install then checks).
first=""
for candidate in python3.11 python3 /usr/bin/python3.11 /usr/local/bin/python3.11; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || continue
  [ -n "$first" ] || first=$path
  if "$path" -c 'import sys; sys.exit(any("libpython" in line for line in open("/proc/self/maps")))' 2>/dev/null
  then
    echo "$path"
    exit 0
  fi
done
echo "${first:-python3}"
