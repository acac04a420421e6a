"""Small pieces of HTML the panels share: escaped text, status badges, "5 min ago", thumbnails."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np

STATUS_TITLES = {
    "draft": "Draft",
    "planning": "Planning",
    "approved": "Approved",
    "building": "Building",
    "success": "Success",
    "failed": "Failed",
    # a platform's build (PlatformBuildView.status), and a platform not built yet
    "succeeded": "Built",
    "cancelled": "Cancelled",
    "not-built": "Not built",
}


def escape(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def status_badge(status: str) -> str:
    """The project status as a coloured badge; the raw status stays in the text for tests and screen
    readers (title attribute)."""
    key = status.lower()
    return (
        f"<span class='vaist-badge vaist-badge-{key}' title='{key.upper()}'>"
        f"{escape(STATUS_TITLES.get(key, key.title()))}</span>"
    )


def ago(moment: datetime, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = max(0.0, (now - moment).total_seconds())
    for size, unit in ((86400 * 7, "week"), (86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = int(seconds // size)
            plural = "s" if count > 1 and unit in ("week", "day") else ""
            return f"{count} {unit}{plural} ago"
    return "just now"


def sparkline_svg(x: np.ndarray, y: np.ndarray, *, log_x: bool, width: int = 220, height: int = 64) -> str:
    """A small SVG line of y over x (log or linear x), scaled to fit: a project card's thumbnail."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & ((x > 0) if log_x else True)
    x, y = x[keep], y[keep]
    if x.size < 2:
        return ""
    if log_x:
        x = np.log10(x)
    step = max(1, x.size // 120)
    x, y = x[::step], y[::step]
    span_x = float(x.max() - x.min()) or 1.0
    low, high = float(y.min()), float(y.max())
    if high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    px = 2 + (x - x.min()) / span_x * (width - 4)
    py = height - 3 - (y - low) / (high - low) * (height - 6)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
    return (
        f"<svg class='vaist-thumb' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"preserveAspectRatio='none'><polyline points='{points}' fill='none' stroke='currentColor' "
        "stroke-width='1.6' stroke-linejoin='round'/></svg>"
    )


__all__ = ["STATUS_TITLES", "ago", "escape", "sparkline_svg", "status_badge"]
