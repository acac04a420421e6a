"""Many signed-in users at once against the vaist hub service, through a real JupyterHub's proxy on loopback:

    python benchmarks/bench_hub_load.py [--users 20] [--databases sqlite,postgresql] [--chat-turns 4]
        [--edits 4] [--saves 2] [--builders N] [--build-workers 4] [--keep FOLDER]

Per database (the service's SQLite file, then a PostgreSQL server started on loopback as the tests start
one), a hub (tests/hub/hub_harness.py: JupyterHub, the pinned configurable-http-proxy, the service with the
scripted builder) and, each user with their own hub token through HubLab, the session of tests/hub/hub_load.py:
create a project, chat turns (offline planner), parameter edits from two tabs at once, hand saves, approve, a
build followed by log long polls (every user, or the first `--builders`), downloads, lists. First one user
alone (the floor: the same calls with nothing else running; after a warm-up user), then `--users` users
released together.

Prints per call p50 / p95 / max in ms, alone and in the crowd, the crowd's ratios to the floor, and the
service's own time for the call (its access log: queueing in its thread pools included, the proxy and the
client excluded); the crowd's calls per second; the CPU seconds each part spent meanwhile (a build worker
process imports most of vaist-lab before it builds: with the scripted builder that import is most of a
build's cost); errors; and the lost-write check (hub_load.check) on every project. follow_logs is a long poll
(it waits for the build's lines). Nothing is asserted: this is a report.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "hub"), str(ROOT / "tests" / "service")]
from hub_harness import PROXY, Hub, scripted_service_environment  # noqa: E402 - the hub tests' harness
from hub_load import LoadRun, Workload, check, run_load, signed_in_users, stats  # noqa: E402

from vaist_lab.store.testing import TemporaryPostgres, postgres_unavailable  # noqa: E402

ACCESS_LINE = re.compile(r"tornado\.access: (\d{3}) POST \S*/api/(\w+) ([\d.]+) ms")
LONG_POLL = "follow_logs"


def service_seconds(log: Path, offset: int) -> dict[str, list[float]]:
    """The service's own time per API call, from its access log after `offset` (bytes)."""
    with open(log, "rb") as file:
        file.seek(offset)
        text = file.read().decode(errors="replace")
    found: dict[str, list[float]] = defaultdict(list)
    for status, name, milliseconds in ACCESS_LINE.findall(text):
        if status.startswith("2"):
            found[name].append(float(milliseconds) / 1000)
    return found


def process_table() -> dict[int, tuple[int, float, float]]:
    """Every process: its parent, its CPU seconds (user + system), and its waited-for children's."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
        table[int(stat.parent.name)] = (int(fields[1]), own / tick, children / tick)
    return table


def tree_seconds(table: dict[int, tuple[int, float, float]], pid: int, own: bool = True) -> float:
    """CPU seconds of a process's descendants, ended or not, and its own if `own`."""
    _, itself, ended = table.get(pid, (0, 0.0, 0.0))
    live = sum(tree_seconds(table, child) for child, (parent, _, _) in table.items() if parent == pid)
    return (itself if own else 0.0) + ended + live


class CpuMeter:
    """CPU seconds spent meanwhile by the service, its build workers, the hub, the proxy, the database server
    and these clients."""

    def __init__(self, hub: Hub, postgres: TemporaryPostgres | None) -> None:
        assert hub.service_process is not None and hub.hub_process is not None
        self.hub = hub
        self.postmaster = (
            int((postgres.root / "data" / "postmaster.pid").read_text().split()[0]) if postgres is not None else None
        )
        self.started = self.read()

    def read(self) -> dict[str, float]:
        assert self.hub.service_process is not None and self.hub.hub_process is not None
        table = process_table()
        service = self.hub.service_process.pid
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = {
            "service": table[service][1],
            "build workers": tree_seconds(table, service, own=False),
            "hub and proxy": tree_seconds(table, self.hub.hub_process.pid),
            "clients": usage.ru_utime + usage.ru_stime,
        }
        if self.postmaster is not None:
            spent["postgresql"] = tree_seconds(table, self.postmaster)
        return spent

    def spent(self) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - self.started[name] for name in now}


class ConnectionPeak:
    """The most connections to the service's PostgreSQL database at once, sampled four times a second."""

    def __init__(self, postgres: TemporaryPostgres, database: str) -> None:
        self.postgres = postgres
        self.query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'"
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="connection-peak", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, self.postgres.sql(self.query)[0][0])

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def ms(value: float) -> str:
    return f"{1000 * value:8.1f}"


