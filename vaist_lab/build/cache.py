"""The user's build cache (vaist_lab.config.cache_dir()): what is in it, and clearing it safely.

    <cache>/juce-archive/<digest>/   shared JUCE module archives, one per toolchain key (+ <digest>.lock)
    <cache>/builds/<name>-<code>/    kept build folders of plugin projects (each with its .lock)
    <cache>/test-builds/, harness/   the test suite's build folders, the parity harness

Clearing takes each entry's lock exclusively without waiting: whatever a running build holds (an archive
it links, its build folder) is left in place and reported as busy; everything else is deleted.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from vaist_lab.build.archive import ARCHIVE_FOLDER
from vaist_lab.build.locks import FileLock
from vaist_lab.config import cache_dir


@dataclass(frozen=True)
class CacheEntry:
    area: str  # juce-archive, builds, test-builds, harness, ...
    path: Path
    size: int
    detail: str = ""


@dataclass
class ClearReport:
    removed: list[Path] = field(default_factory=list)
    busy: list[Path] = field(default_factory=list)
    freed: int = 0


def disk_usage(path: Path) -> int:
    """Bytes a file or folder holds (files only, symlinks not followed; what vanishes meanwhile counts 0)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for entry in path.rglob("*"):
        with contextlib.suppress(OSError):
            if entry.is_file() and not entry.is_symlink():
                total += entry.stat().st_size
    return total


def _entries(root: Path) -> list[tuple[str, Path, Path | None]]:
    """(area, entry, its lock file or None) for everything under the cache."""
    found: list[tuple[str, Path, Path | None]] = []
    if not root.is_dir():
        return found
    for area in sorted(root.iterdir()):
        if not area.is_dir():
            found.append(("", area, None))
            continue
        for entry in sorted(area.iterdir()):
            if area.name == ARCHIVE_FOLDER:
                if entry.suffix == ".lock":
                    continue  # kept with its archive, removed with it
                found.append((area.name, entry, area / f"{entry.name}.lock"))
            elif entry.is_dir():
                found.append((area.name, entry, entry / ".lock"))
            else:
                found.append((area.name, entry, None))
    return found


def cache_entries(root: Path | None = None) -> list[CacheEntry]:
    root = Path(root) if root else cache_dir()
    entries = []
    for area, path, _ in _entries(root):
        detail = ""
        if area == ARCHIVE_FOLDER:
            with contextlib.suppress(OSError, ValueError):
                record = json.loads((path / "archive.json").read_text(encoding="utf-8"))
                key = record["key"]
                detail = f"JUCE {key['juce_version']}, {key['cxx_identity']}, {key['configuration']}"
            detail = detail or "incomplete"
        entries.append(CacheEntry(area or "-", path, disk_usage(path), detail))
    return entries


def clear_cache(root: Path | None = None) -> ClearReport:
    """Delete everything in the cache that no running build holds."""
    root = Path(root) if root else cache_dir()
    report = ClearReport()
    for _, path, lock_path in _entries(root):
        lock = FileLock(lock_path) if lock_path is not None and (lock_path.exists() or path.is_dir()) else None
        if lock is not None and not lock.try_acquire(exclusive=True):
            report.busy.append(path)
            continue
        try:
            size = disk_usage(path)
            if path.is_dir() and not path.is_symlink():
                _remove_tree(path, keep=lock_path)
            else:
                path.unlink(missing_ok=True)
            report.removed.append(path)
            report.freed += size
        finally:
            if lock is not None:
                lock.delete()
        if lock_path is not None and lock_path.parent == path:
            with contextlib.suppress(OSError):
                path.rmdir()
    return report


def _remove_tree(path: Path, keep: Path | None) -> None:
    """Delete `path`; a lock file inside it (`keep`) goes last, with the lock."""
    if keep is None or keep.parent != path:
        shutil.rmtree(path, ignore_errors=True)
        return
    for entry in path.iterdir():
        if entry == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


__all__ = ["CacheEntry", "ClearReport", "cache_entries", "clear_cache", "disk_usage", "human_size"]
