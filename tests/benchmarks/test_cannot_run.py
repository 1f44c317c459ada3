"""A benchmark that lacks what it measures with fails loudly (`make bench` exits 1 naming it) instead of
printing "skipped", and the runner still runs the others."""

from typing import NoReturn

import pytest
from benchmarks.__main__ import main as run_benchmarks
from benchmarks.__main__ import run_one

from baiying.storage.throwaway import ClusterUnavailable
from benchmarks import BenchmarkCannotRun, bench_kb_search, bench_screen_pop, bench_voice


class NoCluster:
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise ClusterUnavailable("initdb not found (apt-get install postgresql)")


def test_the_screen_pop_benchmark_without_postgresql_fails_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_screen_pop, "PostgresCluster", NoCluster)
    with pytest.raises(BenchmarkCannotRun, match="screen_pop needs a throwaway PostgreSQL cluster: initdb"):
        bench_screen_pop.main()


def test_the_kb_search_benchmark_without_postgresql_fails_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_kb_search, "PostgresCluster", NoCluster)
    with pytest.raises(BenchmarkCannotRun, match="kb_search needs a throwaway PostgreSQL cluster"):
        bench_kb_search._postgres()


def test_the_voice_benchmark_without_its_packages_fails_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench_voice, "unavailable", lambda: "missing sipp")
    with pytest.raises(BenchmarkCannotRun, match="voice: missing sipp"):
        bench_voice.main([])


def test_the_runner_names_each_failure_and_exits_1_after_running_the_rest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench_screen_pop, "PostgresCluster", NoCluster)
    ran: list[str] = []
    monkeypatch.setattr("benchmarks.bench_erlang.main", lambda: ran.append("erlang"))

    def fail() -> NoReturn:
        raise BenchmarkCannotRun("voice: missing sipp")

    monkeypatch.setattr(bench_voice, "main", fail)
    assert run_benchmarks(["voice", "screen_pop", "erlang"], run_one) == 1  # here, for the patches
    assert ran == ["erlang"]
    out, err = capsys.readouterr()
    assert "BENCHMARK FAILED bench_screen_pop: BenchmarkCannotRun: screen_pop needs" in err
    assert "BENCHMARK FAILED bench_voice: BenchmarkCannotRun: voice: missing sipp" in err
    assert "2 benchmark(s) failed: bench_screen_pop, bench_voice" in err
    assert "=== bench_erlang ===" in out
    assert "skipped" not in out


def test_the_runner_refuses_an_unknown_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_benchmarks(["screen-pop"]) == 2
    assert "no such benchmark: screen-pop" in capsys.readouterr().err


def test_the_runner_runs_each_module_in_a_process_of_its_own(capfd: pytest.CaptureFixture[str]) -> None:
    assert run_benchmarks(["erlang"]) == 0
    out, _ = capfd.readouterr()
    assert "=== bench_erlang ===" in out
    assert "erlang-c required agents" in out  # printed by the child
