"""A Lab on each database (SQLite and PostgreSQL), with a clock the tests move and a scripted builder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scripted_builder import ScriptedBuilder

from vaist_lab.config import cache_dir
from vaist_lab.service import CurrentUser, Lab, LabSettings
from vaist_lab.store.testing import (  # noqa: F401 - fixtures: every test on both databases
    backend,
    database_url,
    migrated_database_url,
)

ENVIRONMENT = (
    "VAIST_SECRET_KEY",
    "VAIST_SECRET_KEY_PREVIOUS",
    "VAIST_DATABASE_URL",
    "VAIST_GENERATIONS_PER_HOUR",
    "VAIST_GENERATIONS_PER_DAY",
    "VAIST_MAX_PROMPT_CHARS",
    "VAIST_MAX_REPLY_CHARS",
    "VAIST_BUSY_TIMEOUT",
    "VAIST_BUILD_WORKERS",
    "VAIST_VERIFY_BUILDS",
    "VAIST_BUILD_WORKER_BUILDER",
    "VAIST_BUILD_WORKER_REMOTE_BUILDER",
    "VAIST_GITHUB_TOKEN",  # the server's GitHub settings: the tests' own, whatever the shell says
    "VAIST_GITHUB_REPOSITORY",
    "VAIST_GITHUB_API_URL",
    "VAIST_ARTIFACT_STORE",  # the tests' labs keep artifacts in their data folder, whatever the shell says
    "VAIST_DOWNLOAD_LINK_TTL",
)


class Clock:
    """Now, as the tests say: starts at the real time (file times are real) and moves when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def user_cache() -> Path:
    """The user's build cache, where the JUCE module archive is (read before any test moves VAIST_CACHE_DIR:
    session fixtures are set up first)."""
    return cache_dir()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VAIST_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> LabSettings:
    return LabSettings(
        heartbeat_interval=0.05, generations_per_hour=5, generations_per_day=8, build_workers=4, verify_builds=False
    )


@pytest.fixture
def lab(migrated_database_url: str, tmp_path: Path, clock: Clock, settings: LabSettings) -> Iterator[Lab]:  # noqa: F811
    lab = open_lab(migrated_database_url, tmp_path, clock, settings)
    yield lab
    lab.close()


@pytest.fixture
def make_lab(migrated_database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Callable[[LabSettings], Lab]]:  # noqa: F811
    """Open a Lab with settings of the test's own (closed at the end)."""
    opened: list[Lab] = []

    def make(settings: LabSettings) -> Lab:
        opened.append(open_lab(migrated_database_url, tmp_path, clock, settings))
        return opened[-1]

    yield make
    for lab in opened:
        lab.close()


def open_lab(url: str, tmp_path: Path, clock: Clock, settings: LabSettings) -> Lab:
    return Lab.open(
        url,
        data=tmp_path / "data",
        settings=settings,
        clock=clock,
        builder_factory=ScriptedBuilder,
        work_root=tmp_path / "work",
        build_roots=[tmp_path / "work", tmp_path / "builder-cache"],
    )


@pytest.fixture
def alice(lab: Lab) -> CurrentUser:
    return lab.ensure_user("alice@example.com", name="Alice")


@pytest.fixture
def bob(lab: Lab) -> CurrentUser:
    return lab.ensure_user("bob@example.com", name="Bob")
