"""Where built plugins are kept, behind one small interface (put, read, delete, objects, download_link,
verify_link): local files under the data folder (`LocalArtifactStorage`, the default) or an S3-compatible
bucket (`vaist_lab.store.s3`: AWS S3, Cloudflare R2, MinIO), chosen by `artifact_storage` from
VAIST_ARTIFACT_STORE.

Keys are `projects/<project id>/<platform>/<file name>` (see `artifact_key`): plain relative paths of
safe characters, so that a key can never leave the storage root.

A local download link is `/artifacts/<key>?expires=<unix time>&signature=<hex>`, an HMAC-SHA256 of the key
and expiry under a key derived from the secret (store.secrets); `LocalArtifactStorage.verify_link` checks it
and returns the key it names, for whatever serves the link (the CLI, a web app later).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from vaist_lab.store.errors import ArtifactNotFound, InvalidDownloadLink, StoreError

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
KEY_PATTERN = re.compile(rf"^{_SEGMENT}(/{_SEGMENT})*$")
LINK_PREFIX = "/artifacts/"
_INCOMING = ".incoming"  # partly written objects; never listed
STORE_VARIABLE = "VAIST_ARTIFACT_STORE"
LINK_INCOMPLETE = "the download link is incomplete"
LINK_FORGED = "the download link's signature is wrong"


@dataclass(frozen=True)
class StoredArtifact:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class DownloadLink:
    url: str
    filename: str
    size: int
    expires_at: datetime
    path: Path | None = None  # the file itself, where the storage is local


def artifact_key(project_id: uuid.UUID, platform: str, filename: str) -> str:
    key = f"projects/{project_id}/{platform}/{filename}"
    check_key(key)
    return key


def project_of_key(key: str) -> uuid.UUID | None:
    """The project an artifact key belongs to (None for keys of another layout)."""
    parts = key.split("/")
    if len(parts) < 2 or parts[0] != "projects":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def link_expired(expires_at: datetime) -> InvalidDownloadLink:
    return InvalidDownloadLink(f"the download link expired at {expires_at:%Y-%m-%d %H:%M} UTC: ask for a new one")


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key) or ".." in key:
        raise StoreError(f"invalid artifact key {key!r}")


class ArtifactStorage(ABC):
    """Stores files by key; lists, deletes, and hands out expiring download links for them."""

    @abstractmethod
    def put(self, key: str, source: Path, metadata: Mapping[str, str] | None = None) -> StoredArtifact:
        """Store the file `source` under `key` (replacing what was there); whole or not at all: if it fails,
        what was under `key` stays. `metadata` (project, user, platform) goes with the object where the
        storage keeps metadata (a bucket's x-amz-meta-*; local files keep none: the database knows)."""

    @abstractmethod
    def read(self, key: str) -> bytes:
        """The stored object's bytes; ArtifactNotFound if there is none."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove `key`; False if there was nothing to remove."""

    @abstractmethod
    def objects(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every stored object whose key starts with `prefix`."""

    @abstractmethod
    def download_link(self, key: str, filename: str, expires_at: datetime) -> DownloadLink:
        """A link to `key` that works until `expires_at`."""

    @abstractmethod
    def verify_link(self, url: str, now: datetime) -> str:
        """The key a link of this storage points at, if the link is genuine and has not expired at `now`;
        InvalidDownloadLink otherwise."""


class LocalArtifactStorage(ArtifactStorage):
    def __init__(self, root: Path, signing_key: bytes) -> None:
        self.root = Path(root)
        self._signing_key = signing_key

    def path(self, key: str) -> Path:
        check_key(key)
        return self.root / key

    def put(self, key: str, source: Path, metadata: Mapping[str, str] | None = None) -> StoredArtifact:
        target = self.path(key)
        incoming = self.root / _INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        handle, scratch = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(handle, "wb") as output, open(source, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
                    output.write(chunk)
            os.chmod(scratch, 0o644)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(scratch, target)  # same file system: readers see the old file or the new one
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        return StoredArtifact(key, target.stat().st_size, digest.hexdigest())

    def read(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {key} in {self.root}") from None

    def delete(self, key: str) -> bool:
        target = self.path(key)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        folder = target.parent
        while folder != self.root:  # drop the folders the key leaves empty
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
        return True

    def objects(self, prefix: str = "") -> Iterator[StoredObject]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if relative.parts[0] == _INCOMING or not path.is_file():
                continue
            key = relative.as_posix()
            if key.startswith(prefix):
                info = path.stat()
                yield StoredObject(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def download_link(self, key: str, filename: str, expires_at: datetime) -> DownloadLink:
        path = self.path(key)
        expires = int(expires_at.timestamp())
        url = f"{LINK_PREFIX}{quote(key)}?expires={expires}&signature={self._signature(key, expires)}"
        return DownloadLink(url, filename, path.stat().st_size, datetime.fromtimestamp(expires, UTC), path)

    def verify_link(self, url: str, now: datetime) -> str:
        """The key a link of ours points at, if its signature is right, it has not expired and its file
        is there."""
        parts = urlsplit(url)
        if not parts.path.startswith(LINK_PREFIX):
            raise InvalidDownloadLink("not a vaist-lab download link")
        key = unquote(parts.path.removeprefix(LINK_PREFIX))
        query = parse_qs(parts.query)
        try:
            expires = int(query["expires"][0])
            signature = query["signature"][0]
        except (KeyError, ValueError, IndexError):
            raise InvalidDownloadLink(LINK_INCOMPLETE) from None
        if not KEY_PATTERN.match(key) or not hmac.compare_digest(signature, self._signature(key, expires)):
            raise InvalidDownloadLink(LINK_FORGED)
        if now.timestamp() > expires:
            raise link_expired(datetime.fromtimestamp(expires, UTC))
        if not self.path(key).is_file():
            raise InvalidDownloadLink("the file of this download link no longer exists")
        return key

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._signing_key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def artifact_storage(root: Path, signing_key: bytes, env: Mapping[str, str] | None = None) -> ArtifactStorage:
    """The storage VAIST_ARTIFACT_STORE names: `local` (the default: files under `root`, links signed with
    `signing_key`) or `s3` (a bucket configured by the VAIST_S3_* variables, see vaist_lab.store.s3)."""
    env = os.environ if env is None else env
    kind = env.get(STORE_VARIABLE, "").strip().lower() or "local"
    if kind == "local":
        return LocalArtifactStorage(root, signing_key)
    if kind == "s3":
        from vaist_lab.store.s3 import S3ArtifactStorage, S3Settings  # boto3 is imported only when used

        return S3ArtifactStorage(S3Settings.from_environment(env))
    raise StoreError(f"{STORE_VARIABLE} must be local or s3, not {env[STORE_VARIABLE]!r}")


__all__ = [
    "KEY_PATTERN",
    "LINK_FORGED",
    "LINK_INCOMPLETE",
    "STORE_VARIABLE",
    "ArtifactStorage",
    "DownloadLink",
    "LocalArtifactStorage",
    "StoredArtifact",
    "StoredObject",
    "artifact_key",
    "artifact_storage",
    "check_key",
    "link_expired",
    "project_of_key",
]
