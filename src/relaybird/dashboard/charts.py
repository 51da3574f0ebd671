"""Inline SVG charts rendered on the server (no JavaScript library, nothing vendored)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from markupsafe import Markup, escape

# One colour per state, shared by every chart and badge (colour-blind-safe-ish: hue + order).
STATE_COLORS = {
    "INITIAL": "#9aa5b1",
    "IN_PROGRESS": "#4c8eda",
    "RETRY_SCHEDULED": "#c59b1a",
    "SENT": "#5b7fd6",
    "DELIVERED": "#2f9e6a",
    "READ": "#17795a",
    "DELIVERY_FAILED": "#d9822b",
    "SENDING_FAILED": "#c23b3b",
    "ERROR": "#8e1f1f",
    "REMOVED": "#6b6f76",
    "CANCELED_BY_ADMIN": "#a0a4ab",
    "INVALID_RECORD": "#b07ac9",
    "SUCCESSFULLY_SUBMITTED": "#3f8f8f",
    # campaign and sender statuses
    "NOT_STARTED": "#9aa5b1",
    "RUNNING": "#2f80d1",
    "PAUSED": "#c59b1a",
    "COMPLETED": "#2f9e6a",
    "ENDED": "#6b6f76",
    "CONNECTED": "#2f9e6a",
    "FLAGGED": "#d9a21b",
    "RESTRICTED": "#c23b3b",
    "BANNED": "#8e1f1f",
    "OFFLINE": "#6b6f76",
    "PENDING": "#9aa5b1",
    "GREEN": "#2f9e6a",
    "YELLOW": "#d9a21b",
    "RED": "#c23b3b",
    "UNKNOWN": "#9aa5b1",
    # contacts, rooms, e-mails
    "CONFIRMED": "#2f9e6a",
    "PENDING_CONFIRMATION": "#4c8eda",
    "INVITE_EXPIRED": "#d9822b",
    "UNAVAILABLE": "#6b6f76",
    "INCOMPLETE": "#b07ac9",
    "BLOCKED": "#c23b3b",
    "ACTIVE": "#2f9e6a",
    "ARCHIVED": "#6b6f76",
    "CLOSED": "#6b6f76",
    "QUEUED": "#9aa5b1",
    "HELD": "#c59b1a",
    "FAILED": "#c23b3b",
}


def color(state: str | None) -> str:
    return STATE_COLORS.get(state or "", "#9aa5b1")


def progress(counts: Mapping[str, int], order: Sequence[str], height: int = 10) -> Markup:
    """A stacked bar of ``counts`` in ``order`` (scales to its container's width)."""
    total = sum(counts.get(s, 0) for s in order)
    parts = []
    x = 0.0
    for state in order:
        n = counts.get(state, 0)
        if not n or not total:
            continue
        w = 100.0 * n / total
        parts.append(
            f'<rect x="{x:.3f}" y="0" width="{w:.3f}" height="{height}" fill="{color(state)}">'
            f"<title>{escape(state)}: {n}</title></rect>"
        )
        x += w
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        f'<svg class="stack" viewBox="0 0 100 {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="progress" height="{height}">'
        f'<rect width="100" height="{height}" fill="#e8ebef"/>{"".join(parts)}</svg>'
    )


def state_bars(counts: Mapping[str, int], order: Sequence[str]) -> Markup:
    """Horizontal bars, one per state with a count (the per-state chart of a campaign)."""
    rows = [s for s in order if counts.get(s, 0)] or list(order[:1])
    biggest = max([counts.get(s, 0) for s in rows] + [1])
    row_h, label_w, width = 26, 130, 440
    bar_w = width - label_w - 70
    out = []
    for i, state in enumerate(rows):
        n = counts.get(state, 0)
        y = i * row_h
        w = max(2.0, bar_w * n / biggest) if n else 0
        name = escape(state)
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lbl">{name}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="16" rx="3" '
            f'fill="{color(state)}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="val" data-state="{name}">'
            f"{n:,}</text>"
        )
    height = len(rows) * row_h + 4
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="recipients by state">'
        f"{''.join(out)}</svg>"
    )


def gauge(fraction: float | None, label: str) -> Markup:
    """A half-circle gauge (messaging-limit usage); None draws an empty 'unlimited' gauge."""
    f = 0.0 if fraction is None else max(0.0, min(1.0, fraction))
    tone = "#2f9e6a" if f < 0.7 else "#d9a21b" if f < 0.9 else "#c23b3b"
    # Arc length of a radius-40 half circle: pi * 40.
    length = 125.66
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        '<svg class="gauge" viewBox="0 0 100 60" role="img" aria-label="limit usage">'
        '<path d="M10 50 A40 40 0 0 1 90 50" fill="none" stroke="#e8ebef" stroke-width="10"/>'
        f'<path d="M10 50 A40 40 0 0 1 90 50" fill="none" stroke="{tone}" stroke-width="10" '
        f'stroke-dasharray="{length * f:.2f} {length:.2f}"/>'
        f'<text x="50" y="47" text-anchor="middle" class="gv">{escape(label)}</text></svg>'
    )


