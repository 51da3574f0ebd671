"""Send windows, the pure rules (campaigns/windows.py): open or closed in a zone's local time,
overnight spans, DST, the next opening and the sending time with closed hours added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybird.campaigns.windows import DAYS, Window, check, hhmm, minutes
from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id

PRAGUE = zone_id("Europe/Prague") or 0
NEW_YORK = zone_id("America/New_York") or 0
TOKYO = zone_id("Asia/Tokyo") or 0


def window(
    start: str = "09:00", end: str = "20:00", days: list[str] | None = None, **kw: object
) -> Window:
    stored: dict[str, Any] = {
        "start": start,
        "end": end,
        "days": days if days is not None else list(DAYS[:6]),
        "time_zone": "UTC",
        **kw,
    }
    assert not check(
        stored["start"], stored["end"], stored["days"], "UTC", bool(kw.get("overnight"))
    )
    return Window.of(stored)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_open_in_each_zone_by_its_own_clock() -> None:
    w = window()
    monday_9_utc = utc(2026, 1, 5, 9, 0)  # Prague 10:00, New York 04:00, Tokyo 18:00
    assert w.open_zones([PRAGUE, NEW_YORK, TOKYO, CAMPAIGN_ZONE], monday_9_utc) == [
        PRAGUE,
        TOKYO,
        CAMPAIGN_ZONE,
    ]
    assert w.open_zones([NEW_YORK], utc(2026, 1, 5, 14, 0)) == [NEW_YORK]  # 09:00 there
    assert w.open_zones([NEW_YORK], utc(2026, 1, 5, 13, 59)) == []
    assert w.open_zones([PRAGUE], utc(2026, 1, 5, 19, 0)) == []  # 20:00 there: closed


def test_days_are_the_recipients_days() -> None:
    w = window(days=["MON", "TUE", "WED", "THU", "FRI", "SAT"])
    # Saturday 23:30 UTC is Sunday 08:30 in Tokyo and Saturday 18:30 in New York.
    at = utc(2026, 1, 10, 23, 30)
    assert w.open_zones([TOKYO, NEW_YORK], at) == [NEW_YORK]


def test_the_window_follows_daylight_saving_time() -> None:
    w = window("09:00", "17:00", list(DAYS))
    # New York: 09:00 is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT, from 8 March).
    assert w.open_zones([NEW_YORK], utc(2026, 3, 6, 13, 30)) == []
    assert w.open_zones([NEW_YORK], utc(2026, 3, 9, 13, 30)) == [NEW_YORK]
    assert w.next_opening([NEW_YORK], utc(2026, 3, 7, 22, 0)) == utc(2026, 3, 8, 13, 0)
    assert w.next_opening([NEW_YORK], utc(2026, 3, 6, 22, 0)) == utc(2026, 3, 7, 14, 0)


def test_overnight_windows_belong_to_the_day_they_open() -> None:
    w = window("20:00", "08:00", ["FRI"], overnight=True)
    assert w.is_open_at(datetime(2026, 1, 9, 21, 0))  # Friday night
    assert w.is_open_at(datetime(2026, 1, 10, 7, 59))  # Saturday early: Friday's window
    assert not w.is_open_at(datetime(2026, 1, 10, 8, 0))
    assert not w.is_open_at(datetime(2026, 1, 10, 21, 0))  # Saturday night: not a day of it
    assert not w.is_open_at(datetime(2026, 1, 9, 7, 0))  # Friday early: Thursday's window


def test_end_2400_is_midnight() -> None:
    w = window("18:00", "24:00", list(DAYS))
    assert w.is_open_at(datetime(2026, 1, 9, 23, 59))
    assert not w.is_open_at(datetime(2026, 1, 10, 0, 0))


def test_next_opening_and_sending_time() -> None:
    w = window("09:00", "17:00", ["MON", "TUE", "WED", "THU", "FRI"])
    friday_evening = utc(2026, 1, 9, 18, 0)
    assert w.next_opening([CAMPAIGN_ZONE], friday_evening) == utc(2026, 1, 12, 9, 0)
    # Two hours of sending from Friday evening: Monday 09:00 to 11:00.
    took = w.sending_time([CAMPAIGN_ZONE], friday_evening, timedelta(hours=2))
    assert friday_evening + took == utc(2026, 1, 12, 11, 0)
    # Twelve hours: 8 on Monday, 4 on Tuesday.
    took = w.sending_time([CAMPAIGN_ZONE], friday_evening, timedelta(hours=12))
    assert friday_evening + took == utc(2026, 1, 13, 13, 0)
    # Open now: only the sending itself.
    monday = utc(2026, 1, 12, 10, 0)
    assert w.sending_time([CAMPAIGN_ZONE], monday, timedelta(minutes=5)) == timedelta(minutes=5)
    # Longer than the days computed: whole weeks are added, never less than the open time.
    long = w.sending_time([CAMPAIGN_ZONE], monday, timedelta(hours=100))
    assert long >= timedelta(hours=100) + timedelta(days=2)


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    st.sampled_from([PRAGUE, NEW_YORK, TOKYO, CAMPAIGN_ZONE]),
    st.integers(0, 1439),
    st.integers(1, 1440),
    st.sets(st.integers(0, 6), min_size=1),
)
def test_next_opening_is_open_and_nothing_before_it_is(
    naive: datetime, zone: int, start: int, end: int, days: set[int]
) -> None:
    """The property the dispatcher and the waiting state rely on."""
    overnight = end <= start
    if end == start:
        return
    w = Window(start, end, frozenset(days), "UTC", overnight)
    now = naive.replace(tzinfo=UTC)
    nxt = w.next_opening([zone], now)
    assert nxt is not None and nxt >= now
    tz = w.zone(zone)
    if nxt == now:
        assert w.is_open_at(now.astimezone(tz))
        return
    # Just after it opens, open (a DST gap may shift the opening; allow its hour).
    probe = nxt + timedelta(seconds=30)
    assert w.is_open_at(probe.astimezone(tz)) or _near_dst(tz, nxt)
    # Sampled before it: closed.
    step = (nxt - now) / 7
    for k in range(7):
        at = now + step * k
        assert not w.is_open_at(at.astimezone(tz)) or _near_dst(tz, at)


def _near_dst(tz: ZoneInfo, at: datetime) -> bool:
    before, after = at - timedelta(hours=2), at + timedelta(hours=2)
    return before.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset()


@pytest.mark.parametrize(
    ("start", "end", "days", "zone", "overnight", "says"),
    [
        ("20:00", "09:00", ["MON"], "UTC", False, "overnight"),
        ("09:00", "09:00", ["MON"], "UTC", False, "empty"),
        ("09:00", "20:00", [], "UTC", False, "at least one day"),
        ("09:00", "20:00", ["MON", "MON"], "UTC", False, "twice"),
        ("09:00", "20:00", ["MONDAY"], "UTC", False, "not one of"),
        ("09:00", "20:00", ["MON"], "Mars/Olympus", False, "IANA"),
        ("9:00", "20:00", ["MON"], "UTC", False, "HH:MM"),
        ("25:00", "20:00", ["MON"], "UTC", False, "time of day"),
        ("09:60", "20:00", ["MON"], "UTC", False, "time of day"),
        ("24:00", "20:00", ["MON"], "UTC", True, "not a start"),
        ("09:00", "00:00", ["MON"], "UTC", True, "24:00"),
        ("09:00", "20:00", ["MON"], "UTC", True, "only for a window"),
        ("ab:cd", "20:00", ["MON"], "UTC", False, "HH:MM"),
    ],
)
def test_bad_windows_are_named(
    start: str, end: str, days: list[str], zone: str, overnight: bool, says: str
) -> None:
    problems = check(start, end, days, zone, overnight)
    assert any(says in p for p in problems), problems


def test_good_windows_pass() -> None:
    assert check("09:00", "20:00", ["MON"], "Europe/Prague", False) == []
    assert check("20:00", "08:00", list(DAYS), "UTC", True) == []
    assert check("00:00", "24:00", ["SUN"], "Asia/Tokyo", False) == []


@given(st.text(max_size=8))
def test_minutes_reads_hh_mm_or_says_why(text: str) -> None:
    """The parser of every window time: a value, or a ValueError naming the text."""
    try:
        value = minutes(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
    else:
        assert 0 <= value <= 1440 and hhmm(value) == text
