"""Running a build for a project: the runner that turns a Builder's events into database rows and an
artifact (with the plugin's verification and the picture of its window, see inspection.py), the executors
that give it a thread or a process of its own, and the test for builds whose runner is gone.

The pieces are apart so that later ones plug in without touching the others: the bounded build queue and
the detached processes are `BuildExecutor`s, the GitHub Actions builder is another `Builder`; the runner only
needs the builder's events. A runner writes only while the project is still BUILDING *this* build
(`build_id`), so a runner that was given up on (see `orphan_reason`) cannot overwrite a later build, and it
stops when the project's `cancel_requested` is set by any process.

Every build keeps a PlatformBuild row per platform (see store.models): one for a build on this machine, one
per platform asked for on GitHub Actions. A remote build's platforms are recorded one by one as their
PlatformFinished events arrive: the row, and the platform's zip (plugin bundle, verification.json,
pluginval.txt) in the artifact storage as Project.artifacts[platform], its verification stored in the shape
the local inspection stores. Such a build ends SUCCESS when at least one platform delivered (the musician can
download what was built; `last_error` then names the platforms that failed and why), FAILED when none did or
when it was cancelled (the platforms that finished before keep their results).

Log lines of one build are written by its runner alone, one transaction after the other, so their ids
grow in the order they become visible: a follower that asks for the lines after the last id it saw gets
each line once. `log_written` wakes the followers in this process as soon as lines are committed.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import queue
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vaist_lab.build.base import Builder, BuildError
from vaist_lab.build.events import BuildEvent, BuildFinished, Level, LogEvent, PlatformFinished, ProgressEvent, Source
from vaist_lab.build.locks import FileLock
from vaist_lab.build.queue import BuildQueue
from vaist_lab.codegen import CodegenError, GeneratedProject, generate_project
from vaist_lab.config import cache_dir
from vaist_lab.plan import Plan, PlanError, parse_plan
from vaist_lab.service.inspection import (
    Inspection,
    InspectionCancelled,
    Verifier,
    inspect_build,
    not_verified,
    verification_of_report,
    verification_verdict,
    workbench_verifier,
)
from vaist_lab.service.settings import LabSettings
from vaist_lab.service.views import PlatformBuildStatus
from vaist_lab.store.artifacts import ArtifactStorage, StoredArtifact, artifact_key
from vaist_lab.store.database import Database
from vaist_lab.store.errors import StoreError
from vaist_lab.store.logs import add_build_logs
from vaist_lab.store.models import BuildLog, PlatformBuild, Project, ProjectStatus

if TYPE_CHECKING:  # the GitHub builder loads PyGithub: only for builds on GitHub
    from vaist_lab.build.github import GitHubSettings

logger = logging.getLogger(__name__)

# makes the builder of a build on GitHub Actions from the user's settings and the platforms asked for
RemoteBuilderFactory = Callable[["GitHubSettings", Sequence[str]], Builder]
REMOTE_LOG_PLATFORM = "github"  # the platform of a remote build's lines that belong to no one platform
MAX_STEP_CHARS = 200  # PlatformBuild.step's width

_BATCH = 500  # log lines written per transaction at most
_END = object()  # the event stream is over
WORKER_MODULE = "vaist_lab.service.build_worker"

# builds whose runner lives in this process (for every Lab in it): build id -> its cancel event
_running: dict[uuid.UUID, threading.Event] = {}
_running_lock = threading.Lock()


class LogSignal:
    """Tells the log followers of this process that build log lines were committed: `generation` before
    looking, then `wait(generation, timeout)` returns at once if lines were written meanwhile."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, generation: int, timeout: float) -> bool:
        """True when lines were written since `generation`; False when `timeout` seconds passed first."""
        with self._condition:
            return self._condition.wait_for(lambda: self._generation != generation, timeout)


log_written = LogSignal()


def default_work_root() -> Path:
    """Where build runs make their workspaces, by default."""
    return cache_dir() / "project-builds"


