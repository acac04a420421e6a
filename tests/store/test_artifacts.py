"""Local artifact storage: keys that cannot escape the root, whole-or-nothing puts, and download links
whose HMAC signature and expiry are checked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaist_lab.store.artifacts import LocalArtifactStorage, artifact_key, project_of_key
from vaist_lab.store.errors import ArtifactNotFound, InvalidDownloadLink, StoreError

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def storage(tmp_path: Path) -> LocalArtifactStorage:
    return LocalArtifactStorage(tmp_path / "artifacts", b"k" * 32)


@pytest.fixture
def stored_key(storage: LocalArtifactStorage, tmp_path: Path) -> str:
    source = tmp_path / "TapeEcho.vst3.zip"
    source.write_bytes(b"zip bytes")
    key = artifact_key(uuid.uuid4(), "linux-x86_64", source.name)
    storage.put(key, source)
    return key


def test_put_list_delete(storage: LocalArtifactStorage, tmp_path: Path) -> None:
    project = uuid.uuid4()
    source = tmp_path / "a.zip"
    source.write_bytes(b"x" * 1000)
    key = artifact_key(project, "linux-x86_64", "a.zip")
    stored = storage.put(key, source)
    assert stored.size == 1000 and len(stored.sha256) == 64
    assert project_of_key(key) == project
    assert [item.key for item in storage.objects()] == [key]
    assert storage.path(key).read_bytes() == storage.read(key) == b"x" * 1000
    assert storage.delete(key) and not storage.delete(key)
    with pytest.raises(ArtifactNotFound, match=f"no artifact {key} in "):
        storage.read(key)
    assert list(storage.objects()) == [] and list(storage.root.iterdir()) == [storage.root / ".incoming"]


@pytest.mark.parametrize("key", ["../etc/passwd", "projects/../../x", "/abs/path", "a//b", "a/.hidden", ""])
def test_keys_cannot_leave_the_root(storage: LocalArtifactStorage, key: str) -> None:
    with pytest.raises(StoreError, match="invalid artifact key"):
        storage.path(key)


def test_a_link_works_until_it_expires(storage: LocalArtifactStorage, stored_key: str) -> None:
    link = storage.download_link(stored_key, "TapeEcho.vst3.zip", NOW + timedelta(hours=1))
    assert link.url.startswith("/artifacts/projects/") and "signature=" in link.url and link.size == 9
    assert storage.path(storage.verify_link(link.url, NOW)) == storage.path(stored_key) == link.path
    with pytest.raises(InvalidDownloadLink, match="expired"):
        storage.verify_link(link.url, NOW + timedelta(hours=1, seconds=1))


def test_forged_links_are_refused(storage: LocalArtifactStorage, stored_key: str, tmp_path: Path) -> None:
    link = storage.download_link(stored_key, "TapeEcho.vst3.zip", NOW + timedelta(hours=1))
    later = link.url.replace("expires=", "expires=9")
    with pytest.raises(InvalidDownloadLink, match="signature"):
        storage.verify_link(later, NOW)
    other = link.url.replace("TapeEcho", "Other")
    with pytest.raises(InvalidDownloadLink, match="signature"):
        storage.verify_link(other, NOW)
    foreign = LocalArtifactStorage(storage.root, b"z" * 32)  # signed with another secret
    with pytest.raises(InvalidDownloadLink, match="signature"):
        foreign.verify_link(link.url, NOW)
    with pytest.raises(InvalidDownloadLink, match="incomplete"):
        storage.verify_link(link.url.split("&")[0], NOW)
    storage.delete(stored_key)
    with pytest.raises(InvalidDownloadLink, match="no longer exists"):
        storage.verify_link(link.url, NOW)
