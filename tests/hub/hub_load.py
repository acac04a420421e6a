"""Many signed-in users at once against the vaist service behind a real hub's proxy, each calling it as their
kernel does (HubLab with their own hub token): the scenario of tests/hub/test_hub_load.py (small, asserting
that nothing is lost) and benchmarks/bench_hub_load.py (bigger, timing every call).

Each user, all starting together: asks who they are, lists their projects, creates one from a template,
negotiates with the offline planner ("set delayTime to N", N the user's own), edits parameters from two tabs
at once (two kernels of one server: the same token, each its own parameter), saves the plan by hand, approves
it, builds it (the scripted builder of the service's build workers), follows the build's log by long polls,
downloads the plugin through the API and through a signed link, and lists their projects again.

`check` then reads each project back (untimed) and names every lost or foreign write: the plan history runs
1, 2, 3... with no gap; each version a call answered holds what that call wrote; each tab saw its versions
grow; the final and approved plan hold every tab's last value; the chat holds every turn; the plugin
downloaded is the one built; a user lists only their own project and gets another's as a missing one.
"""

from __future__ import annotations

import io
import statistics
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2
from hub_harness import Hub
from scripted_builder import BINARY

from vaist_lab.hub.client import HubLab
from vaist_lab.service.errors import ProjectNotFound
from vaist_lab.status import ProjectStatus

Result = TypeVar("Result")

TEMPLATE = "tape-echo"
DELAY = "delayTime"  # set by chat turns
FEEDBACK = "feedback"  # edited by the first tab
TONE = "tone"  # edited by the second tab, at the same time
EXPLANATION = "explanation"  # changed by hand saves
MAX_USERS = 80  # each user's delay values stay three-digit (the offline planner keeps those exactly)
MAX_CHAT_TURNS = 9
MAX_EDITS_PER_TAB = 12  # the feedback values stay below the parameter's maximum (95)
FOLLOW_WAIT = 5.0  # seconds each log long poll may wait
BUILD_TIMEOUT = 240.0  # seconds from start to the end of a build: every user's build waits for a slot
RELEASE_TIMEOUT = 60.0  # seconds for every user's thread to be ready to start together


@dataclass(frozen=True)
class Workload:
    """What each user does once, besides the calls every session makes."""

    chat_turns: int = 3
    edits_per_tab: int = 3  # edit_parameters calls by each of the user's two tabs, at the same time
    saves: int = 1  # plans saved by hand
    builders: int | None = None  # how many users (the first) go on to build and download; None: all

    def builds(self, user: int) -> bool:
        return self.builders is None or user < self.builders

    def __post_init__(self) -> None:
        if not 1 <= self.chat_turns <= MAX_CHAT_TURNS:
            raise ValueError(f"chat turns: 1 to {MAX_CHAT_TURNS}, not {self.chat_turns}")
        if not 1 <= self.edits_per_tab <= MAX_EDITS_PER_TAB:
            raise ValueError(f"edits per tab: 1 to {MAX_EDITS_PER_TAB}, not {self.edits_per_tab}")
        if self.saves < 1:
            raise ValueError(f"saves: at least 1, not {self.saves}")


def delay_value(user: int, turn: int) -> float:
    return float(260 + 9 * user + turn)  # above the template's 253, three digits up to MAX_USERS


def feedback_value(user: int, edit: int) -> float:
    return 10.0 + 7 * edit + user / 100


def tone_value(user: int, edit: int) -> float:
    return 1000.0 + 500 * edit + user


def explanation_value(user: int, save: int) -> str:
    return f"Load user {user}, hand save {save}: a warm tape echo whose repeats darken as they fade away."


def plan_value(plan_json: Mapping[str, Any], name: str) -> Any:
    """A parameter's default, or the plan's explanation."""
    if name == EXPLANATION:
        return plan_json[EXPLANATION]
    return next(parameter["default"] for parameter in plan_json["parameters"] if parameter["name"] == name)


class Recorder:
    """Every call's latency by call name (answered calls only), and every error, from any thread."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        started = time.perf_counter()
        try:
            result = function(*args, **kwargs)
        except Exception as error:
            with self._lock:
                self.errors.append(f"{name}: {type(error).__name__}: {error}")
            raise
        with self._lock:
            self.seconds[name].append(time.perf_counter() - started)
        return result

    def calls(self) -> int:
        return sum(map(len, self.seconds.values()))


@dataclass(frozen=True)
class Write:
    """One call that changed the plan: the version it answered with and what it set there."""

    call: str
    version: int
    name: str  # a parameter, or EXPLANATION
    value: Any


@dataclass
class Session:
    """What one user did, as their calls answered it."""

    index: int
    email: str
    token: str
    project_id: uuid.UUID | None = None
    writes: list[Write] = field(default_factory=list)
    tab_versions: list[list[int]] = field(default_factory=lambda: [[], []])
    downloaded: bytes = b""
    build_seconds: float | None = None  # start_build to the build's end seen
    error: str | None = None


def stats(seconds: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and max."""
    ordered = sorted(seconds)
    p95 = statistics.quantiles(ordered, n=100, method="inclusive")[94] if len(ordered) > 1 else ordered[0]
    return statistics.median(ordered), p95, ordered[-1]


