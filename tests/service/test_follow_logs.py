"""Following a build's log as it is written (Lab.follow_logs, a long poll): several followers of one
build each get every line once and in order, a late follower gets the stored lines first, a waiting
follower wakes as soon as a line of this process is committed, and finds another process's lines by
looking again; with nothing to wait for it returns at once."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from lab_states import project_in
from scripted_builder import ScriptedBuilder, compiler_lines

from vaist_lab.build.events import Level, LogEvent, Source
from vaist_lab.service import BuildJob, CurrentUser, Lab, LabSettings, LogLine, host_platform
from vaist_lab.store import ProjectStatus
from vaist_lab.store.logs import add_build_logs
from vaist_lab.store.models import utc_now


def follow_to_the_end(lab: Lab, user: CurrentUser, project: uuid.UUID, after_id: int = 0) -> list[LogLine]:
    """Every line of the running (or last) build, page by page, until it is over and nothing is left."""
    seen: list[LogLine] = []
    while True:
        over = lab.project(user, project).status is not ProjectStatus.BUILDING  # first: then its last line is in
        lines = lab.follow_logs(user, project, after_id, wait=5, limit=40)
        seen += lines
        if lines:
            after_id = lines[-1].id
        elif over:
            return seen


def job_of(lab: Lab, user: CurrentUser, project: uuid.UUID) -> BuildJob:
    """The running build, as its runner knows it (what `record` needs to write its lines)."""
    view = lab.project(user, project)
    build_id = lab.get_logs(user, project)[0].build_id
    return BuildJob(view.id, build_id, {}, view.plugin_code, frozenset(), host_platform())


def test_several_followers_each_get_every_line_once_in_order(lab: Lab, alice: CurrentUser) -> None:
    lab.builder_factory = lambda: ScriptedBuilder(events=compiler_lines(400), pause=0.002)
    project = project_in(lab, alice, ProjectStatus.APPROVED)
    handle = lab.start_build(alice, project)
    with ThreadPoolExecutor(4) as pool:
        followers = [pool.submit(follow_to_the_end, lab, alice, project) for _ in range(4)]
        handle.wait(30)
        followed = [follower.result(30) for follower in followers]
    stored = lab.get_logs(alice, project, limit=10_000)
    assert len(stored) == 402 and stored[-1].message == "built TapeEcho.vst3"
    for lines in followed:
        assert [line.id for line in lines] == [line.id for line in stored], "all of them, once each, in order"
    late = follow_to_the_end(lab, alice, project)
    assert late == stored
    assert follow_to_the_end(lab, alice, project, after_id=stored[199].id) == stored[200:]


def test_a_waiting_follower_wakes_when_this_process_writes(make_lab) -> None:
    lab = make_lab(LabSettings(heartbeat_interval=0.05, log_poll_interval=60, verify_builds=False))
    alice = lab.ensure_user("alice@example.com")
    project = project_in(lab, alice, ProjectStatus.BUILDING)  # hanging until cancelled
    last = lab.get_logs(alice, project)[-1].id
    job = job_of(lab, alice, project)
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(lab.follow_logs, alice, project, last, wait=30)
        time.sleep(0.3)
        lab.runner.record(job, [LogEvent(Level.INFO, Source.COMPILER, "linking")])
        lines = waiting.result(10)
    assert [line.message for line in lines] == ["linking"]
    assert time.monotonic() - started < 5, "woken by the commit, not by the 60 s poll or the 30 s wait"
    lab.cancel_build(alice, project)


def test_a_waiting_follower_finds_another_processs_lines(make_lab) -> None:
    lab = make_lab(LabSettings(heartbeat_interval=0.05, log_poll_interval=0.1, verify_builds=False))
    alice = lab.ensure_user("alice@example.com")
    project = project_in(lab, alice, ProjectStatus.BUILDING)
    last = lab.get_logs(alice, project)[-1].id
    job = job_of(lab, alice, project)
    result: list[LogLine] = []
    follower = threading.Thread(target=lambda: result.extend(lab.follow_logs(alice, project, last, wait=30)))
    started = time.monotonic()
    follower.start()
    time.sleep(0.3)
    with lab.database.session() as session:  # as another process writes: nobody here is told
        events = [LogEvent(Level.INFO, Source.COMPILER, "from elsewhere")]
        add_build_logs(session, job.project_id, job.build_id, job.platform, events, utc_now(), 4000)
    follower.join(10)
    assert [line.message for line in result] == ["from elsewhere"]
    assert time.monotonic() - started < 5
    lab.cancel_build(alice, project)


def test_with_nothing_to_wait_for_it_returns(lab: Lab, alice: CurrentUser) -> None:
    building = project_in(lab, alice, ProjectStatus.BUILDING)
    last = lab.get_logs(alice, building)[-1].id
    started = time.monotonic()
    assert lab.follow_logs(alice, building, last, wait=0.3) == []
    assert 0.3 <= time.monotonic() - started < 3, "waited out its time"
    assert lab.follow_logs(alice, building, last) == [], "no wait: at once"
    lab.cancel_build(alice, building)
    built = project_in(lab, alice, ProjectStatus.SUCCESS, name="built")
    last = lab.get_logs(alice, built)[-1].id
    started = time.monotonic()
    assert lab.follow_logs(alice, built, last, wait=30) == []
    assert time.monotonic() - started < 3, "no build running: no line will come"
    draft = project_in(lab, alice, ProjectStatus.DRAFT, name="draft")
    assert lab.follow_logs(alice, draft, wait=30) == []
