"""Builds through the service with a scripted builder: events become log rows as they arrive, the
artifact is stored and downloadable, statuses and timestamps are set; failures, crashes, cancels (here
and through the database, as from another process) and retries end where they should."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime

import pytest
from lab_states import project_in, wait_until
from scripted_builder import BINARY, ScriptedBuilder, compiler_lines
from sqlalchemy import update

from vaist_lab.build.events import Level, LogEvent, Source
from vaist_lab.service import BuilderUnavailable, CurrentUser, Lab, LabSettings, NotFound, host_platform
from vaist_lab.store import InvalidDownloadLink, Project, ProjectStatus


def test_a_successful_build_records_logs_progress_and_the_artifact(lab: Lab, alice: CurrentUser, clock) -> None:
    builder = ScriptedBuilder()
    lab.builder_factory = lambda: builder
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    started = clock()
    handle = lab.start_build(alice, project)
    handle.wait(10)
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.SUCCESS and view.build_attempts == 1 and view.last_error is None
    assert view.build_started_at == started and view.build_finished_at >= started
    assert view.build_progress == (2, 2)
    assert builder.project is not None and builder.project.plugin_code == view.plugin_code
    lines = lab.get_logs(alice, project)
    assert [(line.level, line.source, line.message) for line in lines] == [
        ("info", "system", f"generating the JUCE project (scripted builder, {host_platform()})"),
        ("info", "cmake", "configuring"),
        ("warning", "compiler", "unused variable"),
        ("info", "system", "built TapeEcho.vst3"),
    ]
    assert str(lines[2]) == "Source/Chain.h:12:7: warning: unused variable"
    assert all(line.build_id == handle.build_id for line in lines)
    artifact = view.artifacts[host_platform()]
    assert artifact.filename == "TapeEcho.vst3.zip" and artifact.size > 0
    link = lab.download_link(alice, project)
    with zipfile.ZipFile(io.BytesIO(lab.verify_download(link.url))) as archive:
        assert archive.read("TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so") == BINARY
    clock.advance(hours=2)
    with pytest.raises(InvalidDownloadLink, match="expired"):
        lab.verify_download(link.url)
    assert not (lab.work_root / str(project)).exists(), "the build's workspace is removed"


def test_many_log_lines_arrive_complete_and_in_order(lab: Lab, alice: CurrentUser) -> None:
    lab.builder_factory = lambda: ScriptedBuilder(events=compiler_lines(1200))
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    lab.start_build(alice, project).wait(20)
    lines = lab.get_logs(alice, project, limit=5000)
    compiled = [line for line in lines if line.source == "compiler"]
    assert [line.message for line in compiled] == [f"compiling unit {index}" for index in range(1200)]
    following = lab.get_logs(alice, project, after_id=compiled[99].id, limit=10)
    assert [line.message for line in following][:2] == ["compiling unit 100", "compiling unit 101"]


def test_very_long_lines_are_cut(lab: Lab, alice: CurrentUser) -> None:
    huge = "x" * 100_000
    lab.builder_factory = lambda: ScriptedBuilder(events=[LogEvent(Level.ERROR, Source.COMPILER, huge)])
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    lab.start_build(alice, project).wait(10)
    (line,) = [line for line in lab.get_logs(alice, project) if line.source == "compiler"]
    assert len(line.message) == lab.settings.max_log_message_chars + 1 and line.message.endswith("…")


def test_a_failed_build_keeps_its_error_and_a_retry_builds_again(lab: Lab, alice: CurrentUser) -> None:
    lab.builder_factory = lambda: ScriptedBuilder(succeed=False, failure="'juce_core.h' file not found")
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    first = lab.start_build(alice, project)
    first.wait(10)
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.FAILED and view.artifacts == {}
    assert view.last_error == "build failed: 'juce_core.h' file not found"
    assert lab.get_logs(alice, project)[-1].message == "build failed: build failed: 'juce_core.h' file not found"
    with pytest.raises(NotFound, match="no built plugin yet"):
        lab.download_link(alice, project)
    lab.builder_factory = ScriptedBuilder
    second = lab.retry_build(alice, project)
    second.wait(10)
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.SUCCESS and view.build_attempts == 2 and view.last_error is None
    assert {line.build_id for line in lab.get_logs(alice, project)} == {second.build_id}, "the latest build's"
    assert lab.get_logs(alice, project, build_id=first.build_id)[-1].level == "error"


def test_a_crashing_builder_fails_the_build(lab: Lab, alice: CurrentUser) -> None:
    lab.builder_factory = lambda: ScriptedBuilder(crash=RuntimeError("segfault in juceaide"))
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    lab.start_build(alice, project).wait(10)
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.FAILED
    assert view.last_error == "the scripted builder crashed: segfault in juceaide"


def test_an_unavailable_builder_refuses_before_anything_changes(lab: Lab, alice: CurrentUser) -> None:
    lab.builder_factory = lambda: ScriptedBuilder(problems=["CMake not found on PATH: apt-get install cmake"])
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    with pytest.raises(BuilderUnavailable, match="cannot start a build: CMake not found"):
        lab.start_build(alice, project)
    assert lab.open_project(alice, project).project.status is ProjectStatus.APPROVED


def test_cancel_stops_the_build(lab: Lab, alice: CurrentUser) -> None:
    project = project_in(lab, alice, ProjectStatus.BUILDING)
    lab.cancel_build(alice, project)
    lab.wait_for_build(alice, project, timeout=10)
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.FAILED and view.last_error == "cancelled" and view.artifacts == {}


def test_a_cancel_through_the_database_reaches_the_build(lab: Lab, alice: CurrentUser) -> None:
    """What another process's cancel_build does: it can only set the flag in the database."""
    project = project_in(lab, alice, ProjectStatus.BUILDING)
    with lab.database.session() as session:
        session.execute(update(Project).where(Project.id == project).values(cancel_requested=True))
    view = lab.wait_for_build(alice, project, timeout=10)
    assert view.status is ProjectStatus.FAILED and view.last_error == "cancelled"