# -- the hub's users --------------------------------------------------------------------------------------


def signed_in_users(hub: Hub, emails: Sequence[str]) -> list[str]:
    """A hub token for each user (created through the hub's API when the hub does not know them yet), scoped
    to the vaist service as a single-user server's token is."""
    for email in emails:
        if hub.admin.get(f"users/{quote(email, safe='')}").status_code == 404:
            hub.admin.post(f"users/{quote(email, safe='')}").raise_for_status()
    return [hub.token(email) for email in emails]


# -- one user's session -----------------------------------------------------------------------------------


def edit_in_tab(lab: HubLab, record: Recorder, project_id: uuid.UUID, session: Session, tab: int, edits: int) -> None:
    name, value = ((FEEDBACK, feedback_value), (TONE, tone_value))[tab]
    for edit in range(edits):
        wanted = value(session.index, edit)
        view = record("edit_parameters", lab.edit_parameters, project_id, {name: {"default": wanted}})
        session.tab_versions[tab].append(view.plan_version)
        session.writes.append(Write("edit_parameters", view.plan_version, name, wanted))


def follow_build(lab: HubLab, record: Recorder, project_id: uuid.UUID) -> None:
    """The build's log by long polls until the build has ended, as the build panel follows it."""
    after = 0
    deadline = time.monotonic() + BUILD_TIMEOUT
    while time.monotonic() < deadline:
        lines = record("follow_logs", lab.follow_logs, project_id, after, wait=FOLLOW_WAIT)
        after = lines[-1].id if lines else after
        if not lines and record("project", lab.project, project_id).status is not ProjectStatus.BUILDING:
            return
    raise AssertionError(f"the build of {project_id} did not end within {BUILD_TIMEOUT:.0f} s")


def run_session(
    service_url: str, session: Session, workload: Workload, record: Recorder, go: threading.Barrier
) -> None:
    """One user's session (see the module's documentation), their second tab in a thread of its own."""
    with (
        HubLab(service_url, session.token) as lab,
        HubLab(service_url, session.token) as second_tab,
        httpx2.Client(timeout=60.0) as browser,  # follows the download link: no token
    ):
        go.wait()
        if record("user", lambda: lab.user).email != session.email:
            raise AssertionError(f"the service took {session.email}'s token for someone else")
        record("list_projects", lab.list_projects)
        project = record("create_project", lab.create_project, f"Load {session.index:02d}", template=TEMPLATE)
        session.project_id = project.id
        for turn in range(workload.chat_turns):
            wanted = delay_value(session.index, turn)
            answer = record("chat", lab.chat, project.id, f"set {DELAY} to {wanted:g}", model="offline")
            if not answer.ok:
                raise AssertionError(f"the offline planner refused turn {turn}: {answer.error}")
            session.writes.append(Write("chat", answer.project.plan_version, DELAY, wanted))

        with ThreadPoolExecutor(1, thread_name_prefix="second-tab") as tab:
            second = tab.submit(edit_in_tab, second_tab, record, project.id, session, 1, workload.edits_per_tab)
            edit_in_tab(lab, record, project.id, session, 0, workload.edits_per_tab)
            second.result()  # its error, if any, is this session's
        for save in range(workload.saves):
            plan = dict(record("project", lab.project, project.id).plan_json or {})
            plan[EXPLANATION] = explanation_value(session.index, save)
            saved = record("save_plan", lab.save_plan, project.id, plan)
            session.writes.append(Write("save_plan", saved.plan_version, EXPLANATION, plan[EXPLANATION]))
        record("open_project", lab.open_project, project.id)
        record("approve", lab.approve, project.id)
        if not workload.builds(session.index):
            record("list_projects", lab.list_projects)
            return
        started = time.perf_counter()
        record("start_build", lab.start_build, project.id)
        follow_build(lab, record, project.id)
        session.build_seconds = time.perf_counter() - started
        session.downloaded = record("download", lab.download, project.id).data
        link = record("download_link", lab.download_link, project.id)
        fetched = record("GET signed link", browser.get, link.url)
        if fetched.status_code != 200 or fetched.content != session.downloaded:
            raise AssertionError(f"the signed link answered {fetched.status_code}, not the plugin downloaded")
        record("list_projects", lab.list_projects)


@dataclass
class LoadRun:
    sessions: list[Session]
    recorder: Recorder
    wall_seconds: float

    def build_seconds(self) -> list[float]:
        return [session.build_seconds for session in self.sessions if session.build_seconds is not None]


