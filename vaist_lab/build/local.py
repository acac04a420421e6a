"""The local builder: CMake, Ninja (or Make) and the system compiler, against an installed JUCE 7.0.5.

Each project gets a build folder (under the cache, or one the caller names) that is kept between builds,
so a rebuild compiles only what changed:

    <build dir>/source/      the project's files, synced (a file is rewritten only when its bytes change)
    <build dir>/cmake/       CMake's binary folder
    <build dir>/toolchain.json   the tools the folder was configured with; other tools, a fresh folder
    <build dir>/last-build.log   the raw output of the latest build

With an installed JUCE, JUCE's modules are not compiled per plugin: the first build on a toolchain
compiles them once into the shared module archive (vaist_lab.build.archive, under the cache) and every
plugin links that; without an installed JUCE (JUCE downloaded while building, as on a CI runner) or with
`use_archive=False` / VAIST_JUCE_ARCHIVE=0, the project builds on its own as generated.

Tools and JUCE are checked before anything runs, each with an error that says what to install. Output is
streamed as events while the build runs; a cancel event (or closing the generator) terminates the whole
process group. The .vst3 bundle is copied into the output folder under a temporary name and renamed into
place, and only then is success reported.

On macOS a build may add the AU format (`formats=("VST3", "AU")`: the .component lands beside the .vst3) and
build universal binaries (`architectures=("arm64", "x86_64")`); both compile JUCE's modules in the build,
not from the archive, which holds the VST3-only build of one architecture. On Windows the compiler is MSVC's
cl (or clang-cl) from a Visual Studio developer environment (vcvars), with Ninja.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from vaist_lab.build.archive import ARCHIVE_FOLDER, JuceArchive, archive_key
from vaist_lab.build.base import Builder, BuildError
from vaist_lab.build.diagnostics import OutputParser, Phase, first_errors
from vaist_lab.build.events import BuildEvent, BuildFinished, Level, LogEvent, Source
from vaist_lab.build.locks import FileLock
from vaist_lab.codegen.project import JUCE_VERSION, GeneratedProject, replace_directory
from vaist_lab.config import cache_dir

MIN_CMAKE = (3, 22)
JUCE_INSTALL_HINT = "apt-get install juce-modules-source"
PLUGIN_FORMATS = ("VST3", "AU")  # what a build can produce; VST3 always (the verifier loads it), AU on macOS
UNIVERSAL_ARCHITECTURES = ("arm64", "x86_64")  # a universal macOS binary
_WINDOWS = sys.platform == "win32"
_MACOS = sys.platform == "darwin"
# The compilers looked for when CXX/CC are not set: MSVC's on Windows (the GNU names there would find a MinGW
# that JUCE's Windows code does not build with), the system's elsewhere.
_CXX_CANDIDATES = ("cl", "clang-cl") if _WINDOWS else ("c++", "g++", "clang++")
_CC_CANDIDATES = ("cl", "clang-cl") if _WINDOWS else ("cc", "gcc", "clang")
_CXX_HINT = "run from a Visual Studio developer prompt (vcvars)" if _WINDOWS else "apt-get install g++"
_CC_HINT = "run from a Visual Studio developer prompt (vcvars)" if _WINDOWS else "apt-get install gcc"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_STOP_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Toolchain:
    """The tools a build uses; stored beside a build folder to notice when they change."""

    cmake: str
    generator: str  # "Ninja" or "Unix Makefiles"
    make_program: str
    cxx: str
    cc: str
    juce_dir: str | None  # a JUCE CMake package folder, or None: fetch (or use juce_source)
    juce_source: str | None = None  # a JUCE source tree used instead of downloading

    def describe(self) -> str:
        juce = self.juce_dir or self.juce_source or f"download of JUCE {JUCE_VERSION}"
        return f"{Path(self.make_program).name}, {Path(self.cxx).name}, JUCE from {juce}"


def _which(name: str, env: Mapping[str, str]) -> str | None:
    return shutil.which(name, path=env.get("PATH", os.defpath))


def _compiler(variable: str, candidates: tuple[str, ...], kind: str, hint: str, env: Mapping[str, str]) -> str:
    explicit = env.get(variable)
    if explicit:
        found = _which(explicit, env) if not os.path.isabs(explicit) else explicit
        if not found or not os.access(found, os.X_OK) or not os.path.isfile(found):
            raise BuildError(
                f"{kind} compiler not found: {variable}={explicit} is not an executable "
                f"(unset {variable} to use the system compiler, or {hint})"
            )
        return found
    for candidate in candidates:
        found = _which(candidate, env)
        if found:
            return found
    raise BuildError(f"no {kind} compiler found on PATH: {hint} (or set {variable})")


def _cmake_path(path: str | Path) -> str:
    """A path as CMake reads it on every system: forward slashes (a Windows backslash would be an escape)."""
    return Path(path).as_posix()


def _cmake_version(cmake: str) -> tuple[int, ...]:
    try:
        output = subprocess.run([cmake, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError as error:
        raise BuildError(f"CMake at {cmake} does not run: {error}") from None
    match = re.search(r"cmake version (\d+)\.(\d+)", output)
    if not match:
        raise BuildError(f"CMake at {cmake} did not report its version")
    return int(match[1]), int(match[2])


def _juce_package_version(folder: Path) -> str | None:
    """The version of the JUCE CMake package in `folder`, or None if it is not one."""
    config = folder / "JUCEConfig.cmake"
    version_file = folder / "JUCEConfigVersion.cmake"
    if not config.is_file():
        return None
    with contextlib.suppress(OSError):
        match = re.search(r'set\(PACKAGE_VERSION "([^"]+)"\)', version_file.read_text(errors="replace"))
        if match:
            return match[1]
    match = re.search(r"JUCE-(\d+\.\d+\.\d+)$", folder.name)
    return match[1] if match else "unknown"


def _juce_source_version(folder: Path) -> str | None:
    """The version of a JUCE source tree (a checkout with CMakeLists.txt and modules/), or None."""
    header = folder / "modules" / "juce_core" / "juce_core.h"
    if not (folder / "CMakeLists.txt").is_file() or not header.is_file():
        return None
    match = re.search(r"version:\s+(\d+\.\d+\.\d+)", header.read_text(errors="replace"))
    return match[1] if match else "unknown"


def _package_candidates(prefix: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in (
        "lib/cmake/JUCE-*",
        "lib/*/cmake/JUCE-*",
        "lib64/cmake/JUCE-*",
        "share/cmake/JUCE-*",
        "cmake/JUCE-*",
        "JUCE-*",
    ):
        found += sorted(prefix.glob(pattern))
    return found


def find_juce(env: Mapping[str, str]) -> tuple[str | None, str | None, list[str]]:
    """(package folder, source tree, other versions seen) of JUCE {JUCE_VERSION}. VAIST_JUCE_DIR, when set,
    is the only place looked at: a JUCE CMake package folder, an install prefix, or a source tree."""
    others: list[str] = []
    explicit = env.get("VAIST_JUCE_DIR")
    if explicit:
        root = Path(explicit)
        for folder in [root, *_package_candidates(root)]:
            version = _juce_package_version(folder)
            if version == JUCE_VERSION:
                return str(folder), None, others
            if version:
                others.append(f"JUCE {version} at {folder}")
        version = _juce_source_version(root)
        if version == JUCE_VERSION:
            return None, str(root), others
        if version:
            others.append(f"JUCE {version} source at {root}")
        return None, None, others
    prefixes = [Path(part) for part in env.get("CMAKE_PREFIX_PATH", "").split(os.pathsep) if part]
    prefixes += [Path("/usr/local"), Path("/usr"), Path("/opt/homebrew"), Path("/opt/local")]
    for prefix in prefixes:
        for folder in [prefix, *_package_candidates(prefix)]:
            version = _juce_package_version(folder)
            if version == JUCE_VERSION:
                return str(folder), None, others
            if version and f"JUCE {version} at {folder}" not in others:
                others.append(f"JUCE {version} at {folder}")
    return None, None, others


def _check_juceaide(package: Path) -> None:
    """Debian's JUCE package names a prebuilt juceaide; without it CMake fails obscurely."""
    with contextlib.suppress(OSError):
        match = re.search(r'IMPORTED_LOCATION "([^"]*juceaide[^"]*)"', (package / "JUCEConfig.cmake").read_text())
        if match and not Path(match[1]).is_file():
            raise BuildError(f"JUCE {JUCE_VERSION} is incomplete: {match[1]} is missing ({JUCE_INSTALL_HINT})")


