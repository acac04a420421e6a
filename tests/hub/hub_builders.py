"""The builder the hub tests' service builds with (VAIST_BUILD_WORKER_BUILDER=hub_builders:paced): the
scripted builder of tests/service, its log lines paced, and held half way while the file that
VAIST_TEST_BUILD_HOLD names exists, so that a test can restart the service in the middle of a build."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from hub_harness import HOLD_VARIABLE
from scripted_builder import ScriptedBuilder, compiler_lines

from vaist_lab.build.events import BuildEvent, ProgressEvent
from vaist_lab.codegen.project import GeneratedProject

LINES = 24
PAUSE = 0.05  # seconds before each event
MAX_HOLD = 120.0  # seconds: a test that forgot its hold must not leave a worker behind for good


class HeldBuilder(ScriptedBuilder):
    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Iterator[BuildEvent]:
        hold = Path(os.environ.get(HOLD_VARIABLE, "/nonexistent"))
        for event in super().build(project, output_dir, cancel):
            yield event
            if isinstance(event, ProgressEvent) and event.done == 1:
                deadline = time.monotonic() + MAX_HOLD
                while hold.exists() and time.monotonic() < deadline and not (cancel and cancel.is_set()):
                    time.sleep(0.05)


def paced() -> ScriptedBuilder:
    events = [*compiler_lines(LINES // 2), ProgressEvent(1, 2, "half way"), *compiler_lines(LINES // 2)]
    return HeldBuilder(events=[*events, ProgressEvent(2, 2, "linking")], pause=PAUSE)
