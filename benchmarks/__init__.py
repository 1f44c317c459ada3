"""Side-by-side benchmarks. `make bench` runs every `bench_*.py` module's `main()`."""


class BenchmarkCannotRun(RuntimeError):
    """A benchmark lacks what it measures with (PostgreSQL, the voice packages): it fails with the reason,
    never prints "skipped" and passes, so a missing figure is never mistaken for a measured one."""
