"""A GitHub on loopback for the GitHub builder's tests: a real HTTP server speaking the REST API's wire format
(the endpoints the builder, `vaist-lab remote init` and PyGithub use), with a simulated Actions runner.

What it implements, as GitHub does:
- tokens: `Authorization: token T`; an unknown token gets 401 Bad credentials; a classic token carries scopes
  (sent back in X-OAuth-Scopes; `repo` is needed for private repositories and every write, `workflow` to change
  a workflow file), a fine-grained one permissions (contents, actions, workflows: read or write; a refusal
  is a 403 naming the permission in X-Accepted-GitHub-Permissions). Rate-limit headers on every answer.
- repositories (get, create for the user or an organization, auto_init), the git data API (refs, blobs
  with real git SHA-1s, trees with base_tree and deletions, commits), the contents API's file creation (the
  first commit of an empty repository), ETag / If-None-Match on GETs, Link pagination.
- Actions: workflows registered from the default branch, dispatch with the workflow's inputs checked, runs
  titled by the workflow's `run-name` at the dispatched ref, runs filtered by branch, event and created,
  cancel, jobs with steps, job logs and artifact zips behind 302 redirects to short-lived signed URLs on the
  same server (which refuse an Authorization header, as blob storage does).
- the runner: after a dispatch a run is queued, then its jobs `build (<platform>)` move through their steps
  (`step_seconds` each), ending as each platform's `PlatformScript` says: success, a compile error, a failed
  verification (the artifact still ships its report), a job that hangs, or one that GitHub times out. Logs
  are real-looking Actions logs (timestamped, ##[group], GCC / Apple Clang / MSVC errors); artifacts hold a
  fake bundle, pluginval.txt and a verification.json written by vaist_lab.verify's own report class.

Faults for the tests: `fail_next` answers matching requests with a given status, body and headers (rate
limits, 502s); `run_start_delay = None` makes dispatches start no run; `on_dispatch` lets a test start other
runs at the same moment. Every request is recorded in `requests` with its time.

The module sits in tests/ (on sys.path through tests/conftest.py) so that the builder's tests (tests/build) and
the service's and workbench's remote builds share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import socket
import threading
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from vaist_lab.verify.checks import CheckResult, VerifyReport

Json = dict[str, Any]
PLATFORM_LABELS = {"linux": "ubuntu-22.04", "macos": "macos-14", "windows": "windows-2022"}
_ids = count(1000)


def git_sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(UTC)


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Token:
    value: str
    login: str
    scopes: tuple[str, ...] | None = ("repo", "workflow")  # a classic token; None: fine-grained
    permissions: dict[str, str] = field(default_factory=dict)  # fine-grained: contents/actions/workflows

    def allows(self, permission: str, private: bool) -> tuple[bool, str]:
        """(allowed, what GitHub names as accepted) for 'contents:write', 'actions:read', ..."""
        area, _, access = permission.partition(":")
        if self.scopes is not None:
            if permission == "workflows:write":
                return "workflow" in self.scopes, "workflow"
            if access == "read" and not private:
                return True, ""
            return "repo" in self.scopes or (not private and "public_repo" in self.scopes), "repo"
        held = self.permissions.get(area, "")
        return held == "write" or (access == "read" and held == "read"), f"{area}={access}"


@dataclass
class PlatformScript:
    """How a platform's job goes. outcome: success, compile_error, verify_failure, hang, github_timeout."""

    outcome: str = "success"
    step_seconds: float = 0.05
    queue_seconds: float = 0.0


# the steps of .github/workflows/build-plugin.yml's platform job as the jobs API names them (a step's `name:`,
# else `Run <action>`); the steps for other platforms, signing and notarising are skipped ones, left out here
STEP_NAMES = (
    "Set up job",
    "Run actions/checkout@v4",
    "Run actions/setup-python@v5",
    "sccache",
    "vaist-lab (this branch's, the one that generated the project) and Ninja",
    "JUCE source, cached",
    "Build",
    "Verify against the model (vaist-lab verify)",
    "pluginval at strictness 10",
    "Upload vaist-{platform}",
    "Post Run actions/checkout@v4",
    "Complete job",
)
BUILD_STEP, VERIFY_STEP, PLUGINVAL_STEP, UPLOAD_STEP = 6, 7, 8, 9


@dataclass
class Step:
    name: str
    number: int
    status: str = "queued"
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass
class Job:
    id: int
    run: Run
    name: str
    platform: str | None
    script: PlatformScript
    status: str = "queued"
    conclusion: str | None = None
    steps: list[Step] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    log: str = ""
    runner_name: str | None = None


@dataclass
class Artifact:
    id: int
    run: Run
    name: str
    data: bytes
    created_at: datetime = field(default_factory=now)


@dataclass
class Run:
    id: int
    repo: Repo
    title: str
    branch: str
    head_sha: str
    event: str
    created_at: datetime
    status: str = "queued"
    conclusion: str | None = None
    jobs: list[Job] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    completed_monotonic: float | None = None
    updated_at: datetime = field(default_factory=now)


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    private: bool = True
    default_branch: str = "main"
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # sha -> path -> (mode, blob)
    commits: dict[str, Json] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> commit sha
    runs: list[Run] = field(default_factory=list)
    workflow_id: int = field(default_factory=lambda: next(_ids))

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def add_tree(self, files: dict[str, tuple[str, str]]) -> str:
        listing = "\n".join(f"{mode} {path} {sha}" for path, (mode, sha) in sorted(files.items()))
        sha = git_sha("tree", listing.encode())
        self.trees[sha] = dict(files)
        return sha

    def add_commit(self, tree: str, parents: list[str], message: str) -> str:
        moment = now()
        body = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents) + f"{message}\n{moment.isoformat()}"
        sha = git_sha("commit", body.encode())
        self.commits[sha] = {"tree": tree, "parents": parents, "message": message, "date": moment}
        return sha

    def files_at(self, commit_sha: str) -> dict[str, bytes]:
        tree = self.trees[self.commits[commit_sha]["tree"]]
        return {path: self.blobs[sha] for path, (_mode, sha) in tree.items()}

    def workflow_text(self, ref: str, name: str) -> str | None:
        head = self.refs.get(f"heads/{ref}") or (ref if ref in self.commits else None)
        if head is None:
            return None
        data = self.files_at(head).get(f".github/workflows/{name}")
        return data.decode() if data is not None else None


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: str
    headers: dict[str, str]
    times: int


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    status: int  # 0: the connection was dropped without an answer
    at: float  # time.monotonic()
    wall: float  # time.time()


WORKFLOW_NAME = "build-plugin.yml"