def test_a_runner_given_up_on_overwrites_nothing(lab: Lab, alice: CurrentUser) -> None:
    project = project_in(lab, alice, ProjectStatus.BUILDING)
    given_up = uuid.uuid4()
    with lab.database.session() as session:  # as if recovery failed it and a retry runs elsewhere
        session.execute(
            update(Project)
            .where(Project.id == project)
            .values(status=ProjectStatus.BUILDING, build_id=given_up, last_error=None)
        )
    lab._builds[project].wait(10)  # the old runner notices at its next heartbeat and stops
    view = lab.open_project(alice, project).project
    assert view.status is ProjectStatus.BUILDING and view.artifacts == {}
    with lab.database.session() as session:
        session.execute(update(Project).where(Project.id == project).values(status=ProjectStatus.FAILED))


def test_closing_the_lab_cancels_its_builds(lab: Lab, alice: CurrentUser) -> None:
    project = project_in(lab, alice, ProjectStatus.BUILDING)
    lab.close()
    wait_until(lambda: lab.open_project(alice, project).project.status is ProjectStatus.FAILED)


def test_builds_beyond_the_worker_bound_wait_their_turn_and_stay_alive(make_lab, clock) -> None:
    lab = make_lab(LabSettings(heartbeat_interval=0.05, build_workers=1))
    alice = lab.ensure_user("alice@example.com")
    first = project_in(lab, alice, ProjectStatus.BUILDING, name="first")  # holds the only worker
    second = project_in(lab, alice, ProjectStatus.APPROVED, name="second")
    lab.builder_factory = ScriptedBuilder
    handle = lab.start_build(alice, second)
    clock.advance(minutes=10)  # long enough for a silent build to count as orphaned
    now = clock().replace(tzinfo=None)
    wait_until(lambda: heartbeat(lab, first) == now and heartbeat(lab, second) == now)
    waiting = lab.open_project(alice, second).project
    assert waiting.status is ProjectStatus.BUILDING and waiting.build_progress is None  # queued, not started
    assert lab.recover() == [], "a queued build keeps its heartbeat fresh"
    lab.cancel_build(alice, first)
    handle.wait(10)
    assert lab.open_project(alice, second).project.status is ProjectStatus.SUCCESS


def heartbeat(lab: Lab, project: uuid.UUID) -> datetime | None:
    """A project's last heartbeat as a naive UTC time (how SQLite gives it back)."""
    with lab.database.session() as session:
        value = session.get(Project, project).build_heartbeat_at
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
