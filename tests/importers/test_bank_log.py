"""The real Anonymous Bank log (February 1999, days 1-21) through the importer, analytics and fitting."""

from collections import Counter
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

from baiying.analytics import KpiReport, compute_kpis
from baiying.analytics.fitting import agents_on_duty, arrival_profile, fit_handle_time, fit_patience
from baiying.importers import ANONYMOUS_BANK, LEFT_BEFORE_QUEUE, CallLogImport, read_call_log

pytestmark = pytest.mark.shared_data


@cache
def imported(path: Path) -> CallLogImport:
    return read_call_log(path, ANONYMOUS_BANK)


@cache
def daily(path: Path) -> KpiReport:
    return compute_kpis(
        imported(path).events, interval_seconds=3600, sl_seconds=20, timezone="Asia/Jerusalem"
    )


def test_every_row_is_read_and_accounted_for(bank_log: Path) -> None:
    result = imported(bank_log)

    assert result.rows_read == 25_890
    assert result.ignored == {"outcome PHANTOM": 221, LEFT_BEFORE_QUEUE: 1_659}
    assert len(result.records) == 23_968
    assert result.rows_read == len(result.records) + len(result.rejected) + sum(result.ignored.values())
    # The only bad rows: served (AGENT, a named server, a queue time) but with no service record at all.
    assert Counter((row.field, row.reason) for row in result.rejected) == {
        ("ser_start", "the call was answered but has no answer time"): 42
    }
    assert [row.line for row in result.rejected[:3]] == [112, 152, 643]
    assert Counter(record.outcome for record in result.records) == {"answered": 20_857, "abandoned": 3_111}
    assert sum(record.agent_id is None for record in result.records if record.outcome == "answered") == 384
    assert len(result.events) == 4 * 20_857 + 2 * 3_111


def test_daily_kpis_are_plausible_for_a_bank_call_center(bank_log: Path) -> None:
    report = daily(bank_log)

    assert [row.day for row in report.days] == [date(1999, 2, 1) + timedelta(days=n) for n in range(21)]
    for row in report.days:
        kpis = row.kpis
        assert kpis.offered == kpis.answered + kpis.abandoned
        assert kpis.waiting_at_end == 0
        weekend = row.day.weekday() in (4, 5)  # Friday and Saturday: short opening hours in Israel
        assert (150 if weekend else 1_000) <= kpis.offered <= (600 if weekend else 2_000)
        assert kpis.abandon_rate is not None
        assert 0.0 < kpis.abandon_rate < 0.25
        assert kpis.service_level is not None
        assert 0.25 < kpis.service_level < 0.95
        assert kpis.asa_seconds is not None
        assert 0 < kpis.asa_seconds < 90
        assert kpis.aht_seconds is not None
        assert 120 < kpis.aht_seconds < 240
    total = report.total
    assert (total.offered, total.answered, total.abandoned, total.answered_within_sl) == (
        23_968,
        20_857,
        3_111,
        12_570,
    )
    assert total.asa_seconds == pytest.approx(39.734, abs=1e-3)
    assert total.aht_seconds == pytest.approx(171.848, abs=1e-3)
    assert total.longest_wait_seconds == 908.0
    assert total.occupancy is None  # a call log has no agent states
    assert sorted(row.queue_id for row in report.queues) == ["IN", "NE", "NW", "PE", "PS", "TT"]


def test_fitted_profiles_from_the_real_log(bank_log: Path) -> None:
    records = imported(bank_log).records

    patience = fit_patience(records)
    handle = fit_handle_time(records)
    profile = arrival_profile(records, interval_seconds=3600, timezone="Asia/Jerusalem")
    duty = agents_on_duty(records, timezone="Asia/Jerusalem")

    assert (patience.abandoned, patience.served) == (3_111, 20_857)
    assert patience.mean_seconds == pytest.approx(329.63, abs=0.01)
    assert 0.4 < patience.survival(300) < 0.6
    assert handle.mean_seconds == pytest.approx(171.85, abs=0.01)
    assert handle.sd_seconds > handle.mean_seconds  # heavy right tail, as the literature reports
    assert profile.days_observed == dict.fromkeys(profile.days_observed, 3)
    monday = profile.rates_per_hour("monday")
    assert all(rate > 80 for rate in monday[8:16])  # the business day
    assert monday[22] < 50  # evenings are quieter
    assert sum(monday[:6]) == 0.0  # no agents before 06:00
    assert 10 <= max(row.agents for row in duty) <= 20