def timeline(segments: Sequence[tuple[datetime, str]], start: datetime, end: datetime) -> Markup:
    """Status over time: ``segments`` are (since, status), oldest first, drawn from start to end."""
    span = max((end - start).total_seconds(), 1.0)
    parts = []
    for i, (since, status) in enumerate(segments):
        until = segments[i + 1][0] if i + 1 < len(segments) else end
        x0 = 100.0 * max(0.0, (since - start).total_seconds()) / span
        x1 = 100.0 * min(span, (until - start).total_seconds()) / span
        if x1 <= x0:
            continue
        parts.append(
            f'<rect x="{x0:.3f}" y="0" width="{x1 - x0:.3f}" height="14" fill="{color(status)}">'
            f"<title>{escape(status)} from {since:%Y-%m-%d %H:%M}</title></rect>"
        )
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        '<svg class="timeline" viewBox="0 0 100 14" preserveAspectRatio="none" role="img" '
        f'aria-label="status timeline" height="14"><rect width="100" height="14" fill="#e8ebef"/>'
        f"{''.join(parts)}</svg>"
    )


# The analytics series: one colour per milestone, the states' own (SENT, DELIVERED, READ).
SERIES_COLORS = {"sent": "#5b7fd6", "delivered": "#2f9e6a", "read": "#17795a"}


def rate_bars(rows: Sequence[tuple[str, int, float | None, str]]) -> Markup:
    """One bar per rate on a 0-100 % scale: (name, count, rate or None, "of what")."""
    row_h, label_w, width = 26, 110, 520
    bar_w = width - label_w - 170
    out = []
    for i, (name, n, value, of) in enumerate(rows):
        y = i * row_h
        w = bar_w * max(0.0, min(1.0, value or 0.0))
        shown = "–" if value is None else f"{value:.1%}"
        label = escape(name)
        out.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lbl">{label}</text>'
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="16" rx="3" fill="#e8ebef"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="16" rx="3" '
            f'fill="{SERIES_COLORS.get(name, "#4c8eda")}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="val" data-rate="{label}">'
            f"{escape(shown)}</text>"
            f'<text x="{label_w + bar_w + 62}" y="{y + 17}" class="lbl">{n:,} {escape(of)}</text>'
        )
    height = len(rows) * row_h + 4
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="rates">'
        f"{''.join(out)}</svg>"
    )


def hourly(hours: Sequence[tuple[datetime, int, int, int]], zone: str) -> Markup:
    """Sends, deliveries and reads per hour as three lines over a shared axis, with a legend,
    the y-axis maximum, a label every few hours and a tooltip per hour."""
    width, height, left, right, top, bottom = 640, 200, 44, 10, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    if not hours:
        return Markup(  # noqa: S704 (constant text)
            f'<svg class="hourly" viewBox="0 0 {width} 40" role="img" aria-label="per hour">'
            '<text x="10" y="24" class="lbl">nothing sent yet</text></svg>'
        )
    peak = max(max(s, d, r) for _, s, d, r in hours) or 1
    step = plot_w / max(len(hours) - 1, 1)

    def xy(i: int, v: int) -> str:
        return f"{left + i * step:.1f},{top + plot_h - plot_h * v / peak:.1f}"

    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#c9ced6"/>',
        f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="#eef0f3"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="lbl">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end" class="lbl">0</text>',
    ]
    columns = {
        "sent": [h[1] for h in hours],
        "delivered": [h[2] for h in hours],
        "read": [h[3] for h in hours],
    }
    for name, values in columns.items():
        points = [xy(i, v) for i, v in enumerate(values)]
        color = SERIES_COLORS[name]
        if len(hours) <= 48:  # few hours: mark each (a single hour is only its marks)
            for point in points:
                cx, cy = point.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
            f'stroke-width="2" data-series="{name}" data-total="{sum(values)}"/>'
        )
    every = max(1, len(hours) // 8)
    for i, (start, sent, delivered, read) in enumerate(hours):
        x = left + i * step
        tip = (
            f"{start:%Y-%m-%d %H:%M} {zone}: sent {sent:,}, delivered {delivered:,}, read {read:,}"
        )
        parts.append(
            f'<rect x="{x - step / 2:.1f}" y="{top}" width="{max(step, 1):.1f}" '
            f'height="{plot_h}" fill="transparent"><title>{escape(tip)}</title></rect>'
        )
        if i % every == 0:
            label = f"{start:%H:%M}" if i and start.hour else f"{start:%d %b %H:%M}"
            parts.append(
                f'<text x="{x:.1f}" y="{height - 18}" text-anchor="middle" class="lbl">'
                f"{escape(label)}</text>"
            )
    legend_x = left
    for name, color in SERIES_COLORS.items():
        parts.append(
            f'<rect x="{legend_x}" y="{height - 10}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{height - 1}" class="lbl">{name}</text>'
        )
        legend_x += 90
    return Markup(  # noqa: S704 (every interpolated label went through escape())
        f'<svg class="hourly" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="sent, delivered and read per hour ({escape(zone)})">{"".join(parts)}</svg>'
    )
