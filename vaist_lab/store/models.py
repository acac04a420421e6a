"""The tables: users and their encrypted API keys, projects with their plan history, chat and build logs,
the template catalogue, and the generation log behind the rate limits.

Every timestamp is stored and returned in UTC (SQLite keeps no time zone, so `UTCDateTime` adds it back).
Plans are stored as the JSON a validated `Plan` dumps to (`Plan.to_json_dict`), never as unvalidated input.
A deleted project is only marked (`deleted_at`): a running build may still write to it, and `cleanup`
removes it with its messages, logs and artifacts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vaist_lab.status import ProjectStatus


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: vaist-lab stores aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL gets a 64-bit identity
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # fixed constraint names, so that migrations can name them on SQLite and PostgreSQL alike
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        uuid.UUID: Uuid(),
    }


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    image: Mapped[str | None] = mapped_column(String(2000))
    preferred_model: Mapped[str | None] = mapped_column(String(100))
    # where the user's builds on GitHub Actions run (None: the server's configuration); the token is an ApiKey
    github_repository: Mapped[str | None] = mapped_column(String(140))
    github_api_url: Mapped[str | None] = mapped_column(String(300))
    generation_count: Mapped[int] = mapped_column(default=0)
    last_generation_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiKey(Base):
    """A user's key for one AI provider: AES-GCM ciphertext (see store.secrets) and a masked hint."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "provider"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    ciphertext: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16), index=True)  # which secret encrypted it (rotation)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    user: Mapped[User] = relationship(back_populates="api_keys")

    def __repr__(self) -> str:  # never the ciphertext, let alone the key
        return f"ApiKey(user_id={self.user_id}, provider={self.provider!r}, hint={self.hint!r})"


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (Index(None, "user_id", "updated_at"), Index(None, "status"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(16))
    plugin_name: Mapped[str | None] = mapped_column(String(32))
    plugin_code: Mapped[str] = mapped_column(String(4), unique=True)
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=16, validate_strings=True), default=ProjectStatus.DRAFT
    )
    current_plan: Mapped[dict[str, Any] | None]
    plan_version: Mapped[int] = mapped_column(default=0)  # the latest PlanVersion.version; 0: none yet
    approved_plan: Mapped[dict[str, Any] | None]
    approved_version: Mapped[int | None]
    build_attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # the build in progress (or the last one): who runs it and when it last gave a sign of life
    build_id: Mapped[uuid.UUID | None]
    build_worker: Mapped[str | None] = mapped_column(String(300))
    build_heartbeat_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    build_progress_done: Mapped[int | None]
    build_progress_total: Mapped[int | None]
    # platform -> {"key", "size", "sha256", "filename", "built_at", "build", "verification", ...}: the latest plugin
    # built for each platform (this machine's, e.g. linux-x86_64; linux, macos, windows on GitHub Actions)
    artifacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    build_started_at: Mapped[datetime | None]
    build_finished_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, order_by="ChatMessage.id"
    )
    plan_versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True, order_by="PlanVersion.version"
    )


class PlanVersion(Base):
    """One plan of a project's history, immutable: from a chat turn, a parameter edit, a template or a copy."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    plan: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    project: Mapped[Project] = relationship(back_populates="plan_versions")


class ChatMessage(Base):
    """A chat turn's message; an assistant message that proposed a plan points at that plan's snapshot."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index(None, "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    project: Mapped[Project] = relationship(back_populates="messages")
    plan_version: Mapped[PlanVersion | None] = relationship()


class BuildLog(Base):
    """One line a builder reported (vaist_lab.build.events.LogEvent), in the order it arrived."""

    __tablename__ = "build_logs"
    __table_args__ = (Index(None, "project_id", "created_at"), Index(None, "build_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    build_id: Mapped[uuid.UUID]
    level: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(String(1000))
    line: Mapped[int | None]
    column: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PlatformBuild(Base):
    """What one build did on one platform, written as the build goes: a build on this machine has one row (its
    platform), a build on GitHub Actions one per platform it was asked for, each finished as soon as that
    platform's job is. The latest row of each platform is what the build panel shows; the plugin it delivered,
    if any, is Project.artifacts[platform]."""

    __tablename__ = "platform_builds"
    __table_args__ = (UniqueConstraint("build_id", "platform"), Index(None, "project_id", "platform", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    build_id: Mapped[uuid.UUID]
    platform: Mapped[str] = mapped_column(String(32))
    remote: Mapped[str | None] = mapped_column(String(16))  # "github"; None: built on the service's machine
    status: Mapped[str] = mapped_column(String(16))  # building, succeeded, failed, cancelled
    message: Mapped[str] = mapped_column(Text, default="")
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]
    step: Mapped[str] = mapped_column(String(200), default="")
    passed: Mapped[bool | None]  # its plugin's verification verdict; None: not verified
    worst_db: Mapped[float | None]  # its plugin's worst fidelity figure (-inf: bit-exact)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]


class Template(Base):
    """A built-in template plan (seeded from vaist_lab/templates on start) and how often projects used it."""

    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    plugin_name: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(16))
    explanation: Mapped[str] = mapped_column(Text)
    plan: Mapped[dict[str, Any]]
    usage_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Generation(Base):
    """One AI plan generation a user spent: the sliding windows of the rate limits count these rows."""

    __tablename__ = "generations"
    __table_args__ = (Index(None, "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


__all__ = [
    "ApiKey",
    "Base",
    "BuildLog",
    "ChatMessage",
    "Generation",
    "PlanVersion",
    "PlatformBuild",
    "Project",
    "ProjectStatus",
    "Template",
    "UTCDateTime",
    "User",
    "utc_now",
]
