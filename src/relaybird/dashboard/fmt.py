"""Small formatting helpers for templates (times, durations, percentages, masked phones)."""

from __future__ import annotations

from datetime import datetime, timedelta

from relaybird.kit.time import rfc3339


def when(value: datetime | None) -> str:
    if value is None:
        return "–"
    return (rfc3339(value) or "").replace("T", " ").removesuffix("Z")[:19] + " UTC"


def duration(value: timedelta | float | None) -> str:
    if value is None:
        return "–"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    if seconds < 0:
        return "overdue"
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def rate(value: float | None) -> str:
    """A rate to one decimal (77.8 %); – when there is nothing to divide by."""
    return "–" if value is None else f"{value:.1%}"


def num(value: int | float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,}".replace(",", "\u202f")
