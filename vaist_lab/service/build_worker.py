"""One build in a process of its own, started by builds.DetachedBuildExecutor:

    python -m vaist_lab.service.build_worker < task.json

The task names the database URL, the data folder, the work root, the settings and the build job. The
worker records itself as the build's runner, waits for one of the machine's `build_workers` build slots
(file locks in the data folder; the wait keeps the build's heartbeat and obeys a cancel; a build on GitHub
Actions compiles nothing here and takes none), then runs the build with a BuildRunner as a thread of the
service would. SIGTERM cancels the build (recorded as
"cancelled"); a cancel from any process reaches it through the database.

A build on GitHub Actions is built by a GitHubBuilder made from the settings of the project's owner: their
token (decrypted with the same secret as the service's), repository and API URL, each falling back on the
server's configuration (VAIST_GITHUB_*; the worker inherits the service's environment).

VAIST_BUILD_WORKER_BUILDER="module:callable" names the builder factory to use instead of the LocalBuilder,
VAIST_BUILD_WORKER_REMOTE_BUILDER="module:callable" the one instead of the GitHubBuilder (called with the
settings and the platforms): for tests, which run the worker with a scripted builder, or against a GitHub on
loopback with short polls.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vaist_lab.build.base import Builder
from vaist_lab.build.events import Level, LogEvent, Source
from vaist_lab.build.locks import FileLock
from vaist_lab.service.builds import BuildJob, BuildRunner, RemoteBuilderFactory, github_builder, register_running
from vaist_lab.service.lab import user_github_settings
from vaist_lab.service.settings import LabSettings
from vaist_lab.store.artifacts import artifact_storage
from vaist_lab.store.database import Database
from vaist_lab.store.models import Project, utc_now
from vaist_lab.store.secrets import Keyring, load_keyring

BUILDER_VARIABLE = "VAIST_BUILD_WORKER_BUILDER"
REMOTE_BUILDER_VARIABLE = "VAIST_BUILD_WORKER_REMOTE_BUILDER"
SLOTS_FOLDER = "build-slots"


def _named(variable: str) -> Any:
    """The callable that `variable` names as module:callable, or None when it is not set."""
    named = os.environ.get(variable, "").strip()
    if not named:
        return None
    module, _, name = named.partition(":")
    return getattr(importlib.import_module(module), name)


def builder_factory() -> Callable[[], Builder]:
    """The LocalBuilder, or the factory VAIST_BUILD_WORKER_BUILDER names (tests)."""
    named = _named(BUILDER_VARIABLE)
    if named is None:
        from vaist_lab.build.local import LocalBuilder

        return LocalBuilder
    return named


def remote_builder_factory() -> RemoteBuilderFactory:
    """The GitHubBuilder, or the factory VAIST_BUILD_WORKER_REMOTE_BUILDER names (tests)."""
    return _named(REMOTE_BUILDER_VARIABLE) or github_builder


def make_builder(job: BuildJob, database: Database, keyring: Keyring) -> Builder:
    """The builder of `job`: on this machine, or on GitHub with the settings of the project's owner."""
    if job.remote is None:
        return builder_factory()()
    with database.session() as session:
        owner = session.scalar(select(Project.user_id).where(Project.id == job.project_id))
        settings = user_github_settings(session, keyring, owner)
    return remote_builder_factory()(settings, job.platforms)


def take_slot(runner: BuildRunner, job: BuildJob, folder: Path, cancel: threading.Event) -> FileLock | None:
    """One of the machine's build slots, held until released; None when cancelled while waiting."""
    announced = False
    while True:
        for index in range(runner.settings.build_workers):
            slot = FileLock(folder / f"{index}.lock")
            if slot.try_acquire(exclusive=True):
                return slot
        waiting = [] if announced else [LogEvent(Level.INFO, Source.SYSTEM, "waiting for another build to finish")]
        announced = True
        if runner.record(job, waiting) or cancel.wait(runner.settings.heartbeat_interval):
            return None


def run(task: dict) -> None:
    settings = LabSettings.from_json(task["settings"])
    job = BuildJob.from_json(task["job"])
    data = Path(task["data"])
    database = Database(task["database_url"], settings.busy_timeout)
    try:
        keyring = load_keyring(data, create=False)
        storage = artifact_storage(data / "artifacts", keyring.signing_key)
        runner = BuildRunner(database, storage, settings, utc_now, Path(task["work_root"]))
        cancel = register_running(job.build_id)
        signal.signal(signal.SIGTERM, lambda *_: cancel.set())
        if not runner.take_over(job):
            return  # ended (or given up on) before this process started
        slot = take_slot(runner, job, data / SLOTS_FOLDER, cancel) if job.remote is None else nullcontext()
        if slot is None:
            runner.give_up(job, "cancelled", cancelled=True)
            return
        with slot:
            try:
                builder = make_builder(job, database, keyring)
            except Exception as error:  # a wrong factory, or a token that no longer decrypts: not BUILDING forever
                runner.give_up(job, f"cannot make the builder: {type(error).__name__}: {error}")
                return
            runner.run(job, builder, cancel)
    finally:
        database.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(json.load(sys.stdin))


if __name__ == "__main__":
    main()
