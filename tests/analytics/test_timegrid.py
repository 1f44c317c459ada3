from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from baiying.analytics import TimeGrid


def test_intervals_align_to_the_local_clock_in_a_quarter_hour_offset_zone() -> None:
    grid = TimeGrid(3600, "Asia/Kathmandu")  # UTC+05:45
    moment = datetime(2024, 1, 1, 10, 30, tzinfo=ZoneInfo("Asia/Kathmandu")).timestamp()

    start = grid.interval_start(moment)

    assert grid.local(start) == datetime(2024, 1, 1, 10, 0, tzinfo=ZoneInfo("Asia/Kathmandu"))
    assert grid.seconds_of_day(moment) == 10.5 * 3600
    assert grid.day(moment) == date(2024, 1, 1)


def test_the_repeated_hour_of_a_dst_change_is_two_intervals() -> None:
    grid = TimeGrid(3600, "America/New_York")
    first = datetime(2024, 11, 3, 5, 30, tzinfo=UTC).timestamp()  # 01:30 EDT
    second = datetime(2024, 11, 3, 6, 30, tzinfo=UTC).timestamp()  # 01:30 EST, an hour later

    starts = [grid.interval_start(first), grid.interval_start(second)]

    assert starts[1] - starts[0] == 3600
    assert [grid.local(s).hour for s in starts] == [1, 1]
    assert grid.day(second) == date(2024, 11, 3)


def test_spans_split_a_stretch_at_each_boundary() -> None:
    grid = TimeGrid(900, "UTC")
    start = datetime(2024, 1, 1, 9, 10, tzinfo=UTC).timestamp()

    spans = list(grid.spans(start, start + 1500))

    assert [seconds for _, seconds in spans] == [300.0, 900.0, 300.0]
    assert [grid.local(interval).minute for interval, _ in spans] == [0, 15, 30]
    assert list(grid.spans(start, start)) == []