class FakeGitHub:
    """The server and its state. `url` is the API's base URL (for PyGithub's base_url)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, Token] = {}
        self.organizations: set[str] = set()
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.scripts: dict[str, PlatformScript] = {name: PlatformScript() for name in PLATFORM_LABELS}
        self.run_start_delay: float | None = 0.05
        self.on_dispatch: Callable[[Repo, str, Json], None] | None = None
        self.signing_key = b"fake-github-signing-key"
        self.rate_remaining = 5000
        self.blobs_posted: list[str] = []  # SHA-1s of the blobs posted, in order
        self.contents_sent: list[str] = []  # SHA-1s of the files sent inside tree requests, in order
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        fake = self

        class Handler(_Handler):
            github = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-github", daemon=True
        )

    def __enter__(self) -> FakeGitHub:
        self._serving.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(5)
        self.server.shutdown()
        self.server.server_close()

    # -- setting the scene -------------------------------------------------------------------------------

    def add_token(self, token: Token) -> str:
        self.tokens[token.value] = token
        return token.value

    def add_repo(self, owner: str, name: str, files: dict[str, bytes] | None = None, private: bool = True) -> Repo:
        """A repository; with `files`, one commit holding them on main (None: an empty repository)."""
        repo = Repo(next(_ids), owner, name, private)
        with self.lock:
            self.repos[repo.full_name.lower()] = repo
            if files is not None:
                self._commit_files(repo, files, "Initial commit")
        return repo

    def _commit_files(self, repo: Repo, files: dict[str, bytes], message: str) -> str:
        entries = {}
        for path, data in files.items():
            sha = git_sha("blob", data)
            repo.blobs[sha] = data
            entries[path] = ("100644", sha)
        parent = repo.refs.get(f"heads/{repo.default_branch}")
        if parent:
            entries = {**repo.trees[repo.commits[parent]["tree"]], **entries}
        commit = repo.add_commit(repo.add_tree(entries), [parent] if parent else [], message)
        repo.refs[f"heads/{repo.default_branch}"] = commit
        return commit

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        body: Json | str,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests whose path matches the regex `path` with this instead (status 0:
        drop the connection without an answer)."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.faults.append(Fault(method, re.compile(path), status, text, headers or {}, times))

    def start_run(
        self,
        repo: Repo,
        title: str,
        branch: str,
        platforms: list[str],
        created_at: datetime | None = None,
        scripts: dict[str, PlatformScript] | None = None,
    ) -> Run:
        """A workflow_dispatch run of build-plugin.yml as the runner makes one (also for other people's runs:
        `scripts` then says how their jobs go, instead of `self.scripts`)."""
        with self.lock:
            head = repo.refs.get(f"heads/{branch}", "0" * 40)
            run = Run(next(_ids), repo, title, branch, head, "workflow_dispatch", created_at or now())
            repo.runs.append(run)
        scripts = {**self.scripts, **(scripts or {})}
        thread = threading.Thread(
            target=self._run, args=(run, platforms, scripts), name=f"fake-run-{run.id}", daemon=True
        )
        self._threads.append(thread)
        thread.start()
        return run

    def requests_to(self, pattern: str, method: str = "GET") -> list[Request]:
        compiled = re.compile(pattern)
        with self.lock:
            return [r for r in self.requests if r.method == method and compiled.search(r.path)]

    def run_of(self, repo: Repo, title: str) -> Run:
        return next(run for run in repo.runs if run.title == title)

    # -- the runner ------------------------------------------------------------------------------------------

    def _run(self, run: Run, platforms: list[str], scripts: dict[str, PlatformScript]) -> None:
        plugin = self._plugin_name(run)
        setup = Job(next(_ids), run, "platforms", None, PlatformScript(step_seconds=0.01))
        jobs = [setup] + [
            Job(next(_ids), run, f"build ({platform})", platform, scripts[platform]) for platform in platforms
        ]
        with self.lock:
            run.jobs.append(setup)
            run.status = "in_progress"
            run.updated_at = now()
        self._steps(setup, ("Set up job", "Run the matrix", "Complete job"), "success")
        with self.lock:
            run.jobs += jobs[1:]
        workers = [threading.Thread(target=self._job, args=(job, plugin), daemon=True) for job in jobs[1:]]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        with self.lock:
            conclusions = [job.conclusion for job in run.jobs]
            if run.cancel_requested.is_set():
                run.conclusion = "cancelled"
            elif all(conclusion == "success" for conclusion in conclusions):
                run.conclusion = "success"
            else:
                run.conclusion = "failure"
            run.status = "completed"
            run.updated_at = now()
            run.completed_monotonic = time.monotonic()

    def _plugin_name(self, run: Run) -> str:
        with self.lock:
            if run.head_sha not in run.repo.commits:
                return "Plugin"
            plan = run.repo.files_at(run.head_sha).get("vaist-build/project/plan.json")
        return json.loads(plan)["pluginName"] if plan else "Plugin"

    def _wait(self, run: Run, seconds: float) -> bool:
        """Sleep; True when the run was cancelled (or the server stops) meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if run.cancel_requested.is_set() or self._stopping.is_set():
                return True
            time.sleep(0.005)
        return run.cancel_requested.is_set() or self._stopping.is_set()

    def _steps(self, job: Job, names: tuple[str, ...], outcome: str) -> None:
        with self.lock:
            job.steps = [Step(name, number) for number, name in enumerate(names, 1)]
            job.status, job.started_at, job.runner_name = "in_progress", now(), "GitHub Actions 3"
        for step in job.steps:
            with self.lock:
                step.status, step.started_at = "in_progress", now()
            self._wait(job.run, job.script.step_seconds)
            with self.lock:
                step.status, step.conclusion, step.completed_at = "completed", "success", now()
        with self.lock:
            job.status, job.conclusion, job.completed_at = "completed", outcome, now()

    def _job(self, job: Job, plugin: str) -> None:
        script, run, platform = job.script, job.run, job.platform or "linux"
        if self._wait(run, script.queue_seconds):
            return self._end_job(job, "cancelled", None)
        with self.lock:
            job.steps = [Step(name.format(platform=platform), number) for number, name in enumerate(STEP_NAMES, 1)]
            job.status, job.started_at, job.runner_name = "in_progress", now(), "GitHub Actions 3"
        failing = {"compile_error": BUILD_STEP, "verify_failure": VERIFY_STEP}.get(script.outcome)
        stuck = BUILD_STEP if script.outcome in ("hang", "github_timeout") else None
        built = True
        for index, step in enumerate(job.steps):
            with self.lock:
                step.started_at = now()
                skip = not built and index in (VERIFY_STEP, PLUGINVAL_STEP, UPLOAD_STEP)
                skip |= failing == VERIFY_STEP and index == PLUGINVAL_STEP
                if skip:
                    step.status, step.conclusion, step.completed_at = "completed", "skipped", now()
                    continue
                step.status = "in_progress"
            if index == stuck:
                cancelled = self._wait(run, 3600 if script.outcome == "hang" else script.step_seconds * 3)
                reason = "cancelled" if cancelled else "timed_out"
                with self.lock:
                    step.status, step.conclusion, step.completed_at = "completed", "cancelled", now()
                return self._end_job(job, "cancelled", reason, plugin)
            if self._wait(run, script.step_seconds):
                with self.lock:
                    step.status, step.conclusion, step.completed_at = "completed", "cancelled", now()
                return self._end_job(job, "cancelled", "cancelled", plugin)
            if index == UPLOAD_STEP:
                self._upload(job, plugin, passed=script.outcome != "verify_failure")
            with self.lock:
                step.conclusion = "failure" if index == failing else "success"
                step.status, step.completed_at = "completed", now()
            if index == BUILD_STEP and failing == BUILD_STEP:
                built = False
        self._end_job(job, "failure" if failing is not None else "success", script.outcome, plugin)

    def _end_job(self, job: Job, conclusion: str, story: str | None, plugin: str = "Plugin") -> None:
        with self.lock:
            for step in job.steps:
                if step.status != "completed":
                    step.status, step.conclusion, step.completed_at = "completed", "skipped", now()
            job.log = actions_log(job, plugin, story or "cancelled") if job.platform else ""
            job.status, job.conclusion, job.completed_at = "completed", conclusion, now()

    def _upload(self, job: Job, plugin: str, passed: bool) -> None:
        platform = job.platform or "linux"
        data = artifact_zip(platform, plugin, passed)
        with self.lock:
            job.run.artifacts.append(Artifact(next(_ids), job.run, f"vaist-{platform}", data))

    # -- signed download URLs ---------------------------------------------------------------------------------

    def signed_url(self, kind: str, ident: int, lifetime: float = 60.0) -> str:
        expires = str(int(time.time() + lifetime))
        signature = hmac.new(self.signing_key, f"{kind}/{ident}/{expires}".encode(), "sha256").hexdigest()
        return f"{self.url}/_signed/{kind}/{ident}?expires={expires}&sig={signature}"

    def check_signature(self, kind: str, ident: int, query: dict[str, list[str]]) -> None:
        expires = (query.get("expires") or [""])[0]
        wanted = hmac.new(self.signing_key, f"{kind}/{ident}/{expires}".encode(), "sha256").hexdigest()
        if not hmac.compare_digest(wanted, (query.get("sig") or [""])[0]):
            raise HttpError(403, "Server failed to authenticate the request.")
        if not expires.isdigit() or int(expires) < time.time():
            raise HttpError(403, "Signature expired")


