"""Persistence: the database (SQLAlchemy 2, alembic migrations run on start), encrypted secrets, and the
artifact storage. The use cases on top of it are in vaist_lab.service."""

from vaist_lab.store.artifacts import (
    ArtifactStorage,
    DownloadLink,
    LocalArtifactStorage,
    StoredArtifact,
    StoredObject,
    artifact_key,
    artifact_storage,
)
from vaist_lab.store.database import DATABASE_URL_ENV, Database, database_url
from vaist_lab.store.errors import (
    ArtifactNotFound,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    InvalidDownloadLink,
    SecretKeyError,
    StoreError,
)
from vaist_lab.store.models import (
    ApiKey,
    BuildLog,
    ChatMessage,
    Generation,
    PlanVersion,
    PlatformBuild,
    Project,
    ProjectStatus,
    Template,
    User,
)
from vaist_lab.store.secrets import Keyring, load_keyring, mask

__all__ = [
    "DATABASE_URL_ENV",
    "ApiKey",
    "ArtifactNotFound",
    "ArtifactStorage",
    "BuildLog",
    "ChatMessage",
    "Database",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "DownloadLink",
    "Generation",
    "InvalidDownloadLink",
    "Keyring",
    "LocalArtifactStorage",
    "PlanVersion",
    "PlatformBuild",
    "Project",
    "ProjectStatus",
    "SecretKeyError",
    "StoreError",
    "StoredArtifact",
    "StoredObject",
    "Template",
    "User",
    "artifact_key",
    "artifact_storage",
    "database_url",
    "load_keyring",
    "mask",
]
