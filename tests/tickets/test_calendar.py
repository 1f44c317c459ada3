"""Business-hours calendars: exact due times across nights, weekends, holidays and DST, and properties of
the calendar math (adding business time then measuring it back gives the same duration)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baiying.tickets.calendar import BusinessCalendar
from baiying.tickets.errors import CalendarError

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0


def local(zone: ZoneInfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=zone).timestamp()  # type: ignore[misc]


# Guangzhou: 07:00-22:00 every day, National Day holidays.
GUANGZHOU = BusinessCalendar(
    timezone="Asia/Shanghai", opens_minute=420, closes_minute=1320, holidays=frozenset({date(2026, 10, 1)})
)
# An office: 09:00-18:00, Monday to Friday.
OFFICE = BusinessCalendar(
    timezone="Asia/Shanghai", opens_minute=540, closes_minute=1080, weekdays=frozenset(range(5))
)
# A night desk in London, 22:00-06:00 (spans midnight), with DST.
NIGHTS = BusinessCalendar(timezone="Europe/London", opens_minute=1320, closes_minute=360)


def test_time_inside_the_day_is_plain_addition() -> None:
    start = local(SHANGHAI, 2026, 11, 24, 9, 0)
    assert GUANGZHOU.add(start, 2 * HOUR) == local(SHANGHAI, 2026, 11, 24, 11, 0)


def test_the_night_does_not_count() -> None:
    start = local(SHANGHAI, 2026, 11, 24, 21, 0)  # one hour before closing
    assert GUANGZHOU.add(start, 2 * HOUR) == local(SHANGHAI, 2026, 11, 25, 8, 0)
    assert GUANGZHOU.measure(start, local(SHANGHAI, 2026, 11, 25, 8, 0)) == 2 * HOUR


def test_starting_while_closed_counts_from_the_opening() -> None:
    start = local(SHANGHAI, 2026, 11, 24, 3, 0)
    assert GUANGZHOU.add(start, 30 * 60) == local(SHANGHAI, 2026, 11, 24, 7, 30)
    assert not GUANGZHOU.is_open(start)
    assert GUANGZHOU.is_open(local(SHANGHAI, 2026, 11, 24, 7, 0))


def test_a_holiday_is_skipped_whole() -> None:
    start = local(SHANGHAI, 2026, 9, 30, 21, 0)
    assert GUANGZHOU.add(start, 2 * HOUR) == local(SHANGHAI, 2026, 10, 2, 8, 0)


def test_the_weekend_is_skipped_by_an_office_calendar() -> None:
    friday_five_pm = local(SHANGHAI, 2026, 11, 27, 17, 0)
    assert OFFICE.add(friday_five_pm, 3 * HOUR) == local(SHANGHAI, 2026, 11, 30, 11, 0)  # Monday
    assert OFFICE.measure(friday_five_pm, local(SHANGHAI, 2026, 11, 30, 11, 0)) == 3 * HOUR


def test_a_window_spanning_midnight_belongs_to_the_day_it_opens() -> None:
    london = ZoneInfo("Europe/London")
    start = local(london, 2026, 11, 24, 23, 0)
    assert NIGHTS.add(start, 8 * HOUR) == local(london, 2026, 11, 25, 23, 0)  # 7 h that night, 1 the next


def test_a_dst_night_is_an_hour_shorter() -> None:
    london = ZoneInfo("Europe/London")
    # 2026-03-29 01:00 GMT clocks go to 02:00 BST: the night of the 28th has 7 hours, not 8.
    assert NIGHTS.measure(local(london, 2026, 3, 28, 12, 0), local(london, 2026, 3, 29, 12, 0)) == 7 * HOUR


def test_always_open_is_wall_clock_time() -> None:
    calendar = BusinessCalendar.always()
    assert calendar.add(1000.0, 5.5) == 1005.5
    assert calendar.measure(1000.0, 1005.5) == 5.5


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        BusinessCalendar(timezone="Mars/Olympus")
    with pytest.raises(CalendarError, match="give both opens_minute and closes_minute"):
        BusinessCalendar(opens_minute=60)
    with pytest.raises(CalendarError, match="non-empty subset"):
        BusinessCalendar(weekdays=frozenset())


def test_a_calendar_that_never_opens_says_so() -> None:
    every_day = frozenset(date.fromordinal(date(2026, 1, 1).toordinal() + n) for n in range(4000))
    closed = BusinessCalendar(opens_minute=0, closes_minute=60, holidays=every_day)
    with pytest.raises(CalendarError, match="not open on any day within 3660 days"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC).timestamp(), 60)


CALENDARS = st.sampled_from(
    [
        GUANGZHOU,
        OFFICE,
        NIGHTS,
        BusinessCalendar(
            timezone="America/New_York",
            opens_minute=480,
            closes_minute=1020,
            weekdays=frozenset({0, 2, 4}),
            holidays=frozenset({date(2026, 11, 26), date(2026, 12, 25)}),
        ),
        BusinessCalendar(timezone="Europe/Berlin"),  # all day, every day, but DST days are 23/25 h
    ]
)
STARTS = st.floats(
    min_value=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
    max_value=datetime(2027, 12, 31, tzinfo=UTC).timestamp(),
)
DURATIONS = st.floats(min_value=0, max_value=400 * HOUR)


@given(CALENDARS, STARTS, DURATIONS)
def test_adding_business_time_then_measuring_it_back_gives_the_same_duration(
    calendar: BusinessCalendar, start: float, seconds: float
) -> None:
    due = calendar.add(start, seconds)
    assert due >= start
    assert calendar.measure(start, due) == pytest.approx(seconds, abs=1e-3)


@given(CALENDARS, STARTS, DURATIONS, DURATIONS)
def test_adding_in_two_steps_is_adding_once(
    calendar: BusinessCalendar, start: float, first: float, second: float
) -> None:
    once = calendar.add(start, first + second)
    twice = calendar.add(calendar.add(start, first), second)
    assert twice == pytest.approx(once, abs=1e-3)


@given(
    CALENDARS,
    STARTS,
    st.floats(min_value=0, max_value=30 * 86400),
    st.floats(min_value=0, max_value=30 * 86400),
)
def test_measures_add_up_and_never_exceed_wall_time(
    calendar: BusinessCalendar, start: float, gap1: float, gap2: float
) -> None:
    middle, end = start + gap1, start + gap1 + gap2
    whole = calendar.measure(start, end)
    assert whole == pytest.approx(calendar.measure(start, middle) + calendar.measure(middle, end), abs=1e-3)
    assert 0 <= whole <= end - start + 1e-6
