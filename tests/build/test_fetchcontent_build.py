"""The path a build without an installed JUCE takes, the one GitHub's runners take (build-plugin.yml): the
generated CMakeLists' FetchContent of JUCE 7.0.5, its download replaced by a local source tree
(FETCHCONTENT_SOURCE_DIR_JUCE, through VAIST_JUCE_DIR), JUCE's modules and juceaide compiled in the build
(no module archive), driven as the workflow drives it: `vaist-lab build --raw`, then `vaist-lab verify`.

The source tree is a JUCE 7.0.5 checkout outside the repository: $VAIST_TEST_JUCE_SOURCE, else
<cache>/juce-source/JUCE-7.0.5, extracted once from a JUCE git repository ($VAIST_TEST_JUCE_GIT; by default
the clone this repository's sessions fetch) with `git archive`. Without either the test is skipped.
The build folder is kept under the shared build root, so only the first run is slow: 11 minutes wall (5 min
of CPU) on two shared cores (juceaide, then every JUCE module unit the archive would otherwise provide); a
rerun with nothing to compile takes about 15 s, most of it the check in pedalboard.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from vaist_lab.build.diagnostics import OutputParser
from vaist_lab.build.events import Level, LogEvent, ProgressEvent
from vaist_lab.codegen import generate_project
from vaist_lab.codegen.project import JUCE_VERSION
from vaist_lab.config import cache_dir
from vaist_lab.plan import load_plan

DEFAULT_JUCE_GIT = Path("/work/.mirror/juce-framework+JUCE/repo")
# What FetchContent's add_subdirectory of JUCE reads (examples and extras are built only when asked for)
JUCE_PATHS = ("CMakeLists.txt", "LICENSE.md", "modules", "extras/Build")

pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or shutil.which("ninja") is None or shutil.which("c++") is None,
    reason="cmake, ninja and a C++ compiler are needed",
)


def juce_source_tree() -> Path:
    """A JUCE 7.0.5 source tree (see the module docstring); skips when there is none to be had."""
    explicit = os.environ.get("VAIST_TEST_JUCE_SOURCE")
    if explicit:
        return Path(explicit)
    tree = cache_dir() / "juce-source" / f"JUCE-{JUCE_VERSION}"
    if (tree / "CMakeLists.txt").is_file():
        return tree
    repository = Path(os.environ.get("VAIST_TEST_JUCE_GIT") or DEFAULT_JUCE_GIT)
    if shutil.which("git") is None or not repository.is_dir():
        pytest.skip(
            f"no JUCE {JUCE_VERSION} source: set VAIST_TEST_JUCE_SOURCE, or VAIST_TEST_JUCE_GIT to a JUCE clone"
        )
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent) as scratch:
        archive = Path(scratch) / "juce.tar"
        subprocess.run(
            [
                "git",
                f"--git-dir={repository}",
                "archive",
                "--format=tar",
                f"--output={archive}",
                JUCE_VERSION,
                *JUCE_PATHS,
            ],
            check=True,
            timeout=600,
        )
        extracted = Path(scratch) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(extracted, filter="data")
        os.replace(extracted, tree)  # whole or not at all, should two sessions race
    return tree


def test_fetchcontent_build_from_a_local_juce_tree(shared_build_root: Path, tmp_path: Path) -> None:
    source = juce_source_tree()
    project = generate_project(load_plan("tape-echo"), tmp_path / "project")
    build_dir = shared_build_root / "fetchcontent-TapeEcho"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VAIST_JUCE")}
    environment["VAIST_JUCE_DIR"] = str(source)
    built = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "build", str(project.path), "-o", str(tmp_path / "dist"),
         "--build-dir", str(build_dir), "--raw"],
        capture_output=True, text=True, env=environment, timeout=3600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-5000:]
    bundle = Path(built.stdout.strip().splitlines()[-1])
    assert bundle == tmp_path / "dist" / "TapeEcho.vst3"
    assert (bundle / "Contents" / "x86_64-linux" / "TapeEcho.so").stat().st_size > 0

    recorded = json.loads((build_dir / "toolchain.json").read_text())
    assert (recorded["juce_dir"], recorded["juce_source"], recorded["juce_archive"]) == (None, str(source), None)
    cache = (build_dir / "cmake" / "CMakeCache.txt").read_text()
    assert f"FETCHCONTENT_SOURCE_DIR_JUCE:PATH={source.as_posix()}" in cache
    assert "VAIST_JUCE_ARCHIVE:PATH=\n" in cache, "no module archive on this path"
    assert list((build_dir / "cmake" / "_deps").glob("juce-build/tools/**/juceaide")), "juceaide built from source"
    ninja = (build_dir / "cmake" / "build.ninja").read_text()
    processor = ninja[ninja.index("build CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o") :]
    flags = processor[processor.index("FLAGS = ") : processor.index("\n", processor.index("FLAGS = "))]
    assert "-fno-fast-math -ffp-contract=off" in flags

    # --raw: the tools' own lines, as the GitHub builder reads them from the job log
    lines = built.stderr.splitlines()
    assert any(line.startswith("$ ") and "ninja" in line for line in lines), built.stderr
    events = OutputParser("build").feed_all(line for line in lines if not line.startswith("$ "))
    assert not [event for event in events if isinstance(event, LogEvent) and event.level is Level.ERROR]
    compiled = [event.step for event in events if isinstance(event, ProgressEvent) and "compiling" in event.step]
    if compiled:  # the first run compiles JUCE's modules here (a rerun has nothing to compile)
        assert any(step.startswith("compiling juce_") for step in compiled)

    # the bundle against its model, in a process of its own (as the workflow's `vaist-lab verify`, at the
    # workbench's level: its sample rates, two block sizes)
    check = (
        "import sys; from vaist_lab.plan import load_plan; from vaist_lab.verify import verify_plugin; "
        "from vaist_lab.verify.checks import WORKBENCH; "
        "report = verify_plugin(load_plan(sys.argv[1]), sys.argv[2], level=WORKBENCH); "
        "print(report.table()); sys.exit(0 if report.passed else 1)"
    )
    verified = subprocess.run(
        [sys.executable, "-c", check, str(project.path / "plan.json"), str(bundle)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
