"""The build queue: bounded workers, cancelling queued and running builds, progress as events to every
subscriber, a bounded backlog; with a stand-in builder (milliseconds), then two real builds at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from build_helpers import TemplateBuild, needs_archive, needs_tools

from vaist_lab.build import (
    Builder,
    BuildEvent,
    BuildFinished,
    BuildQueue,
    JobState,
    Level,
    LocalBuilder,
    LogEvent,
    ProgressEvent,
    QueueFull,
    QueueUpdate,
    Source,
)
from vaist_lab.codegen import GeneratedProject, generate_project
from vaist_lab.plan import load_plan


class StandIn(Builder):
    """Compiles `units` units of `seconds` each, or waits for cancel; counts how many run at once."""

    name = "stand-in"

    def __init__(self, units: int = 4, seconds: float = 0.05, hang: bool = False) -> None:
        self.units, self.seconds, self.hang = units, seconds, hang
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.lock = threading.Lock()

    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        cancel = cancel or threading.Event()
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(project.plugin_name)
        try:
            yield LogEvent(Level.INFO, Source.SYSTEM, f"building {project.plugin_name}")
            for unit in range(1, self.units + 1):
                if cancel.wait(self.seconds):
                    yield BuildFinished(False, None, 0.1, message="cancelled", cancelled=True)
                    return
                yield ProgressEvent(unit, self.units, f"compiling unit{unit}.cpp")
            while self.hang and not cancel.wait(0.01):
                pass
            if cancel.is_set():
                yield BuildFinished(False, None, 0.1, message="cancelled", cancelled=True)
                return
            artifact = output_dir / project.bundle_name
            artifact.mkdir(parents=True, exist_ok=True)
            yield BuildFinished(True, artifact, 0.1, message=f"built {artifact.name}")
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> GeneratedProject:
    return generate_project(load_plan("velvet-trim"), tmp_path_factory.mktemp("queue") / "project")


def test_builds_run_in_the_background_on_bounded_workers(project: GeneratedProject, tmp_path: Path) -> None:
    builder = StandIn()
    with BuildQueue(builder, workers=2) as queue:
        started = time.monotonic()
        jobs = [queue.submit(project, tmp_path / str(index), label=f"job {index}") for index in range(6)]
        assert time.monotonic() - started < 0.5, "submit returns at once"
        results = [job.wait(30) for job in jobs]
    assert all(result is not None and result.success for result in results)
    assert builder.most == 2, "never more builds at once than workers"
    assert [job.state for job in jobs] == [JobState.SUCCEEDED] * 6
    assert all((tmp_path / str(index) / "VelvetTrim.vst3").is_dir() for index in range(6))


def test_progress_reaches_every_subscriber_in_order(project: GeneratedProject, tmp_path: Path) -> None:
    seen: list[QueueUpdate] = []
    also: list[QueueUpdate] = []
    with BuildQueue(StandIn(units=5), workers=1) as queue:
        queue.subscribe(seen.append)
        unsubscribe = queue.subscribe(also.append)
        queue.subscribe(lambda update: 1 / 0)  # a failing subscriber is logged, the others go on
        job = queue.submit(project, tmp_path)
        job.wait(30)
        unsubscribe()
        queue.submit(project, tmp_path / "second").wait(30)
    first = [update for update in seen if update.job_id == job.id]
    states = [update.state for update in first if update.event is None]
    assert states == [JobState.QUEUED, JobState.RUNNING]
    assert first[-1].state is JobState.SUCCEEDED and isinstance(first[-1].event, BuildFinished)
    progress = [(u.progress.done, u.progress.total) for u in first if isinstance(u.event, ProgressEvent)]
    assert progress == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert job.progress.fraction == 1.0 and job.progress.step == "compiling unit5.cpp"
    assert [u.to_dict() for u in also] == [u.to_dict() for u in first], "the other subscriber saw the same"
    assert len({update.job_id for update in seen}) == 2 and len({update.job_id for update in also}) == 1
    assert first[-1].to_dict()["event"]["kind"] == "finished"


def test_cancel_a_queued_build_and_a_running_one(project: GeneratedProject, tmp_path: Path) -> None:
    builder = StandIn(hang=True)
    with BuildQueue(builder, workers=1) as queue:
        running = queue.submit(project, tmp_path / "running", label="running")
        waiting = queue.submit(project, tmp_path / "waiting", label="waiting")
        deadline = time.monotonic() + 10
        while running.state is not JobState.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting.state is JobState.QUEUED
        assert waiting.cancel()
        assert waiting.state is JobState.CANCELLED and waiting.result is not None and waiting.result.cancelled
        cancelled_at = time.monotonic()
        assert queue.cancel(running.id)
        result = running.wait(10)
        assert result is not None and result.cancelled and time.monotonic() - cancelled_at < 2
        assert running.state is JobState.CANCELLED
        assert not running.cancel(), "finished already"
        assert queue.wait_idle(5)
    assert builder.started == ["VelvetTrim"], "the cancelled queued build never started"
    assert not (tmp_path / "running").exists() and not (tmp_path / "waiting").exists()


def test_a_full_backlog_is_refused(project: GeneratedProject, tmp_path: Path) -> None:
    with BuildQueue(StandIn(hang=True), workers=1, max_pending=1) as queue:
        first = queue.submit(project, tmp_path / "a")
        while first.state is not JobState.RUNNING:
            time.sleep(0.01)
        queue.submit(project, tmp_path / "b")
        with pytest.raises(QueueFull):
            queue.submit(project, tmp_path / "c")
        assert queue.pending == 1 and queue.running == 1


def test_events_iterate_until_the_build_ends(project: GeneratedProject, tmp_path: Path) -> None:
    with BuildQueue(StandIn(units=3), workers=1) as queue:
        job = queue.submit(project, tmp_path)
        events = list(job.events(timeout=10))
    assert isinstance(events[0], LogEvent) and isinstance(events[-1], BuildFinished)
    assert [event.done for event in events if isinstance(event, ProgressEvent)] == [1, 2, 3]


def test_a_crashing_builder_fails_its_job_only(project: GeneratedProject, tmp_path: Path) -> None:
    class Crashing(StandIn):
        def build(self, project, output_dir, cancel=None):
            yield LogEvent(Level.INFO, Source.SYSTEM, "about to crash")
            raise RuntimeError("boom")

    with BuildQueue(Crashing(), workers=1) as queue:
        job = queue.submit(project, tmp_path)
        result = job.wait(10)
    assert job.state is JobState.FAILED and result is not None and "boom" in result.message


def test_calls_share_the_bound(tmp_path: Path) -> None:
    active = []
    most = []
    lock = threading.Lock()

    def call() -> None:
        with lock:
            active.append(1)
            most.append(len(active))
        time.sleep(0.05)
        with lock:
            active.pop()

    with BuildQueue(StandIn(), workers=2) as queue:
        futures = [queue.submit_call(call) for _ in range(6)]
        for future in futures:
            future.result(10)
    assert max(most) == 2


@needs_tools
def test_two_real_builds_at_once(template_build: Callable[[str], TemplateBuild], tmp_path: Path) -> None:
    """Two different plugins built concurrently from the shared archive: both succeed, both load."""
    pedalboard = pytest.importorskip("pedalboard")
    needs_archive()
    template_build("velvet-trim")  # the archive exists
    archive = LocalBuilder().archive()
    assert archive is not None
    # fresh build folders (a real compile each time), the session's archive
    builder = LocalBuilder(cache=tmp_path / "cache", archive_root=archive.root)
    updates: list[QueueUpdate] = []
    with BuildQueue(builder, workers=2) as queue:
        queue.subscribe(updates.append)
        jobs = [
            queue.submit(generate_project(load_plan(name), tmp_path / name), tmp_path / f"{name}-out")
            for name in ("warm-drive", "glue-bus")
        ]
        results = [job.wait(600) for job in jobs]
    assert all(result is not None and result.success for result in results), [r.message for r in results if r]
    first, second = sorted(jobs, key=lambda job: job.started_at)
    assert second.started_at < first.started_at + first.result.duration, "the two builds ran at the same time"
    for job, name in zip(jobs, ("WarmDrive", "GlueBus"), strict=True):
        progress = [u.progress for u in updates if u.job_id == job.id and isinstance(u.event, ProgressEvent)]
        assert progress and all(0 <= p.done <= p.total for p in progress)
        assert pedalboard.load_plugin(str(job.result.artifact)).name == name
