"""Builds on GitHub Actions for the service's, the workbench's and the browser's tests, against fake_github's
GitHub on loopback: the real GitHubBuilder (PyGithub) polling every few hundredths of a second, and a fake
GitHub holding a builder repository of this checkout.

`fast_github_builder` is a RemoteBuilderFactory (Lab's remote_builder_factory); detached build workers find it
through VAIST_BUILD_WORKER_REMOTE_BUILDER=remote_builders:fast_github_builder (with tests/ on PYTHONPATH).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fake_github import FakeGitHub, PlatformScript, Token

from vaist_lab.build.base import Builder
from vaist_lab.build.github import GitHubBuilder, GitHubSettings, default_source_root, source_files

OWNER, NAME = "octo", "vaist-builder"
REPOSITORY = f"{OWNER}/{NAME}"
TOKEN = "ghp_" + "s" * 36
TESTS = Path(__file__).parent
FACTORY = "remote_builders:fast_github_builder"
FAST = {
    "poll_interval": 0.05,
    "start_timeout": 5.0,
    "job_timeout": 60.0,
    "artifact_wait": 1.0,
    "attempts": 4,
    "backoff": 0.05,
    "http_timeout": 10.0,
    "request_interval": 0.0,
    "write_interval": 0.0,
    "max_rate_limit_wait": 10.0,
    "cleanup_timeout": 20.0,
}


def fast_github_builder(settings: GitHubSettings, platforms: Sequence[str]) -> Builder:
    return GitHubBuilder(settings, platforms, **FAST)


@contextmanager
def fake_github(step_seconds: float = 0.05) -> Iterator[FakeGitHub]:
    """A GitHub on loopback that knows TOKEN and holds REPOSITORY, a builder repository of this checkout (what
    `vaist-lab remote init` leaves), whose platform jobs take `step_seconds` a step."""
    with FakeGitHub() as github:
        github.add_token(Token(TOKEN, OWNER))
        github.add_repo(OWNER, NAME, {file.path: file.data for file in source_files(default_source_root())})
        github.scripts = {name: PlatformScript(step_seconds=step_seconds) for name in github.scripts}
        yield github
