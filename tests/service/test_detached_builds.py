"""Builds in processes of their own (DetachedBuildExecutor and vaist_lab.service.build_worker), as the
single-user app runs them so that they outlive the page's kernel: a build finishes after the Lab that
started it is closed, a cancel reaches it through the database, SIGTERM cancels it, a worker that dies is
recovered as gone (it recorded itself as the build's worker) and its log followers see the build end, no
more than `build_workers` run at once, and a worker that cannot make its builder fails the build. The
workers build with the scripted builder that VAIST_BUILD_WORKER_BUILDER names."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from lab_states import wait_until
from scripted_builder import BINARY

from vaist_lab.service import CurrentUser, DetachedBuildExecutor, Lab, LabSettings
from vaist_lab.service.build_worker import BUILDER_VARIABLE
from vaist_lab.service.builds import this_worker
from vaist_lab.store import Project, ProjectStatus

SETTINGS = LabSettings(heartbeat_interval=0.1, build_workers=1, verify_builds=False)
TIMEOUT = 60  # a worker process imports the service first: seconds on a busy machine


@pytest.fixture
def open_detached(migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Lab]:
    """Open a Lab whose builds run in worker processes building with scripted_builder's `factory`."""
    here = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")])))
    opened: list[Lab] = []

    def open_lab(factory: str) -> Lab:
        monkeypatch.setenv(BUILDER_VARIABLE, f"scripted_builder:{factory}")
        data, work = tmp_path / "data", tmp_path / "work"
        executor = DetachedBuildExecutor(migrated_database_url, data, SETTINGS, work_root=work)
        opened.append(Lab.open(migrated_database_url, data=data, settings=SETTINGS, executor=executor, work_root=work))
        return opened[-1]

    yield open_lab
    for lab in opened:
        lab.close()


def approved(lab: Lab, user: CurrentUser, name: str = "Echo") -> uuid.UUID:
    project = lab.create_project(user, name, template="tape-echo").id
    lab.approve(user, project)
    return project


def worker_pid(lab: Lab, project: uuid.UUID) -> int | None:
    """The build's worker process, once it has taken the build over (None until then)."""
    with lab.database.session() as session:
        worker = session.get(Project, project).build_worker or ""
    return None if worker == this_worker() or not worker else int(worker.rpartition(":")[2])


def running(lab: Lab, user: CurrentUser, project: uuid.UUID) -> int:
    """Wait until the worker runs the build (its scripted events all logged); the worker's pid."""
    wait_until(lambda: lab.project(user, project).build_progress == (2, 2), TIMEOUT)
    pid = worker_pid(lab, project)
    assert pid is not None and pid != os.getpid()
    return pid


def test_a_build_finishes_after_the_lab_that_started_it_is_closed(open_detached) -> None:
    lab = open_detached("ScriptedBuilder")
    user = lab.ensure_user("alice@example.com")
    project = approved(lab, user)
    handle = lab.start_build(user, project)
    lab.close()  # the page closed: its kernel's Lab goes
    later = open_detached("ScriptedBuilder")
    view = later.wait_for_build(user, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.SUCCESS and view.last_error is None
    assert worker_pid(later, project) not in (None, os.getpid()), "the worker recorded itself"
    assert [line.message for line in later.get_logs(user, project)][-1] == "built TapeEcho.vst3"
    assert len(later.verify_download(later.download_link(user, project).url)) > len(BINARY)
    handle.wait(TIMEOUT)  # reaped
    assert not (later.work_root / "workers" / f"{handle.build_id}.log").exists(), "a worker that ended well"


def test_a_cancel_reaches_the_worker_through_the_database(open_detached) -> None:
    lab = open_detached("hanging")
    user = lab.ensure_user("alice@example.com")
    project = approved(lab, user)
    handle = lab.start_build(user, project)
    pid = running(lab, user, project)
    assert os.getsid(pid) == pid != os.getsid(0), "a session of its own: a kernel's shutdown does not reach it"
    lab.cancel_build(user, project)
    view = lab.wait_for_build(user, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.FAILED and view.last_error == "cancelled"
    handle.wait(TIMEOUT)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_dead_worker_is_recovered_as_gone(open_detached) -> None:
    lab = open_detached("hanging")
    user = lab.ensure_user("alice@example.com")
    project = approved(lab, user)
    handle = lab.start_build(user, project)
    pid = running(lab, user, project)
    os.kill(pid, signal.SIGKILL)
    handle.wait(TIMEOUT)
    (recovered,) = lab.recover()
    assert recovered.project_id == project and f"its builder (process {pid} on" in recovered.reason
    assert lab.project(user, project).status is ProjectStatus.FAILED


def test_a_follower_sees_the_build_of_a_killed_worker_end(open_detached) -> None:
    """The build panel long-polls the log: it learns that the worker is gone without waiting for a recovery."""
    lab = open_detached("hanging")
    user = lab.ensure_user("alice@example.com")
    project = approved(lab, user)
    handle = lab.start_build(user, project)
    pid = running(lab, user, project)
    seen = lab.follow_logs(user, project)[-1].id
    os.kill(pid, signal.SIGKILL)
    handle.wait(TIMEOUT)
    (last,) = lab.follow_logs(user, project, seen, wait=10)
    assert last.level == "error" and f"its builder (process {pid} on" in last.message
    view = lab.project(user, project)
    assert view.status is ProjectStatus.FAILED and view.last_error == last.message


def test_one_build_at_a_time_and_sigterm_cancels(open_detached) -> None:
    lab = open_detached("hanging")
    user = lab.ensure_user("alice@example.com")
    first, second = approved(lab, user, "first"), approved(lab, user, "second")
    lab.start_build(user, first)
    first_pid = running(lab, user, first)
    lab.start_build(user, second)
    waiting = "waiting for another build to finish"
    wait_until(lambda: [line.message for line in lab.get_logs(user, second)] == [waiting], TIMEOUT)
    assert lab.project(user, second).build_progress is None and lab.recover() == [], "waiting, alive"
    os.kill(first_pid, signal.SIGTERM)
    assert lab.wait_for_build(user, first, timeout=TIMEOUT).last_error == "cancelled"
    running(lab, user, second)  # its turn now
    lab.cancel_build(user, second)
    assert lab.wait_for_build(user, second, timeout=TIMEOUT).last_error == "cancelled"


def test_a_worker_that_cannot_make_its_builder_fails_the_build(open_detached) -> None:
    lab = open_detached("no_such_factory")
    user = lab.ensure_user("alice@example.com")
    project = approved(lab, user)
    lab.start_build(user, project)
    view = lab.wait_for_build(user, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.FAILED
    assert view.last_error.startswith("cannot make the builder: AttributeError:")
