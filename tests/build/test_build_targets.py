"""What a build can target here: AU and universal binaries are macOS's (build-plugin.yml asks for them on its
macOS runner), refused elsewhere by the builder and by the generated CMakeLists alike, each with one line
that says why; and a build that asks for them never links the JUCE module archive (VST3 only, one
architecture)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vaist_lab.build import LocalBuilder
from vaist_lab.codegen import generate_project
from vaist_lab.plan import load_plan

off_macos = pytest.mark.skipif(sys.platform == "darwin", reason="AU and universal binaries do build on macOS")


@off_macos
@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"formats": ("vst3", "au")}, "AU plugins build on macOS only"),
        ({"architectures": ("arm64", "x86_64")}, "several architectures (a universal binary) build on macOS only"),
        ({"formats": ("vst3", "lv2")}, "unknown plugin format LV2: VST3, AU can be built"),
        ({"formats": ("au",)}, "the formats must include VST3: every plugin is built and verified as a VST3"),
    ],
)
def test_the_builder_refuses_what_cannot_be_built_here(options: dict, problem: str) -> None:
    assert LocalBuilder(**options).check() == [problem]


def test_extra_formats_and_architectures_do_without_the_archive() -> None:
    plain = LocalBuilder()
    if plain.check() or plain.archive() is None:
        pytest.skip("builds here do not link the JUCE module archive anyway")
    tools = plain.toolchain()
    assert LocalBuilder(formats=("VST3", "AU")).archive(tools) is None
    assert LocalBuilder(architectures=("arm64", "x86_64")).archive(tools) is None


@off_macos
def test_the_cli_says_it_in_one_line(cli) -> None:
    result = cli("build", "tape-echo", "--formats", "vst3,au")
    assert result.returncode == 1
    assert "build failed after 0 s: AU plugins build on macOS only" in result.stderr.splitlines()
    assert "Traceback" not in result.stderr


@off_macos
@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is missing")
def test_cmake_refuses_au_off_macos(tmp_path: Path) -> None:
    """Another builder, or someone running CMake by hand, hears the same from the generated CMakeLists."""
    project = generate_project(load_plan("tape-echo"), tmp_path / "project")
    result = subprocess.run(
        ["cmake", "-S", str(project.path), "-B", str(tmp_path / "cmake"), "-DVAIST_PLUGIN_FORMATS=VST3;AU"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "cannot build the plugin format 'AU' here: VST3, and AU on macOS only" in " ".join(result.stderr.split())