def artifact_keys(info: dict[str, Any]) -> list[str]:
    """The storage keys an artifact's info refers to: the plugin's, and its window's picture's if drawn."""
    return [info["key"], *([info["editor_png"]] if info.get("editor_png") else [])]


def this_worker() -> str:
    """Who runs builds here: host and process, as recorded in Project.build_worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def host_platform() -> str:
    """The platform of builds made on this machine: linux-x86_64, macos-arm64, windows-amd64..."""
    system = {"darwin": "macos"}.get(platform.system().lower(), platform.system().lower())
    return f"{system}-{platform.machine().lower() or 'unknown'}"


def github_builder(settings: GitHubSettings, platforms: Sequence[str]) -> Builder:
    """The builder of builds on GitHub Actions (the default RemoteBuilderFactory)."""
    from vaist_lab.build.github import GitHubBuilder

    return GitHubBuilder(settings, platforms)


def end_platform_builds(
    session: Session, build_id: uuid.UUID, status: PlatformBuildStatus, message: str, now: datetime
) -> None:
    """Finish the rows of build `build_id` that are still building (a build that ended before they did)."""
    rows = session.scalars(
        select(PlatformBuild).where(
            PlatformBuild.build_id == build_id, PlatformBuild.status == PlatformBuildStatus.BUILDING
        )
    )
    for row in rows:
        row.status = status
        row.message = message
        row.finished_at = now
        row.duration_s = max(0.0, (now - row.started_at).total_seconds())


def register_running(build_id: uuid.UUID) -> threading.Event:
    with _running_lock:
        return _running.setdefault(build_id, threading.Event())


def unregister_running(build_id: uuid.UUID) -> None:
    with _running_lock:
        _running.pop(build_id, None)


def running_cancel_event(build_id: uuid.UUID) -> threading.Event | None:
    with _running_lock:
        return _running.get(build_id)


def orphan_reason(project: Project, now: datetime, stale_after: timedelta) -> str | None:
    """Why a BUILDING project's build can no longer finish (its runner is gone), or None if it may."""
    worker = project.build_worker or ""
    host, _, pid_text = worker.rpartition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            alive = running_cancel_event(project.build_id) is not None if project.build_id else False
        else:
            alive = _process_exists(pid)
        if not alive:
            return f"the build was interrupted: its builder (process {pid} on {host}) is gone"
    # another machine's runner (or a reused process id): trust only its heartbeat
    heartbeat = project.build_heartbeat_at or project.build_started_at
    if heartbeat is None or now - heartbeat > stale_after:
        since = f" since {heartbeat:%Y-%m-%d %H:%M:%S} UTC" if heartbeat else ""
        return f"the build was interrupted: no sign of its builder ({worker or 'unknown'}){since}"
    return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, but belongs to someone else
        return True
    return True


@dataclass(frozen=True)
class BuildJob:
    project_id: uuid.UUID
    build_id: uuid.UUID
    plan_json: dict[str, Any]
    plugin_code: str
    taken_codes: frozenset[str]  # other projects' plugin codes, so that generation keeps this one
    platform: str  # this machine's; a remote build's: REMOTE_LOG_PLATFORM (its lines of no one platform)
    remote: str | None = None  # "github": built on GitHub Actions for `platforms`
    platforms: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "project_id": str(self.project_id),
            "build_id": str(self.build_id),
            "plan_json": self.plan_json,
            "plugin_code": self.plugin_code,
            "taken_codes": sorted(self.taken_codes),
            "platform": self.platform,
            "remote": self.remote,
            "platforms": list(self.platforms),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildJob:
        return cls(
            uuid.UUID(data["project_id"]),
            uuid.UUID(data["build_id"]),
            data["plan_json"],
            data["plugin_code"],
            frozenset(data["taken_codes"]),
            data["platform"],
            data["remote"],
            tuple(data["platforms"]),
        )


