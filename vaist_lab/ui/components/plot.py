"""Multi-panel line plots drawn on <canvas> in the browser: the live response view (replaces matplotlib there).

Python decimates and rounds the data so that a whole figure is a few tens of kB of JSON; the browser draws it
in a few milliseconds, so a slider release shows its new response at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import anywidget
import numpy as np
import traitlets

from ._common import STATIC_DIR, STYLESHEET

MAX_POINTS = 800  # per series: more than a panel is wide in pixels, min/max kept per bucket so peaks survive
SIGNIFICANT_DIGITS = 5

Scale = Literal["log", "linear"]


@dataclass(frozen=True)
class Axis:
    """One axis of a panel; `min`/`max` None means fit the data."""

    label: str
    scale: Scale = "linear"
    min: float | None = None
    max: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        if self.scale not in ("log", "linear"):
            raise ValueError(f"axis {self.label!r}: scale must be 'log' or 'linear', not {self.scale!r}")
        if self.scale == "log" and any(bound is not None and bound <= 0 for bound in (self.min, self.max)):
            raise ValueError(f"axis {self.label!r}: a log axis needs positive bounds, not {self.min}..{self.max}")

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "scale": self.scale,
            "min": _bound(self.min),
            "max": _bound(self.max),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Series:
    """One line: `x` ascending (it is sorted if not), `color` a CSS colour or None for the palette's next."""

    name: str
    x: Sequence[float] | np.ndarray
    y: Sequence[float] | np.ndarray
    color: str | None = None
    dash: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    x: Axis
    y: Axis
    series: list[Series] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "note": self.note,
            "x": self.x.to_json(),
            "y": self.y.to_json(),
            "series": [_series_json(series, self.x, self.y) for series in self.series],
        }


def _bound(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _rounded(values: np.ndarray) -> list[float]:
    # a few significant digits are far finer than a pixel and make the JSON a third of full precision
    return [float(f"{value:.{SIGNIFICANT_DIGITS}g}") for value in values.tolist()]


def clean_points(x: np.ndarray, y: np.ndarray, x_axis: Axis, y_axis: Axis) -> tuple[np.ndarray, np.ndarray]:
    """The points a panel can draw: infinite y pinned to the axis bound it runs off (dropped when the axis has
    none), NaN dropped, non-positive values dropped on a log axis, sorted by x."""
    y = y.copy()
    if y_axis.min is not None:
        y[np.isneginf(y)] = y_axis.min
    if y_axis.max is not None:
        y[np.isposinf(y)] = y_axis.max
    keep = np.isfinite(x) & np.isfinite(y)
    if x_axis.scale == "log":
        keep &= x > 0
    if y_axis.scale == "log":
        keep &= y > 0
    x, y = x[keep], y[keep]
    if x.size > 1 and np.any(np.diff(x) < 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return x, y


def decimate(x: np.ndarray, y: np.ndarray, log_x: bool, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_points` of sorted points: both ends, and the lowest and highest y of each of about
    max_points/2 equal stretches of the x axis (equal in log x on a log axis), in x order, so that narrow peaks
    and dips stay visible."""
    if x.size <= max_points:
        return x, y
    position = np.log10(x) if log_x else x
    span = position[-1] - position[0]
    buckets = (max_points - 2) // 2
    if span <= 0:
        bucket = np.arange(x.size) * buckets // x.size
    else:
        bucket = np.minimum(((position - position[0]) / span * buckets).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.diff(bucket, prepend=-1))
    group = np.repeat(np.arange(starts.size), np.diff(np.append(starts, x.size)))
    keep = [np.array([0, x.size - 1])]
    for extreme in (np.minimum, np.maximum):
        hits = np.flatnonzero(y == extreme.reduceat(y, starts)[group])
        keep.append(hits[np.diff(group[hits], prepend=-1) > 0])  # the first hit in each bucket
    keep = np.unique(np.concatenate(keep))
    return x[keep], y[keep]


def _series_json(series: Series, x_axis: Axis, y_axis: Axis) -> dict[str, Any]:
    x = np.asarray(series.x, dtype=np.float64).ravel()
    y = np.asarray(series.y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"series {series.name!r}: {x.size} x values but {y.size} y values")
    x, y = decimate(*clean_points(x, y, x_axis, y_axis), log_x=x_axis.scale == "log")
    return {"name": series.name, "color": series.color, "dash": series.dash, "x": _rounded(x), "y": _rounded(y)}


class ResponsePlot(anywidget.AnyWidget):
    """Panels of line plots in a responsive grid, with hover readouts. `show(panels)` replaces the figure;
    `busy` shows a quiet "updating" mark while a new one is computed. The browser writes the last `revision` it
    drew into its root's `data-drawn-revision`, which tests and benchmarks wait for."""

    _esm = STATIC_DIR / "plot.js"
    _css = STYLESHEET

    columns = traitlets.Int(2).tag(sync=True)
    height_px = traitlets.Int(220).tag(sync=True)
    panels = traitlets.List(traitlets.Dict()).tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)

    def __init__(self, columns: int = 2, height_px: int = 220, **kwargs: Any) -> None:
        super().__init__(columns=columns, height_px=height_px, **kwargs)

    def show(self, panels: Sequence[Panel]) -> None:
        payload = [panel.to_json() for panel in panels]
        with self.hold_sync():  # one message: the browser draws once, for the new revision
            self.panels = payload
            self.revision += 1


__all__ = ["MAX_POINTS", "Axis", "Panel", "ResponsePlot", "Series", "clean_points", "decimate"]
