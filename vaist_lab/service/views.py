"""What the use cases return: plain frozen values, detached from the database (no ORM objects, no
ciphertexts), safe to hand to the CLI, a web page or another thread."""

from __future__ import annotations

import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.status import ProjectStatus


@dataclass(frozen=True)
class CurrentUser:
    """Who the use cases act for. Every project use case takes one and sees that user's projects only."""

    id: uuid.UUID
    email: str
    name: str | None = None


@dataclass(frozen=True)
class ArtifactView:
    platform: str
    filename: str
    size: int
    sha256: str
    built_at: datetime


@dataclass(frozen=True)
class ProjectView:
    id: uuid.UUID
    name: str
    description: str
    prompt: str
    status: ProjectStatus
    category: str | None
    plugin_name: str | None
    plugin_code: str
    plan_version: int
    plan_json: dict[str, Any] | None
    approved_plan_json: dict[str, Any] | None
    approved_version: int | None
    build_attempts: int
    last_error: str | None
    build_progress: tuple[int, int] | None
    artifacts: dict[str, ArtifactView]
    created_at: datetime
    updated_at: datetime
    build_started_at: datetime | None
    build_finished_at: datetime | None

    @property
    def plan(self) -> Plan | None:
        return parse_plan(self.plan_json, f"project {self.name}") if self.plan_json is not None else None

    @property
    def approved_plan(self) -> Plan | None:
        if self.approved_plan_json is None:
            return None
        return parse_plan(self.approved_plan_json, f"project {self.name} (approved)")


class PlatformBuildStatus(StrEnum):
    BUILDING = "building"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PlatformBuildView:
    """The latest build of a project on one platform: on this machine (`remote` None, `platform` this
    machine's, e.g. linux-x86_64) or on GitHub Actions (`remote` "github"; linux, macos or windows)."""

    platform: str
    remote: str | None
    build_id: uuid.UUID
    status: PlatformBuildStatus
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    message: str  # what happened, in one line: why it failed, or what was built
    progress: tuple[int, int] | None  # steps (GitHub) or units (here) done of all, while building
    step: str  # what it is doing, while building
    passed: bool | None  # its plugin's verification verdict; None: not verified
    worst_db: float | None  # its plugin's worst fidelity figure, dB below the signal (-inf: bit-exact)
    downloadable: bool  # a plugin for this platform can be downloaded
    earlier_plugin: bool  # ... and it is an earlier build's (this one delivered none)


@dataclass(frozen=True)
class MessageView:
    id: int
    role: str
    content: str
    plan_version: int | None
    plan_json: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True)
class PlanVersionView:
    version: int
    source: str  # turn, edit, template, copy
    plan_json: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ProjectDetail:
    project: ProjectView
    messages: list[MessageView]
    plan_history: list[PlanVersionView]


@dataclass(frozen=True)
class LogLine:
    id: int
    build_id: uuid.UUID
    level: str
    source: str
    platform: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    created_at: datetime

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        location = ":".join([self.file] + [str(part) for part in (self.line, self.column) if part is not None])
        return f"{location}: {self.level}: {self.message}"


@dataclass(frozen=True)
class TemplateView:
    name: str
    plugin_name: str
    category: str
    explanation: str
    usage_count: int


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown of a stored API key: its provider and a masked hint, never the key."""

    provider: str
    hint: str
    updated_at: datetime


@dataclass(frozen=True)
class BuildHandle:
    """A build started in this process; `wait` blocks until its runner has recorded the outcome."""

    project_id: uuid.UUID
    build_id: uuid.UUID
    future: Future[None] = field(repr=False, compare=False)

    def wait(self, timeout: float | None = None) -> None:
        self.future.result(timeout)


@dataclass(frozen=True)
class RecoveredBuild:
    project_id: uuid.UUID
    name: str
    reason: str


@dataclass(frozen=True)
class CleanupReport:
    """What `cleanup` removed, or would remove on a dry run."""

    dry_run: bool
    older_than: timedelta
    build_folders: list[Path] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    deleted_projects: list[uuid.UUID] = field(default_factory=list)
    log_lines: int = 0
    chat_messages: int = 0
    generations: int = 0
    bytes: int = 0

    @property
    def empty(self) -> bool:
        return not (self.build_folders or self.artifacts or self.deleted_projects or self.log_lines or self.generations)


@dataclass(frozen=True)
class RotationReport:
    key_id: str  # the secret now encrypting
    reencrypted: int
    secret_file: Path | None  # where the new secret was written (single-user mode)


__all__ = [
    "ApiKeyInfo",
    "ArtifactView",
    "BuildHandle",
    "CleanupReport",
    "CurrentUser",
    "LogLine",
    "MessageView",
    "PlanVersionView",
    "PlatformBuildStatus",
    "PlatformBuildView",
    "ProjectDetail",
    "ProjectView",
    "RecoveredBuild",
    "RotationReport",
    "TemplateView",
]