class BuildExecutor(ABC):
    """Gives build runs somewhere to run."""

    @abstractmethod
    def submit(self, job: BuildJob, run: Callable[[], None]) -> Future[None]:
        """Run `run` (the whole build of `job`) soon; the future completes when it has."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop taking builds; with `wait`, return once running ones have ended."""


class ThreadBuildExecutor(BuildExecutor):
    """A thread per build, started at once (the status machine allows one build per project). Its threads
    are not daemons: a process that started a build ends after the build has been recorded."""

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def submit(self, job: BuildJob, run: Callable[[], None]) -> Future[None]:
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()

        def target() -> None:
            try:
                run()
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(None)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=f"vaist-build-{job.project_id}")
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return future

    def shutdown(self, wait: bool = True) -> None:
        if wait:
            with self._lock:
                threads = list(self._threads)
            for thread in threads:
                thread.join()


class QueuedBuildExecutor(BuildExecutor):
    """At most `workers` builds at once, on a vaist_lab.build.BuildQueue; the others wait their turn. While a
    build waits, `keep_alive(job)` refreshes its heartbeat every `interval` seconds, so that recovery in
    another process does not take a patiently queued build for an orphaned one. A build on GitHub Actions
    uses no compiler here: it starts at once, on a thread of its own, and takes no place in the queue."""

    def __init__(self, workers: int, keep_alive: Callable[[BuildJob], object], interval: float) -> None:
        self.queue = BuildQueue(_calls_only, workers=workers, name="vaist-service-build")
        self.remote = ThreadBuildExecutor()
        self.keep_alive = keep_alive
        self.interval = interval
        self._waiting: dict[uuid.UUID, BuildJob] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(
            target=self._keep_waiting_builds_alive, name="vaist-build-heartbeat", daemon=True
        )
        self._ticker.start()

    def submit(self, job: BuildJob, run: Callable[[], None]) -> Future[None]:
        if job.remote is not None:
            return self.remote.submit(job, run)

        def begin() -> None:
            with self._lock:
                self._waiting.pop(job.build_id, None)
            run()

        with self._lock:
            self._waiting[job.build_id] = job
        return self.queue.submit_call(begin)

    def _keep_waiting_builds_alive(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                waiting = list(self._waiting.values())
            for job in waiting:
                try:
                    self.keep_alive(job)
                except StoreError:  # the next tick tries again; recovery decides if it stays silent
                    logger.warning("cannot refresh the heartbeat of queued build %s", job.build_id)

    def shutdown(self, wait: bool = True) -> None:
        self.queue.shutdown(wait=wait)
        self.remote.shutdown(wait=wait)
        self._stop.set()


class DetachedBuildExecutor(BuildExecutor):
    """Each build in a process of its own (`python -m vaist_lab.service.build_worker`, in a session of its
    own), so that it outlives the process that started it: a Voila page's kernel, shut down when its page
    closes. The worker opens the same database and data folder (named explicitly, with the settings), records
    its own process as the build's worker (so that recovery sees when it is gone), runs at most
    `settings.build_workers` builds at once on this machine (builds on GitHub Actions do not count), and stops
    when the build's cancel_requested is set, from any process (or on SIGTERM).

    The `run` given to `submit` is not used: the worker makes its own builder, a LocalBuilder (or the factory
    that VAIST_BUILD_WORKER_BUILDER names, for tests). `shutdown` does not wait for the builds: they go on.
    What a worker prints goes to <work root>/workers/<build id>.log, removed when it ends well."""

    def __init__(
        self,
        database_url: str,
        data: Path,
        settings: LabSettings,
        work_root: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        self.database_url = database_url
        self.data = Path(data)
        self.settings = settings
        self.work_root = work_root or default_work_root()
        self.python = python

    def submit(self, job: BuildJob, run: Callable[[], None]) -> Future[None]:
        task = {
            "database_url": self.database_url,
            "data": str(self.data),
            "work_root": str(self.work_root),
            "settings": self.settings.to_json(),
            "job": job.to_json(),
        }
        log_path = self.work_root / "workers" / f"{job.build_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [self.python, "-m", WORKER_MODULE],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a kernel's shutdown signals its process group, not this one
            )
        future: Future[None] = Future()
        future.set_running_or_notify_cancel()
        threading.Thread(
            target=self._watch, args=(job, process, log_path, future), name=f"vaist-build-{job.project_id}", daemon=True
        ).start()
        assert process.stdin is not None
        with process.stdin:  # a worker that cannot read its task ends at once: the start fails (Lab._start)
            process.stdin.write(json.dumps(task).encode())
        return future

    @staticmethod
    def _watch(job: BuildJob, process: subprocess.Popen[bytes], log_path: Path, future: Future[None]) -> None:
        """Reap the worker; until then this process counts as the build's runner for recovery (until the
        worker has recorded itself)."""
        returncode = process.wait()
        unregister_running(job.build_id)
        if returncode == 0:
            log_path.unlink(missing_ok=True)
        else:
            logger.warning("the worker of build %s ended with %s: see %s", job.build_id, returncode, log_path)
        future.set_result(None)

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to stop: the builds go on in their own processes."""


def _calls_only() -> Builder:
    raise BuildError("the service's build queue runs whole build runs (submit_call), not bare builders")


@dataclass(frozen=True)
class _Outcome:
    status: ProjectStatus
    message: str
    artifact: dict[str, Any] | None = None  # a local build's plugin (a remote build's are stored as they come)
    cancelled: bool = False
    note: str | None = None  # what went wrong in a build that succeeded on some platforms only


_CANCELLED = _Outcome(ProjectStatus.FAILED, "cancelled", cancelled=True)


def _locked_if_building(session: Session, job: BuildJob) -> Project | None:
    """The job's project, locked for update, while it is still BUILDING this job's build; else None."""
    return session.scalars(
        select(Project)
        .where(Project.id == job.project_id, Project.build_id == job.build_id, Project.status == ProjectStatus.BUILDING)
        .with_for_update()
    ).one_or_none()


class BuildRunner:
    """Runs one build job to its end and records everything on the way (see the module docstring)."""

    def __init__(
        self,
        database: Database,
        storage: ArtifactStorage,
        settings: LabSettings,
        clock: Callable[[], datetime],
        work_root: Path,
        verifier: Verifier = workbench_verifier,
    ) -> None:
        self.database = database
        self.storage = storage
        self.settings = settings
        self.clock = clock
        self.work_root = work_root
        self.verifier = verifier

    def run(self, job: BuildJob, builder: Builder, cancel: threading.Event) -> None:
        workspace = self.work_root / str(job.project_id)
        lock = FileLock(workspace / ".lock")  # `vaist-lab cache clear` leaves a locked folder alone
        try:
            if lock.acquire(exclusive=True, cancel=cancel):
                outcome = self._build(job, builder, cancel, workspace)
            else:
                outcome = _CANCELLED
        except Exception as error:  # a bug or a lost database must not leave the project BUILDING
            logger.exception("build %s of project %s crashed", job.build_id, job.project_id)
            outcome = _Outcome(ProjectStatus.FAILED, f"internal error: {type(error).__name__}: {error}")
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
            lock.release()
        self._end(job, outcome)

    def give_up(self, job: BuildJob, reason: str, cancelled: bool = False) -> None:
        """End a build that never ran (cancelled while it waited, or its builder could not be made): FAILED
        with `reason`."""
        self._end(job, _Outcome(ProjectStatus.FAILED, reason, cancelled=cancelled))

    def _end(self, job: BuildJob, outcome: _Outcome) -> None:
        """Record how the build ended (if it is still this job's) and forget it as running here."""
        try:
            self._finish(job, outcome)
        except StoreError:  # recovery will fail the project once its heartbeat is stale
            logger.exception("cannot record the end of build %s of project %s", job.build_id, job.project_id)
        finally:
            unregister_running(job.build_id)

    def take_over(self, job: BuildJob) -> bool:
        """Record this process as the build's runner (what a detached worker does first); False when the
        build is no longer this job's (given up on, or ended meanwhile)."""
        with self.database.session() as session:
            taken = session.execute(
                update(Project)
                .where(
                    Project.id == job.project_id,
                    Project.build_id == job.build_id,
                    Project.status == ProjectStatus.BUILDING,
                )
                .values(build_worker=this_worker(), build_heartbeat_at=self.clock())
            )
            return taken.rowcount > 0

    def record(self, job: BuildJob, events: Sequence[BuildEvent]) -> bool:
        """Store log lines and the latest progress of `events` with a heartbeat, in one transaction. True
        when the build should stop: cancelled from anywhere, or the project is no longer this build's."""
        now = self.clock()
        progress = {event.platform or job.platform: event for event in events if isinstance(event, ProgressEvent)}
        with self.database.session() as session:
            ours = (Project.id == job.project_id, Project.build_id == job.build_id)
            updated = session.execute(
                update(Project).where(*ours, Project.status == ProjectStatus.BUILDING).values(build_heartbeat_at=now)
            )
            if updated.rowcount == 0:
                return True
            if progress:
                self._record_progress(session, job, progress)
            written = add_build_logs(
                session,
                job.project_id,
                job.build_id,
                job.platform,
                (event for event in events if isinstance(event, LogEvent)),
                now,
                self.settings.max_log_message_chars,
            )
            stop = bool(session.scalar(select(Project.cancel_requested).where(*ours)))
        if written:
            log_written.notify()
        return stop

    @staticmethod
    def _record_progress(session: Session, job: BuildJob, progress: dict[str, ProgressEvent]) -> None:
        """Each platform's latest progress on its row; the project's is their sum (the steps of all)."""
        for name, event in progress.items():
            session.execute(
                update(PlatformBuild)
                .where(PlatformBuild.build_id == job.build_id, PlatformBuild.platform == name)
                .values(progress_done=event.done, progress_total=event.total, step=event.step[:MAX_STEP_CHARS])
            )
        done, total = session.execute(
            select(func.sum(PlatformBuild.progress_done), func.sum(PlatformBuild.progress_total)).where(
                PlatformBuild.build_id == job.build_id
            )
        ).one()
        session.execute(
            update(Project)
            .where(Project.id == job.project_id)
            .values(build_progress_done=done, build_progress_total=total)
        )

    def _log(self, job: BuildJob, level: Level, message: str) -> bool:
        return self.record(job, [LogEvent(level, Source.SYSTEM, message)])

    def _build(self, job: BuildJob, builder: Builder, cancel: threading.Event, workspace: Path) -> _Outcome:
        where = ", ".join(job.platforms) if job.remote else job.platform
        if self._log(job, Level.INFO, f"generating the JUCE project ({builder.name} builder, {where})"):
            cancel.set()
        try:
            plan = parse_plan(job.plan_json, "approved plan")
            project = generate_project(
                plan, workspace / "project", project_key=str(job.project_id), taken_codes=job.taken_codes
            )
        except (PlanError, CodegenError, OSError) as error:
            return _Outcome(ProjectStatus.FAILED, f"cannot generate the project: {error}")
        if project.plugin_code != job.plugin_code:
            self._log(job, Level.WARNING, f"plugin code {project.plugin_code} differs from {job.plugin_code}")
        events = builder.build(project, workspace / "output", cancel)
        if job.remote:
            return self._build_remotely(job, builder.name, events, cancel, project.plugin_name)
        finished = self._pump(job, builder.name, events, cancel)
        if finished.cancelled or (cancel.is_set() and not finished.success):
            return _CANCELLED
        if not finished.success or finished.artifact is None:
            return _Outcome(ProjectStatus.FAILED, finished.message or "the build failed")
        try:
            inspection = self._inspect(job, plan, project, builder, finished.artifact, workspace, cancel)
        except InspectionCancelled:
            return _CANCELLED
        try:
            stored = self._store(job, finished.artifact, workspace, inspection)
        except (OSError, StoreError) as error:
            return _Outcome(ProjectStatus.FAILED, f"cannot store the built plugin: {error}")
        return _Outcome(ProjectStatus.SUCCESS, finished.message or "built", stored)

    def _build_remotely(
        self, job: BuildJob, builder_name: str, events: Iterator[BuildEvent], cancel: threading.Event, plugin: str
    ) -> _Outcome:
        """Record each platform as soon as it is done; the outcome of the whole (see the module docstring)."""
        results: dict[str, tuple[bool, str]] = {}  # platform -> (succeeded, message)

        def platform_finished(event: PlatformFinished) -> None:
            results[event.platform] = self._record_platform(job, event, plugin)

        finished = self._pump(job, builder_name, events, cancel, platform_finished)
        if finished.cancelled or (cancel.is_set() and not finished.success):
            return _CANCELLED
        delivered = [platform for platform, (succeeded, _) in results.items() if succeeded]
        if not delivered:
            return _Outcome(ProjectStatus.FAILED, finished.message or "the build failed")
        failed = [
            f"{platform} failed: {results[platform][1] if platform in results else finished.message}"
            for platform in job.platforms
            if platform not in delivered
        ]
        return _Outcome(ProjectStatus.SUCCESS, finished.message or "built", note="; ".join(failed) or None)

    def _record_platform(self, job: BuildJob, event: PlatformFinished, plugin: str) -> tuple[bool, str]:
        """Store a platform's zip (when it delivered one) and its row, at once; whether it succeeded, and what
        happened in one line."""
        succeeded, message, info = event.success, event.message, None
        if event.artifact is not None:
            try:
                info = self._store_platform(job, event, plugin)
            except (OSError, StoreError) as error:
                succeeded, message = False, f"cannot store its plugin: {error}"
                self.record(job, [LogEvent(Level.ERROR, Source.SYSTEM, message, platform=event.platform)])
        passed, worst = verification_verdict(info["verification"] if info else None)
        now = self.clock()
        replaced: list[str] = []
        with self.database.session() as session:
            project = _locked_if_building(session, job)
            if project is None:  # given up on meanwhile (recovery); its artifact is left to cleanup
                return succeeded, message
            session.execute(
                update(PlatformBuild)
                .where(PlatformBuild.build_id == job.build_id, PlatformBuild.platform == event.platform)
                .values(
                    status=PlatformBuildStatus.SUCCEEDED if succeeded else PlatformBuildStatus.FAILED,
                    message=message,
                    finished_at=now,
                    duration_s=event.duration,
                    passed=passed,
                    worst_db=worst,
                    step="",
                )
            )
            if info is not None:
                replaced = _keep_artifact(project, event.platform, info)
        for key in replaced:
            self.storage.delete(key)
        return succeeded, message

    def _store_platform(self, job: BuildJob, event: PlatformFinished, plugin: str) -> dict[str, Any]:
        """A platform's zip from GitHub Actions into the storage; its artifact info. Its verification was made
        on that platform's runner (verification.json); a window is drawn only for builds on this machine."""
        assert event.artifact is not None
        try:
            if event.verification is None:
                raise ValueError("none came back")
            verification = verification_of_report(event.verification)
        except ValueError as error:  # the plugin is kept all the same
            verification = not_verified(f"its verification report from {event.platform}: {error}").verification
        stored = self._put(job, event.platform, event.artifact, f"{plugin}-{event.platform}.zip")
        return self._info(job, stored, verification)

    def _inspect(
        self,
        job: BuildJob,
        plan: Plan,
        project: GeneratedProject,
        builder: Builder,
        bundle: Path,
        workspace: Path,
        cancel: threading.Event,
    ) -> Inspection:
        """Verify the plugin and draw its window (see inspection.py), when it was built for this machine."""
        if not self.settings.verify_builds:
            return not_verified("verification is switched off (VAIST_VERIFY_BUILDS=0)")
        if job.platform != host_platform():
            return not_verified(f"built for {job.platform}, and this machine is {host_platform()}")

        def say(level: Level, message: str) -> bool:
            if self.record(job, [LogEvent(level, Source.VERIFY, message)]):
                cancel.set()
            return cancel.is_set()

        with self._heartbeat(job, cancel):  # drawing the window compiles a program: minutes on a busy machine
            return inspect_build(plan, bundle, project, builder, workspace / "inspection", say, self.verifier)

    @contextmanager
    def _heartbeat(self, job: BuildJob, cancel: threading.Event) -> Iterator[None]:
        """Keep the build's heartbeat (and look for a cancel) while a step says nothing for a long time."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.settings.heartbeat_interval):
                try:
                    if self.record(job, ()):
                        cancel.set()
                except StoreError:  # the next beat tries again; recovery decides if it stays silent
                    logger.warning("cannot refresh the heartbeat of build %s", job.build_id)

        beating = threading.Thread(target=beat, name=f"vaist-build-heartbeat-{job.project_id}", daemon=True)
        beating.start()
        try:
            yield
        finally:
            done.set()
            beating.join()

    def _pump(
        self,
        job: BuildJob,
        builder_name: str,
        events: Iterator[BuildEvent],
        cancel: threading.Event,
        platform_finished: Callable[[PlatformFinished], object] | None = None,
    ) -> BuildFinished:
        """Drain the builder's events from a thread of their own, so that this one can write heartbeats
        while the builder is silent (a long link step) and write lines in batches while it is chatty; each
        platform's verdict goes to `platform_finished` right after the lines that came before it."""
        pending: queue.Queue[object] = queue.Queue(maxsize=10 * _BATCH)  # bounded: back-pressure on the builder
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                for event in events:
                    pending.put(event)
            except BaseException as error:  # a builder that breaks its promise never to raise
                failure.append(error)
            finally:
                pending.put(_END)

        producer = threading.Thread(target=produce, name=f"vaist-build-events-{job.project_id}", daemon=True)
        producer.start()
        finished: BuildFinished | None = None
        writing = True
        ended = False
        while not ended:
            batch: list[BuildEvent] = []
            try:
                item = pending.get(timeout=self.settings.heartbeat_interval)
                while True:
                    if item is _END:
                        ended = True
                        break
                    batch.append(item)  # type: ignore[arg-type]
                    if len(batch) >= _BATCH:
                        break
                    item = pending.get_nowait()
            except queue.Empty:
                pass
            finished = next((event for event in batch if isinstance(event, BuildFinished)), finished)
            if writing:
                try:
                    if self.record(job, batch):
                        cancel.set()
                    for event in batch:
                        if isinstance(event, PlatformFinished) and platform_finished is not None:
                            platform_finished(event)
                except StoreError:
                    logger.exception("cannot record the events of build %s; stopping it", job.build_id)
                    writing = False
                    cancel.set()
        producer.join()
        if failure:
            error = failure[0]
            return BuildFinished(False, None, 0.0, message=f"the {builder_name} builder crashed: {error}")
        if finished is None:
            return BuildFinished(False, None, 0.0, message="the builder ended without a result")
        return finished

    def _store(self, job: BuildJob, artifact: Path, workspace: Path, inspection: Inspection) -> dict[str, Any]:
        """Put the artifact (a .vst3 bundle is a folder: zipped) and its window's picture into the storage,
        labelled with their project, its owner, the platform and the build; the artifact's info."""
        if artifact.is_dir():
            archive = shutil.make_archive(
                str(workspace / "archive" / artifact.name), "zip", root_dir=artifact.parent, base_dir=artifact.name
            )
            source = Path(archive)
        else:
            source = artifact
        info = self._info(job, self._put(job, job.platform, source, source.name), inspection.verification)
        if inspection.editor_png is not None:
            picture = f"{Path(artifact.name).stem}-window.png"
            info["editor_png"] = self._put(job, job.platform, inspection.editor_png, picture).key
        if inspection.editor_error is not None:
            info["editor_error"] = inspection.editor_error
        return info

    def _put(self, job: BuildJob, platform: str, source: Path, filename: str) -> StoredArtifact:
        """`source` into the storage as projects/<project>/<platform>/<filename>, labelled with the project, its
        owner, the platform and the build."""
        with self.database.session() as session:
            owner = session.scalar(select(Project.user_id).where(Project.id == job.project_id))
        metadata = {
            "project": str(job.project_id),
            "user": str(owner),
            "platform": platform,
            "build": str(job.build_id),
        }
        return self.storage.put(artifact_key(job.project_id, platform, filename), source, metadata)

    def _info(self, job: BuildJob, stored: StoredArtifact, verification: dict[str, Any]) -> dict[str, Any]:
        """An artifact's info as Project.artifacts keeps it."""
        return {
            "key": stored.key,
            "filename": stored.key.rsplit("/", 1)[-1],
            "size": stored.size,
            "sha256": stored.sha256,
            "built_at": self.clock().isoformat(),
            "build": str(job.build_id),
            "verification": verification,
        }

    def _finish(self, job: BuildJob, outcome: _Outcome) -> None:
        now = self.clock()
        replaced: list[str] = []
        with self.database.session() as session:
            project = _locked_if_building(session, job)
            if project is None:  # given up on meanwhile (recovery); its artifact is left to cleanup
                return
            failed = outcome.status is ProjectStatus.FAILED
            project.status = outcome.status
            project.last_error = outcome.message if failed else outcome.note
            project.build_finished_at = now
            project.build_heartbeat_at = now
            project.cancel_requested = False
            project.updated_at = now
            if outcome.artifact is not None:
                replaced = _keep_artifact(project, job.platform, outcome.artifact)
                passed, worst = verification_verdict(outcome.artifact.get("verification"))
                session.execute(
                    update(PlatformBuild)
                    .where(PlatformBuild.build_id == job.build_id, PlatformBuild.platform == job.platform)
                    .values(passed=passed, worst_db=worst)
                )
            if outcome.cancelled:
                status = PlatformBuildStatus.CANCELLED
            elif job.remote is None and not failed:
                status = PlatformBuildStatus.SUCCEEDED
            else:  # a remote build's platforms ended as they came: those left got no verdict
                status = PlatformBuildStatus.FAILED
            end_platform_builds(session, job.build_id, status, outcome.message, now)
            session.add(
                BuildLog(
                    project_id=job.project_id,
                    build_id=job.build_id,
                    level=(Level.ERROR if failed else Level.INFO).value,
                    source=Source.SYSTEM.value,
                    platform=job.platform,
                    message=f"build failed: {outcome.message}" if failed else outcome.message,
                    created_at=now,
                )
            )
        log_written.notify()
        for key in replaced:
            self.storage.delete(key)


def _keep_artifact(project: Project, platform: str, info: dict[str, Any]) -> list[str]:
    """Make `info` the project's artifact for `platform`; the storage keys of the one it replaces that the new
    one no longer uses (to delete once committed)."""
    previous = project.artifacts.get(platform)
    kept = artifact_keys(info)
    project.artifacts = {**project.artifacts, platform: info}
    return [key for key in artifact_keys(previous) if key not in kept] if previous else []


__all__ = [
    "BuildExecutor",
    "BuildJob",
    "BuildRunner",
    "DetachedBuildExecutor",
    "LogSignal",
    "QueuedBuildExecutor",
    "RemoteBuilderFactory",
    "ThreadBuildExecutor",
    "artifact_keys",
    "default_work_root",
    "end_platform_builds",
    "github_builder",
    "host_platform",
    "log_written",
    "orphan_reason",
    "this_worker",
]
