"""verify_plugin in a process of its own, for programs with threads (the service's builds, a notebook).

JUCE, inside pedalboard, takes the first thread that loads a plugin for its message thread, and refuses to
load plugins on any other thread for the life of the process ("must be reloaded on the main thread"). A
child process loads on its main thread, every time; a plugin that crashes the host takes only the child.

    python -m vaist_lab.verify.process BUNDLE LEVEL < plan.json

prints one JSON line per progress step ({"progress": ...}), then {"report": VerifyReport.to_json()} or
{"host_error": message}.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.verify.checks import FULL, LEVELS, CheckResult, VerifyLevel, VerifyReport, verify_plugin
from vaist_lab.verify.host import HostError

_END = None


def verify_in_subprocess(
    plan: Plan,
    plugin_path: str | Path,
    *,
    level: VerifyLevel = FULL,
    progress: Callable[[str], None] | None = None,
    timeout: float = 900.0,
) -> VerifyReport:
    """verify_plugin(plan, plugin_path, level=level) in a child process, with its progress reported here as
    it goes. HostError when the host cannot load the plugin, crashes, or takes longer than `timeout`
    seconds; an exception raised by `progress` stops the child and propagates."""
    say = progress or (lambda step: None)
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(plugin_path), level.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            assert child.stdin is not None and child.stdout is not None
            with child.stdin:
                child.stdin.write(json.dumps(plan.to_json_dict()))
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=_read, args=(child.stdout, lines), daemon=True).start()
            deadline = time.monotonic() + timeout
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise HostError(f"{plugin_path}: the verification did not finish in {timeout:g} s") from None
                if line is _END:
                    break
                message = json.loads(line)
                if "progress" in message:
                    say(message["progress"])
                elif "host_error" in message:
                    raise HostError(message["host_error"])
                else:
                    return _report(message["report"])
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        errors.seek(0)
        said = " / ".join(errors.read().decode(errors="replace").strip().splitlines()[-5:])
        ended = f"signal {-child.returncode}" if child.returncode < 0 else f"exit status {child.returncode}"
        raise HostError(f"{plugin_path}: the host crashed while verifying ({ended})" + (f": {said}" if said else ""))


def _read(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            if line.strip():
                lines.put(line)
    finally:
        lines.put(_END)


def _report(data: dict) -> VerifyReport:
    """A VerifyReport back from its to_json()."""
    results = []
    for result in data["results"]:
        figure = result["figure_db"]
        results.append(CheckResult(**{**result, "figure_db": None if figure is None else float(figure)}))
    return VerifyReport(data["plan"], data["plugin"], results)


def _child(plugin_path: str, level: str) -> None:
    def emit(message: dict) -> None:
        print(json.dumps(message), flush=True)

    plan = parse_plan(sys.stdin.read(), "plan")
    try:
        report = verify_plugin(plan, plugin_path, level=LEVELS[level], progress=lambda step: emit({"progress": step}))
    except HostError as error:
        emit({"host_error": str(error)})
        return
    emit({"report": json.loads(report.to_json())})


__all__ = ["verify_in_subprocess"]

if __name__ == "__main__":
    _child(*sys.argv[1:])
