"""What can go wrong below the use cases, each said so that a person knows what to do about it.

No message here ever carries a secret, a key or an API key: at most a key id (a hash) or a masked hint.
"""

from __future__ import annotations

from vaist_lab.errors import VaistError


class StoreError(VaistError, RuntimeError):
    """The database, the artifact storage or the secret keys cannot be used as they are."""


class DatabaseUnavailable(StoreError):
    """The database cannot be opened or reached (missing folder, not a database, server down)."""


class DatabaseLocked(StoreError):
    """Another process holds the database (or a table) for longer than the busy timeout."""


class DatabaseReadOnly(StoreError):
    """The database can be read but not written, and vaist-lab has to write."""


class DatabaseTooNew(StoreError):
    """The database was migrated by a newer vaist-lab; this one must not touch it."""


class SecretKeyError(StoreError):
    """The secret key is missing, malformed, or not the one that encrypted the stored API keys."""


class InvalidDownloadLink(StoreError):
    """A download link that is malformed, expired, forged, or points at nothing."""


class ArtifactNotFound(StoreError):
    """No stored object under the key asked for."""


__all__ = [
    "ArtifactNotFound",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "InvalidDownloadLink",
    "SecretKeyError",
    "StoreError",
]
