"""The shared JUCE module archive: JUCE's module sources compiled once per toolchain, linked by every
local plugin build instead of compiling them again (about 85 s of a cold build's 97 s on two cores).

JUCE hands its module sources to each plugin as INTERFACE_SOURCES of the juce::juce_* targets, and they
are the same for every plugin but for the per-plugin `JucePlugin_*` definitions, which they do not use on
this path (VST3 only, ARA off). The archive compiles them once into a position-independent static
library with hidden visibility, the VST3-only and ARA-off definitions and the module config flags
(cpp_templates/archive/CMakeLists.txt.j2); a plugin then links the imported target `vaist::juce_modules`
(the same include paths, JUCE_MODULE_AVAILABLE_* definitions and system libraries, no module sources;
cpp_templates/plugin/CMakeLists.txt.j2, VAIST_JUCE_ARCHIVE).

What must match between the archive and a plugin, or the two disagree silently (ODR violations): JUCE's
version and location, the compiler, the build type and flags, the module set, the module config flags,
PIC and visibility. All of them are the archive's key. Here the key names the archive's folder
(`<cache>/juce-archive/<digest>/`), so a changed key builds a new archive; the folder's `archive.json`,
written last, records the key, and an archive whose record differs is never linked. CMake checks the
same key again when a plugin is configured (`vaist_juce_archive_key`) and refuses a mismatch.

Builders share an archive through a lock file beside its folder: users hold it shared while they link,
the one that builds it (or `vaist-lab cache clear`) holds it exclusively; a second build that needs the
archive while it is being built waits for it instead of building it twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from vaist_lab.build.base import BuildError
from vaist_lab.build.locks import FileLock
from vaist_lab.codegen.chain import environment
from vaist_lab.codegen.project import (
    JUCE_ARCHIVE_FORMAT,
    JUCE_CONFIG_FLAGS,
    JUCE_MODULES,
    JUCE_PLUGIN_FORMATS,
    JUCE_VERSION,
    juce_build_context,
)
from vaist_lab.toolchain import compiler_identity

ARCHIVE_FOLDER = "juce-archive"
MARKER = "archive.json"
LIBRARY_NAMES = ("libvaist_juce_modules.a", "vaist_juce_modules.lib")
CONFIG_NAME = "VaistJuceArchive.cmake"
# Compiler flags from the environment that CMake folds into CMAKE_CXX_FLAGS on a first configure.
_FLAG_VARIABLES = ("CXXFLAGS", "CFLAGS", "CPPFLAGS")

State = Literal["complete", "missing", "mismatch"]


class ArchiveMismatch(BuildError):
    """An archive folder holds an archive of another key: linking it would break the ODR."""


def render_archive_project() -> str:
    """The archive's CMakeLists.txt."""
    return environment().get_template("archive/CMakeLists.txt.j2").render(**juce_build_context())


@dataclass(frozen=True)
class ArchiveKey:
    """Everything an archive must share with the plugins that link it (see the module docstring)."""

    format: int
    juce_version: str
    juce_dir: str
    cxx: str
    cxx_identity: str
    cc: str
    generator: str
    configuration: str
    flags: str  # CXXFLAGS, CFLAGS, CPPFLAGS of the environment
    modules: tuple[str, ...]
    config_flags: tuple[str, ...]
    plugin_formats: tuple[str, ...]
    recipe: str  # digest of the archive's CMakeLists.txt

    @property
    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    def describe(self) -> str:
        return f"JUCE {self.juce_version}, {self.cxx_identity}, {self.configuration}, {self.generator}" + (
            f", flags {self.flags!r}" if self.flags else ""
        )


def archive_key(
    juce_dir: str, cxx: str, cc: str, generator: str, configuration: str, env: Mapping[str, str]
) -> ArchiveKey:
    flags = " ".join(f"{name}={env[name]}" for name in _FLAG_VARIABLES if env.get(name))
    return ArchiveKey(
        format=JUCE_ARCHIVE_FORMAT,
        juce_version=JUCE_VERSION,
        juce_dir=juce_dir,
        cxx=cxx,
        cxx_identity=compiler_identity(cxx),
        cc=cc,
        generator=generator,
        configuration=configuration,
        flags=flags,
        modules=tuple(JUCE_MODULES),
        config_flags=tuple(JUCE_CONFIG_FLAGS),
        plugin_formats=tuple(f"{name}={enabled}" for name, enabled in JUCE_PLUGIN_FORMATS),
        recipe=hashlib.sha256(render_archive_project().encode()).hexdigest()[:16],
    )


class JuceArchive:
    """The archive of one key under `root` (<cache>/juce-archive):

    <digest>/source/CMakeLists.txt   the archive project
    <digest>/cmake/                  CMake's folder: libvaist_juce_modules.a, VaistJuceArchive.cmake
    <digest>/archive.json            the key and when it was built; written last, once complete
    <digest>.lock                    shared by users, exclusive for whoever builds or deletes it
    """

    def __init__(self, root: Path, key: ArchiveKey) -> None:
        self.root = Path(root)
        self.key = key
        self.folder = self.root / key.digest
        self.source = self.folder / "source"
        self.binary = self.folder / "cmake"
        self.marker = self.folder / MARKER
        self.lock_path = self.root / f"{key.digest}.lock"

    @property
    def cmake_dir(self) -> Path:
        """What a plugin's VAIST_JUCE_ARCHIVE names: the folder of VaistJuceArchive.cmake."""
        return self.binary

    def library(self) -> Path | None:
        return next((self.binary / name for name in LIBRARY_NAMES if (self.binary / name).is_file()), None)

    def state(self) -> State:
        try:
            record = json.loads(self.marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "missing"
        if record.get("key") != self.key.to_dict():
            return "mismatch"
        if self.library() is None or not (self.binary / CONFIG_NAME).is_file():
            return "missing"
        return "complete"

    def check(self) -> None:
        """Raise ArchiveMismatch when the folder holds an archive of another key."""
        if self.state() == "mismatch":
            raise ArchiveMismatch(
                f"the JUCE archive in {self.folder} was built for another toolchain than {self.key.describe()}; "
                "it is not linked (vaist-lab cache clear removes it)"
            )

    def lock(self) -> FileLock:
        return FileLock(self.lock_path)

    def write_project(self) -> None:
        self.source.mkdir(parents=True, exist_ok=True)
        text = render_archive_project()
        target = self.source / "CMakeLists.txt"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")

    def reset(self) -> None:
        """Forget a damaged or foreign archive (call with the lock held exclusively)."""
        with contextlib.suppress(FileNotFoundError):
            self.marker.unlink()
        shutil.rmtree(self.binary, ignore_errors=True)

    def mark_complete(self, seconds: float) -> None:
        record = {
            "key": self.key.to_dict(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 1),
            "library": str(self.library()),
        }
        scratch = self.folder / f".{MARKER}.{uuid.uuid4().hex[:8]}.tmp"
        scratch.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(scratch, self.marker)


__all__ = [
    "ARCHIVE_FOLDER",
    "ArchiveKey",
    "ArchiveMismatch",
    "JuceArchive",
    "archive_key",
    "compiler_identity",
    "render_archive_project",
]
