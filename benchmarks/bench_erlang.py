"""Erlang C staffing against pyworkforce, and Erlang A at national-center scale.

Both libraries size the same 1,000 intervals (80% of calls answered within 20 s) in the same run,
Baiying both one interval at a time and in one vectorised call; all agent counts must agree.
Times are best-of-three wall clock from `time.perf_counter`.
"""

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pyworkforce.queuing import ErlangC

from baiying.wfm import erlang_a_metrics, offered_load_erlangs, required_agents, required_agents_many

INTERVALS = 1_000
TARGET = 0.8
SL_SECONDS = 20.0
SEED = 20240601


@dataclass(frozen=True)
class Interval:
    arrival_rate_per_hour: float
    aht_seconds: float


def realistic_intervals(count: int, rng: random.Random) -> list[Interval]:
    """Loads from 1 to 500 Erlangs (log-uniform, as a day mixes small and large queues), AHT 3-10 min."""
    intervals = []
    for _ in range(count):
        aht = rng.uniform(180.0, 600.0)
        load = math.exp(rng.uniform(0.0, math.log(500.0)))
        intervals.append(Interval(load * 3600.0 / aht, aht))
    return intervals


def baiying_agents(interval: Interval) -> int:
    load = offered_load_erlangs(interval.arrival_rate_per_hour, interval.aht_seconds)
    return required_agents(load, interval.aht_seconds, service_level=TARGET, sl_seconds=SL_SECONDS)


def pyworkforce_agents(interval: Interval) -> int:
    # pyworkforce counts transactions per interval and times in minutes.
    erlang = ErlangC(
        transactions=interval.arrival_rate_per_hour,
        aht=interval.aht_seconds / 60.0,
        asa=SL_SECONDS / 60.0,
        interval=60,
    )
    return int(erlang.required_positions(service_level=TARGET)["raw_positions"])


def best_time(run: Callable[[], object], repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def compare_intervals() -> None:
    intervals = realistic_intervals(INTERVALS, random.Random(SEED))
    loads = np.array([offered_load_erlangs(i.arrival_rate_per_hour, i.aht_seconds) for i in intervals])
    ahts = np.array([i.aht_seconds for i in intervals])
    ours = [baiying_agents(i) for i in intervals]
    batch = required_agents_many(loads, ahts, service_level=TARGET, sl_seconds=SL_SECONDS).tolist()
    theirs = [pyworkforce_agents(i) for i in intervals]
    mismatches = [
        (i, a, b, c) for i, a, b, c in zip(intervals, ours, batch, theirs, strict=True) if not a == b == c
    ]
    ours_s = best_time(lambda: [baiying_agents(i) for i in intervals])
    batch_s = best_time(
        lambda: required_agents_many(loads, ahts, service_level=TARGET, sl_seconds=SL_SECONDS)
    )
    theirs_s = best_time(lambda: [pyworkforce_agents(i) for i in intervals])
    print(
        f"erlang-c required agents, {INTERVALS} intervals (1-500 Erlangs log-uniform, AHT 180-600 s, "
        "SL 80/20): "
        f"baiying {ours_s:.4f} s, pyworkforce {theirs_s:.3f} s, ratio {theirs_s / ours_s:.0f}x"
    )
    print(
        f"erlang-c required agents, same {INTERVALS} intervals in one call (required_agents_many): "
        f"baiying {batch_s:.5f} s, pyworkforce {theirs_s:.3f} s, ratio {theirs_s / batch_s:.0f}x"
    )
    agree = INTERVALS - len(mismatches)
    print(
        f"  agent counts agree on {agree}/{INTERVALS} intervals (scalar, batch, pyworkforce), "
        f"{sum(ours)} agents in all"
    )
    for interval, a, b, c in mismatches[:10]:
        print(f"  MISMATCH {interval}: baiying {a}, baiying batch {b}, pyworkforce {c}")
    if mismatches:
        raise SystemExit(f"baiying and pyworkforce disagree on {len(mismatches)} intervals")


def compare_500_erlangs() -> None:
    interval = Interval(arrival_rate_per_hour=500.0 * 3600.0 / 300.0, aht_seconds=300.0)
    ours, theirs = baiying_agents(interval), pyworkforce_agents(interval)
    repeats = 200
    ours_s = best_time(lambda: [baiying_agents(interval) for _ in range(repeats)]) / repeats
    theirs_s = best_time(lambda: [pyworkforce_agents(interval) for _ in range(repeats)]) / repeats
    print(
        f"erlang-c required agents, 500 Erlangs (AHT 300 s, SL 80/20): baiying {ours} agents in "
        f"{ours_s * 1e6:.1f} us, pyworkforce {theirs} agents in {theirs_s * 1e6:.0f} us, "
        f"ratio {theirs_s / ours_s:.0f}x (target >= 20x)"
    )
    if ours != theirs:
        raise SystemExit(f"500 Erlangs: baiying {ours} agents, pyworkforce {theirs}")


def erlang_a_at_scale() -> None:
    load, aht, patience = 5_000.0, 300.0, 120.0
    rng = random.Random(SEED)
    loads = [load * rng.uniform(0.9, 1.1) for _ in range(20)]
    agents = [
        required_agents(a, aht, service_level=TARGET, sl_seconds=SL_SECONDS, patience_seconds=patience)
        for a in loads
    ]

    metrics_s = best_time(
        lambda: [
            erlang_a_metrics(n, a, aht, patience, SL_SECONDS) for n, a in zip(agents, loads, strict=True)
        ]
    ) / len(loads)
    staffing_s = best_time(
        lambda: [
            required_agents(a, aht, service_level=TARGET, sl_seconds=SL_SECONDS, patience_seconds=patience)
            for a in loads
        ]
    ) / len(loads)
    example = erlang_a_metrics(agents[0], loads[0], aht, patience, SL_SECONDS)
    print(
        f"erlang-a at ~5,000 Erlangs (AHT {aht:.0f} s, patience {patience:.0f} s, SL 80/20): all figures "
        f"{metrics_s * 1e3:.3f} ms per interval, required agents {staffing_s * 1e3:.3f} ms per interval "
        "(target < 10 ms)"
    )
    print(
        f"  e.g. {loads[0]:.0f} Erlangs -> {example.agents} agents, SL {example.service_level:.3f}, "
        f"abandon {example.p_abandon:.4f}, ASA {example.asa_seconds:.2f} s"
    )


def main() -> None:
    compare_intervals()
    compare_500_erlangs()
    erlang_a_at_scale()


if __name__ == "__main__":
    main()