# -- what a runner writes ----------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def actions_log(job: Job, plugin: str, story: str) -> str:
    """A platform job's log as GitHub serves it: each line timestamped (the first after a BOM), each step's
    output after its `##[group]Run <first line of the script>` header (the script in cyan, its shell and
    environment) and `##[endgroup]`; the build step's output is `vaist-lab build --raw`'s: the tools' own lines."""
    platform = job.platform or "linux"
    work, temp, shell = {
        "linux": (
            "/home/runner/work/vaist-builder/vaist-builder",
            "/home/runner/work/_temp",
            "/usr/bin/bash --noprofile --norc -e -o pipefail {0}",
        ),
        "macos": (
            "/Users/runner/work/vaist-builder/vaist-builder",
            "/Users/runner/work/_temp",
            "/bin/bash --noprofile --norc -e -o pipefail {0}",
        ),
        "windows": (
            "D:\\a\\vaist-builder\\vaist-builder",
            "D:\\a\\_temp",
            "C:\\Program Files\\Git\\bin\\bash.EXE --noprofile --norc -e -o pipefail {0}",
        ),
    }[platform]
    source = f"{work}/vaist-build/project/Source/PluginProcessor.cpp"
    if platform == "windows":
        source = source.replace("/", "\\")
    cyan = "\x1b[36;1m{}\x1b[0m".format
    os_lines = {
        "linux": ["Ubuntu", "22.04.4", "LTS"],
        "macos": ["macOS", "14.5", "23F79"],
        "windows": ["Microsoft Windows Server 2022", "10.0.20348"],
    }[platform]
    lines = [
        "Current runner version: '2.317.0'",
        "##[group]Operating System",
        *os_lines,
        "##[endgroup]",
        "##[group]Runner Image",
        f"Image: {PLATFORM_LABELS[platform]}",
        "Version: 20240609.1.0",
        "##[endgroup]",
        "Secret source: Actions",
        "Prepare workflow directory",
        "Prepare all required actions",
        "Getting action download info",
        "Download action repository 'actions/checkout@v4' (SHA:692973e3d937129bcbf40652eb9f2f61becf3332)",
        f"Complete job name: {job.name}",
        "##[group]Run actions/checkout@v4",
        "with:",
        f"  repository: {job.run.repo.full_name}",
        f"  ref: {job.run.branch}",
        "##[endgroup]",
        f"Syncing repository: {job.run.repo.full_name}",
        "##[group]Run actions/setup-python@v5",
        "with:",
        "  python-version: 3.11",
        "##[endgroup]",
        "Successfully set up CPython (3.11.9)",
        "##[group]Run python -m pip install . ninja",
        cyan("python -m pip install . ninja"),
        f"shell: {shell}",
        "##[endgroup]",
        f"Processing {work}",
        "Successfully installed ninja-1.11.1.1 vaist-lab-0.1.0",
        "##[group]Run # --raw: the job log holds CMake's, the compiler's and the linker's own lines for the builder "
        "to parse",
        cyan("# --raw: the job log holds CMake's, the compiler's and the linker's own lines for the builder to parse"),
        cyan("# shellcheck disable=SC2086  # BUILD_OPTIONS is a list of options"),
        cyan(
            'bundle=$(vaist-lab build vaist-build/project -o dist --build-dir "$RUNNER_TEMP/vaist-build" --raw '
            "$BUILD_OPTIONS | tail -n 1)"
        ),
        cyan('echo "bundle=$bundle" >> "$GITHUB_OUTPUT"'),
        f"shell: {shell}",
        "env:",
        f"  VAIST_JUCE_DIR: {temp}/JUCE-7.0.5",
        "##[endgroup]",
        f"$ cmake -S {temp}/vaist-build/source -B {temp}/vaist-build/cmake -G Ninja -DCMAKE_BUILD_TYPE=Release",
        "-- The CXX compiler identification is "
        + {"linux": "GNU 11.4.0", "macos": "AppleClang 15.0.0.15000309", "windows": "MSVC 19.40.33811.0"}[platform],
        "-- Configuring done (2.1s)",
        f"-- Build files have been written to: {temp}/vaist-build/cmake",
        f"$ cmake --build {temp}/vaist-build/cmake --config Release",
        "[1/12] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o",
    ]
    if story == "compile_error":
        lines += {
            "linux": [
                "FAILED: CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o",
                f"{source}: In member function 'void VaistAudioProcessor::processBlock(juce::AudioBuffer<float>&, "
                "juce::MidiBuffer&)':",
                f"{source}:42:17: error: 'gainz' was not declared in this scope; did you mean 'gain'?",
                "   42 |     auto g = gainz.getNextValue();",
                "      |              ^~~~~",
                "      |              gain",
                "ninja: build stopped: subcommand failed.",
            ],
            "macos": [
                "FAILED: CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o",
                f"{source}:42:17: error: use of undeclared identifier 'gainz'; did you mean 'gain'?",
                "    auto g = gainz.getNextValue();",
                "             ^~~~~",
                "             gain",
                "1 error generated.",
                "ninja: build stopped: subcommand failed.",
            ],
            "windows": [
                "FAILED: CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.obj",
                f"{source}(42,17): error C2065: 'gainz': undeclared identifier",
                "ninja: build stopped: subcommand failed.",
            ],
        }[platform]
        lines += [
            "build failed after 38 s: the compiler reported errors",
            "##[error]Process completed with exit code 1.",
        ]
    elif story in ("cancelled", "timed_out"):
        lines += ["[2/12] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginEditor.cpp.o"]
        if story == "timed_out":
            lines += [
                "##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of "
                "90 minutes."
            ]
        lines += ["##[error]The operation was canceled."]
    else:
        if platform == "macos":
            lines += [f"{source}:12:30: warning: unused parameter 'midi' [-Wunused-parameter]"]
        lines += [
            f"[12/12] Linking CXX shared module VaistPlugin_artefacts/Release/VST3/{plugin}.vst3",
            "built in 312 s (1 compiler warning(s))",
            '##[group]Run vaist-lab verify vaist-build/project/plan.json "$BUNDLE" --json dist/verification.json',
            cyan('vaist-lab verify vaist-build/project/plan.json "$BUNDLE" --json dist/verification.json'),
            f"shell: {shell}",
            "env:",
            f"  BUNDLE: dist/{plugin}.vst3",
            "##[endgroup]",
            f"tape-echo: dist/{plugin}.vst3",
            "  parameters  6/6 passed",
            "  state       1/1 passed",
            "  fuzz        4/4 passed",
        ]
        if story == "verify_failure":
            lines += [
                "    FAIL 96000 Hz, block 1, feedback 60: -61.2 dB above the bound -90 dB",
                "FAIL",
                "##[error]Process completed with exit code 1.",
            ]
        else:
            lines += [
                "PASS",
                '##[group]Run curl -fsSL --retry 3 -o "$RUNNER_TEMP/pluginval.zip" \\',
                cyan('curl -fsSL --retry 3 -o "$RUNNER_TEMP/pluginval.zip" \\'),
                f"shell: {shell}",
                "##[endgroup]",
                f"Started validating: dist/{plugin}.vst3",
                "Random seed: 0x1d9e3a4",
                "Validation started: 1 Jun 2024 10:21:07am",
                "Strictness level: 10",
                "-----------------------------------------------------------------",
                "Starting tests in: pluginval / Scan for plugins located in: dist...",
                "Starting tests in: pluginval / Plugin state...",
                "Finished validating: dist/" + plugin + ".vst3",
                "ALL TESTS PASSED",
            ]
        lines += [
            "##[group]Run actions/upload-artifact@v4",
            "with:",
            f"  name: vaist-{platform}",
            "  path: dist/",
            "  if-no-files-found: error",
            "##[endgroup]",
            "With the provided path, there will be 5 files uploaded",
            "Artifact upload completed successfully",
        ]
    lines += ["Post job cleanup.", "Cleaning up orphan processes"]
    start = job.started_at or now()
    stamped = [f"{_stamp(start + timedelta(milliseconds=10 * index))} {line}" for index, line in enumerate(lines)]
    return "\ufeff" + "\n".join(stamped) + "\n"


