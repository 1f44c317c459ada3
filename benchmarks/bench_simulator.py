"""Simulator throughput: 200,000 callers through M/M/50 (9 calls a minute, exponential service with mean
5 minutes, callers who never hang up, answered the moment they are offered) with the full Baiying router
and simulator, against Ciw and a plain SimPy model of the same queue, in the same run and on the same
time horizon.

Each side is timed from building its model to the end of the run (Baiying's YAML parsing excluded);
throughput is arrivals per second of wall time. Targets: Baiying ≥ 2x the SimPy model and ≥ 5x Ciw. The
three must also agree with each other and with Erlang C on P(wait) and the mean wait, which shows the
models are the same system.

Figures (compiled build; wall clock on 2 cores shared with other work, so the ratios move with the load):
- 2026-12-06, load average 2.2-3.0, this build and the one before alternating: this build 3.88x, 5.47x,
  6.03x, 6.32x Ciw (1.78x-2.96x SimPy, 115k-160k callers/s); the build before 4.94x, 5.14x, 4.32x Ciw
  (2.17x-2.29x SimPy, 93k-151k callers/s). Earlier, on a quiet machine, the build before: 2.15x SimPy,
  4.45x Ciw.
- Instructions (callgrind, whole process, 3 simulated days minus 1): 37,460 per caller, from 41,720
  before (10% fewer); the router is most of it. Event logs are identical, byte for byte.
- Later on 2026-12-06 (the router's placement and timer changes; see bench_router.py): 37,107 instructions
  per caller, from 37,460 (0.9% fewer), event logs identical (the national scenario, seeds 1 and 7, the
  validation scenarios and a day of this one). One run each at load average 1.9-2.9: this build 7.20x
  Ciw and 2.60x SimPy (166k callers/s), the build before 6.99x and 2.36x (158k callers/s).
- 2026-12-06 07:30, three runs in a row beside a CI run on the other core (load average 0.9-1.4):
  5.46x, 5.21x, 6.10x Ciw and 2.52x, 2.26x, 2.89x SimPy (143k-164k callers/s): both targets met each time.
"""

import math
import random
import statistics
import time
from dataclasses import dataclass

from baiying import events as ev
from baiying.simulation.engine import Simulation
from baiying.simulation.scenario import load_scenario
from baiying.wfm import erlang_c_metrics, offered_load_erlangs

CALLERS = 200_000
AGENTS = 50
CALLS_PER_MINUTE = 9.0
SERVICE_MINUTES = 5.0
PER_HOUR = CALLS_PER_MINUTE * 60
DAYS = math.ceil(CALLERS / PER_HOUR / 24)
HORIZON_MINUTES = DAYS * 24 * 60.0
WARM_UP_MINUTES = 60.0  # callers arriving earlier are left out of the wait figures (not of the throughput)
BATCHES = 16  # batch means for the standard error of a figure from one long run
SEED = 20261123
TARGET_SIMPY, TARGET_CIW = 2.0, 5.0

SCENARIO = f"""
name: simulator benchmark, M/M/{AGENTS}
days: {DAYS}
seed: {SEED}
timezone: UTC
answer_seconds: {{kind: constant, value: 0}}
sites:
  - {{id: hq}}
queues:
  - {{id: support, policy: any-agent}}
policies:
  - id: any-agent
    steps:
      - target: {{skills: {{support: 1}}}}
traffic:
  - name: calls
    queue: support
    site: hq
    rates_per_hour: [{", ".join([f"{PER_HOUR:g}"] * 24)}]
    handle: {{kind: exponential, mean: {SERVICE_MINUTES * 60:g}}}
agents:
  - {{group: agent, site: hq, count: {AGENTS}, skills: {{support: 5}}}}
"""


@dataclass(frozen=True)
class Result:
    name: str
    callers: int  # arrivals within the horizon
    seconds: float
    waits: list[tuple[float, float]]  # (arrival, wait) in minutes, for callers answered after the warm-up

    @property
    def rate(self) -> float:
        return self.callers / self.seconds

    def estimate(self, measure: str) -> tuple[float, float]:
        """P(wait) or the mean wait in seconds, with its standard error by batch means (one long run)."""
        values = [w * 60 if measure == "wait" else float(w > 1e-9) for _, w in sorted(self.waits)]
        size = len(values) // BATCHES
        means = [statistics.fmean(values[i * size : (i + 1) * size]) for i in range(BATCHES)]
        return statistics.fmean(values), statistics.stdev(means) / math.sqrt(BATCHES)


