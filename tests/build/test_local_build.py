"""The local builder for real: the tape-echo template built once per session (in a build folder kept
between sessions, so a rerun is incremental), its bundle checked and loaded in pedalboard; missing tools,
missing JUCE, a cancelled and a killed build each end with a clear error and no artifact.

The first build of a session on a machine without the shared JUCE module archive compiles it (about
80 s on two cores, once per toolchain, kept in the user's cache); each plugin then takes about 15 s. Set
VAIST_TEST_BUILD_DIR to choose where the shared build folders live (default: <cache>/test-builds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from build_helpers import collect

from vaist_lab.build import BuildFinished, Level, LocalBuilder, LogEvent, ProgressEvent, Source, run_build
from vaist_lab.build.local import find_juce
from vaist_lab.codegen import GeneratedProject, generate_project
from vaist_lab.plan import load_plan

pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or LocalBuilder().check() != [],
    reason="the local builder's tools or JUCE are missing: " + "; ".join(LocalBuilder().check()),
)


@dataclass
class Built:
    project: GeneratedProject
    events: list
    finished: BuildFinished
    output: Path
    build_dir: Path


@pytest.fixture(scope="session")
def tape_echo_build(tmp_path_factory: pytest.TempPathFactory, shared_build_root: Path) -> Built:
    work = tmp_path_factory.mktemp("tape-echo")
    project = generate_project(load_plan("tape-echo"), work / "project")
    build_dir = shared_build_root / "TapeEcho"
    events, finished = collect(LocalBuilder(build_dir=build_dir).build(project, work / "out"))
    assert finished.success, "\n".join(map(str, finished.errors)) + f"\n{finished.message}"
    return Built(project, events, finished, work / "out", build_dir)


def test_build_produces_a_complete_vst3_bundle(tape_echo_build: Built) -> None:
    artifact = tape_echo_build.finished.artifact
    assert artifact == tape_echo_build.output / "TapeEcho.vst3"
    binary = artifact / "Contents" / "x86_64-linux" / "TapeEcho.so"
    assert binary.is_file() and binary.read_bytes()[:4] == b"\x7fELF"
    assert [path.name for path in tape_echo_build.output.iterdir()] == ["TapeEcho.vst3"]  # no partial copies
    exported = subprocess.run(["nm", "-D", "--defined-only", str(binary)], capture_output=True, text=True).stdout
    for symbol in ("GetPluginFactory", "ModuleEntry", "ModuleExit"):
        assert f" {symbol}\n" in exported
    libraries = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    assert "not found" not in libraries


def test_build_reports_progress_and_finishes_once(tape_echo_build: Built) -> None:
    events, finished = tape_echo_build.events, tape_echo_build.finished
    assert finished.duration > 0 and finished.errors == () and finished.message == "built TapeEcho.vst3"
    assert isinstance(events[0], LogEvent) and events[0].source is Source.SYSTEM
    progress = [event for event in events if isinstance(event, ProgressEvent)]
    assert progress, "Ninja's [n/total] lines become progress events"
    assert all(0 <= event.done <= event.total for event in progress)
    assert not any(isinstance(event, LogEvent) and event.level is Level.ERROR for event in events)


def test_rebuild_is_incremental(tape_echo_build: Built, tmp_path: Path) -> None:
    started = time.monotonic()
    events, finished = collect(
        LocalBuilder(build_dir=tape_echo_build.build_dir).build(tape_echo_build.project, tmp_path)
    )
    assert finished.success and finished.artifact == tmp_path / "TapeEcho.vst3"
    assert time.monotonic() - started < 60, "nothing changed: nothing to compile"
    assert not any(isinstance(event, ProgressEvent) and event.step.startswith("compiling juce_") for event in events)


def test_the_plugin_loads_and_runs_in_pedalboard(tape_echo_build: Built) -> None:
    pedalboard = pytest.importorskip("pedalboard")
    from vaist_lab.dsp.chain import render

    plugin = pedalboard.load_plugin(str(tape_echo_build.finished.artifact))
    assert plugin.name == "TapeEcho" and plugin.manufacturer_name == "vAIst lab" and plugin.is_effect
    plan = tape_echo_build.project.plan
    parameters = plugin._parameters  # the host's parameters, in plan order (then JUCE's Bypass)
    assert [parameter.name for parameter in parameters] == [p.display_name for p in plan.parameters] + ["Bypass"]
    assert list(plugin.parameters) == ["time_ms", "feedback", "tone_hz", "mix", "bypass"]
    for parameter, spec in zip(parameters, plan.parameters, strict=False):
        assert parameter.label == spec.unit
        wrapped = plugin.parameters[next(k for k, v in plugin.parameters.items() if v.name == spec.display_name)]
        assert wrapped.range[:2] == (spec.min, spec.max)
        expected_raw = np.float32((spec.default - spec.min) / (spec.max - spec.min))
        assert parameter.raw_value == pytest.approx(expected_raw, abs=1e-7)
    # set values (as float32 normalised values, as hosts do) and compare with the reference model
    values = {"delayTime": 250.0, "feedback": 60.0, "tone": 5000.0, "mix": 100.0}
    exact = {}
    for parameter, spec in zip(parameters, plan.parameters, strict=False):
        raw = np.float32((values[spec.name] - spec.min) / (spec.max - spec.min))
        parameter.raw_value = float(raw)
        exact[spec.name] = float(np.float32(spec.min) + np.float32(spec.max - spec.min) * raw)
    audio = (0.3 * np.random.default_rng(5).standard_normal((2, 24000))).astype(np.float32)
    output = plugin.process(audio, 48000, buffer_size=512, reset=True)
    reference = render(plan, audio.astype(np.float64), 48000, exact, block_size=512)
    error = np.sum((output - reference) ** 2) / np.sum(reference**2)
    assert 10 * np.log10(error) < -90
    assert np.all(output[:, :10] == 0.0), "starts at the set values: mix 100 % from the first sample"
    mono = plugin.process(audio[:1], 48000, buffer_size=512, reset=True)
    assert mono.shape == (1, 24000)
    state = plugin.raw_state
    parameters[0].raw_value = 0.9
    plugin.raw_state = state
    assert parameters[0].raw_value == pytest.approx(float(np.float32((250.0 - 20.0) / 1480.0)), abs=1e-7)


def test_cli_build_prints_the_bundle_last(tape_echo_build: Built, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "build", "tape-echo", "-o", str(tmp_path),
         "--build-dir", str(tape_echo_build.build_dir), "--editor-png", str(tmp_path / "window.png")],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "TapeEcho.vst3")
    assert "built in" in result.stderr
    assert f"editor drawn into {tmp_path / 'window.png'}" in result.stderr
    assert (tmp_path / "window.png").read_bytes().startswith(b"\x89PNG")


def test_cli_build_failure_shows_the_first_compiler_errors(tape_echo_build: Built, tmp_path: Path) -> None:
    """A project that does not compile (here: edited by hand): exit 1, file:line:col errors, no bundle.
    Uses the shared build folder, so only the broken file is compiled."""
    project = generate_project(tape_echo_build.project.plan, tmp_path / "project")
    source = project.path / "Source" / "PluginProcessor.cpp"
    lines = source.read_text().count("\n")
    source.write_text(source.read_text() + "static int broken = undefinedSymbol;\n")
    result = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "build", str(project.path), "-o", str(tmp_path / "out"),
         "--build-dir", str(tape_echo_build.build_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert "build failed after" in result.stderr
    assert f"PluginProcessor.cpp:{lines + 1}:21: error: " in result.stderr
    assert "undefinedSymbol" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- failures: clear errors, no artifact ---------------------------------------------------------------


@pytest.fixture
def small_project(tmp_path: Path) -> GeneratedProject:
    return generate_project(load_plan("velvet-trim"), tmp_path / "project")


def failed_build(builder: LocalBuilder, project: GeneratedProject, output: Path) -> BuildFinished:
    started = time.monotonic()
    finished = run_build(builder, project, output)
    assert not finished.success and finished.artifact is None
    assert time.monotonic() - started < 30
    assert not output.exists() or not any(output.iterdir())
    assert finished.errors and finished.errors[0].level is Level.ERROR
    return finished


def test_missing_compiler_from_cxx(small_project: GeneratedProject, tmp_path: Path) -> None:
    builder = LocalBuilder(build_dir=tmp_path / "build", env={**os.environ, "CXX": "/nowhere/c++"})
    finished = failed_build(builder, small_project, tmp_path / "out")
    assert finished.message.startswith("C++ compiler not found: CXX=/nowhere/c++ is not an executable")
    assert not (tmp_path / "build").exists(), "checked before anything is written"


def test_missing_compiler_on_path(small_project: GeneratedProject, tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("cmake", "ninja", "cc"):
        (tools / name).symlink_to(shutil.which(name))
    env = {key: value for key, value in os.environ.items() if key not in {"CXX", "CC"}} | {"PATH": str(tools)}
    finished = failed_build(LocalBuilder(build_dir=tmp_path / "build", env=env), small_project, tmp_path / "out")
    assert finished.message == "no C++ compiler found on PATH: apt-get install g++ (or set CXX)"


def test_missing_juce(small_project: GeneratedProject, tmp_path: Path) -> None:
    env = {**os.environ, "VAIST_JUCE_DIR": str(tmp_path / "no-juce-here")}
    finished = failed_build(LocalBuilder(build_dir=tmp_path / "build", env=env), small_project, tmp_path / "out")
    assert finished.message.startswith(
        f"JUCE 7.0.5 not found at VAIST_JUCE_DIR={tmp_path / 'no-juce-here'}: apt-get install juce-modules-source"
    )


def test_wrong_juce_version_is_named(small_project: GeneratedProject, tmp_path: Path) -> None:
    package = tmp_path / "prefix" / "lib" / "cmake" / "JUCE-7.0.9"
    package.mkdir(parents=True)
    (package / "JUCEConfig.cmake").write_text("# stand-in\n")
    (package / "JUCEConfigVersion.cmake").write_text('set(PACKAGE_VERSION "7.0.9")\n')
    env = {**os.environ, "VAIST_JUCE_DIR": str(tmp_path / "prefix")}
    finished = failed_build(LocalBuilder(build_dir=tmp_path / "build", env=env), small_project, tmp_path / "out")
    assert "found JUCE 7.0.9 at" in finished.message and "plugins pin 7.0.5" in finished.message
    assert find_juce(os.environ)[0] is not None  # the real one is found without the override


def test_cmake_itself_refuses_to_go_on_without_juce(small_project: GeneratedProject, tmp_path: Path) -> None:
    """Without the builder's checks (another builder, a user running CMake), CMakeLists.txt says it too."""
    from vaist_lab.build import first_errors, parse_lines

    result = subprocess.run(
        ["cmake", "-S", str(small_project.path), "-B", str(tmp_path / "b"), "-DCMAKE_DISABLE_FIND_PACKAGE_JUCE=ON",
         "-DVAIST_FETCH_JUCE=OFF"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    (error,) = first_errors(parse_lines((result.stdout + result.stderr).splitlines(), "configure"), 1)
    assert error.source is Source.CMAKE and error.file == "CMakeLists.txt"
    assert error.message.startswith("vaist: JUCE 7.0.5 not found: apt-get install juce-modules-source")


def lingering_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in command:
                found.append(command)
    return found


def test_cancel_mid_build_leaves_no_artifact(small_project: GeneratedProject, tmp_path: Path) -> None:
    cancel = threading.Event()
    build_dir = tmp_path / "build"
    events = []
    cancelled_at = None
    for event in LocalBuilder(build_dir=build_dir).build(small_project, tmp_path / "out", cancel):
        events.append(event)
        if isinstance(event, ProgressEvent) and event.step.startswith("compiling") and cancelled_at is None:
            cancelled_at = time.monotonic()
            cancel.set()
    finished = events[-1]
    assert isinstance(finished, BuildFinished)
    assert cancelled_at is not None, "the build reached compiling"
    assert finished.cancelled and not finished.success and finished.artifact is None
    assert finished.message == "cancelled"
    assert time.monotonic() - cancelled_at < 15
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    time.sleep(0.5)
    assert lingering_processes(str(build_dir)) == [], "the whole process group was stopped"


def test_a_killed_build_is_reported(small_project: GeneratedProject, tmp_path: Path) -> None:
    """A build tool killed by a signal (the OOM killer, a user) is a failed build that says so."""
    real_ninja = shutil.which("ninja")
    if real_ninja is None:
        pytest.skip("needs ninja")
    tools = tmp_path / "bin"
    tools.mkdir()
    wrapper = tools / "ninja"
    # CMake's own uses (version, try_compile) go to the real Ninja; the builder's `ninja -C dir -j N` is killed
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$3" != "-j" ]; then exec {real_ninja} "$@"; fi\necho "[1/9] Building"\nkill -9 $$\n'
    )
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    finished = run_build(LocalBuilder(build_dir=tmp_path / "build", env=env), small_project, tmp_path / "out")
    assert not finished.success and finished.artifact is None
    assert finished.message.startswith("the build was killed (SIGKILL)")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system, far too small for a plugin bundle (needs root to mount a tmpfs)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_full_disk_while_copying_is_clear(tape_echo_build: Built, tiny_disk: Path) -> None:
    finished = run_build(LocalBuilder(build_dir=tape_echo_build.build_dir), tape_echo_build.project, tiny_disk)
    assert not finished.success and finished.artifact is None
    assert finished.message.startswith("the disk is full: cannot copy TapeEcho.vst3")
    assert list(tiny_disk.iterdir()) == []


def test_toolchain_is_recorded_beside_the_build(tape_echo_build: Built) -> None:
    recorded = json.loads((tape_echo_build.build_dir / "toolchain.json").read_text())
    assert recorded["generator"] in {"Ninja", "Unix Makefiles"}
    assert recorded["juce_dir"].endswith("JUCE-7.0.5")
    assert (tape_echo_build.build_dir / "last-build.log").stat().st_size > 0