def run_load(service_url: str, emails: Sequence[str], tokens: Sequence[str], workload: Workload) -> LoadRun:
    """Every user's session at once, released together; a session that fails keeps its error."""
    if len(emails) > MAX_USERS:
        raise ValueError(f"at most {MAX_USERS} users, not {len(emails)}")
    sessions = [Session(index, email, token) for index, (email, token) in enumerate(zip(emails, tokens, strict=True))]
    recorder = Recorder()
    go = threading.Barrier(len(sessions) + 1, timeout=RELEASE_TIMEOUT)

    def run(session: Session) -> None:
        try:
            run_session(service_url, session, workload, recorder, go)
        except Exception as error:
            session.error = f"{type(error).__name__}: {error}"

    with ThreadPoolExecutor(len(sessions), thread_name_prefix="load-user") as pool:
        futures = [pool.submit(run, session) for session in sessions]
        go.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        wall = time.perf_counter() - started
    return LoadRun(sessions, recorder, wall)


# -- what was kept ----------------------------------------------------------------------------------------


def check(service_url: str, run: LoadRun, workload: Workload) -> list[str]:
    """Every lost, misplaced or foreign write of the run, one line each (none: nothing was lost)."""
    problems = [f"{session.email}: {session.error}" for session in run.sessions if session.error]
    finished = [session for session in run.sessions if session.project_id is not None and not session.error]
    for position, session in enumerate(finished):
        neighbour = finished[(position + 1) % len(finished)]
        with HubLab(service_url, session.token) as lab:
            problems += [f"{session.email}: {problem}" for problem in check_session(lab, session, workload, neighbour)]
    return problems


def check_session(lab: HubLab, session: Session, workload: Workload, neighbour: Session) -> list[str]:
    assert session.project_id is not None
    try:
        detail = lab.open_project(session.project_id)
    except ProjectNotFound:
        return [f"its project {session.project_id} answers as missing"]
    project = detail.project
    history = {item.version: item.plan_json for item in detail.plan_history}
    problems = []
    expected_writes = workload.chat_turns + 2 * workload.edits_per_tab + workload.saves
    if [item.version for item in detail.plan_history] != list(range(1, expected_writes + 2)):
        problems.append(f"plan versions {[item.version for item in detail.plan_history]}, not 1..{expected_writes + 1}")
    if (
        len({write.version for write in session.writes}) != len(session.writes)
        or len(session.writes) != expected_writes
    ):
        problems.append(f"{len(session.writes)} writes answered with versions {[w.version for w in session.writes]}")
    for write in session.writes:
        kept = history.get(write.version)
        if kept is None or plan_value(kept, write.name) != write.value:
            shown = None if kept is None else plan_value(kept, write.name)
            problems.append(
                f"{write.call} of {write.name}={write.value!r} answered v{write.version}, which holds {shown!r}"
            )
    for tab, versions in enumerate(session.tab_versions):
        if versions != sorted(set(versions)):
            problems.append(f"tab {tab + 1} saw versions {versions}, not growing")
    last = {write.name: write.value for write in sorted(session.writes, key=lambda write: write.version)}
    for plan, what in ((project.plan_json, "current"), (project.approved_plan_json, "approved")):
        for name, value in last.items():
            if plan is None or plan_value(plan, name) != value:
                problems.append(f"the {what} plan lost {name}={value!r}")
    if project.approved_version != project.plan_version or project.plan_version != expected_writes + 1:
        problems.append(f"approved v{project.approved_version} of v{project.plan_version}")
    asked = [m.content for m in detail.messages if m.role == "user"]
    turns = [f"set {DELAY} to {delay_value(session.index, turn):g}" for turn in range(workload.chat_turns)]
    if asked[: workload.chat_turns] != turns or len(detail.messages) != 2 * (workload.chat_turns + workload.saves):
        problems.append(f"the chat holds {asked}")
    built = workload.builds(session.index)
    if project.status is not (ProjectStatus.SUCCESS if built else ProjectStatus.APPROVED):
        problems.append(f"the project ended {project.status.value}")
    if project.name != f"Load {session.index:02d}":
        problems.append(f"the project is named {project.name!r}")
    if built:
        problems += check_download(session.downloaded, project.plugin_name or "")
    listed = [view.id for view in lab.list_projects()]
    if listed != [session.project_id]:
        problems.append(f"lists {listed}, not only its own project")
    if neighbour is not session and neighbour.project_id is not None:
        try:
            lab.open_project(neighbour.project_id)
            problems.append(f"opened {neighbour.email}'s project")
        except ProjectNotFound:
            pass
    return problems


def check_download(data: bytes, plugin: str) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.read(f"{plugin}.vst3/Contents/x86_64-linux/{plugin}.so") == BINARY:
                return []
    except (zipfile.BadZipFile, KeyError) as error:
        return [f"the download is not the plugin built: {error}"]
    return ["the download holds another binary"]