def run_baiying() -> Result:
    scenario = load_scenario(SCENARIO, "<bench_simulator>")
    started = time.perf_counter()
    simulation = Simulation(scenario, seed=SEED)
    log = simulation.run()
    seconds = time.perf_counter() - started
    arrivals = sum(1 for e in log if type(e) is ev.ContactArrived)
    waits = [
        ((e.at - e.wait_seconds - simulation.start) / 60, e.wait_seconds / 60)
        for e in log
        if type(e) is ev.ContactAnswered
    ]
    return Result("baiying", arrivals, seconds, [(a, w) for a, w in waits if a >= WARM_UP_MINUTES])


def run_simpy() -> Result:
    import simpy

    rng = random.Random(SEED)
    expovariate = rng.expovariate
    service_rate = 1.0 / SERVICE_MINUTES
    waits: list[tuple[float, float]] = []
    arrived = 0

    def caller(env: simpy.Environment, agents: simpy.Resource) -> object:
        arrival = env.now
        with agents.request() as request:
            yield request
            if arrival >= WARM_UP_MINUTES:
                waits.append((arrival, env.now - arrival))
            yield env.timeout(expovariate(service_rate))

    def source(env: simpy.Environment, agents: simpy.Resource) -> object:
        nonlocal arrived
        while True:
            yield env.timeout(expovariate(CALLS_PER_MINUTE))
            arrived += 1
            env.process(caller(env, agents))

    started = time.perf_counter()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    env.process(source(env, agents))
    env.run(until=HORIZON_MINUTES)
    seconds = time.perf_counter() - started
    return Result("simpy", arrived, seconds, waits)


def run_ciw() -> Result:
    import ciw

    started = time.perf_counter()
    ciw.seed(SEED)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=CALLS_PER_MINUTE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / SERVICE_MINUTES)],
        number_of_servers=[AGENTS],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(HORIZON_MINUTES)
    seconds = time.perf_counter() - started
    arrived = simulation.nodes[0].number_of_individuals  # the arrival node counts every caller it spawned
    waits = [
        (r.arrival_date, r.waiting_time)
        for r in simulation.get_all_records()
        if r.arrival_date >= WARM_UP_MINUTES
    ]
    return Result("ciw", arrived, seconds, waits)


def main() -> None:
    load = offered_load_erlangs(PER_HOUR, SERVICE_MINUTES * 60)
    theory = erlang_c_metrics(AGENTS, load, SERVICE_MINUTES * 60, 20)
    expected = {"p_wait": theory.p_wait, "wait": theory.asa_seconds}
    print(
        f"M/M/{AGENTS}: {CALLS_PER_MINUTE:g} calls/min, mean service {SERVICE_MINUTES:g} min "
        f"({load:g} Erlangs), {DAYS} simulated days (~{CALLERS:,} callers), seed {SEED}",
        flush=True,
    )
    results: dict[str, Result] = {}
    for name, run in (("baiying", run_baiying), ("simpy", run_simpy), ("ciw", run_ciw)):
        result = results[name] = run()
        (p_wait, p_se), (wait, wait_se) = result.estimate("p_wait"), result.estimate("wait")
        print(
            f"  {name:8s} {result.callers:>8,} callers in {result.seconds:6.2f} s = {result.rate:>8,.0f} "
            f"callers/s | P(wait) {p_wait:.4f} ± {p_se:.4f}, mean wait {wait:5.2f} ± {wait_se:4.2f} s",
            flush=True,
        )
    print(f"  {'erlang C':8s} {'':50s}| P(wait) {theory.p_wait:.4f}, mean wait {theory.asa_seconds:5.2f} s")

    baiying, simpy, ciw = results["baiying"], results["simpy"], results["ciw"]
    vs_simpy, vs_ciw = baiying.rate / simpy.rate, baiying.rate / ciw.rate
    print(
        f"simulator, M/M/{AGENTS}, {baiying.callers:,} callers: baiying {baiying.rate:,.0f} callers/s, "
        f"simpy {simpy.rate:,.0f}/s ({vs_simpy:.2f}x, target >= {TARGET_SIMPY:g}x "
        f"{'met' if vs_simpy >= TARGET_SIMPY else 'MISSED'}), "
        f"ciw {ciw.rate:,.0f}/s ({vs_ciw:.2f}x, target >= {TARGET_CIW:g}x "
        f"{'met' if vs_ciw >= TARGET_CIW else 'MISSED'})"
    )
    # Same system? Each figure within 3 standard errors (batch means) of Erlang C.
    for result in results.values():
        offsets = {}
        for measure, theory_value in expected.items():
            value, se = result.estimate(measure)
            offsets[measure] = (value - theory_value) / se
        verdict = "ok" if all(abs(z) <= 3 for z in offsets.values()) else "DISAGREES"
        shown = ", ".join(f"{measure} {z:+.1f} SE" for measure, z in offsets.items())
        print(f"  sanity: {result.name:8s} vs Erlang C: {shown} -> {verdict}")


if __name__ == "__main__":
    main()
