"""One build in a process of its own, started by builds.DetachedBuildExecutor:

    python -m vaist_lab.service.build_worker < task.json

The task names the database URL, the data folder, the work root, the settings and the build job. The
worker records itself as the build's runner, waits for one of the machine's `build_workers` build slots
(file locks in the data folder; the wait keeps the build's heartbeat and obeys a cancel), then runs the
build with a BuildRunner as a thread of the service would. SIGTERM cancels the build (recorded as
"cancelled"); a cancel from any process reaches it through the database.

VAIST_BUILD_WORKER_BUILDER="module:callable" names the builder factory to use instead of the LocalBuilder:
for tests, which run the worker with a scripted builder.
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
from pathlib import Path

from vaist_lab.build.base import Builder
from vaist_lab.build.events import Level, LogEvent, Source
from vaist_lab.build.locks import FileLock
from vaist_lab.service.builds import BuildJob, BuildRunner, register_running
from vaist_lab.service.settings import LabSettings
from vaist_lab.store.artifacts import artifact_storage
from vaist_lab.store.database import Database
from vaist_lab.store.models import utc_now
from vaist_lab.store.secrets import load_keyring

BUILDER_VARIABLE = "VAIST_BUILD_WORKER_BUILDER"
SLOTS_FOLDER = "build-slots"


def builder_factory() -> Callable[[], Builder]:
    """The LocalBuilder, or the factory VAIST_BUILD_WORKER_BUILDER names (tests)."""
    named = os.environ.get(BUILDER_VARIABLE, "").strip()
    if not named:
        from vaist_lab.build.local import LocalBuilder

        return LocalBuilder
    module, _, name = named.partition(":")
    return getattr(importlib.import_module(module), name)


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
        storage = artifact_storage(data / "artifacts", load_keyring(data, create=False).signing_key)
        runner = BuildRunner(database, storage, settings, utc_now, Path(task["work_root"]))
        cancel = register_running(job.build_id)
        signal.signal(signal.SIGTERM, lambda *_: cancel.set())
        if not runner.take_over(job):
            return  # ended (or given up on) before this process started
        slot = take_slot(runner, job, data / SLOTS_FOLDER, cancel)
        if slot is None:
            runner.give_up(job, "cancelled")
            return
        with slot:
            try:
                builder = builder_factory()()
            except Exception as error:  # a wrong VAIST_BUILD_WORKER_BUILDER must not leave the project BUILDING
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
