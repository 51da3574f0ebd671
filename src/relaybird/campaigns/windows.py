"""Send windows: when a campaign's recipients may be sent to, in each one's own time zone.

A window is a daily span of local wall-clock time (``start`` to ``end``, minutes since
midnight; ``end`` 1440 is midnight) on some days of the week. ``overnight`` lets ``end`` come
before ``start`` (20:00–08:00): the span then runs into the next day, and ``days`` are the days
it opens on. Each recipient carries its zone as a small number (kit/zones.py, resolved at
import); 0 means the window's own ``time_zone``. Local time is read through ``zoneinfo``, so
daylight saving time moves the window with the clocks.

Pure rules, no database: the dispatcher's claim asks ``open_zones`` once per claim (a handful
of zones, not a loop over recipients) and claims ``zone_id IN (...)`` over an index; the
summaries ask ``next_opening`` and ``open_seconds`` for the waiting state and the ETA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from relaybird.kit.zones import CAMPAIGN_ZONE, zone_id, zone_name

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Window:
    start: int  # minutes since local midnight, 0..1439
    end: int  # 1..1440; before ``start`` only when ``overnight``
    days: frozenset[int]  # 0 = Monday
    time_zone: str
    overnight: bool = False

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Window:
        """From the stored (validated) form: ``{"start": "09:00", "end": "20:00", "days":
        ["MON", ...], "time_zone": "Europe/Prague", "overnight": false}``."""
        return cls(
            start=minutes(str(stored["start"])),
            end=minutes(str(stored["end"])),
            days=frozenset(DAYS.index(d) for d in stored["days"]),
            time_zone=str(stored["time_zone"]),
            overnight=bool(stored.get("overnight", False)),
        )

    def zone(self, zone: int) -> ZoneInfo:
        """The zone of a recipient's ``zone_id`` (0, or one this system lost: the window's)."""
        name = zone_name(zone) if zone != CAMPAIGN_ZONE else None
        try:
            return ZoneInfo(name or self.time_zone)
        except (ValueError, OSError, KeyError):
            return ZoneInfo(self.time_zone)

    def is_open_at(self, local: datetime) -> bool:
        """Is the window open at this local wall-clock time?"""
        m = local.hour * 60 + local.minute
        day = local.weekday()
        if not self.overnight:
            return day in self.days and self.start <= m < self.end
        return (day in self.days and m >= self.start) or (
            (day - 1) % 7 in self.days and m < self.end
        )

    def open_zones(self, zones: Iterable[int], now: datetime) -> list[int]:
        """Of ``zones``, those whose window is open at ``now``."""
        return [z for z in zones if self.is_open_at(now.astimezone(self.zone(z)))]

    def spans(self, zone: int, now: datetime, days: int = 8) -> list[tuple[datetime, datetime]]:
        """The zone's open spans (UTC) overlapping [now, now + days], in order."""
        tz = self.zone(zone)
        today = now.astimezone(tz).date()
        horizon = now + timedelta(days=days)
        out = []
        for offset in range(-1, days + 1):
            day = today + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opens = _at(day, self.start, tz)
            end_day = day + timedelta(days=1) if self.overnight or self.end == DAY_MINUTES else day
            closes = _at(end_day, self.end % DAY_MINUTES, tz)
            if closes > now and opens < horizon and closes > opens:
                out.append((max(opens, now), min(closes, horizon)))
        return out

    def next_opening(self, zones: Iterable[int], now: datetime) -> datetime | None:
        """When the first of ``zones`` opens (``now`` if one is open), None: never (no zone)."""
        starts = [s for z in zones for s, _ in self.spans(z, now)[:1]]
        return min(starts) if starts else None

    def sending_time(self, zones: Iterable[int], now: datetime, work: timedelta) -> timedelta:
        """How long ``work`` (time spent sending) takes when sending happens only while at least
        one of ``zones`` is open: the closed gaps are added. Beyond the 8 days computed, the
        same week is assumed to repeat."""
        merged = _union(s for z in set(zones) for s in self.spans(z, now))
        if not merged or work <= timedelta(0):
            return work if not merged else timedelta(0)
        left = work
        for opens, closes in merged:
            if closes - opens >= left:
                return opens + left - now
            left -= closes - opens
        week = _union(s for z in set(zones) for s in self.spans(z, now, days=7))
        weekly = sum((c - o for o, c in week), timedelta(0))
        weeks = left // weekly if weekly > timedelta(0) else 0
        last = merged[-1][1]
        return last - now + timedelta(weeks=weeks + 1)

    def describe(self) -> str:
        """ "09:00–20:00 MON–SAT (Europe/Prague)" style, for the CLI and dashboard."""
        days = [DAYS[d] for d in sorted(self.days)]
        span = ",".join(days) if len(days) < 7 else "every day"
        night = " overnight" if self.overnight else ""
        return f"{hhmm(self.start)}–{hhmm(self.end)}{night} {span}, recipient's local time"


def minutes(text: str) -> int:
    """ "HH:MM" → minutes since midnight (24:00 allowed, as an end); ValueError otherwise."""
    hh, sep, mm = text.partition(":")
    if not sep or len(hh) != 2 or len(mm) != 2 or not (hh + mm).isdigit():
        raise ValueError(f"{text!r} is not HH:MM")
    value = int(hh) * 60 + int(mm)
    if int(mm) > 59 or value > DAY_MINUTES:
        raise ValueError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return value


def hhmm(value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}"


def check(start: str, end: str, days: list[str], time_zone: str, overnight: bool) -> list[str]:
    """Every problem of a window, each a sentence (the API's 422 lists them)."""
    problems = []
    start_m = end_m = None
    try:
        start_m = minutes(start)
        if start_m == DAY_MINUTES:
            problems.append("start: 24:00 is not a start; use 00:00")
    except ValueError as exc:
        problems.append(f"start: {exc}")
    try:
        end_m = minutes(end)
        if end_m == 0:
            problems.append("end: use 24:00 for midnight")
    except ValueError as exc:
        problems.append(f"end: {exc}")
    if start_m is not None and end_m is not None and not problems:
        if end_m == start_m % DAY_MINUTES:
            problems.append("end: the window is empty (end equals start)")
        elif end_m < start_m and not overnight:
            problems.append(
                "end: before start; set overnight to true for a window running past midnight"
            )
        elif end_m > start_m and overnight:
            problems.append("overnight: only for a window whose end comes before its start")
    if not days:
        problems.append("days: name at least one day (MON ... SUN)")
    elif len(set(days)) != len(days):
        problems.append("days: a day is named twice")
    bad = [d for d in days if d not in DAYS]
    if bad:
        problems.append(f"days: {', '.join(map(repr, bad))} is not one of {', '.join(DAYS)}")
    if zone_id(time_zone) is None:
        problems.append(f"time_zone: {time_zone!r} is not an IANA time zone (e.g. Europe/Prague)")
    return problems


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Local ``day`` at ``minute`` in ``tz``, as UTC (a time skipped by a DST change: the
    instant after the gap)."""
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(spans):
        if out and opens <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], closes))
        else:
            out.append((opens, closes))
    return out
