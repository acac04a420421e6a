"""A streaming build log: lines batched to the browser, the newest `max_lines` kept, the first error on top."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import anywidget
import traitlets

from ._common import STATIC_DIR, STYLESHEET

LEVELS = ("debug", "info", "warning", "error")
LINE_FIELDS = ("id", "level", "source", "platform", "message", "file", "line", "column", "time")


def _is_located_build_error(line: Mapping[str, Any]) -> bool:
    """A compiler or linker error that names a file: the one a developer wants to see first."""
    return line["level"] == "error" and line["source"] in ("compiler", "linker") and bool(line["file"])


class LogView(anywidget.AnyWidget):
    """`append(lines)` sends only the new lines; a view rendered later asks for (and gets) the whole snapshot.
    Each line is a dict with the keys of LINE_FIELDS: `level` one of LEVELS, `source` cmake, compiler, linker,
    system, verify, github or pluginval, `platform` where it was built (a build on GitHub Actions has lines of
    linux, macos and windows), `time` seconds since the epoch or an ISO 8601 string (shown as local time).
    A missing `id` gets a running one. Meant for one producer: a build's follower thread, say.
    `platform_filter` shows one platform's lines only ('' all); the view offers the choice once two or more
    platforms have lines."""

    _esm = STATIC_DIR / "logview.js"
    _css = STYLESHEET

    max_lines = traitlets.Int(5000, read_only=True).tag(sync=True)
    first_error = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    platform_filter = traitlets.Unicode("").tag(sync=True)

    def __init__(self, max_lines: int = 5000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_lines < 1:
            raise ValueError(f"max_lines must be at least 1, not {max_lines}")
        self.set_trait("max_lines", max_lines)
        self._lines: deque[dict[str, Any]] = deque(maxlen=max_lines)
        self._generation = 0  # a view holding lines of an older generation (before a clear) starts afresh
        self._total = 0  # lines appended in this generation, so a view can say how many it no longer holds
        self._auto_ids = itertools.count()
        self.on_msg(self._handle_message)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return list(self._lines)

    def append(self, lines: Iterable[Mapping[str, Any]]) -> None:
        batch = [self._normalised(line) for line in lines]
        if not batch:
            return
        self._lines.extend(batch)
        self._total += len(batch)
        for line in batch:
            if line["level"] == "error" and (
                self.first_error is None
                or (not _is_located_build_error(self.first_error) and _is_located_build_error(line))
            ):
                self.first_error = line
        self._publish("lines", lines=batch[-self.max_lines :])

    def clear(self) -> None:
        self._lines.clear()
        self._generation += 1
        self._total = 0
        self.first_error = None
        self.platform_filter = ""
        self._publish("clear")

    def _normalised(self, line: Mapping[str, Any]) -> dict[str, Any]:
        unknown = line.keys() - LINE_FIELDS
        if unknown:
            raise ValueError(f"log line with unknown fields {sorted(unknown)}: {line}")
        level = line.get("level", "info")
        if level not in LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
        moment = line.get("time")
        return {
            "id": str(line["id"]) if line.get("id") is not None else f"auto-{next(self._auto_ids)}",
            "level": level,
            "source": line.get("source") or "system",
            "platform": line.get("platform") or "",
            "message": str(line.get("message", "")),
            "file": line.get("file") or "",
            "line": line.get("line"),
            "column": line.get("column"),
            "time": moment.timestamp() if isinstance(moment, datetime) else moment,
        }

    def _publish(self, kind: str, **content: Any) -> None:
        self.send({"type": kind, "generation": self._generation, "total": self._total, **content})

    def _handle_message(self, _widget: LogView, content: dict[str, Any], _buffers: list[memoryview]) -> None:
        if content.get("type") == "ready":
            self._publish("snapshot", lines=list(self._lines))


__all__ = ["LEVELS", "LINE_FIELDS", "LogView"]
