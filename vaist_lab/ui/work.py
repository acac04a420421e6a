"""Work off the widget thread: the kernel's comm thread must stay free for the next slider event.

- `LatestWins`: a worker for recomputations (plots, renders). Requests are debounced and only the newest
  one is computed; a request arriving mid-computation makes the stale result be dropped.
- `Actions`: use cases (chat turns, saves, build starts) one after another on one thread, so that a
  slow AI turn never blocks a slider and two clicks never race each other.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

Request = TypeVar("Request")
Result = TypeVar("Result")


class LatestWins(Generic[Request, Result]):
    """Computes `compute(request)` on a thread of its own for the newest request only, then calls
    `deliver(result)`; `fail(error)` when it raised. A request arriving while one computes supersedes it:
    the older result is never delivered."""

    def __init__(
        self,
        compute: Callable[[Request], Result],
        deliver: Callable[[Result], None],
        fail: Callable[[BaseException], None],
        *,
        debounce_s: float = 0.02,
        name: str = "vaist-latest",
    ) -> None:
        self._compute = compute
        self._deliver = deliver
        self._fail = fail
        self._debounce_s = debounce_s
        self._wake = threading.Condition()
        self._pending: tuple[int, Request] | None = None
        self._generation = 0
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> None:
        with self._wake:
            self._generation += 1
            self._pending = (self._generation, request)
            self._idle.clear()
            self._wake.notify()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once every request so far has been computed and delivered (or dropped as stale)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
            time.sleep(self._debounce_s)  # let a burst of slider events settle: only the newest is computed
            with self._wake:
                generation, request = self._pending  # type: ignore[misc]
                self._pending = None
            try:
                result = self._compute(request)
            except BaseException as error:  # reported to the view, never lost in a thread
                if self._is_current(generation):
                    self._report(self._fail, error)
            else:
                if self._is_current(generation):
                    self._report(self._deliver, result)
            with self._wake:
                if self._pending is None:
                    self._idle.set()

    def _is_current(self, generation: int) -> bool:
        with self._wake:
            return generation == self._generation

    @staticmethod
    def _report(callback: Callable[[Any], None], value: Any) -> None:
        try:
            callback(value)
        except Exception:
            logger.exception("a view failed to show a result")


class Actions:
    """Runs use cases one at a time off the widget thread. `run(call, done, failed)`: `done(result)` or
    `failed(error)` is called on the action thread once `call()` returns or raises."""

    def __init__(self, name: str = "vaist-actions") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(
        self,
        call: Callable[[], Result],
        done: Callable[[Result], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Future[None]:
        def work() -> None:
            try:
                result = call()
            except Exception as error:
                if failed is None:
                    logger.exception("an action failed")
                else:
                    LatestWins._report(failed, error)
                return
            if done is not None:
                LatestWins._report(done, result)

        return self._pool.submit(work)

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until the actions submitted so far have run (tests and notebooks)."""
        self._pool.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["Actions", "LatestWins"]
