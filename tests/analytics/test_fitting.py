import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from baiying.analytics.fitting import (
    CannotFit,
    agents_on_duty,
    arrival_profile,
    fit_handle_time,
    fit_patience,
)
from baiying.analytics.records import CallOutcome, CallRecord
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.simulation.distributions import (
    EmpiricalDistribution,
    ExponentialDistribution,
    LognormalDistribution,
)

JERUSALEM = ZoneInfo("Asia/Jerusalem")


def call(
    when: datetime,
    outcome: CallOutcome = "answered",
    wait: float = 0.0,
    handle: float = 0.0,
    agent: str | None = "DORIT",
    number: int = 0,
) -> CallRecord:
    return CallRecord(
        contact_id=ContactId(f"c{number}-{when.isoformat()}"),
        line=number + 2,
        queue_id=QueueId("PS"),
        site_id=SiteId("anonymous-bank"),
        arrived_at=when.timestamp(),
        outcome=outcome,
        wait_seconds=wait,
        handle_seconds=handle if outcome == "answered" else 0.0,
        agent_id=AgentId(agent) if agent and outcome == "answered" else None,
        customer_id=None,
        priority=1,
    )


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(1999, 2, day, hour, minute, tzinfo=JERUSALEM)


def test_arrival_profile_by_weekday_averages_over_every_such_day_observed() -> None:
    records = [
        call(local(1, 9, 5)),  # Monday
        call(local(1, 9, 50)),
        call(local(1, 10, 0)),
        call(local(8, 9, 30)),  # the next Monday; Tuesday 2nd to Sunday 7th have no calls at all
    ]

    profile = arrival_profile(records, interval_seconds=3600, timezone="Asia/Jerusalem")

    assert profile.days_observed["monday"] == 2
    assert profile.days_observed["tuesday"] == 1
    assert profile.mean_arrivals["monday"][9] == 1.5
    assert profile.mean_arrivals["monday"][10] == 0.5
    assert profile.mean_arrivals["tuesday"] == (0.0,) * 24
    assert profile.daily_mean("monday") == 2.0
    assert len(profile.rates_per_hour("monday")) == 24


def test_arrival_profile_by_date_in_half_hours_gives_calls_per_hour() -> None:
    records = [call(local(1, 9, 5)), call(local(1, 9, 20)), call(local(1, 9, 45))]

    profile = arrival_profile(records, interval_seconds=1800, timezone="Asia/Jerusalem", by="date")

    assert profile.days_observed == {"1999-02-01": 1}
    rates = profile.rates_per_hour("1999-02-01")
    assert (rates[18], rates[19]) == (4.0, 2.0)


def test_patience_is_fitted_with_served_callers_censored() -> None:
    records = [
        call(local(1, 9), "abandoned", wait=10, number=1),
        call(local(1, 9), "answered", wait=20, handle=60, number=2),
        call(local(1, 9), "abandoned", wait=30, number=3),
        call(local(1, 9), "answered", wait=40, handle=60, number=4),
    ]

    fit = fit_patience(records)

    assert (fit.abandoned, fit.served, fit.exposure_seconds) == (2, 2, 100.0)
    assert fit.mean_seconds == 50.0  # 100 s of waiting per 2 abandons
    # Kaplan–Meier: 1 of 4 at risk leaves at 10 s; then 1 of the 2 still waiting at 30 s.
    assert [(p.wait_seconds, p.at_risk, p.abandoned, p.survival) for p in fit.curve] == [
        (10.0, 4, 1, 0.75),
        (30.0, 2, 1, 0.375),
    ]
    assert (fit.survival(5), fit.survival(10), fit.survival(29), fit.survival(35)) == (1.0, 0.75, 0.75, 0.375)
    assert fit.to_distribution() == ExponentialDistribution(mean=50.0)
    empirical = fit.to_distribution("empirical", points=4)
    assert isinstance(empirical, EmpiricalDistribution)
    # Quantiles 1/8, 3/8, 5/8 come from the curve; 7/8 lies beyond it, in the exponential tail after 40 s.
    assert empirical.values[:3] == (10.0, 30.0, 30.0)
    assert empirical.values[3] == pytest.approx(40.0 + 50.0 * math.log(0.375 / 0.125))


def test_patience_needs_an_abandon() -> None:
    with pytest.raises(CannotFit, match="no abandoned calls"):
        fit_patience([call(local(1, 9), wait=10, handle=5)])


def test_handle_time_fit_by_moments_and_empirical() -> None:
    records = [call(local(1, 9), handle=h, number=n) for n, h in enumerate((300.0, 100.0, 200.0))]
    records.append(call(local(1, 9), "abandoned", wait=50, number=9))

    fit = fit_handle_time(records)

    assert (fit.count, fit.mean_seconds, fit.sd_seconds) == (3, 200.0, 100.0)
    assert fit.values == (100.0, 200.0, 300.0)
    assert fit.to_distribution() == LognormalDistribution(mean=200.0, sd=100.0)
    assert fit.to_distribution("empirical") == EmpiricalDistribution(values=(100.0, 200.0, 300.0))
    assert fit.to_distribution("empirical", points=2) == EmpiricalDistribution(values=(100.0, 300.0))


def test_handle_time_needs_spread() -> None:
    with pytest.raises(CannotFit, match="at least 2"):
        fit_handle_time([call(local(1, 9), handle=100)])
    with pytest.raises(CannotFit, match="no spread"):
        fit_handle_time([call(local(1, 9), handle=100, number=n) for n in range(3)])


def test_agents_on_duty_counts_distinct_names_per_hour_served() -> None:
    records = [
        call(local(1, 9, 50), handle=20 * 60, agent="DORIT", number=1),  # 09:50-10:10: hours 9 and 10
        call(local(1, 9, 10), handle=60, agent="TOVA", number=2),
        call(local(1, 9, 20), handle=60, agent="TOVA", number=3),
        call(local(1, 11, 0), handle=0, agent="AVNI", number=4),  # zero-length service still shows AVNI
        call(local(1, 12, 0), handle=60, agent=None, number=5),  # unnamed server: not counted
        call(local(1, 13, 0), "abandoned", wait=30, number=6),
    ]

    duty = agents_on_duty(records, timezone="Asia/Jerusalem")

    assert [(row.day, row.hour, row.agents, row.agent_ids) for row in duty] == [
        (date(1999, 2, 1), 9, 2, ("DORIT", "TOVA")),
        (date(1999, 2, 1), 10, 1, ("DORIT",)),
        (date(1999, 2, 1), 11, 1, ("AVNI",)),
    ]
