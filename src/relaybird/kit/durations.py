"""Durations written the way operators write them: ``7d``, ``2s``, ``1h30m``, ``250ms``."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse ``7d``/``2s``/``1h30m`` (or a bare number of seconds) into a timedelta.

    Raises ValueError with a message fit for a settings error.
    """
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=text)
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise ValueError("empty duration")
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return timedelta(seconds=float(raw))
    pos = 0
    total = 0.0
    for match in _PART.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(raw):
        raise ValueError(f"not a duration: {text!r} (use e.g. 7d, 12h, 30m, 2s, 250ms)")
    return timedelta(seconds=total)


def format_duration(delta: timedelta) -> str:
    """Short human form: ``2d 3h``, ``14m``, ``45s``."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])
