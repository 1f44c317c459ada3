"""The voice load benchmark (benchmarks/bench_voice.py): its figures from a recorded run, and the real thing
at a tiny size (5 agents whose phones are a sipp UAS, 5 calls through Kamailio + rtpengine + call control).

The real run needs the voice packages and `unshare -n` (root): skipped with the reason outside CI, failed in
CI, as the voice lab's tests are.
"""

import os
from pathlib import Path
from typing import Any

import pytest
from benchmarks.bench_voice import figures, measure, percentile, relayed_calls, unavailable


def recorded(events: list[tuple[str, float]], **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "calls": 3,
        "agents": 3,
        "rate": 2.0,
        "talk_seconds": 4.0,
        "events": [{"kind": kind, "at": at, "contact_id": None} for kind, at in events],
        "sipp_calls": {"created": 3, "successful": 3, "failed": 0},
        "audio": True,
        "pdd_ms": [10.0, 30.0, 20.0],
        "relayed_calls": 3,
        "pids": [],
    }
    return {**result, **extra}


def test_peak_bridged_counts_calls_between_answer_and_completion() -> None:
    answered, completed = "contact-answered", "contact-completed"
    result = figures(recorded([(answered, 0.0), (answered, 0.5), (completed, 1.0), (answered, 2.0)]))
    assert result.peak_bridged == 2
    assert result.answered == 3
    assert result.setups_per_second == pytest.approx(1.0)  # 2 intervals over 2 s
    assert (result.pdd_p50_ms, result.pdd_p99_ms, result.pdd_max_ms) == (20.0, 30.0, 30.0)
    assert result.failed == 0


def test_unanswered_calls_and_calls_not_relayed_are_failures() -> None:
    events = [("contact-answered", 0.0), ("contact-answered", 1.0)]
    counts = {"created": 3, "successful": 2, "failed": 1}
    assert figures(recorded(events, sipp_calls=counts)).failed == 1  # sipp's failure, never answered
    # one answered call's audio bypassed rtpengine
    assert figures(recorded(events, relayed_calls=1, sipp_calls=counts)).failed == 2


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.99) == 7.0


def test_a_call_is_relayed_when_rtpengine_confirmed_both_ends(tmp_path: Path) -> None:
    log = tmp_path / "rtpengine.log"
    log.write_text(
        "[1.0] INFO: [1-9@127.0.0.1 port 40134]: [core] Confirmed peer address as 127.0.0.1:30016\n"
        "[1.1] INFO: [1-9@127.0.0.1 port 40124]: [core] Confirmed peer address as 127.0.0.1:20016\n"
        "[1.2] INFO: [2-9@127.0.0.1 port 40200]: [core] Confirmed peer address as 127.0.0.1:30020\n"
    )
    assert relayed_calls(log) == 1  # call 2's phone never sent audio through rtpengine


@pytest.fixture
def voice_ready() -> None:
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the voice benchmark cannot run in CI: {reason}")
    pytest.skip(f"voice benchmark: {reason}")


@pytest.mark.usefixtures("voice_ready")
def test_tiny_load_bridges_every_call_through_rtpengine_and_times_its_post_dial_delay(
    tmp_path: Path,
) -> None:
    # 4 s of talk: rtpengine confirms an end's address after about 3 s of its audio
    result = measure(tmp_path, calls=5, agents=5, rate=5, talk_seconds=4)
    assert (result.placed, result.answered, result.completed, result.relayed) == (5, 5, 5, 5)
    assert result.failed == 0
    assert result.peak_bridged == 5  # 5 calls started within a second, each lasting 5 s
    assert 2.5 <= result.setups_per_second <= 10
    assert result.pdd_count == 5
    assert 0 <= result.pdd_p50_ms <= result.pdd_p99_ms <= result.pdd_max_ms
    assert result.pdd_max_ms > 0
    assert {"rtpengine", "kamailio", "phones", "call control (python)"} <= set(result.cpu_percent)
    assert result.processes_left == []
