"""The background workers behind the widgets: the newest request wins, nothing blocks the caller."""

from __future__ import annotations

import threading
import time

from vaist_lab.ui.work import Actions, LatestWins


def test_only_the_newest_request_is_delivered_after_a_burst() -> None:
    computed: list[int] = []
    delivered: list[int] = []
    release = threading.Event()

    def compute(value: int) -> int:
        if value == 0:
            release.wait(5)  # the first computation is slow: requests pile up meanwhile
        computed.append(value)
        return value * 10

    worker: LatestWins[int, int] = LatestWins(compute, delivered.append, lambda error: None, debounce_s=0.0)
    worker.submit(0)
    time.sleep(0.05)
    for value in range(1, 50):
        worker.submit(value)
    release.set()
    assert worker.wait_idle(5)
    assert delivered == [490]  # 0 went stale while it computed; 1..48 were superseded before they started
    assert computed == [0, 49]


def test_submit_returns_at_once_while_a_computation_runs() -> None:
    started = threading.Event()
    release = threading.Event()

    def compute(value: int) -> int:
        started.set()
        release.wait(5)
        return value

    worker: LatestWins[int, int] = LatestWins(compute, lambda result: None, lambda error: None, debounce_s=0.0)
    worker.submit(1)
    assert started.wait(5)
    before = time.perf_counter()
    worker.submit(2)
    assert time.perf_counter() - before < 0.05
    release.set()
    assert worker.wait_idle(5)


def test_a_failing_computation_is_reported_and_the_worker_goes_on() -> None:
    failures: list[str] = []
    delivered: list[int] = []

    def compute(value: int) -> int:
        if value < 0:
            raise ValueError("negative")
        return value

    worker: LatestWins[int, int] = LatestWins(compute, delivered.append, lambda error: failures.append(str(error)))
    worker.submit(-1)
    assert worker.wait_idle(5)
    worker.submit(3)
    assert worker.wait_idle(5)
    assert failures == ["negative"]
    assert delivered == [3]


def test_actions_run_in_order_off_the_calling_thread() -> None:
    actions = Actions()
    seen: list[tuple[int, str]] = []
    caller = threading.current_thread().name
    for index in range(5):
        actions.run(lambda index=index: index, lambda result: seen.append((result, threading.current_thread().name)))
    actions.run(lambda: 1 / 0, failed=lambda error: seen.append((-1, type(error).__name__)))
    actions.wait_idle(5)
    assert [value for value, _ in seen] == [0, 1, 2, 3, 4, -1]
    assert all(name != caller for value, name in seen if value >= 0)
    assert seen[-1][1] == "ZeroDivisionError"
