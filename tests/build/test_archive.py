"""The shared JUCE module archive: keyed on everything that must match, refused on a mismatch (by the
builder and by CMake itself), built once while concurrent builds wait, linked by plugins that still load
under their own names, pass verification and rebuild incrementally."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from build_helpers import TemplateBuild, collect, needs_archive, needs_tools

from vaist_lab.build import (
    ArchiveMismatch,
    BuildError,
    JuceArchive,
    Level,
    LocalBuilder,
    LogEvent,
    ProgressEvent,
    Source,
)
from vaist_lab.build.archive import ArchiveKey, archive_key
from vaist_lab.build.local import Toolchain
from vaist_lab.codegen import generate_project
from vaist_lab.plan import load_plan, parse_plan

KEY = ArchiveKey(
    format=1,
    juce_version="7.0.5",
    juce_dir="/usr/lib/x86_64-linux-gnu/cmake/JUCE-7.0.5",
    cxx="/usr/bin/c++",
    cxx_identity="c++ (Debian 12.2.0-14) 12.2.0",
    cc="/usr/bin/cc",
    generator="Ninja",
    configuration="Release",
    flags="",
    modules=("juce_audio_processors",),
    config_flags=("JUCE_WEB_BROWSER=0",),
    plugin_formats=("VST3=1",),
    recipe="abc",
)


def test_the_key_names_everything_that_must_match() -> None:
    """JUCE, compiler, build type and flags, module set, config flags, formats and the recipe (which holds
    PIC and visibility): changing any of them is another archive."""
    changes = {
        "juce_version": "7.0.9",
        "juce_dir": "/opt/JUCE",
        "cxx": "/usr/bin/clang++",
        "cxx_identity": "clang 16",
        "configuration": "Debug",
        "flags": "CXXFLAGS=-D_GLIBCXX_ASSERTIONS",
        "modules": ("juce_audio_processors", "juce_dsp"),
        "config_flags": ("JUCE_WEB_BROWSER=1",),
        "plugin_formats": ("VST3=1", "AU=1"),
        "recipe": "def",
        "generator": "Unix Makefiles",
    }
    digests = {KEY.digest}
    for field, value in changes.items():
        digests.add(dataclasses.replace(KEY, **{field: value}).digest)
    assert len(digests) == len(changes) + 1
    assert KEY.digest == dataclasses.replace(KEY).digest  # stable


def test_the_key_follows_the_toolchain_and_the_environment() -> None:
    base = archive_key("/juce", "/usr/bin/c++", "/usr/bin/cc", "Ninja", "Release", {})
    assert base == archive_key("/juce", "/usr/bin/c++", "/usr/bin/cc", "Ninja", "Release", {"PATH": "/x"})
    assert base != archive_key("/juce", "/usr/bin/c++", "/usr/bin/cc", "Ninja", "Release", {"CXXFLAGS": "-O1"})
    assert base != archive_key("/juce", "/usr/bin/c++", "/usr/bin/cc", "Ninja", "Debug", {})
    recipe = (Path(__file__).parents[2] / "cpp_templates" / "archive" / "CMakeLists.txt.j2").read_text()
    for needed in ("POSITION_INDEPENDENT_CODE TRUE", "CXX_VISIBILITY_PRESET hidden", "JucePlugin_Enable_ARA=0"):
        assert needed in recipe


def fake_archive(root: Path, key: ArchiveKey, recorded: ArchiveKey) -> JuceArchive:
    archive = JuceArchive(root, key)
    archive.binary.mkdir(parents=True)
    (archive.binary / "libvaist_juce_modules.a").write_bytes(b"!<arch>\n")
    (archive.binary / "VaistJuceArchive.cmake").write_text("# stand-in\n")
    archive.marker.write_text(json.dumps({"key": recorded.to_dict()}))
    return archive


def test_an_archive_recorded_for_another_key_is_refused(tmp_path: Path) -> None:
    assert fake_archive(tmp_path / "a", KEY, KEY).state() == "complete"
    other = fake_archive(tmp_path / "b", KEY, dataclasses.replace(KEY, configuration="Debug"))
    assert other.state() == "mismatch"
    with pytest.raises(ArchiveMismatch, match="built for another toolchain"):
        other.check()
    incomplete = fake_archive(tmp_path / "c", KEY, KEY)
    (incomplete.binary / "libvaist_juce_modules.a").unlink()
    assert incomplete.state() == "missing"


# -- the archive protocol between builds (a stand-in for the 90 s archive build) -----------------------


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """LocalBuilder._build_archive replaced by one that takes a second and counts its runs."""
    calls = {"count": 0}

    def build_archive(self, archive: JuceArchive, tools, cancel) -> Iterator:
        calls["count"] += 1
        yield LogEvent(Level.INFO, Source.SYSTEM, "compiling the stand-in archive")
        time.sleep(1.0)
        archive.binary.mkdir(parents=True, exist_ok=True)
        (archive.binary / "libvaist_juce_modules.a").write_bytes(b"!<arch>\n")
        (archive.binary / "VaistJuceArchive.cmake").write_text("# stand-in\n")
        archive.mark_complete(1.0)
        return True

    monkeypatch.setattr(LocalBuilder, "_build_archive", build_archive)
    return calls


TOOLS = Toolchain("cmake", "Ninja", "ninja", "/usr/bin/c++", "/usr/bin/cc", "/juce")


def acquire(builder: LocalBuilder, cancel: threading.Event, results: list, messages: list) -> None:
    generator = builder._acquire_archive(builder.archive(TOOLS), TOOLS, cancel)
    try:
        while True:
            messages.append(next(generator).message)
    except StopIteration as stop:
        results.append(stop.value)


def test_concurrent_builds_build_the_archive_once(tmp_path: Path, stand_in: dict) -> None:
    builder = LocalBuilder(archive_root=tmp_path / "archives")
    cancel = threading.Event()
    results: list = []
    messages: list = []
    threads = [threading.Thread(target=acquire, args=(builder, cancel, results, messages)) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads), "a build still waits for a complete archive"
        assert stand_in["count"] == 1, "built once; the others waited for it"
        assert len(results) == 3 and all(lock is not None and lock.mode == "shared" for lock in results)
        assert "waiting for another build to finish the JUCE module archive" in messages
        assert builder.archive(TOOLS).state() == "complete"
    finally:
        cancel.set()  # a failure leaves no thread waiting behind
        for lock in results:
            if lock is not None:
                lock.release()


def test_a_build_waiting_for_the_archive_can_be_cancelled(tmp_path: Path, stand_in: dict) -> None:
    builder = LocalBuilder(archive_root=tmp_path / "archives")
    holder = builder.archive(TOOLS).lock()
    assert holder.try_acquire(exclusive=True)  # another process building it, as far as the builder can tell
    cancel = threading.Event()
    results: list = []
    thread = threading.Thread(target=acquire, args=(builder, cancel, results, []))
    thread.start()
    time.sleep(0.6)
    started = time.monotonic()
    cancel.set()
    thread.join(10)
    assert results == [None] and time.monotonic() - started < 2
    assert stand_in["count"] == 0
    holder.release()


def test_a_new_key_builds_a_new_archive(tmp_path: Path, stand_in: dict) -> None:
    first = LocalBuilder(archive_root=tmp_path / "archives")
    second = LocalBuilder(archive_root=tmp_path / "archives", configuration="Debug")
    for builder in (first, second, first):
        results: list = []
        acquire(builder, threading.Event(), results, [])
        results[0].release()
    assert stand_in["count"] == 2
    assert len([path for path in (tmp_path / "archives").iterdir() if path.is_dir()]) == 2


# -- real builds ---------------------------------------------------------------------------------------


@needs_tools
def test_plugins_link_the_archive_and_show_their_own_names(template_build: Callable[[str], TemplateBuild]) -> None:
    pedalboard = pytest.importorskip("pedalboard")
    needs_archive()
    template_build("velvet-trim")
    archive = LocalBuilder().archive()
    assert archive is not None and archive.state() == "complete"
    for name, plugin_name in (("velvet-trim", "VelvetTrim"), ("tape-echo", "TapeEcho")):
        built = template_build(name)
        recorded = json.loads((built.build_dir / "toolchain.json").read_text())
        assert recorded["juce_archive"] == str(archive.cmake_dir)
        ninja = (built.build_dir / "cmake" / "build.ninja").read_text()
        assert "juce_gui_basics.cpp.o" not in ninja and "libvaist_juce_modules.a" in ninja
        plugin = pedalboard.load_plugin(str(built.finished.artifact))
        assert plugin.name == plugin_name and plugin.manufacturer_name == "vAIst lab"


@needs_tools
def test_a_plugin_built_from_the_archive_passes_verification(template_build: Callable[[str], TemplateBuild]) -> None:
    pytest.importorskip("pedalboard")
    from vaist_lab.verify import verify_plugin

    built = template_build("velvet-trim")
    report = verify_plugin(built.project.plan, built.finished.artifact, fuzz_cases=6)
    assert report.passed, report.table()


@needs_tools
def test_the_editor_is_drawn_without_a_host_or_display(
    template_build: Callable[[str], TemplateBuild], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = pytest.importorskip("matplotlib.image")
    needs_archive()
    monkeypatch.delenv("DISPLAY", raising=False)
    pictures = {}
    for name in ("velvet-trim", "tape-echo", "glue-bus"):  # 2, 4 and 7 knobs: one row of 2, of 4, three rows of 3
        built = template_build(name)
        png = LocalBuilder(build_dir=built.build_dir).snapshot_editor(built.project, tmp_path / f"{name}.png")
        pixels = image.imread(png)[..., :3]
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100, f"{name}: knobs, names and values drawn"
        pictures[name] = pixels
    (small_height, small_width), (wide_height, wide_width) = (
        pictures[n].shape[:2] for n in ("velvet-trim", "tape-echo")
    )
    assert wide_height == small_height and wide_width > small_width
    assert pictures["glue-bus"].shape[0] > 2 * small_height
    empty_cells = pictures["glue-bus"][-100:-10, -200:-10]  # the last row's two free cells: JUCE's splash is hidden
    assert np.ptp(empty_cells.reshape(-1, 3), axis=0).max() == 0


def test_an_editor_snapshot_needs_a_build_first(tmp_path: Path) -> None:
    project = generate_project(load_plan("velvet-trim"), tmp_path / "project")
    with pytest.raises(BuildError, match=r"has not been built in .*: build it first"):
        LocalBuilder(build_dir=tmp_path / "never-built").snapshot_editor(project, tmp_path / "editor.png")


@needs_tools
def test_cmake_refuses_an_archive_of_another_key(
    template_build: Callable[[str], TemplateBuild], tmp_path: Path
) -> None:
    """Configured by hand with a build type the archive was not compiled for: CMake stops, naming both keys."""
    needs_archive()
    template_build("velvet-trim")  # the archive exists
    builder = LocalBuilder()
    tools = builder.toolchain()
    archive = builder.archive(tools)
    project = generate_project(load_plan("velvet-trim"), tmp_path / "project")
    command = builder._cmake_command(project.path, tmp_path / "b", tools)
    command = [part.replace("CMAKE_BUILD_TYPE=Release", "CMAKE_BUILD_TYPE=Debug") for part in command]
    command += [f"-DJUCE_DIR={tools.juce_dir}", "-DVAIST_FETCH_JUCE=OFF", f"-DVAIST_JUCE_ARCHIVE={archive.cmake_dir}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())  # CMake wraps long messages
    assert "was built for another toolchain" in output
    assert "build=Release" in output and "build=Debug" in output


@needs_tools
def test_a_range_edit_recompiles_only_the_processor(
    template_build: Callable[[str], TemplateBuild], tmp_path: Path
) -> None:
    """A plan edit rebuilds in the project's kept folder: a parameter's new range touches one source file."""
    built = template_build("velvet-trim")
    plan = built.project.plan.to_json_dict()
    plan["parameters"][0]["max"] = 30.0
    edited = generate_project(parse_plan(plan), tmp_path / "edited")
    started = time.monotonic()
    events, finished = collect(LocalBuilder(build_dir=built.build_dir).build(edited, tmp_path / "out"))
    assert finished.success, finished.message
    compiled = {
        event.step for event in events if isinstance(event, ProgressEvent) and event.step.startswith("compiling")
    }
    assert compiled == {"compiling PluginProcessor.cpp"}
    print(f"rebuild after a range edit: {time.monotonic() - started:.1f} s")
    # back to the template, for the other tests and the next session
    _, restored = collect(LocalBuilder(build_dir=built.build_dir).build(built.project, tmp_path / "again"))
    assert restored.success
