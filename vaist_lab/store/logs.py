"""Writing a builder's log events (vaist_lab.build.events.LogEvent) as BuildLog rows, many per statement."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from vaist_lab.build.events import LogEvent
from vaist_lab.store.models import BuildLog

MAX_FILE_CHARS = 1000  # BuildLog.file's width


def add_build_logs(
    session: Session,
    project_id: uuid.UUID,
    build_id: uuid.UUID,
    platform: str,
    events: Iterable[LogEvent],
    now: datetime,
    max_message_chars: int,
) -> int:
    """Insert the events in their order (ids increase with it); messages longer than `max_message_chars`
    are cut, since a compiler can print megabytes on one line. The number of rows written."""
    rows = [
        {
            "project_id": project_id,
            "build_id": build_id,
            "level": event.level.value,
            "source": event.source.value,
            "platform": event.platform or platform,  # a multi-platform build tags its lines
            "message": event.message
            if len(event.message) <= max_message_chars
            else event.message[:max_message_chars] + "…",
            "file": event.file[:MAX_FILE_CHARS] if event.file else None,
            "line": event.line,
            "column": event.column,
            "created_at": now,
        }
        for event in events
    ]
    if rows:
        session.execute(insert(BuildLog), rows)
    return len(rows)


__all__ = ["add_build_logs"]
