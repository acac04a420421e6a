"""Keeping the database and the disk in order: recovering builds whose runner is gone, and cleaning up
what nothing needs any more (see `Lab.recover` and `Lab.cleanup`)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from vaist_lab.build.cache import disk_usage
from vaist_lab.build.locks import FileLock
from vaist_lab.service.builds import artifact_keys, end_platform_builds, host_platform, orphan_reason
from vaist_lab.service.settings import GENERATION_WINDOWS
from vaist_lab.service.status import BUILDING, FAILED
from vaist_lab.service.views import CleanupReport, PlatformBuildStatus, RecoveredBuild
from vaist_lab.store.artifacts import ArtifactStorage, project_of_key
from vaist_lab.store.database import Database
from vaist_lab.store.models import BuildLog, ChatMessage, Generation, Project

# generation records older than the longest window count against no limit any more
GENERATION_RECORDS_KEPT = max(window for _, window in GENERATION_WINDOWS)


def recover_builds(session: Session, now: datetime, stale_after: timedelta) -> list[RecoveredBuild]:
    """Fail every BUILDING project whose runner is gone (see builds.orphan_reason)."""
    recovered = []
    projects = session.scalars(select(Project).where(Project.status == BUILDING).order_by(Project.id).with_for_update())
    for project in projects:
        reason = orphan_reason(project, now, stale_after)
        if reason is not None:
            fail_build(session, project, reason, now)
            recovered.append(RecoveredBuild(project.id, project.name, reason))
    return recovered


def fail_build(session: Session, project: Project, reason: str, now: datetime) -> None:
    """End a build whose runner is gone: FAILED with the reason, also as the build's last log line and the
    verdict of its platforms that had not finished."""
    project.status = FAILED
    project.last_error = reason
    project.build_finished_at = now
    project.cancel_requested = False
    project.updated_at = now
    if project.build_id is not None:
        end_platform_builds(session, project.build_id, PlatformBuildStatus.FAILED, reason, now)
        session.add(
            BuildLog(
                project_id=project.id,
                build_id=project.build_id,
                level="error",
                source="system",
                platform=host_platform(),
                message=reason,
                created_at=now,
            )
        )


def cleanup(
    database: Database,
    storage: ArtifactStorage,
    build_roots: Sequence[Path],
    now: datetime,
    older_than: timedelta,
    dry_run: bool,
) -> CleanupReport:
    """See Lab.cleanup. Artifacts of live projects that no row refers to (replaced ones) go only once older
    than `older_than`, so that an artifact being stored right now is never taken for an orphan."""
    cutoff = now - older_than
    with database.session() as session:
        building = session.execute(select(Project.id, Project.plugin_code).where(Project.status == BUILDING)).all()
        deleted = set(
            session.scalars(select(Project.id).where(Project.deleted_at.is_not(None), Project.status != BUILDING))
        )
        live_keys = set()
        known_projects = set()
        for project_id, artifacts, deleted_at in session.execute(
            select(Project.id, Project.artifacts, Project.deleted_at)
        ):
            known_projects.add(project_id)
            if deleted_at is None:
                live_keys.update(key for info in artifacts.values() for key in artifact_keys(info))
        log_lines = _count(session, BuildLog, BuildLog.project_id.in_(deleted)) if deleted else 0
        messages = _count(session, ChatMessage, ChatMessage.project_id.in_(deleted)) if deleted else 0
        expired_generations = Generation.created_at < now - GENERATION_RECORDS_KEPT
        generations = _count(session, Generation, expired_generations)
        if not dry_run:
            if deleted:
                session.execute(delete(Project).where(Project.id.in_(deleted)))
            session.execute(delete(Generation).where(expired_generations))
    artifacts = []
    freed = 0
    for stored in storage.objects():
        owner = project_of_key(stored.key)
        gone = owner in deleted or (owner is not None and owner not in known_projects)
        if stored.key not in live_keys and (gone or stored.modified < cutoff):
            artifacts.append(stored.key)
            freed += stored.size
    folders, folder_bytes = _old_build_folders(build_roots, cutoff, building)
    if not dry_run:
        for key in artifacts:
            storage.delete(key)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    return CleanupReport(
        dry_run=dry_run,
        older_than=older_than,
        build_folders=folders,
        artifacts=artifacts,
        deleted_projects=sorted(deleted),
        log_lines=log_lines,
        chat_messages=messages,
        generations=generations,
        bytes=freed + folder_bytes,
    )


def _count(session: Session, model: type, condition: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _old_build_folders(roots: Sequence[Path], cutoff: datetime, building: Sequence[Any]) -> tuple[list[Path], int]:
    """Folders directly under `roots` not touched since `cutoff` and not used by a running build."""
    busy_ids = {str(row.id) for row in building}
    busy_codes = {row.plugin_code for row in building}
    found = []
    size = 0
    for root in roots:
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if not folder.is_dir() or folder.name in busy_ids or folder.name.rsplit("-", 1)[-1] in busy_codes:
                continue
            if _locked(folder):  # a build (or cache clear) holds it right now
                continue
            if _last_touched(folder) < cutoff.timestamp():
                found.append(folder)
                size += disk_usage(folder)
    return found, size


def _locked(folder: Path) -> bool:
    lock_path = folder / ".lock"
    if not lock_path.exists():
        return False
    lock = FileLock(lock_path)
    free = lock.try_acquire(exclusive=True)
    lock.release()
    return not free


def _last_touched(folder: Path) -> float:
    """The newest modification time of the folder and what is directly inside it (a build touches its
    top-level log and lock files every time)."""
    times = [folder.stat().st_mtime]
    with suppress(OSError):
        times.extend(child.lstat().st_mtime for child in folder.iterdir())
    return max(times)


__all__ = ["cleanup", "fail_build", "recover_builds"]