def verification_report(plugin: str, passed: bool) -> str:
    """verification.json as `vaist-lab verify --json` writes it (vaist_lab.verify's VerifyReport)."""
    results = [
        CheckResult("parameters", "feedback range", True, detail="0..95 %"),
        CheckResult("state", "round trip", True),
        CheckResult("fuzz", "random automation", True),
    ]
    for rate in (44100, 48000, 96000):
        figure = -61.2 if (not passed and rate == 96000) else -138.5
        results.append(
            CheckResult("fidelity", f"{rate} Hz, block 1, feedback 60", figure < -90, figure, -90.0, sample_rate=rate)
        )
    return VerifyReport("tape-echo", f"dist/{plugin}.vst3", results).to_json()


def artifact_zip(platform: str, plugin: str, passed: bool) -> bytes:
    """What actions/upload-artifact@v4 serves for `vaist-<platform>`: the contents of dist/."""
    binary = {
        "linux": f"{plugin}.vst3/Contents/x86_64-linux/{plugin}.so",
        "macos": f"{plugin}.vst3/Contents/MacOS/{plugin}",
        "windows": f"{plugin}.vst3/Contents/x86_64-win/{plugin}.vst3",
    }[platform]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(binary, b"\x7fELF fake plugin binary" * 64)
        archive.writestr(f"{plugin}.vst3/Contents/Resources/moduleinfo.json", json.dumps({"Name": plugin}))
        if platform == "macos":
            archive.writestr(f"{plugin}.component/Contents/MacOS/{plugin}", b"fake AU binary")
        archive.writestr("verification.json", verification_report(plugin, passed))
        archive.writestr("pluginval.txt", "Strictness level: 10\nALL TESTS PASSED\n")
    return buffer.getvalue()