class LocalBuilder(Builder):
    """Builds on this machine. `build_dir` names the one build folder to use; otherwise each project gets
    `<cache>/builds/<pluginName>-<pluginCode>`. `env` (default: os.environ) is where tools are looked up
    (PATH, CXX, CC, CMAKE_PREFIX_PATH, VAIST_JUCE_DIR, VAIST_JUCE_FETCH, VAIST_JUCE_ARCHIVE) and what the
    build runs with. `use_archive` (default: on unless VAIST_JUCE_ARCHIVE=0) links JUCE's modules from the
    shared archive under `cache` when JUCE is installed; `archive_root` puts the archives elsewhere.
    `formats` adds AU to VST3 (macOS), `architectures` builds for several (macOS universal: arm64, x86_64);
    `echo` receives every line the tools print, as printed (the CLI's --raw, so a CI log holds the compiler's
    own words)."""

    name = "local"

    def __init__(
        self,
        build_dir: Path | None = None,
        cache: Path | None = None,
        jobs: int | None = None,
        allow_fetch: bool | None = None,
        env: Mapping[str, str] | None = None,
        configuration: str = "Release",
        use_archive: bool | None = None,
        archive_root: Path | None = None,
        formats: Sequence[str] = ("VST3",),
        architectures: Sequence[str] = (),
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.build_dir = Path(build_dir).absolute() if build_dir else None
        self.cache = Path(cache) if cache else None
        # One more job than cores: a plugin's longest unit (JUCE's VST3 wrapper) comes last in Ninja's
        # order, and with a job per core it would wait for the plugin's own sources to finish first.
        self.jobs = jobs or (os.cpu_count() or 1) + 1
        self.env = dict(os.environ if env is None else env)
        self.allow_fetch = (
            allow_fetch if allow_fetch is not None else self.env.get("VAIST_JUCE_FETCH", "").lower() in _TRUE
        )
        self.configuration = configuration
        self.use_archive = (
            use_archive if use_archive is not None else self.env.get("VAIST_JUCE_ARCHIVE", "").lower() not in _FALSE
        )
        self.archive_root = Path(archive_root) if archive_root else None
        self.formats = tuple(dict.fromkeys(name.upper() for name in formats))
        self.architectures = tuple(dict.fromkeys(architectures))
        self.echo = echo

    def _check_targets(self) -> None:
        """BuildError when the formats or architectures asked for cannot be built here."""
        unknown = [name for name in self.formats if name not in PLUGIN_FORMATS]
        if unknown:
            raise BuildError(f"unknown plugin format {unknown[0]}: {', '.join(PLUGIN_FORMATS)} can be built")
        if "VST3" not in self.formats:
            raise BuildError("the formats must include VST3: every plugin is built and verified as a VST3")
        if "AU" in self.formats and not _MACOS:
            raise BuildError("AU plugins build on macOS only")
        if self.architectures and not _MACOS:
            raise BuildError("several architectures (a universal binary) build on macOS only")
        if any(not re.fullmatch(r"[A-Za-z0-9_]+", name) for name in self.architectures):
            raise BuildError(f"not an architecture name: {', '.join(self.architectures)}")

    # -- tools ------------------------------------------------------------------------------------------

    def toolchain(self) -> Toolchain:
        """The tools a build would use; BuildError naming the first missing one (or a format or
        architecture that cannot be built here)."""
        self._check_targets()
        cmake = _which("cmake", self.env)
        if not cmake:
            raise BuildError("CMake not found on PATH: apt-get install cmake (3.22 or newer)")
        version = _cmake_version(cmake)
        if version < MIN_CMAKE:
            raise BuildError(f"CMake {'.'.join(map(str, version))} is too old: 3.22 or newer is needed")
        ninja = _which("ninja", self.env)
        make = _which("make", self.env) or _which("gmake", self.env)
        if not ninja and (not make or _WINDOWS):  # MSVC builds with Ninja only
            raise BuildError(
                "Ninja not found on PATH: pip install ninja"
                if _WINDOWS
                else "neither Ninja nor Make found on PATH: apt-get install ninja-build"
            )
        cxx = _compiler("CXX", _CXX_CANDIDATES, "C++", _CXX_HINT, self.env)
        cc = _compiler("CC", _CC_CANDIDATES, "C", _CC_HINT, self.env)
        juce_dir, juce_source, others = find_juce(self.env)
        if juce_dir is None and juce_source is None and not self.allow_fetch:
            where = f" at VAIST_JUCE_DIR={self.env['VAIST_JUCE_DIR']}" if self.env.get("VAIST_JUCE_DIR") else ""
            seen = f" (found {', '.join(others)}; plugins pin {JUCE_VERSION})" if others else ""
            raise BuildError(
                f"JUCE {JUCE_VERSION} not found{where}: {JUCE_INSTALL_HINT} (or set VAIST_JUCE_DIR to a JUCE "
                f"{JUCE_VERSION} install or source tree, or VAIST_JUCE_FETCH=1 to download it while building){seen}"
            )
        if juce_dir is not None:
            _check_juceaide(Path(juce_dir))
        return Toolchain(
            cmake=cmake,
            generator="Ninja" if ninja else "Unix Makefiles",
            make_program=ninja or make or "",
            cxx=cxx,
            cc=cc,
            juce_dir=juce_dir,
            juce_source=juce_source,
        )

    def check(self) -> list[str]:
        try:
            self.toolchain()
        except BuildError as error:
            return [str(error)]
        return []

    def build_folder(self, project: GeneratedProject) -> Path:
        if self.build_dir is not None:
            return self.build_dir
        return (self.cache or cache_dir()) / "builds" / f"{project.plugin_name}-{project.plugin_code}"

    def snapshot_editor(self, project: GeneratedProject, destination: Path) -> Path:
        """Draw the plugin's editor into the PNG `destination`, with no host and no display: builds the
        project's EditorSnapshot program in its build folder (after a successful `build` that linked the JUCE
        module archive) and runs it. BuildError says what is missing or what failed."""
        folder = self.build_folder(project)
        binary = folder / "cmake"
        program = f"{project.cmake_target}_EditorSnapshot"
        if not (binary / "CMakeCache.txt").is_file():
            raise BuildError(f"{project.plugin_name} has not been built in {folder}: build it first")
        tools = self.toolchain()
        lock = FileLock(folder / ".lock")
        if not lock.try_acquire(exclusive=True):
            raise BuildError(f"another build is using {folder}: try again when it ends")
        try:
            built = subprocess.run(
                [tools.make_program, "-C", str(binary), program], capture_output=True, text=True, timeout=900
            )
            output = (built.stdout + built.stderr).strip()
            if built.returncode != 0:
                if re.search(r"unknown target|No rule to make target", output):
                    raise BuildError(
                        f"{project.plugin_name} was built without the JUCE module archive (no installed JUCE, or "
                        "VAIST_JUCE_ARCHIVE=0): the editor snapshot needs it"
                    )
                raise BuildError(f"the editor snapshot program did not build:\n{_tail(output)}")
            destination = Path(destination).absolute()
            destination.parent.mkdir(parents=True, exist_ok=True)
            drawn = subprocess.run(
                [str(binary / program), str(destination)], capture_output=True, text=True, timeout=120, cwd=folder
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BuildError(f"cannot draw the editor of {project.plugin_name}: {error}") from error
        finally:
            lock.release()
        if drawn.returncode != 0 or not destination.is_file():
            problem = _tail(drawn.stderr or drawn.stdout) or f"exit status {drawn.returncode}"
            raise BuildError(f"drawing the editor of {project.plugin_name} failed: {problem}")
        return destination

    def archive(self, tools: Toolchain | None = None) -> JuceArchive | None:
        """The shared JUCE module archive builds with these tools use (built or not), or None when they
        compile JUCE's modules themselves (no installed JUCE, or the archive is switched off)."""
        tools = tools or self.toolchain()
        if not self.use_archive or tools.juce_dir is None:
            return None
        if self.formats != ("VST3",) or self.architectures:
            return None  # the archive is the VST3-only build of JUCE's modules, for one architecture
        root = self.archive_root or (self.cache or cache_dir()) / ARCHIVE_FOLDER
        key = archive_key(tools.juce_dir, tools.cxx, tools.cc, tools.generator, self.configuration, self.env)
        return JuceArchive(root, key)

    # -- the build --------------------------------------------------------------------------------------

    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        cancel = cancel or threading.Event()
        started = time.monotonic()
        seen: list[BuildEvent] = []

        def finished(success: bool, message: str, artifact: Path | None = None, cancelled: bool = False):
            errors = first_errors(seen)
            if not success and not errors and not cancelled:
                errors = (LogEvent(Level.ERROR, Source.SYSTEM, message),)
            return BuildFinished(success, artifact, time.monotonic() - started, errors, message, cancelled)

        try:
            tools = self.toolchain()
        except BuildError as error:
            yield finished(False, str(error))
            return
        folder = self.build_folder(project)
        yield LogEvent(Level.INFO, Source.SYSTEM, f"building {project.bundle_name} in {folder} ({tools.describe()})")
        if tools.juce_dir is None and tools.juce_source is None:
            yield LogEvent(Level.WARNING, Source.SYSTEM, f"JUCE {JUCE_VERSION} is not installed; downloading it")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = yield from self._lock(folder, cancel)
        except OSError as error:
            yield finished(False, _os_error_message(error, f"cannot create the build folder {folder}"))
            return
        if lock is None:
            yield finished(False, "cancelled", cancelled=True)
            return
        log = _open_log(folder / "last-build.log")
        archive_lock: FileLock | None = None
        try:
            archive = self.archive(tools)
            if archive is not None:
                archive_lock = yield from self._acquire_archive(archive, tools, cancel)
                if cancel.is_set():
                    yield finished(False, "cancelled", cancelled=True)
                    return
                if archive_lock is None:
                    archive = None
            try:
                changed = _sync_tree(project.path, folder / "source")
                fresh = self._prepare_binary_folder(folder, tools, archive)
            except OSError as error:
                yield finished(False, _os_error_message(error, "cannot copy the project into the build folder"))
                return
            yield LogEvent(Level.DEBUG, Source.SYSTEM, f"{changed} project file(s) changed since the last build")
            binary = folder / "cmake"
            steps: list[tuple[Phase, list[str]]] = []
            if fresh or not any((binary / name).is_file() for name in ("build.ninja", "Makefile")):
                steps.append(("configure", self._configure_command(folder, tools, archive)))
            steps.append(("build", self._build_command(folder, tools)))
            for phase, command in steps:
                returncode = yield from self._run(command, phase, folder, cancel, seen, log)
                if cancel.is_set():
                    yield finished(False, "cancelled", cancelled=True)
                    return
                if returncode != 0:
                    yield finished(False, _failure_message(phase, returncode, seen))
                    return
            bundles = []
            for plugin_format in self.formats:
                name = _bundle_name(project, plugin_format)
                bundle = self._find_bundle(binary, project, plugin_format)
                if bundle is None:
                    yield finished(False, f"the build succeeded but produced no {name}")
                    return
                problem = _bundle_problem(bundle)
                if problem:
                    yield finished(False, f"incomplete bundle {bundle}: {problem}")
                    return
                bundles.append(bundle)
            if cancel.is_set():
                yield finished(False, "cancelled", cancelled=True)
                return
            installed = []
            for bundle in bundles:
                try:
                    installed.append(install_bundle(bundle, Path(output_dir)))
                except OSError as error:
                    yield finished(False, _os_error_message(error, f"cannot copy {bundle.name} to {output_dir}"))
                    return
            yield finished(True, f"built {', '.join(path.name for path in installed)}", artifact=installed[0])
        finally:
            if archive_lock is not None:
                archive_lock.release()
            if log is not None:
                log.close()
            lock.release()

    def _acquire_archive(self, archive: JuceArchive, tools: Toolchain, cancel: threading.Event) -> Iterator[BuildEvent]:
        """The archive, held shared for the rest of the build: built first if needed (exclusively, once,
        while other builds that need it wait). None when cancelled, or when it cannot be built (the build
        then compiles JUCE's modules itself, after a warning)."""
        lock = archive.lock()
        announced = False
        exclusive = False  # shared first: most builds only link a complete archive
        while True:
            if lock.try_acquire(exclusive=exclusive):
                state = archive.state()
                if state == "complete" and not exclusive:
                    yield LogEvent(
                        Level.INFO, Source.SYSTEM, f"linking JUCE's modules from the archive in {archive.folder}"
                    )
                    return lock
                if state == "complete" or not exclusive:
                    lock.release()
                    exclusive = not exclusive  # build it exclusively, or link it (shared) now that it is there
                    continue
                try:
                    if state == "mismatch":
                        yield LogEvent(
                            Level.WARNING,
                            Source.SYSTEM,
                            f"{archive.folder} holds an archive of another key: rebuilding it",
                        )
                        archive.reset()
                    if not (yield from self._build_archive(archive, tools, cancel)):
                        return None
                finally:
                    lock.release()
                exclusive = False  # taken again shared: another process may have cleared the cache in between
                continue
            if exclusive and archive.state() == "complete":
                exclusive = False  # another build finished it while this one waited for it: share it
                continue
            if not announced:
                announced = True
                yield LogEvent(Level.INFO, Source.SYSTEM, "waiting for another build to finish the JUCE module archive")
            if cancel.wait(0.5):
                return None

    def _build_archive(self, archive: JuceArchive, tools: Toolchain, cancel: threading.Event) -> Iterator[BuildEvent]:
        """Configure and build the archive (its own log and errors); True when it is complete."""
        started = time.monotonic()
        yield LogEvent(
            Level.INFO,
            Source.SYSTEM,
            f"compiling JUCE's modules once for this toolchain into {archive.folder} ({archive.key.describe()})",
        )
        seen: list[BuildEvent] = []
        try:
            archive.write_project()
        except OSError as error:
            yield LogEvent(
                Level.WARNING, Source.SYSTEM, _os_error_message(error, "cannot write the JUCE archive project")
            )
            return False
        log = _open_log(archive.folder / "last-build.log")
        try:
            steps: list[tuple[Phase, list[str]]] = []
            if not (archive.binary / "CMakeCache.txt").is_file() or not any(
                (archive.binary / name).is_file() for name in ("build.ninja", "Makefile")
            ):
                steps.append(
                    (
                        "configure",
                        [
                            *self._cmake_command(archive.source, archive.binary, tools),
                            f"-DJUCE_DIR={_cmake_path(tools.juce_dir or '')}",
                        ],
                    )
                )
            steps.append(("build", [tools.make_program, "-C", str(archive.binary), "-j", str(self.jobs)]))
            for phase, command in steps:
                returncode = yield from self._run(command, phase, archive.folder, cancel, seen, log)
                if cancel.is_set():
                    return False
                if returncode != 0:
                    message = _failure_message(phase, returncode, seen)
                    yield LogEvent(
                        Level.WARNING,
                        Source.SYSTEM,
                        f"the JUCE module archive could not be built ({message}); compiling the modules in this build",
                    )
                    return False
            if archive.library() is None:
                yield LogEvent(
                    Level.WARNING,
                    Source.SYSTEM,
                    "the JUCE archive build produced no library; compiling the modules in this build",
                )
                return False
            archive.mark_complete(time.monotonic() - started)
        finally:
            if log is not None:
                log.close()
        yield LogEvent(Level.INFO, Source.SYSTEM, f"JUCE module archive built in {time.monotonic() - started:.0f} s")
        return True

    def _lock(self, folder: Path, cancel: threading.Event) -> Iterator[BuildEvent]:
        """Hold the build folder for this build (another build of the same folder, or `vaist-lab cache
        clear`, waits); None when cancelled while waiting."""
        lock = FileLock(folder / ".lock")
        waiting = False
        while not lock.try_acquire(exclusive=True):
            if not waiting:
                waiting = True
                yield LogEvent(Level.INFO, Source.SYSTEM, f"waiting for another build in {folder}")
            if cancel.wait(0.5):
                return None
        return lock

    def _prepare_binary_folder(self, folder: Path, tools: Toolchain, archive: JuceArchive | None = None) -> bool:
        """Empty CMake's folder when the tools changed (CMake cannot switch generator or compiler in
        place) or the build switches between compiling JUCE's modules and linking an archive; True when
        it is fresh."""
        stamp = folder / "toolchain.json"
        recorded = {
            **asdict(tools),
            "configuration": self.configuration,
            "juce_archive": str(archive.cmake_dir) if archive is not None else None,
        }
        if self.formats != ("VST3",) or self.architectures:  # CMake cache values: another set, a fresh folder
            recorded |= {"formats": list(self.formats), "architectures": list(self.architectures)}
        wanted = json.dumps(recorded, indent=2, sort_keys=True)
        binary = folder / "cmake"
        if stamp.is_file() and stamp.read_text() == wanted and (binary / "CMakeCache.txt").is_file():
            return False
        shutil.rmtree(binary, ignore_errors=True)
        binary.mkdir(parents=True, exist_ok=True)
        stamp.write_text(wanted)
        return True

    def _cmake_command(self, source: Path, binary: Path, tools: Toolchain) -> list[str]:
        command = [
            tools.cmake,
            "-S",
            str(source),
            "-B",
            str(binary),
            "-G",
            tools.generator,
            f"-DCMAKE_BUILD_TYPE={self.configuration}",
            f"-DCMAKE_MAKE_PROGRAM={_cmake_path(tools.make_program)}",
            f"-DCMAKE_CXX_COMPILER={_cmake_path(tools.cxx)}",
            f"-DCMAKE_C_COMPILER={_cmake_path(tools.cc)}",
        ]
        if self.architectures:
            command.append(f"-DCMAKE_OSX_ARCHITECTURES={';'.join(self.architectures)}")
        return command

    def _configure_command(self, folder: Path, tools: Toolchain, archive: JuceArchive | None = None) -> list[str]:
        command = self._cmake_command(folder / "source", folder / "cmake", tools)
        command.append(f"-DVAIST_JUCE_ARCHIVE={_cmake_path(archive.cmake_dir) if archive is not None else ''}")
        if self.formats != ("VST3",):
            command.append(f"-DVAIST_PLUGIN_FORMATS={';'.join(self.formats)}")
        if tools.juce_dir:
            command += [f"-DJUCE_DIR={_cmake_path(tools.juce_dir)}", "-DVAIST_FETCH_JUCE=OFF"]
        elif tools.juce_source:
            command += [
                "-DCMAKE_DISABLE_FIND_PACKAGE_JUCE=ON",
                "-DVAIST_FETCH_JUCE=ON",
                f"-DFETCHCONTENT_SOURCE_DIR_JUCE={_cmake_path(tools.juce_source)}",
            ]
        else:
            command += ["-DCMAKE_DISABLE_FIND_PACKAGE_JUCE=ON", "-DVAIST_FETCH_JUCE=ON"]
        return command

    def _build_command(self, folder: Path, tools: Toolchain) -> list[str]:
        # The build tool itself, not `cmake --build`: its own exit status tells a killed build apart.
        return [tools.make_program, "-C", str(folder / "cmake"), "-j", str(self.jobs)]

    def _run(
        self,
        command: list[str],
        phase: Phase,
        folder: Path,
        cancel: threading.Event,
        seen: list[BuildEvent],
        log: IO[str] | None,
    ) -> Iterator[BuildEvent]:
        """Run one command, yielding its output as events while it runs; its return code."""
        env = dict(self.env)
        env.setdefault("NINJA_STATUS", "[%f/%t] ")
        if _WINDOWS:
            env["VSLANG"] = "1033"  # MSVC's messages in English, whatever the system's language: the parser reads them
        env["CLICOLOR"] = "0"
        env.pop("CLICOLOR_FORCE", None)
        event = LogEvent(Level.DEBUG, Source.CMAKE if phase == "configure" else Source.SYSTEM, " ".join(command))
        seen.append(event)
        yield event
        _write_log(log, f"$ {' '.join(command)}\n")
        if self.echo is not None:
            self.echo(f"$ {' '.join(command)}")  # ActionsLogParser starts a phase at these
        try:
            process = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                start_new_session=(os.name == "posix"),
            )
        except OSError as error:
            event = LogEvent(Level.ERROR, Source.SYSTEM, _os_error_message(error, f"cannot run {command[0]}"))
            seen.append(event)
            yield event
            return 127
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
        reader.start()
        parser = OutputParser(phase)
        try:
            while True:
                if cancel.is_set():
                    _stop(process)
                    break
                try:
                    line = lines.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                if line is None:
                    break
                _write_log(log, line if line.endswith("\n") else line + "\n")
                if self.echo is not None:
                    self.echo(line.rstrip("\r\n"))
                for event in parser.feed(line):
                    seen.append(event)
                    yield event
            for event in parser.flush():
                seen.append(event)
                yield event
            return process.wait()
        finally:
            if process.poll() is None:  # cancelled, or the consumer closed the generator
                _stop(process)
            reader.join(timeout=2)

    def _find_bundle(self, binary: Path, project: GeneratedProject, plugin_format: str = "VST3") -> Path | None:
        name = _bundle_name(project, plugin_format)
        expected = binary / f"{project.cmake_target}_artefacts" / self.configuration / plugin_format / name
        if expected.is_dir():
            return expected
        matches = sorted(binary.glob(f"{project.cmake_target}_artefacts/**/{plugin_format}/{name}"))
        return matches[0] if matches else None


def _bundle_name(project: GeneratedProject, plugin_format: str) -> str:
    """The bundle a format's build produces: `<pluginName>.vst3`, `<pluginName>.component` (AU)."""
    return project.bundle_name if plugin_format == "VST3" else f"{project.plugin_name}.component"


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    try:
        if stream is not None:
            for line in stream:
                lines.put(line)
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _stop(process: subprocess.Popen[str]) -> None:
    """Terminate the build's whole process group (CMake, Ninja, the compilers), then kill what is left."""
    if process.poll() is not None:
        return
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGTERM)
        else:  # pragma: no cover
            process.terminate()
        process.wait(timeout=_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover
                process.kill()
        process.wait()
    except ProcessLookupError:
        process.wait()
    if os.name == "posix":  # anything of the group still alive (a compiler that ignored SIGTERM)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def _failure_message(phase: Phase, returncode: int, seen: list[BuildEvent]) -> str:
    if any(isinstance(event, LogEvent) and event.message.startswith("disk full") for event in seen):
        return "the disk is full: free some space and build again"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the build was killed ({name}) before it finished: out of memory, or stopped by another process?"
    errors = first_errors(seen, 1)
    what = "CMake could not configure the project" if phase == "configure" else "the build failed"
    return f"{what}: {errors[0]}" if errors else f"{what} (exit code {returncode})"


def _os_error_message(error: OSError, what: str) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: {what} ({error.strerror})"
    return f"{what}: {error.strerror or error}"


def _open_log(path: Path) -> IO[str] | None:
    try:
        return open(path, "w", encoding="utf-8")  # closed by build()
    except OSError:
        return None


def _write_log(log: IO[str] | None, text: str) -> None:
    if log is not None:
        with contextlib.suppress(OSError):
            log.write(text)


def _sync_tree(source: Path, target: Path) -> int:
    """Make `target` hold exactly the files of `source`, rewriting only files whose bytes differ (so
    unchanged sources keep their timestamps and are not recompiled); the number of files written."""
    changed = 0
    wanted = {path.relative_to(source) for path in source.rglob("*") if path.is_file()}
    target.mkdir(parents=True, exist_ok=True)
    for relative in sorted(wanted):
        data = (source / relative).read_bytes()
        destination = target / relative
        if destination.is_file() and destination.read_bytes() == data:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        scratch = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.tmp")
        scratch.write_bytes(data)
        os.replace(scratch, destination)
        changed += 1
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if path.is_file() and relative not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return changed


def _bundle_problem(bundle: Path) -> str | None:
    """What is missing from a built bundle (None when complete): its binary must exist and not be empty.
    Layouts: Contents/<arch>-linux/<name>.so, Contents/MacOS/<name> (a .vst3 or .component on macOS),
    Contents/<arch>-win/<name>.vst3 (the Windows VST3 bundle: a folder whose DLL has the bundle's name)."""
    contents = bundle / "Contents"
    if sys.platform.startswith("linux"):
        binaries = list(contents.glob("*-linux/*.so"))
    elif _MACOS:  # pragma: no cover
        binaries = list((contents / "MacOS").glob("*"))
    else:  # pragma: no cover
        binaries = list(contents.glob("*-win/*.vst3"))
    if not binaries:
        return "no plugin binary inside"
    if any(binary.stat().st_size == 0 for binary in binaries):
        return "empty plugin binary"
    return None


def install_bundle(bundle: Path, output_dir: Path) -> Path:
    """Copy the .vst3 bundle into `output_dir` under a temporary name, then rename it into place (an
    existing bundle of the same name is replaced); the final path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir.absolute() / bundle.name
    partial = output_dir.absolute() / f".{bundle.name}.{uuid.uuid4().hex[:8]}.partial"
    failures: list[OSError] = []

    def copy_file(source: str, target: str) -> object:
        try:
            return shutil.copy2(source, target)
        except OSError as error:
            failures.append(error)  # copytree folds errors into strings; keep the errno (disk full?)
            raise

    try:
        try:
            shutil.copytree(bundle, partial, symlinks=True, copy_function=copy_file)
        except shutil.Error:
            if failures:
                raise failures[0] from None
            raise
        replace_directory(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _tail(output: str, lines: int = 20) -> str:
    """The last lines of a tool's output, where its error is."""
    return "\n".join(output.strip().splitlines()[-lines:])


__all__ = ["PLUGIN_FORMATS", "UNIVERSAL_ARCHITECTURES", "LocalBuilder", "Toolchain", "find_juce", "install_bundle"]