def table(floor: LoadRun, crowd: LoadRun, served: dict[str, list[float]], users: int, slots: int) -> str:
    header = (
        f"{'call':<16}{'n':>6} | {'alone p50':>9}{'p95':>9} | {'crowd p50':>9}{'p95':>9}{'max':>9}"
        f" | {'x p50':>6}{'x p95':>7} | {'service p50':>11}{'p95':>9}"
    )
    rows = [header, "-" * len(header)]
    names = sorted(crowd.recorder.seconds, key=lambda name: (name == LONG_POLL, name))
    for name in names:
        alone, together = floor.recorder.seconds.get(name), crowd.recorder.seconds[name]
        c50, c95, cmax = stats(together)
        a50, a95, _ = stats(alone) if alone else (float("nan"),) * 3
        s50, s95, _ = stats(served[name]) if served.get(name) else (float("nan"),) * 3
        label = name + (" *" if name == LONG_POLL else "")
        rows.append(
            f"{label:<16}{len(together):>6} | {ms(a50):>9}{ms(a95):>9} | {ms(c50):>9}{ms(c95):>9}{ms(cmax):>9}"
            f" | {c50 / a50:>6.2f}{c95 / a95:>7.2f} | {ms(s50):>11}{ms(s95):>9}"
        )
    if LONG_POLL in crowd.recorder.seconds:
        rows.append("* a long poll: it waits up to 5 s for the build's next lines (its time is the build's pace)")
    short = sum(len(seconds) for name, seconds in crowd.recorder.seconds.items() if name != LONG_POLL)
    rows.append(
        f"{users} users in {crowd.wall_seconds:.1f} s (one alone: {floor.wall_seconds:.1f} s): "
        f"{crowd.recorder.calls() / crowd.wall_seconds:.1f} calls/s, {short / crowd.wall_seconds:.1f} "
        "without the long polls"
    )
    builds, alone_builds = crowd.build_seconds(), floor.build_seconds()
    if builds and alone_builds:
        b50, b95, bmax = stats(builds)
        rows.append(
            f"a build, from its start to its end seen ({len(builds)} at once, {slots} slots): p50 {b50:.1f} s,"
            f" p95 {b95:.1f} s, max {bmax:.1f} s (alone: {alone_builds[0]:.1f} s)"
        )
    return "\n".join(rows)


def measure(database: str, args: argparse.Namespace, workload: Workload) -> None:
    print(f"\n== {database} ==", flush=True)
    environment = scripted_service_environment(args.build_workers)
    postgres: TemporaryPostgres | None = None
    if database == "postgresql":
        postgres = TemporaryPostgres().start()
        name = postgres.create_database()
        environment["VAIST_DATABASE_URL"] = postgres.url(name)
    crowd_names = [f"load{index:02d}@example.com" for index in range(args.users)]
    warm_up, alone = "warm-up@example.com", "alone@example.com"
    with tempfile.TemporaryDirectory(prefix="vaist-hub-load-") as scratch:
        folder = Path(args.keep) / database if args.keep else Path(scratch)
        hub = Hub(folder, (warm_up, alone, *crowd_names), environment)
        try:
            hub.start()
            warm_token, alone_token, *crowd_tokens = signed_in_users(hub, [warm_up, alone, *crowd_names])
            warmed = run_load(hub.service_url, [warm_up], [warm_token], workload)
            floor = run_load(hub.service_url, [alone], [alone_token], workload)
            log = folder / "service.log"
            offset = log.stat().st_size
            meter = CpuMeter(hub, postgres)
            connections = ConnectionPeak(postgres, name) if postgres is not None else None
            crowd = run_load(hub.service_url, crowd_names, crowd_tokens, workload)
            served = service_seconds(log, offset)
            spent = meter.spent()
            peak = connections.stop() if connections is not None else None
            problems = [f"alone: {problem}" for problem in check(hub.service_url, floor, workload)]
            problems += check(hub.service_url, crowd, workload)
            problems += [f"warm-up: {problem}" for problem in check(hub.service_url, warmed, workload)]
        finally:
            hub.stop()
            if postgres is not None:
                postgres.stop()
    print(table(floor, crowd, served, args.users, args.build_workers))
    shares = ", ".join(f"{name} {seconds:.1f}" for name, seconds in spent.items())
    cores = os.cpu_count() or 1
    print(
        f"CPU seconds in the crowd's {crowd.wall_seconds:.1f} s ({cores} cores: {cores * crowd.wall_seconds:.0f}): "
        + shares
    )
    if peak is not None:
        print(f"PostgreSQL connections to the service's database at once, at most: {peak}")
    errors = floor.recorder.errors + crowd.recorder.errors
    print(f"errors: {len(errors)}" + "".join(f"\n  {error}" for error in errors[:20]))
    writes = sum(len(session.writes) for session in crowd.sessions)
    print(f"lost or foreign writes: {len(problems)} (checked {writes} writes of {args.users} users, and the alone's)")
    for problem in problems[:20]:
        print(f"  {problem}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--chat-turns", type=int, default=4)
    parser.add_argument("--edits", type=int, default=4, help="edit_parameters calls by each of two tabs at once")
    parser.add_argument("--saves", type=int, default=2)
    parser.add_argument("--builders", type=int, help="how many of the users build (default: all; 0: none)")
    parser.add_argument("--build-workers", type=int, default=4, help="VAIST_BUILD_WORKERS: builds at once")
    parser.add_argument("--keep", metavar="FOLDER", help="keep the hub's files (logs, the service's data) there")
    args = parser.parse_args(argv)
    workload = Workload(args.chat_turns, args.edits, args.saves, args.builders)
    if not PROXY.exists():
        sys.exit(f"no {PROXY}: run `npm ci --prefix deploy`")
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    for database in databases:
        if database not in ("sqlite", "postgresql"):
            sys.exit(f"--databases: sqlite or postgresql, not {database!r}")
        if database == "postgresql" and (reason := postgres_unavailable()):
            print(f"\n== postgresql ==\nskipped: {reason}")
            continue
        started = time.monotonic()
        measure(database, args, workload)
        print(f"({database}: {time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