# -- the HTTP side -------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"

    def setup(self) -> None:
        super().setup()
        # one answer is two writes (head, body): without this, the client's delayed ACK costs 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read `requests`
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status = 500
        api: Api | None = None
        try:
            fault = self._fault(method, parts.path)
            if fault is not None:
                status = fault.status
                if status == 0:  # a connection reset: no answer at all
                    self.close_connection = True
                    return
                self._send(fault.status, fault.body.encode(), {"Content-Type": "application/json", **fault.headers})
                return
            api = Api(self.github, self, method, parts.path, parse_qs(parts.query), raw)
            status, body, headers = api.answer()
        except HttpError as error:
            status = error.status
            body = json.dumps({"message": error.message, "documentation_url": "https://docs.github.com/rest"}).encode()
            headers = {"Content-Type": "application/json", **error.headers}
        except Exception as error:  # a bug in the fake: say so instead of dropping the connection
            traceback.print_exc()
            status, body, headers = 500, json.dumps({"message": repr(error)}).encode(), {}
        finally:
            with self.github.lock:
                self.github.requests.append(
                    Request(method, parts.path, parts.query, status, time.monotonic(), time.time())
                )
        if api is not None and api.token is not None and api.token.scopes is not None:
            # a classic token's scopes come back with every answer to it, refusals included
            headers["X-OAuth-Scopes"] = ", ".join(api.token.scopes)
            headers["X-Accepted-OAuth-Scopes"] = "repo"
        etag = f'W/"{hashlib.sha1(body).hexdigest()}"' if method == "GET" and status == 200 else None
        if etag:
            headers["ETag"] = etag
            if self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
        self._send(status, body, headers)

    def _fault(self, method: str, path: str) -> Fault | None:
        with self.github.lock:
            for fault in self.github.faults:
                if fault.method == method and fault.path.search(path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        reset = int(time.time()) + 3600
        with self.github.lock:
            self.github.rate_remaining = max(0, self.github.rate_remaining - 1)
            remaining = self.github.rate_remaining
        defaults = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(5000 - remaining),
            "x-ratelimit-resource": "core",
            "X-GitHub-Request-Id": f"FAKE:{next(_ids)}",
        }
        for name, value in {**defaults, **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class Api:
    """One request's answer: (status, body, headers), or an HttpError."""

    def __init__(self, github: FakeGitHub, handler: _Handler, method: str, path: str, query: Json, raw: bytes):
        self.github = github
        self.handler = handler
        self.method = method
        self.path = path
        self.query = query
        self.body: Json = json.loads(raw) if raw.strip() else {}
        self.extra_headers: dict[str, str] = {}
        self.token: Token | None = None

    # -- plumbing -------------------------------------------------------------------------------------------

    def answer(self) -> tuple[int, bytes, dict[str, str]]:
        signed = re.fullmatch(r"/_signed/(logs|artifacts)/(\d+)", self.path)
        if signed:
            return self._signed(signed[1], int(signed[2]))
        self.token = self._authenticate()
        for method, pattern, handler in ROUTES:
            match = re.fullmatch(pattern, self.path)
            if match and method == self.method:
                with self.github.lock:
                    status, payload = handler(self, **match.groupdict())
                headers = {"Content-Type": "application/json; charset=utf-8", **self.extra_headers}
                if status in (204, 302):
                    return status, b"", headers
                return status, json.dumps(payload).encode(), headers
        raise HttpError(404, "Not Found")

    def _authenticate(self) -> Token:
        header = self.handler.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = self.github.tokens.get(value) if scheme.lower() in ("token", "bearer") else None
        if token is None:
            raise HttpError(401, "Bad credentials")
        return token

    def url(self, path: str) -> str:
        return f"{self.github.url}{path}"

    def repo(self, owner: str, name: str, permission: str = "metadata:read") -> Repo:
        repo = self.github.repos.get(f"{owner}/{name}".lower())
        assert self.token is not None
        if repo is None or (repo.private and self.token.scopes is not None and "repo" not in self.token.scopes):
            raise HttpError(404, "Not Found")
        if permission != "metadata:read":
            allowed, accepted = self.token.allows(permission, repo.private)
            if not allowed:
                fine_grained = self.token.scopes is None
                message = "Resource not accessible by personal access token" if fine_grained else "Not Found"
                header = {"X-Accepted-GitHub-Permissions": accepted} if fine_grained else {}
                raise HttpError(403 if fine_grained else 404, message, header)
        return repo

    def page(self, items: list[Json], key: str) -> tuple[int, Json]:
        per_page = int((self.query.get("per_page") or ["30"])[0])
        number = int((self.query.get("page") or ["1"])[0])
        chunk = items[(number - 1) * per_page : number * per_page]
        if number * per_page < len(items):
            self.extra_headers["Link"] = f'<{self.url(self.path)}?per_page={per_page}&page={number + 1}>; rel="next"'
        return 200, {"total_count": len(items), key: chunk}

    def _signed(self, kind: str, ident: int) -> tuple[int, bytes, dict[str, str]]:
        if "Authorization" in self.handler.headers:
            raise HttpError(400, "Authentication information is not given in the correct format.")
        self.github.check_signature(kind, ident, self.query)
        with self.github.lock:
            if kind == "logs":
                job = self.github_job(ident)
                return 200, job.log.encode(), {"Content-Type": "text/plain; charset=utf-8"}
            artifact = next(
                a for repo in self.github.repos.values() for r in repo.runs for a in r.artifacts if a.id == ident
            )
            return 200, artifact.data, {"Content-Type": "application/zip"}

    def github_job(self, job_id: int) -> Job:
        for repo in self.github.repos.values():
            for run in repo.runs:
                for job in run.jobs:
                    if job.id == job_id:
                        return job
        raise HttpError(404, "Not Found")

    # -- JSON shapes ----------------------------------------------------------------------------------------

    def repo_json(self, repo: Repo) -> Json:
        base = f"/repos/{repo.full_name}"
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "owner": {"login": repo.owner, "id": 1, "type": "User", "url": self.url(f"/users/{repo.owner}")},
            "html_url": f"https://github.example/{repo.full_name}",
            "url": self.url(base),
            "default_branch": repo.default_branch,
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        }

    def ref_json(self, repo: Repo, ref: str) -> Json:
        sha = repo.refs[ref]
        base = f"/repos/{repo.full_name}/git"
        return {
            "ref": f"refs/{ref}",
            "node_id": f"REF_{ref}",
            "url": self.url(f"{base}/refs/{ref}"),
            "object": {"sha": sha, "type": "commit", "url": self.url(f"{base}/commits/{sha}")},
        }

    def commit_json(self, repo: Repo, sha: str) -> Json:
        commit = repo.commits[sha]
        base = f"/repos/{repo.full_name}/git"
        person = {"name": "vaist", "email": "vaist@example.org", "date": iso(commit["date"])}
        return {
            "sha": sha,
            "node_id": f"C_{sha}",
            "url": self.url(f"{base}/commits/{sha}"),
            "html_url": f"https://github.example/{repo.full_name}/commit/{sha}",
            "tree": {"sha": commit["tree"], "url": self.url(f"{base}/trees/{commit['tree']}")},
            "parents": [{"sha": p, "url": self.url(f"{base}/commits/{p}")} for p in commit["parents"]],
            "message": commit["message"],
            "author": person,
            "committer": person,
        }

    def tree_json(self, repo: Repo, sha: str, recursive: bool) -> Json:
        files = repo.trees[sha]
        base = f"/repos/{repo.full_name}/git"
        entries: list[Json] = []
        folders: set[str] = set()
        for path, (mode, blob) in sorted(files.items()):
            parts = path.split("/")
            if not recursive and len(parts) > 1:
                folders.add(parts[0])
                continue
            for depth in range(1, len(parts)):
                folders.add("/".join(parts[:depth]))
            entries.append(
                {
                    "path": path,
                    "mode": mode,
                    "type": "blob",
                    "sha": blob,
                    "size": len(repo.blobs[blob]),
                    "url": self.url(f"{base}/blobs/{blob}"),
                }
            )
        for folder in sorted(folders):
            listing = "\n".join(f"{p} {b}" for p, (_m, b) in sorted(files.items()) if p.startswith(folder + "/"))
            folder_sha = git_sha("tree", listing.encode())
            entries.append({"path": folder, "mode": "040000", "type": "tree", "sha": folder_sha})
        entries.sort(key=lambda entry: entry["path"])
        return {"sha": sha, "url": self.url(f"{base}/trees/{sha}"), "tree": entries, "truncated": False}

    def workflow_json(self, repo: Repo) -> Json:
        base = f"/repos/{repo.full_name}/actions/workflows/{repo.workflow_id}"
        return {
            "id": repo.workflow_id,
            "node_id": f"W_{repo.workflow_id}",
            "name": "Build plugin",
            "path": f".github/workflows/{WORKFLOW_NAME}",
            "state": "active",
            "created_at": "2024-05-01T10:00:00Z",
            "updated_at": "2024-05-01T10:00:00Z",
            "url": self.url(base),
            "html_url": f"https://github.example/{repo.full_name}/actions/workflows/{WORKFLOW_NAME}",
            "badge_url": f"https://github.example/{repo.full_name}/workflows/Build%20plugin/badge.svg",
        }

    def run_json(self, run: Run) -> Json:
        base = f"/repos/{run.repo.full_name}/actions/runs/{run.id}"
        return {
            "id": run.id,
            "name": "Build plugin",
            "display_title": run.title,
            "node_id": f"WFR_{run.id}",
            "head_branch": run.branch,
            "head_sha": run.head_sha,
            "path": f".github/workflows/{WORKFLOW_NAME}",
            "run_number": run.id,
            "run_attempt": 1,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": run.repo.workflow_id,
            "url": self.url(base),
            "html_url": f"https://github.example/{run.repo.full_name}/actions/runs/{run.id}",
            "jobs_url": self.url(f"{base}/jobs"),
            "logs_url": self.url(f"{base}/logs"),
            "artifacts_url": self.url(f"{base}/artifacts"),
            "cancel_url": self.url(f"{base}/cancel"),
            "rerun_url": self.url(f"{base}/rerun"),
            "workflow_url": self.url(f"/repos/{run.repo.full_name}/actions/workflows/{run.repo.workflow_id}"),
            "created_at": iso(run.created_at),
            "updated_at": iso(run.updated_at),
            "run_started_at": iso(run.created_at),
        }

    def job_json(self, job: Job) -> Json:
        repo = job.run.repo.full_name
        return {
            "id": job.id,
            "run_id": job.run.id,
            "run_url": self.url(f"/repos/{repo}/actions/runs/{job.run.id}"),
            "node_id": f"J_{job.id}",
            "head_sha": job.run.head_sha,
            "head_branch": job.run.branch,
            "url": self.url(f"/repos/{repo}/actions/jobs/{job.id}"),
            "html_url": f"https://github.example/{repo}/actions/runs/{job.run.id}/job/{job.id}",
            "status": job.status,
            "conclusion": job.conclusion,
            "created_at": iso(job.created_at),
            "started_at": iso(job.started_at or job.created_at),
            "completed_at": iso(job.completed_at) if job.completed_at else None,
            "name": job.name,
            "workflow_name": "Build plugin",
            "labels": [PLATFORM_LABELS.get(job.platform or "linux", "ubuntu-22.04")],
            "runner_name": job.runner_name,
            "steps": [
                {
                    "name": step.name,
                    "status": step.status,
                    "conclusion": step.conclusion,
                    "number": step.number,
                    "started_at": iso(step.started_at) if step.started_at else None,
                    "completed_at": iso(step.completed_at) if step.completed_at else None,
                }
                for step in job.steps
            ],
        }

    def artifact_json(self, artifact: Artifact) -> Json:
        repo = artifact.run.repo.full_name
        base = f"/repos/{repo}/actions/artifacts/{artifact.id}"
        return {
            "id": artifact.id,
            "node_id": f"A_{artifact.id}",
            "name": artifact.name,
            "size_in_bytes": len(artifact.data),
            "url": self.url(base),
            "archive_download_url": self.url(f"{base}/zip"),
            "expired": False,
            "digest": "sha256:" + hashlib.sha256(artifact.data).hexdigest(),
            "created_at": iso(artifact.created_at),
            "updated_at": iso(artifact.created_at),
            "expires_at": iso(artifact.created_at + timedelta(days=90)),
            "workflow_run": {
                "id": artifact.run.id,
                "head_branch": artifact.run.branch,
                "head_sha": artifact.run.head_sha,
            },
        }

    # -- endpoints ------------------------------------------------------------------------------------------

    def get_user(self) -> tuple[int, Json]:
        assert self.token is not None
        login = self.token.login
        return 200, {"login": login, "id": 1, "type": "User", "url": self.url(f"/users/{login}")}

    def create_user_repo(self) -> tuple[int, Json]:
        assert self.token is not None
        return self._create_repo(self.token.login)

    def get_org(self, org: str) -> tuple[int, Json]:
        if org.lower() not in self.github.organizations:
            raise HttpError(404, "Not Found")
        return 200, {"login": org, "id": 2, "type": "Organization", "url": self.url(f"/orgs/{org}")}

    def create_org_repo(self, org: str) -> tuple[int, Json]:
        if org.lower() not in self.github.organizations:
            raise HttpError(404, "Not Found")
        return self._create_repo(org)

    def _create_repo(self, owner: str) -> tuple[int, Json]:
        assert self.token is not None
        if self.token.scopes is not None and "repo" not in self.token.scopes:
            raise HttpError(403, "Resource not accessible by personal access token")
        name = self.body["name"]
        if f"{owner}/{name}".lower() in self.github.repos:
            raise HttpError(422, "Repository creation failed.")
        files = {"README.md": f"# {name}\n".encode()} if self.body.get("auto_init") else None
        repo = self.github.add_repo(owner, name, files, private=bool(self.body.get("private", False)))
        return 201, self.repo_json(repo)

    def get_repo(self, owner: str, name: str) -> tuple[int, Json]:
        return 200, self.repo_json(self.repo(owner, name))

    def get_ref(self, owner: str, name: str, ref: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:read")
        if not repo.refs:
            raise HttpError(409, "Git Repository is empty.")
        if ref not in repo.refs:
            raise HttpError(404, "Not Found")
        return 200, self.ref_json(repo, ref)

    def get_commit(self, owner: str, name: str, sha: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:read")
        if sha not in repo.commits:
            raise HttpError(404, "Not Found")
        return 200, self.commit_json(repo, sha)

    def get_tree(self, owner: str, name: str, sha: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:read")
        if sha not in repo.trees:
            raise HttpError(404, "Not Found")
        return 200, self.tree_json(repo, sha, recursive=bool(self.query.get("recursive")))

    def create_blob(self, owner: str, name: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        if not repo.refs:
            raise HttpError(409, "Git Repository is empty.")
        content = self.body["content"]
        data = base64.b64decode(content) if self.body.get("encoding") == "base64" else content.encode()
        sha = git_sha("blob", data)
        repo.blobs[sha] = data
        self.github.blobs_posted.append(sha)
        return 201, {"sha": sha, "url": self.url(f"/repos/{repo.full_name}/git/blobs/{sha}")}

    def create_tree(self, owner: str, name: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        base = self.body.get("base_tree")
        if base is not None and base not in repo.trees:
            raise HttpError(422, "Invalid tree info")
        files = dict(repo.trees[base]) if base else {}
        for entry in self.body["tree"]:
            path = entry["path"]
            if "sha" in entry and entry["sha"] is None:
                if path not in files:
                    raise HttpError(422, f"GitRPC::BadObjectState: {path} does not exist")
                del files[path]
                continue
            if "content" in entry:
                data = entry["content"].encode()
                repo.blobs[git_sha("blob", data)] = data
                files[path] = (entry["mode"], git_sha("blob", data))
                self.github.contents_sent.append(git_sha("blob", data))
            elif entry.get("sha") in repo.blobs:
                files[path] = (entry["mode"], entry["sha"])
            else:
                raise HttpError(422, "Invalid tree info")
        sha = repo.add_tree(files)
        return 201, self.tree_json(repo, sha, recursive=False)

    def create_commit(self, owner: str, name: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        if self.body["tree"] not in repo.trees or any(p not in repo.commits for p in self.body.get("parents", [])):
            raise HttpError(422, "Tree SHA does not exist")
        sha = repo.add_commit(self.body["tree"], list(self.body.get("parents", [])), self.body["message"])
        return 201, self.commit_json(repo, sha)

    def _check_workflow_change(self, repo: Repo, old: str | None, new: str) -> None:
        """Moving a ref so that a workflow file changes needs the workflow scope (workflows: write)."""

        def workflows(commit: str | None) -> dict[str, str]:
            if commit is None:
                return {}
            files = repo.trees[repo.commits[commit]["tree"]]
            return {path: sha for path, (_m, sha) in files.items() if path.startswith(".github/workflows/")}

        if workflows(old) != workflows(new):
            assert self.token is not None
            allowed, accepted = self.token.allows("workflows:write", repo.private)
            if not allowed:
                changed = next(iter(set(workflows(old).items()) ^ set(workflows(new).items())))[0]
                raise HttpError(
                    403 if self.token.scopes is None else 404,
                    f"refusing to allow a Personal Access Token to create or update workflow `{changed}` "
                    f"without `{accepted}` scope",
                    {"X-Accepted-GitHub-Permissions": accepted} if self.token.scopes is None else {},
                )

    def create_ref(self, owner: str, name: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        ref, sha = self.body["ref"], self.body["sha"]
        if not re.fullmatch(r"refs/[^/]+/.+", ref):
            raise HttpError(422, "Reference name is not well formed")
        if sha not in repo.commits:
            raise HttpError(422, "Object does not exist")
        short = ref.removeprefix("refs/")
        if short in repo.refs:
            raise HttpError(422, "Reference already exists")
        self._check_workflow_change(repo, repo.refs.get(f"heads/{repo.default_branch}"), sha)
        repo.refs[short] = sha
        return 201, self.ref_json(repo, short)

    def update_ref(self, owner: str, name: str, ref: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        if ref not in repo.refs:
            raise HttpError(422, "Reference does not exist")
        sha = self.body["sha"]
        if sha not in repo.commits:
            raise HttpError(422, "Object does not exist")
        if not self.body.get("force") and repo.refs[ref] not in repo.commits[sha]["parents"]:
            raise HttpError(422, "Update is not a fast forward")
        self._check_workflow_change(repo, repo.refs[ref], sha)
        repo.refs[ref] = sha
        return 200, self.ref_json(repo, ref)

    def delete_ref(self, owner: str, name: str, ref: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        if ref not in repo.refs:
            raise HttpError(422, "Reference does not exist")
        del repo.refs[ref]
        return 204, {}

    def put_contents(self, owner: str, name: str, path: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "contents:write")
        commit = self.github._commit_files(repo, {path: base64.b64decode(self.body["content"])}, self.body["message"])
        return 201, {
            "content": {"path": path, "sha": repo.trees[repo.commits[commit]["tree"]][path][1]},
            "commit": self.commit_json(repo, commit),
        }

    def get_workflow(self, owner: str, name: str, workflow: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "actions:read")
        if workflow not in (WORKFLOW_NAME, str(repo.workflow_id)) or not repo.refs:
            raise HttpError(404, "Not Found")
        if repo.workflow_text(repo.default_branch, WORKFLOW_NAME) is None:
            raise HttpError(404, "Not Found")
        return 200, self.workflow_json(repo)

    def dispatch(self, owner: str, name: str, workflow: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "actions:write")
        self.get_workflow(owner, name, workflow)
        ref = str(self.body.get("ref", "")).removeprefix("refs/heads/")
        if f"heads/{ref}" not in repo.refs:
            raise HttpError(422, f"No ref found for: {ref}")
        text = repo.workflow_text(ref, WORKFLOW_NAME)
        if text is None:
            raise HttpError(404, f"Workflow does not have 'workflow_dispatch' trigger on ref {ref}")
        document = yaml.safe_load(text)
        trigger = document.get("on", document.get(True)) or {}
        declared = (trigger.get("workflow_dispatch") or {}).get("inputs") or {}
        inputs = self.body.get("inputs") or {}
        unexpected = [key for key in inputs if key not in declared]
        if unexpected:
            raise HttpError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
        for key, spec in declared.items():
            if (spec or {}).get("required") and key not in inputs:
                raise HttpError(422, f"Required input '{key}' not provided")
        values = {key: inputs.get(key, (spec or {}).get("default", "")) for key, spec in declared.items()}
        title = re.sub(
            r"\$\{\{\s*inputs\.(\w+)\s*\}\}", lambda m: str(values.get(m[1], "")), str(document.get("run-name", ""))
        ) or str(document.get("name", WORKFLOW_NAME))
        platforms = [p.strip() for p in str(values.get("platforms", "linux,macos,windows")).split(",") if p.strip()]
        if self.github.on_dispatch is not None:
            self.github.on_dispatch(repo, ref, values)
        if self.github.run_start_delay is not None:
            delay = self.github.run_start_delay

            def later() -> None:
                time.sleep(delay)
                self.github.start_run(repo, title, ref, platforms)

            threading.Thread(target=later, daemon=True).start()
        return 204, {}

    def list_runs(self, owner: str, name: str, workflow: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "actions:read")
        self.get_workflow(owner, name, workflow)
        runs = sorted(repo.runs, key=lambda run: (run.created_at, run.id), reverse=True)
        branch = (self.query.get("branch") or [None])[0]
        event = (self.query.get("event") or [None])[0]
        created = (self.query.get("created") or [None])[0]
        runs = [run for run in runs if branch is None or run.branch == branch]
        runs = [run for run in runs if event is None or run.event == event]
        if created:
            runs = [run for run in runs if _created_matches(run.created_at, created)]
        return self.page([self.run_json(run) for run in runs], "workflow_runs")

    def _run(self, repo: Repo, run_id: str) -> Run:
        run = next((run for run in repo.runs if run.id == int(run_id)), None)
        if run is None:
            raise HttpError(404, "Not Found")
        return run

    def get_run(self, owner: str, name: str, run_id: str) -> tuple[int, Json]:
        return 200, self.run_json(self._run(self.repo(owner, name, "actions:read"), run_id))

    def cancel_run(self, owner: str, name: str, run_id: str) -> tuple[int, Json]:
        run = self._run(self.repo(owner, name, "actions:write"), run_id)
        if run.status == "completed":
            raise HttpError(409, "Cannot cancel a workflow run that is completed.")
        run.cancel_requested.set()
        return 202, {}

    def list_jobs(self, owner: str, name: str, run_id: str) -> tuple[int, Json]:
        run = self._run(self.repo(owner, name, "actions:read"), run_id)
        return self.page([self.job_json(job) for job in run.jobs], "jobs")

    def job_logs(self, owner: str, name: str, job_id: str) -> tuple[int, Json]:
        self.repo(owner, name, "actions:read")
        job = self.github_job(int(job_id))
        if job.status != "completed":
            raise HttpError(404, "Not Found")
        self.extra_headers["Location"] = self.github.signed_url("logs", job.id)
        return 302, {}

    def list_artifacts(self, owner: str, name: str, run_id: str) -> tuple[int, Json]:
        run = self._run(self.repo(owner, name, "actions:read"), run_id)
        return self.page([self.artifact_json(artifact) for artifact in run.artifacts], "artifacts")

    def artifact_zip(self, owner: str, name: str, artifact_id: str) -> tuple[int, Json]:
        repo = self.repo(owner, name, "actions:read")
        if not any(a.id == int(artifact_id) for run in repo.runs for a in run.artifacts):
            raise HttpError(404, "Not Found")
        self.extra_headers["Location"] = self.github.signed_url("artifacts", int(artifact_id))
        return 302, {}


def _created_matches(moment: datetime, condition: str) -> bool:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    if ".." in condition:
        low, high = condition.split("..", 1)
        return parse(low) <= moment <= parse(high)
    for operator, test in ((">=", moment.__ge__), ("<=", moment.__le__), (">", moment.__gt__), ("<", moment.__lt__)):
        if condition.startswith(operator):
            return bool(test(parse(condition[len(operator) :])))
    return moment.date() == parse(condition).date()


_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
ROUTES: list[tuple[str, str, Callable[..., tuple[int, Json]]]] = [
    ("GET", r"/user", Api.get_user),
    ("POST", r"/user/repos", Api.create_user_repo),
    ("GET", r"/orgs/(?P<org>[^/]+)", Api.get_org),
    ("POST", r"/orgs/(?P<org>[^/]+)/repos", Api.create_org_repo),
    ("GET", _REPO, Api.get_repo),
    ("GET", _REPO + r"/git/ref/(?P<ref>.+)", Api.get_ref),
    ("GET", _REPO + r"/git/commits/(?P<sha>\w+)", Api.get_commit),
    ("GET", _REPO + r"/git/trees/(?P<sha>\w+)", Api.get_tree),
    ("POST", _REPO + r"/git/blobs", Api.create_blob),
    ("POST", _REPO + r"/git/trees", Api.create_tree),
    ("POST", _REPO + r"/git/commits", Api.create_commit),
    ("POST", _REPO + r"/git/refs", Api.create_ref),
    ("PATCH", _REPO + r"/git/refs/(?P<ref>.+)", Api.update_ref),
    ("DELETE", _REPO + r"/git/refs/(?P<ref>.+)", Api.delete_ref),
    ("PUT", _REPO + r"/contents/(?P<path>.+)", Api.put_contents),
    ("GET", _REPO + r"/actions/workflows/(?P<workflow>[^/]+)", Api.get_workflow),
    ("POST", _REPO + r"/actions/workflows/(?P<workflow>[^/]+)/dispatches", Api.dispatch),
    ("GET", _REPO + r"/actions/workflows/(?P<workflow>[^/]+)/runs", Api.list_runs),
    ("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)", Api.get_run),
    ("POST", _REPO + r"/actions/runs/(?P<run_id>\d+)/cancel", Api.cancel_run),
    ("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/jobs", Api.list_jobs),
    ("GET", _REPO + r"/actions/jobs/(?P<job_id>\d+)/logs", Api.job_logs),
    ("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/artifacts", Api.list_artifacts),
    ("GET", _REPO + r"/actions/artifacts/(?P<artifact_id>\d+)/zip", Api.artifact_zip),
]
