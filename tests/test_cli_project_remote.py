"""`vaist-lab project build NAME --remote github` as a user meets it: real processes, the real GitHubBuilder
against fake_github's GitHub on loopback, set up with `vaist-lab remote init`. Each platform's progress and
result is printed as it comes; the platforms that built are downloadable, the one that failed says why."""

from __future__ import annotations

import zipfile
from pathlib import Path

from fake_github import PlatformScript
from remote_builders import REPOSITORY, TOKEN, fake_github


def test_a_project_builds_on_github_from_the_command_line(cli, tmp_path: Path) -> None:
    with fake_github() as github:
        github.scripts["windows"] = PlatformScript("compile_error")
        init = cli("remote", "init", REPOSITORY, "--token", TOKEN, "--api-url", github.url)
        assert init.returncode == 0, init.stderr
        assert cli("project", "new", "Echo", "--template", "tape-echo").returncode == 0
        assert cli("project", "approve", "Echo").returncode == 0
        refused = cli("project", "build", "Echo", "--platforms", "linux")
        assert refused.returncode == 2 and "platforms are chosen for --remote github only" in refused.stderr

        built = cli("project", "build", "Echo", "--remote", "github")
    assert built.returncode == 1, built.stderr  # not every platform built
    said = built.stderr.splitlines()
    for platform in ("linux", "macos"):
        assert any(line.startswith(f"{platform}: built and verified (worst fidelity -138.5 dB)") for line in said)
    assert any(line.startswith("windows failed: compile error: ") for line in said), built.stderr
    assert any(line.startswith("[windows] ") and "error" in line for line in said), "the runners' lines, tagged"
    assert "Echo  [SUCCESS]" in built.stdout and "last error: windows failed: compile error" in built.stdout
    assert "built for linux: TapeEcho-linux.zip" in built.stdout

    downloaded = cli("project", "download", "Echo", "--platform", "macos", "-o", "plugins")
    assert downloaded.returncode == 0, downloaded.stderr
    with zipfile.ZipFile(tmp_path / downloaded.stdout.strip()) as archive:
        assert "TapeEcho.vst3/Contents/MacOS/TapeEcho" in archive.namelist()
    missing = cli("project", "download", "Echo", "--platform", "windows")
    assert missing.returncode == 1
    assert "no plugin for windows: its build failed (compile error" in missing.stderr
