"""The GitHub Actions builder: a generated project built on GitHub's Linux, macOS and Windows runners.

A "builder repository" holds the workflow `.github/workflows/build-plugin.yml` (`vaist-lab remote init
OWNER/REPO` sets one up: `prepare_repository`). For each build (the contract with the workflow, issue 12):

1. one commit is pushed on a new branch `vaist-build/<build id>` with the git data API: the default
   branch's tree overlaid with this installation's vaist-lab source and the generated project under
   `vaist-build/project/`; a file whose git blob SHA-1 the base tree already holds is not sent again, new
   text files travel inside the one tree request, other new files as blobs;
2. the workflow is dispatched on that branch with the inputs `build_id` and `platforms`;
3. the run that this dispatch started is found by its title (`vaist build <build id>`), its branch and its
   creation after the dispatch, and never another run;
4. its jobs (`build (linux)`, `build (macos)`, `build (windows)`) are polled: progress per platform (steps
   done of all) and a log line per step started and ended;
5. as soon as one platform's job ends, its log is fetched and parsed into log events (compiler, linker,
   CMake, verify, pluginval and runner lines, each tagged with the platform), its artifact `vaist-<platform>`
   (plugin bundle, verification.json, pluginval.txt) is downloaded into `<output>/<platform>/` and its verdict
   (PlatformFinished) reported, while the other platforms are still building;
6. the build ends with one BuildFinished summing the platforms up; the branch is deleted whatever happened.

Cancelling (the cancel event, or closing the generator) cancels the run on GitHub. Every API call goes
through `GitHubCalls`: transient failures (5xx, dropped connections) are retried with tenacity, rate limits
(primary: x-ratelimit-remaining 0 until x-ratelimit-reset; secondary: retry-after) are waited out, and
each wait is bounded and reported as a log event before it starts. PyGithub's own retrying (GithubRetry)
is switched off for this: it waits inside urllib3, where a wait can neither be reported nor cancelled.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, UnknownObjectException
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.InputGitTreeElement import InputGitTreeElement
from github.Repository import Repository
from github.Requester import Requester
from github.Workflow import Workflow
from github.WorkflowJob import WorkflowJob
from github.WorkflowRun import WorkflowRun
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from vaist_lab.build.base import Builder, BuildError
from vaist_lab.build.diagnostics import first_errors, parse_actions_log
from vaist_lab.build.events import BuildEvent, BuildFinished, Level, LogEvent, PlatformFinished, ProgressEvent, Source
from vaist_lab.codegen.project import GeneratedProject

logger = logging.getLogger(__name__)

PLATFORMS = ("linux", "macos", "windows")
WORKFLOW_FILE = "build-plugin.yml"
WORKFLOW_PATH = f".github/workflows/{WORKFLOW_FILE}"
BRANCH_PREFIX = "vaist-build/"
PROJECT_FOLDER = "vaist-build/project"
DEFAULT_API_URL = "https://api.github.com"
TOKEN_ENV = "VAIST_GITHUB_TOKEN"
REPOSITORY_ENV = "VAIST_GITHUB_REPOSITORY"
API_URL_ENV = "VAIST_GITHUB_API_URL"
# what a build sends along besides the project: this installation's source, so that the runner generates,
# builds and verifies with exactly the same code as the user's machine
SOURCE_PATHS = ("pyproject.toml", "README.md", "vaist_lab", "cpp_templates", WORKFLOW_PATH)
# folders of the builder repository that mirror this installation: files there that it lacks are removed
MANAGED_FOLDERS = ("vaist_lab/", "cpp_templates/", "vaist-build/")
CLASSIC_SCOPES = ("repo", "workflow")  # what a classic token needs: push, dispatch, and change the workflow
INLINE_LIMIT = 512 * 1024  # text files up to this size travel inside the tree request, larger ones as blobs
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_JOB_NAME = re.compile(r"^build \((?P<platform>linux|macos|windows)\)$")

T = TypeVar("T")


class RemoteBuildError(BuildError):
    """A remote build cannot start or go on; the message says what is wrong and what to do."""


class _Cancelled(Exception):
    """The build was cancelled (the cancel event was set or the generator closed)."""


@dataclass(frozen=True)
class GitHubSettings:
    """Where remote builds run: a token, the builder repository (OWNER/REPO), the API's URL (GitHub
    Enterprise: https://HOST/api/v3)."""

    token: str | None = field(default=None, repr=False)
    repository: str | None = None
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> GitHubSettings:
        """The server's configuration: VAIST_GITHUB_TOKEN, VAIST_GITHUB_REPOSITORY, VAIST_GITHUB_API_URL."""
        env = os.environ if env is None else env
        return cls(
            token=env.get(TOKEN_ENV) or None,
            repository=env.get(REPOSITORY_ENV) or None,
            api_url=env.get(API_URL_ENV) or DEFAULT_API_URL,
        )

    def problems(self) -> list[str]:
        problems = []
        if not self.token:
            problems.append(f"no GitHub token: run `vaist-lab remote init OWNER/REPO` or set {TOKEN_ENV}")
        if not self.repository:
            problems.append(f"no builder repository: run `vaist-lab remote init OWNER/REPO` or set {REPOSITORY_ENV}")
        elif not REPOSITORY_PATTERN.match(self.repository):
            problems.append(f"{self.repository!r} is not a GitHub repository name (OWNER/REPO)")
        if not self.api_url.startswith(("https://", "http://")):
            problems.append(f"{self.api_url!r} is not a URL of GitHub's API (https://api.github.com)")
        return problems


def github_client(
    settings: GitHubSettings, *, timeout: float = 30.0, request_interval: float = 0.25, write_interval: float = 1.0
) -> Github:
    """A PyGithub client without its own retrying (GitHubCalls retries, visibly). `request_interval` and
    `write_interval` space requests out as GitHub asks of integrations (PyGithub's defaults)."""
    return Github(
        auth=Auth.Token(settings.token or ""),
        base_url=settings.api_url.rstrip("/"),
        timeout=max(1, round(timeout)),
        user_agent="vaist-lab",
        retry=None,
        seconds_between_requests=request_interval or None,
        seconds_between_writes=write_interval or None,
    )


# -- talking to GitHub: retries, rate limits, clear messages ----------------------------------------------


def _header(error: GithubException, name: str) -> str | None:
    headers = error.headers or {}
    return next((str(value) for key, value in headers.items() if key.lower() == name), None)


def _server_now(error: GithubException) -> float:
    """GitHub's clock at the response (its Date header), else ours: rate-limit resets are GitHub's times."""
    date = _header(error, "date")
    with contextlib.suppress(TypeError, ValueError, IndexError):
        if date:
            return parsedate_to_datetime(date).timestamp()
    return time.time()


def _error_message(error: GithubException) -> str:
    data = error.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data or error.message or "")


def rate_limit_delay(error: BaseException) -> float | None:
    """Seconds GitHub asks to wait before retrying `error`, or None when it is not a rate limit. GitHub's
    rules: retry-after when given; else, with x-ratelimit-remaining 0, until x-ratelimit-reset; else (a
    secondary limit) at least a minute."""
    if not isinstance(error, GithubException) or error.status not in (403, 429):
        return None
    retry_after = _header(error, "retry-after")
    if retry_after is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(retry_after))
    reset = _header(error, "x-ratelimit-reset")
    if _header(error, "x-ratelimit-remaining") == "0" and reset and reset.isdigit():
        return max(0.0, int(reset) - _server_now(error)) + 1.0  # the reset falls somewhere in that second
    if error.status == 429 or Requester.isRateLimitError(_error_message(error)):
        return 60.0
    return None


def _transient(error: BaseException) -> bool:
    if isinstance(error, GithubException):
        return error.status >= 500
    if isinstance(error, requests.HTTPError):
        return error.response is not None and error.response.status_code >= 500
    return isinstance(error, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError)


def describe_error(error: BaseException, repository: str | None = None, api_url: str = DEFAULT_API_URL) -> str:
    """One line saying what went wrong talking to GitHub, and what to do about it."""
    where = f" on {repository}" if repository else ""
    if isinstance(error, GithubException):
        message = _error_message(error)
        if error.status == 401:
            return (
                f"GitHub refused the token (401 {message or 'Bad credentials'}): it is wrong, expired or revoked; "
                f"store a new one with `vaist-lab remote init {repository or 'OWNER/REPO'}`"
            )
        delay = rate_limit_delay(error)
        if delay is not None:
            until = datetime.fromtimestamp(time.time() + delay, UTC)
            return f"GitHub's API rate limit is used up until {until:%H:%M:%S} UTC ({delay:.0f} s): try again then"
        accepted = _header(error, "x-accepted-github-permissions")
        if error.status == 403 and accepted:
            needed = ", ".join(part.replace("=", ": ") for part in accepted.split(","))
            return (
                f"the GitHub token lacks a permission{where}: this needs {needed} "
                "(a fine-grained token needs contents: write, actions: write and workflows: write; "
                "a classic token the repo and workflow scopes)"
            )
        if error.status == 403:
            return f"GitHub refused this{where} (403 {message}): the token may not do it"
        if error.status >= 500:
            return f"GitHub is failing (HTTP {error.status} {message}); try again later"
        return f"GitHub answered {error.status}{where}: {message}"
    if isinstance(error, requests.RequestException | ConnectionError | TimeoutError):
        return f"cannot reach GitHub at {api_url}: {error}"
    return str(error)


class GitHubCalls:
    """Runs calls to GitHub with retries: transient failures `attempts` times with exponential backoff
    from `backoff` seconds, rate limits for as long as GitHub asks, up to `max_rate_limit_wait` seconds (a
    longer wait fails at once, with the time the limit resets). Each wait is announced through `report`
    before it starts and slept through `sleep`, which may raise to cancel."""

    def __init__(
        self,
        report: Callable[[LogEvent], None],
        sleep: Callable[[float], None] = time.sleep,
        *,
        attempts: int = 5,
        backoff: float = 0.5,
        max_rate_limit_wait: float = 900.0,
        checkpoint: Callable[[], None] = lambda: None,
    ) -> None:
        self.report = report
        self.sleep = sleep
        self.attempts = attempts
        self.backoff = backoff
        self.max_rate_limit_wait = max_rate_limit_wait
        self.checkpoint = checkpoint

    def __call__(self, what: str, function: Callable[[], T]) -> T:
        def attempt() -> T:
            self.checkpoint()
            return function()

        retrying = Retrying(
            retry=retry_if_exception(self._retryable),
            wait=self._wait,
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=lambda state: self._announce(what, state),
            reraise=True,
        )
        return retrying(attempt)

    def _retryable(self, error: BaseException) -> bool:
        delay = rate_limit_delay(error)
        if delay is not None:
            return delay <= self.max_rate_limit_wait
        return _transient(error)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        delay = rate_limit_delay(error) if error else None
        if delay is not None:
            return delay
        return min(30.0, self.backoff * 2 ** (state.attempt_number - 1))

    def _announce(self, what: str, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        if isinstance(error, GithubException) and rate_limit_delay(error) is not None:
            kind = "primary" if _header(error, "x-ratelimit-remaining") == "0" else "secondary"
            until = datetime.now(UTC) + timedelta(seconds=delay)
            message = f"GitHub's {kind} rate limit was hit ({what}): waiting {delay:.0f} s, until {until:%H:%M:%S} UTC"
        else:
            reason = f"HTTP {error.status}" if isinstance(error, GithubException) else type(error).__name__
            message = (
                f"{what}: GitHub failed ({reason}); retrying in {delay:.1f} s "
                f"(attempt {state.attempt_number + 1} of {self.attempts})"
            )
        self.report(LogEvent(Level.WARNING, Source.GITHUB, message))


def _no_repository(name: str) -> str:
    return f"repository {name} not found, or the token cannot see it: run `vaist-lab remote init {name}`"


def _scope_problem(headers: Mapping[str, Any] | None) -> str | None:
    """What a classic token lacks, from the X-OAuth-Scopes it was answered with (None: enough, or not a
    classic token)."""
    scopes = next((str(value) for key, value in (headers or {}).items() if key.lower() == "x-oauth-scopes"), None)
    if scopes is None:
        return None
    held = {scope.strip() for scope in scopes.split(",") if scope.strip()}
    lacking = [scope for scope in CLASSIC_SCOPES if scope not in held]
    if not lacking:
        return None
    return (
        f"the GitHub token lacks the scope(s) {', '.join(lacking)} (it has: {', '.join(sorted(held)) or 'none'}): "
        "a classic token needs repo and workflow"
    )


def open_repository(github: Github, call: GitHubCalls, name: str) -> Repository:
    try:
        return call(f"opening {name}", lambda: github.get_repo(name))
    except UnknownObjectException:
        raise RemoteBuildError(_no_repository(name)) from None


def open_workflow(repo: Repository, call: GitHubCalls) -> Workflow:
    try:
        return call(f"opening {WORKFLOW_PATH}", lambda: repo.get_workflow(WORKFLOW_FILE))
    except UnknownObjectException:
        raise RemoteBuildError(
            f"{repo.full_name} has no workflow {WORKFLOW_PATH} on its default branch: "
            f"run `vaist-lab remote init {repo.full_name}`"
        ) from None


def _redirect_location(requester: Requester, url: str) -> str:
    """Where a GitHub download URL (a job's log, an artifact's zip) redirects: a short-lived signed URL."""
    headers, _ = requester.requestJsonAndCheck("GET", url)
    location = headers.get("location")
    if not location:
        raise RemoteBuildError(f"GitHub did not redirect {url} to a download")
    return str(location)


def _fetch(url: str, timeout: float) -> bytes:
    """GET a signed URL, without the token: it must not travel to the storage host the URL names."""
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.content


def _fetch_file(url: str, timeout: float, destination: Path) -> None:
    """GET a signed URL (without the token) into `destination`, streamed, renamed into place when complete."""
    partial = destination.with_name(destination.name + ".part")
    with requests.get(url, timeout=timeout, stream=True) as response:
        response.raise_for_status()
        with partial.open("wb") as out:
            for chunk in response.iter_content(chunk_size=1 << 16):
                out.write(chunk)
    partial.replace(destination)


# -- the tree a build pushes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoFile:
    """A file to put in the builder repository: its path there, bytes, and whether it is executable."""

    path: str
    data: bytes = field(repr=False)
    executable: bool = False

    @property
    def sha(self) -> str:
        """The git blob SHA-1, as GitHub computes it."""
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()

    @property
    def mode(self) -> str:
        return "100755" if self.executable else "100644"


def _folder_files(folder: Path, prefix: str) -> list[RepoFile]:
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (
            not path.is_file()
            or path.is_symlink()
            or path.suffix in (".pyc", ".pyo")
            or any(part == "__pycache__" or part.startswith(".") for part in relative.parts)
        ):
            continue
        files.append(RepoFile(f"{prefix}{relative.as_posix()}", path.read_bytes(), os.access(path, os.X_OK)))
    return files


def default_source_root() -> Path:
    """The checkout this vaist-lab runs from (the folder holding pyproject.toml beside the package)."""
    import vaist_lab

    return Path(vaist_lab.__file__).resolve().parent.parent


def source_files(root: Path) -> list[RepoFile]:
    """This installation's source as the builder repository holds it (SOURCE_PATHS)."""
    missing = [name for name in SOURCE_PATHS if not (root / name).exists()]
    if missing:
        raise RemoteBuildError(
            f"{root} is not a vaist-lab source checkout (no {', '.join(missing)}): remote builds send the source "
            "along, so vaist-lab must run from a checkout"
        )
    files: list[RepoFile] = []
    for name in SOURCE_PATHS:
        path = root / name
        files += _folder_files(path, f"{name}/") if path.is_dir() else [RepoFile(name, path.read_bytes())]
    return files


def project_files(project: GeneratedProject) -> list[RepoFile]:
    """The generated project, under vaist-build/project/ (plan.json travels with it)."""
    return _folder_files(project.path, f"{PROJECT_FOLDER}/")


@dataclass(frozen=True)
class TreeChanges:
    """How a base tree becomes the wanted one: the tree entries to post (new text files carry their content,
    which GitHub stores as blobs), the blobs to upload first (new files that are not UTF-8 text), how many
    files travel inline, the paths removed."""

    entries: list[InputGitTreeElement]
    uploads: list[RepoFile]
    inlined: int
    removed: list[str]


def _inline_text(file: RepoFile) -> str | None:
    """The file as text to send inside the tree request (one request for all, instead of a blob request
    each: GitHub asks integrations to space their writes a second apart); None when it must be a blob."""
    if len(file.data) > INLINE_LIMIT:
        return None
    try:
        return file.data.decode("utf-8")  # strict: it encodes back to exactly these bytes, this SHA-1
    except UnicodeDecodeError:
        return None


def tree_changes(base: GitTree, files: Sequence[RepoFile], managed: Iterable[str] = MANAGED_FOLDERS) -> TreeChanges:
    """The overlay of `files` on `base` (a recursive listing): a file the base holds with the same content
    and mode is left alone; a blob the base holds elsewhere is referenced by its SHA-1, not sent again; files
    of the managed folders that `files` lacks are removed (unless the listing was truncated: then none is)."""
    blobs = {element.path: (element.sha, element.mode) for element in base.tree if element.type == "blob"}
    known = {sha for sha, _mode in blobs.values()}
    entries: list[InputGitTreeElement] = []
    uploads: dict[str, RepoFile] = {}
    inlined = 0
    for file in files:
        if blobs.get(file.path) == (file.sha, file.mode):
            continue
        text = None if file.sha in known else _inline_text(file)
        if text is not None:
            entries.append(InputGitTreeElement(file.path, file.mode, "blob", content=text))
            inlined += 1
            continue
        entries.append(InputGitTreeElement(file.path, file.mode, "blob", sha=file.sha))
        if file.sha not in known:
            uploads.setdefault(file.sha, file)
    removed: list[str] = []
    if not base.raw_data.get("truncated"):
        wanted = {file.path for file in files}
        prefixes = tuple(managed)
        removed = sorted(path for path in blobs if path.startswith(prefixes) and path not in wanted)
        entries += [InputGitTreeElement(path, blobs[path][1], "blob", sha=None) for path in removed]
    return TreeChanges(entries, list(uploads.values()), inlined, removed)


@dataclass(frozen=True)
class PushResult:
    commit_sha: str
    changed: int  # files added, changed or removed
    sent: int  # files whose content was sent (the others GitHub held already)


def push_files(
    repo: Repository,
    call: GitHubCalls,
    files: Sequence[RepoFile],
    message: str,
    *,
    branch: str | None = None,
) -> tuple[PushResult, GitRef | None]:
    """One commit of `files` over the default branch's tree: on a new `branch` (its ref is returned), or, with
    no branch, on the default branch itself (skipped when nothing changed)."""
    default = repo.default_branch
    base_ref = call(f"reading branch {default}", lambda: repo.get_git_ref(f"heads/{default}"))
    base_commit = call("reading its commit", lambda: repo.get_git_commit(base_ref.object.sha))
    base_tree = call("reading its tree", lambda: repo.get_git_tree(base_commit.tree.sha, recursive=True))
    changes = tree_changes(base_tree, files)
    for file in changes.uploads:
        encoded = base64.b64encode(file.data).decode("ascii")
        blob = call(f"uploading {file.path}", lambda encoded=encoded: repo.create_git_blob(encoded, "base64"))
        if blob.sha != file.sha:
            raise RemoteBuildError(f"GitHub stored {file.path} as blob {blob.sha}, expected {file.sha}")
    if branch is None and not changes.entries:
        return PushResult(base_commit.sha, 0, 0), None
    tree = call("writing the tree", lambda: repo.create_git_tree(changes.entries, base_tree))
    commit = call("writing the commit", lambda: repo.create_git_commit(message, tree, [base_commit]))
    result = PushResult(commit.sha, len(changes.entries), len(changes.uploads) + changes.inlined)
    if branch is None:
        call(f"moving {default}", lambda: base_ref.edit(commit.sha))
        return result, None
    try:
        ref = call(f"creating branch {branch}", lambda: repo.create_git_ref(f"refs/heads/{branch}", commit.sha))
    except GithubException as error:  # 422: it exists; from this very call, when an answer was lost and retried
        if error.status != 422:
            raise
        ref = call(f"reading branch {branch}", lambda: repo.get_git_ref(f"heads/{branch}"))
        if ref.object.sha != commit.sha:
            raise RemoteBuildError(f"branch {branch} exists already, at another commit") from None
    return result, ref


# -- following a run -----------------------------------------------------------------------------------------

_WAITING = ("queued", "waiting", "pending", "requested")  # a job's statuses before a runner took it
_FAILURE_KINDS = {
    Source.COMPILER: "compile error",
    Source.LINKER: "link error",
    Source.CMAKE: "CMake error",
    Source.VERIFY: "verification failed",
    Source.PLUGINVAL: "pluginval failed",
}


@dataclass
class _Platform:
    """What the builder knows of one platform's job while the run goes on."""

    name: str
    job_id: int | None = None
    steps: dict[int, str] = field(default_factory=dict)  # step number -> last status seen
    status: str = ""
    progress: tuple[int, int, str] | None = None
    started: float | None = None  # monotonic: when the job was first seen
    conclusion: str | None = None  # the job's, once completed
    failed_step: str | None = None
    events: list[LogEvent] = field(default_factory=list)  # its parsed log
    awaiting_artifact_until: float | None = None
    result: PlatformFinished | None = None
    summary: str = ""  # "ok" or "failed: compile error" for the build's message


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return f" ({(end - start).total_seconds():.0f} s)"


def _describe_verification(verification: Mapping[str, Any]) -> str:
    worst = verification.get("worst_fidelity_db")
    if isinstance(worst, int | float):
        return f"worst fidelity {worst:.1f} dB"
    return "bit-exact" if worst == "-inf" else "verified"


class _RemoteBuild:
    """One build on GitHub Actions; `run` works on a thread of its own and puts events on `events`."""

    def __init__(self, builder: GitHubBuilder, project: GeneratedProject, output_dir: Path, cancel: threading.Event):
        self.builder = builder
        self.settings = builder.settings
        self.project = project
        self.output_dir = output_dir
        self.cancel = cancel
        self.closed = threading.Event()  # the consumer closed the generator
        self.events: queue.Queue[BuildEvent | None] = queue.Queue()
        self.build_id = builder.new_build_id()
        self.branch = f"{BRANCH_PREFIX}{self.build_id}"
        self.title = f"vaist build {self.build_id}"
        self.platforms = {name: _Platform(name) for name in builder.platforms}
        self.ref: GitRef | None = None
        self.run_: WorkflowRun | None = None
        self.run_done = False
        self.started = time.monotonic()
        self.call = GitHubCalls(
            self.emit,
            self.sleep,
            attempts=builder.attempts,
            backoff=builder.backoff,
            max_rate_limit_wait=builder.max_rate_limit_wait,
            checkpoint=self.checkpoint,
        )
        # cleaning up after a cancel must not be cancelled itself, and must not wait long
        self.cleanup_call = GitHubCalls(
            self.emit, time.sleep, attempts=3, backoff=builder.backoff, max_rate_limit_wait=30
        )
        self.github = github_client(
            self.settings,
            timeout=builder.http_timeout,
            request_interval=builder.request_interval,
            write_interval=builder.write_interval,
        )

    # -- plumbing ------------------------------------------------------------------------------------------

    def emit(self, event: BuildEvent) -> None:
        self.events.put(event)

    def log(self, level: Level, message: str, platform: str | None = None) -> None:
        self.emit(LogEvent(level, Source.GITHUB, message, platform=platform))

    def cancelled(self) -> bool:
        return self.cancel.is_set() or self.closed.is_set()

    def checkpoint(self) -> None:
        if self.cancelled():
            raise _Cancelled

    def sleep(self, seconds: float) -> None:
        """Wait, waking at once for a cancel."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self.checkpoint()
            self.closed.wait(min(remaining, 0.05))
        self.checkpoint()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def pause(self, looks: int) -> None:
        """Wait before the next look at GitHub: half a second at first, doubling up to the poll interval (a
        run usually appears within seconds; a build then takes minutes)."""
        self.sleep(min(self.builder.poll_interval, 0.5 * 2**looks))

    # -- the build --------------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            finished = self._attempt()
            try:
                self._clean_up()
            except Exception:  # the verdict stands; what was left behind is in the log
                logger.exception("cleaning up after GitHub build %s failed", self.build_id)
            self.emit(replace(finished, duration=self.elapsed()))
        finally:
            self.github.close()
            self.events.put(None)

    def _attempt(self) -> BuildFinished:
        try:
            return self._build()
        except _Cancelled:
            self.log(Level.WARNING, "cancelled")
            return self._finished(cancelled=True)
        except RemoteBuildError as error:
            return self._finished(message=str(error))
        except (GithubException, requests.RequestException) as error:
            return self._finished(message=describe_error(error, self.settings.repository, self.settings.api_url))
        except Exception as error:  # a bug here must still end the build with a verdict
            logger.exception("the GitHub builder failed")
            return self._finished(message=f"the GitHub builder failed: {error!r}")

    def _build(self) -> BuildFinished:
        problems = self.settings.problems()
        if problems:
            raise RemoteBuildError("; ".join(problems))
        repository = self.settings.repository or ""
        names = ", ".join(self.platforms)
        self.log(Level.INFO, f"building on GitHub Actions in {repository} for {names} (build {self.build_id})")
        files = source_files(self.builder.source_root) + project_files(self.project)
        repo = open_repository(self.github, self.call, repository)
        workflow = open_workflow(repo, self.call)
        message = f"vaist-lab build {self.build_id}: {self.project.plugin_name}"
        pushed, self.ref = push_files(repo, self.call, files, message, branch=self.branch)
        self.log(Level.INFO, f"pushed {self.branch}: {pushed.changed} file(s) changed, {pushed.sent} sent")
        dispatched_at = self._dispatch(workflow)
        self.run_ = self._find_run(workflow, dispatched_at)
        self.log(Level.INFO, f"run {self.run_.id} started: {self.run_.html_url}")
        self._follow(self.run_)
        return self._summary()

    def _dispatch(self, workflow: Workflow) -> datetime:
        """Start the workflow on the build branch; GitHub's time of the dispatch (its Date header)."""
        inputs = {"build_id": self.build_id, "platforms": ",".join(self.platforms)}
        headers, _ = self.call(
            f"dispatching {WORKFLOW_FILE}",
            lambda: workflow.requester.requestJsonAndCheck(
                "POST", f"{workflow.url}/dispatches", input={"ref": self.branch, "inputs": inputs}
            ),
        )
        self.log(Level.INFO, f"dispatched {WORKFLOW_FILE} on {self.branch}; waiting for its run")
        with contextlib.suppress(TypeError, ValueError, IndexError):
            return parsedate_to_datetime(headers["date"]).astimezone(UTC)
        return datetime.now(UTC)

    def _find_run(self, workflow: Workflow, dispatched_at: datetime) -> WorkflowRun:
        """The run this dispatch started: its title, branch and event, created after the dispatch (a second's
        slack: both times are GitHub's, in whole seconds). Two (a dispatch retried after a lost answer): the
        first is kept, the other cancelled."""
        since = dispatched_at - timedelta(seconds=1)
        created = f">={since:%Y-%m-%dT%H:%M:%SZ}"
        deadline = time.monotonic() + self.builder.start_timeout
        looks = 0
        while True:
            runs = self.call(
                "looking for the run",
                lambda: list(workflow.get_runs(branch=self.branch, event="workflow_dispatch", created=created)),
            )
            ours = sorted(
                (
                    run
                    for run in runs
                    if run.display_title == self.title
                    and run.head_branch == self.branch
                    and run.event == "workflow_dispatch"
                    and run.created_at >= since
                ),
                key=lambda run: (run.created_at, run.id),
            )
            if ours:
                for extra in ours[1:]:
                    self.log(Level.WARNING, f"run {extra.id} duplicates run {ours[0].id}: cancelling it")
                    self._cancel_run(extra, self.call)
                return ours[0]
            if time.monotonic() > deadline:
                raise RemoteBuildError(
                    f"the dispatch of {WORKFLOW_FILE} on {self.branch} started no run within "
                    f"{self.builder.start_timeout:.0f} s: are Actions enabled on {self.settings.repository}, "
                    f"and is the workflow's run-name 'vaist build ${{{{ inputs.build_id }}}}'?"
                )
            self.pause(looks)
            looks += 1

    def _follow(self, run: WorkflowRun) -> None:
        run_started = time.monotonic()
        for looks in itertools.count():
            self.call("reading the run", run.update)
            jobs = self.call("reading the run's jobs", lambda: list(run.jobs("latest")))
            for job in jobs:
                match = _JOB_NAME.match(job.name)
                platform = self.platforms.get(match["platform"]) if match else None
                if platform is not None and platform.conclusion is None:
                    self._observe(platform, job)
            self.run_done = run.status == "completed"
            overdue = time.monotonic() - run_started > self.builder.job_timeout
            for platform in self.platforms.values():
                if platform.result is None:
                    self._settle(platform, run, overdue)
            if all(platform.result is not None for platform in self.platforms.values()):
                return
            self.pause(looks)

    def _observe(self, platform: _Platform, job: WorkflowJob) -> None:
        """Report what changed in a platform's job since the last poll; when it ended, read its log."""
        if platform.job_id != job.id:
            platform.job_id = job.id
            platform.started = platform.started or time.monotonic()
        if job.status != platform.status:
            platform.status = job.status
            if job.status == "in_progress":
                self.log(Level.INFO, f"job '{job.name}' running on {job.runner_name or 'a runner'}", platform.name)
            elif job.status in _WAITING:
                self.log(Level.INFO, f"job '{job.name}' waiting for a runner", platform.name)
        steps = list(job.steps)
        for step in steps:
            seen = platform.steps.get(step.number)
            if step.status == seen:
                continue
            platform.steps[step.number] = step.status
            if step.status == "in_progress":
                self.log(Level.INFO, f"step '{step.name}' started", platform.name)
            elif step.status == "completed":
                conclusion = step.conclusion or "done"
                level = {"failure": Level.ERROR, "cancelled": Level.WARNING, "skipped": Level.DEBUG}
                timing = _seconds(step.started_at, step.completed_at)
                self.log(level.get(conclusion, Level.INFO), f"step '{step.name}' {conclusion}{timing}", platform.name)
                if conclusion == "failure" and platform.failed_step is None:
                    platform.failed_step = step.name
        done = sum(step.status == "completed" for step in steps)
        current = next((step.name for step in steps if step.status != "completed"), "")
        if job.status in _WAITING:
            current = "waiting for a runner"
        progress = (done, len(steps), current)
        if progress != platform.progress:
            platform.progress = progress
            self.emit(ProgressEvent(done, len(steps), current, platform=platform.name))
        if job.status == "completed":
            platform.conclusion = job.conclusion or "unknown"
            self.log(Level.INFO, f"job '{job.name}' ended: {platform.conclusion}", platform.name)
            self._read_log(platform, job)
            wait = self.builder.artifact_wait if platform.conclusion == "success" else 0.0
            platform.awaiting_artifact_until = time.monotonic() + wait

    def _read_log(self, platform: _Platform, job: WorkflowJob) -> None:
        """Fetch the job's log the moment it ended, and report it parsed."""
        try:
            text = self.call(
                f"fetching the log of '{job.name}'",
                lambda: _fetch(_redirect_location(job.requester, f"{job.url}/logs"), self.builder.http_timeout),
            )
        except (GithubException, requests.RequestException, RemoteBuildError) as error:
            message = describe_error(error, self.settings.repository, self.settings.api_url)
            self.log(Level.WARNING, f"cannot fetch the log of '{job.name}': {message}", platform.name)
            return
        # the runner's compile progress is history by now: the job's steps gave this platform's progress
        events = parse_actions_log(text.decode("utf-8", errors="replace"), platform.name)
        platform.events = [event for event in events if isinstance(event, LogEvent)]
        for event in platform.events:
            self.emit(event)

    def _settle(self, platform: _Platform, run: WorkflowRun, overdue: bool) -> None:
        """Finish a platform whose job ended (once its artifact is in, or no longer awaited), whose job the
        run will never start, or that is overdue."""
        if platform.conclusion is not None:
            waiting = platform.awaiting_artifact_until or 0.0
            try:
                artifact = self._fetch_artifact(platform, run)
            except (GithubException, requests.RequestException) as error:
                message = describe_error(error, self.settings.repository, self.settings.api_url)
                self._finish_failed(platform, f"its artifact could not be downloaded: {message}", "no artifact")
                return
            if artifact is not None or time.monotonic() >= waiting or self.run_done:
                self._finish(platform, artifact)
        elif self.run_done:
            self._finish_failed(platform, f"no job ran for it (the run ended: {run.conclusion or 'unknown'})")
        elif overdue:
            if platform.progress is None:
                where = " before its job started"
            elif platform.status in _WAITING:
                where = " waiting for a runner"
            else:
                where = f" in step '{platform.progress[2]}'" if platform.progress[2] else ""
            limit = f"{self.builder.job_timeout:.0f} s"
            self._finish_failed(platform, f"timed out after {limit}{where}", summary="timed out")

    def _fetch_artifact(self, platform: _Platform, run: WorkflowRun) -> Path | None:
        name = f"vaist-{platform.name}"
        artifacts = self.call("listing the run's artifacts", lambda: list(run.get_artifacts()))
        artifact = next((item for item in artifacts if item.name == name and not item.expired), None)
        if artifact is None:
            return None
        folder = self.output_dir / platform.name
        folder.mkdir(parents=True, exist_ok=True)
        destination = folder / f"{name}.zip"
        self.call(
            f"downloading {name}",
            lambda: _fetch_file(
                _redirect_location(run.requester, artifact.archive_download_url),
                self.builder.http_timeout,
                destination,
            ),
        )
        self.log(Level.INFO, f"downloaded {name} ({destination.stat().st_size} bytes) into {folder}", platform.name)
        return destination

    def _finish(self, platform: _Platform, artifact: Path | None) -> None:
        verification: dict[str, Any] | None = None
        problem = ""
        if artifact is not None:
            try:
                verification = _read_verification(artifact)
            except (OSError, ValueError, zipfile.BadZipFile) as error:
                problem = f"its artifact is unreadable: {error}"
        errors = first_errors(platform.events)
        if platform.conclusion == "success" and not problem:
            if artifact is None:
                problem = f"it delivered no artifact vaist-{platform.name}"
            elif verification is None:
                problem = "its artifact holds no verification.json"
            elif verification.get("passed") is not True:
                problem = "verification failed"
        if platform.conclusion == "success" and not problem:
            message = f"built and verified ({_describe_verification(verification or {})})"
            self._report(platform, True, message, "ok", artifact, verification, errors)
            return
        summary = problem or self._failure_kind(platform, errors, verification)
        detail = next((str(error) for error in errors if error.source is not Source.GITHUB), "")
        message = f"{summary}: {detail}" if detail and summary != detail else summary
        self._report(platform, False, message, f"failed: {summary}", artifact, verification, errors)

    def _failure_kind(
        self, platform: _Platform, errors: Sequence[LogEvent], verification: Mapping[str, Any] | None
    ) -> str:
        if any("exceeded the maximum execution time" in event.message for event in platform.events):
            return "timed out on GitHub (the job exceeded its time limit)"
        if platform.conclusion == "cancelled":
            return "cancelled on GitHub"
        if verification is not None and verification.get("passed") is not True:
            return "verification failed"
        kind = next((_FAILURE_KINDS[error.source] for error in errors if error.source in _FAILURE_KINDS), None)
        if kind:
            return kind
        if platform.failed_step:
            return f"step '{platform.failed_step}' failed"
        return f"the job ended: {platform.conclusion}"

    def _finish_failed(self, platform: _Platform, message: str, summary: str | None = None) -> None:
        self._report(
            platform, False, message, f"failed: {summary or message}", None, None, first_errors(platform.events)
        )

    def _report(
        self,
        platform: _Platform,
        success: bool,
        message: str,
        summary: str,
        artifact: Path | None,
        verification: dict[str, Any] | None,
        errors: tuple[LogEvent, ...],
    ) -> None:
        duration = time.monotonic() - (platform.started or self.started)
        platform.summary = summary
        platform.result = PlatformFinished(
            platform.name, success, duration, artifact, verification, message, tuple(errors)
        )
        self.log(Level.INFO if success else Level.ERROR, f"{platform.name}: {message}", platform.name)
        self.emit(platform.result)

    def _summary(self) -> BuildFinished:
        results = [platform.result for platform in self.platforms.values() if platform.result is not None]
        errors = first_errors([error for result in results for error in result.errors])
        delivered = any(result.success for result in results)
        return BuildFinished(
            success=bool(results) and all(result.success for result in results),
            artifact=self.output_dir if delivered else None,
            duration=self.elapsed(),
            errors=errors,
            message=", ".join(f"{platform.name} {platform.summary}" for platform in self.platforms.values()),
        )

    def _finished(self, message: str = "", cancelled: bool = False) -> BuildFinished:
        """The verdict of a build that stopped early; the platforms that finished before keep their results."""
        done = [platform for platform in self.platforms.values() if platform.result is not None]
        so_far = ", ".join(f"{platform.name} {platform.summary}" for platform in done)
        text = "cancelled" if cancelled else message
        return BuildFinished(
            success=False,
            artifact=self.output_dir if any(platform.result and platform.result.success for platform in done) else None,
            duration=self.elapsed(),
            errors=first_errors([error for platform in done if platform.result for error in platform.result.errors]),
            message=f"{text} (before that: {so_far})" if so_far else text,
            cancelled=cancelled,
        )

    # -- cleaning up -----------------------------------------------------------------------------------------

    def _clean_up(self) -> None:
        """Cancel a run that is still going (a cancel, a timeout, an error), and delete the build branch."""
        if self.run_ is not None and not self.run_done:
            self._cancel_run(self.run_, self.cleanup_call)
        if self.ref is not None:
            try:
                self.cleanup_call(f"deleting branch {self.branch}", self.ref.delete)
                self.log(Level.DEBUG, f"deleted branch {self.branch}")
            except (GithubException, requests.RequestException) as error:
                message = describe_error(error, self.settings.repository, self.settings.api_url)
                self.log(Level.WARNING, f"cannot delete branch {self.branch}: {message}")

    def _cancel_run(self, run: WorkflowRun, call: GitHubCalls) -> None:
        try:
            call(f"cancelling run {run.id}", lambda: run.requester.requestJsonAndCheck("POST", run.cancel_url))
            self.log(Level.WARNING, f"cancelled run {run.id} on GitHub")
        except GithubException as error:
            if error.status != 409:  # 409: it had ended meanwhile
                message = describe_error(error, self.settings.repository, self.settings.api_url)
                self.log(Level.WARNING, f"cannot cancel run {run.id}: {message}")
        except requests.RequestException as error:
            self.log(Level.WARNING, f"cannot cancel run {run.id}: {error}")


def _read_verification(artifact: Path) -> dict[str, Any] | None:
    """verification.json of an artifact zip (at its top, or in a folder), decoded; None when absent."""
    with zipfile.ZipFile(artifact) as archive:
        names = [name for name in archive.namelist() if name.rsplit("/", 1)[-1] == "verification.json"]
        if not names:
            return None
        report = json.loads(archive.read(min(names, key=len)))
    if not isinstance(report, dict):
        raise ValueError("verification.json is not a report object")
    return report


class GitHubBuilder(Builder):
    """Builds on GitHub Actions (see the module's docstring). `poll_interval`: seconds between looks at
    the run; `start_timeout`: how long a dispatch may take to start its run; `job_timeout`: how long a
    platform's job may take from the start of the run, waiting for a runner included; `artifact_wait`: how
    long a succeeded job's artifact may take to be listed; `max_rate_limit_wait`: the longest wait for a
    rate limit (a longer one fails the build at once, saying until when)."""

    name = "github"

    def __init__(
        self,
        settings: GitHubSettings,
        platforms: Sequence[str] = PLATFORMS,
        *,
        poll_interval: float = 5.0,
        start_timeout: float = 120.0,
        job_timeout: float = 5400.0,
        artifact_wait: float = 30.0,
        max_rate_limit_wait: float = 900.0,
        attempts: int = 5,
        backoff: float = 1.0,
        http_timeout: float = 60.0,
        request_interval: float = 0.25,
        write_interval: float = 1.0,
        source_root: Path | None = None,
        cleanup_timeout: float = 60.0,
    ) -> None:
        chosen = list(dict.fromkeys(platforms))
        unknown = [name for name in chosen if name not in PLATFORMS]
        if unknown or not chosen:
            raise RemoteBuildError(
                f"unknown platform(s) {', '.join(unknown) or '(none given)'}: choose from {', '.join(PLATFORMS)}"
            )
        self.settings = settings
        self.platforms = tuple(chosen)
        self.poll_interval = poll_interval
        self.start_timeout = start_timeout
        self.job_timeout = job_timeout
        self.artifact_wait = artifact_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        self.attempts = attempts
        self.backoff = backoff
        self.http_timeout = http_timeout
        self.request_interval = request_interval
        self.write_interval = write_interval
        self.source_root = source_root or default_source_root()
        self.cleanup_timeout = cleanup_timeout

    def new_build_id(self) -> str:
        return uuid.uuid4().hex

    def build(
        self, project: GeneratedProject, output_dir: Path, cancel: threading.Event | None = None
    ) -> Generator[BuildEvent, None, None]:
        remote = _RemoteBuild(self, project, Path(output_dir), cancel or threading.Event())
        worker = threading.Thread(target=remote.run, name=f"vaist-github-build-{remote.build_id[:8]}", daemon=True)
        worker.start()
        try:
            while (event := remote.events.get()) is not None:
                yield event
        finally:
            if worker.is_alive():  # closed early: the worker cancels the run and deletes the branch
                remote.closed.set()
                worker.join(self.cleanup_timeout)

    def set_up_repository(self, report: Callable[[str], None] = lambda _line: None) -> str:
        """`prepare_repository` for this builder's settings and source, at its pace of requests: the
        repository's URL."""
        return prepare_repository(
            self.settings,
            self.source_root,
            report,
            request_interval=self.request_interval,
            write_interval=self.write_interval,
        )

    def check(self) -> list[str]:
        """Missing settings, a refused or under-scoped token, a missing repository or workflow, a missing
        source checkout: one line each (empty when a build can start)."""
        problems = self.settings.problems()
        if problems:
            return problems
        try:
            source_files(self.source_root)
        except RemoteBuildError as error:
            return [str(error)]
        reported: list[LogEvent] = []
        call = GitHubCalls(reported.append, attempts=self.attempts, backoff=self.backoff, max_rate_limit_wait=60.0)
        github = github_client(self.settings, timeout=self.http_timeout, request_interval=0, write_interval=0)
        name = self.settings.repository or ""
        try:
            try:
                repo = call(f"opening {name}", lambda: github.get_repo(name))
            except UnknownObjectException as error:  # a token without `repo` does not see private repositories
                return [_scope_problem(error.headers) or _no_repository(name)]
            problem = _scope_problem(repo.raw_headers)
            if problem:
                return [problem]
            workflow = open_workflow(repo, call)
            if "x-oauth-scopes" not in repo.raw_headers:  # a fine-grained or app token: try, where nothing can happen
                _probe(call, repo, workflow)
        except RemoteBuildError as error:
            return [str(error)]
        except (GithubException, requests.RequestException) as error:
            return [describe_error(error, name, self.settings.api_url)]
        finally:
            github.close()
        return []


def _probe(call: GitHubCalls, repo: Repository, workflow: Workflow) -> None:
    """Ask for a dispatch and a branch that GitHub must refuse as invalid (422: no such ref, no such object)
    once it found the token allowed to: a 403 (with X-Accepted-GitHub-Permissions) says which permission is
    missing; nothing is created either way."""
    nowhere = f"vaist-check/{uuid.uuid4().hex[:12]}"
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{workflow.url}/dispatches", {"ref": nowhere, "inputs": {}}),
        ("POST", f"{repo.url}/git/refs", {"ref": f"refs/heads/{nowhere}", "sha": "0" * 40}),
    ]
    for verb, url, body in attempts:
        try:
            call(
                "checking the token's permissions",
                lambda verb=verb, url=url, body=body: repo.requester.requestJsonAndCheck(verb, url, input=body),
            )
        except GithubException as error:
            if error.status != 422:
                raise


def prepare_repository(
    settings: GitHubSettings,
    source_root: Path | None = None,
    report: Callable[[str], None] = lambda _line: None,
    *,
    request_interval: float = 0.25,
    write_interval: float = 1.0,
) -> str:
    """Make `settings.repository` a builder repository: create it (private) when it does not exist, then
    commit this installation's source and workflow on its default branch. Its URL."""
    problems = settings.problems()
    if problems:
        raise RemoteBuildError("; ".join(problems))
    files = source_files(source_root or default_source_root())
    name = settings.repository or ""
    owner, _, repo_name = name.partition("/")
    call = GitHubCalls(lambda event: report(event.message))
    github = github_client(settings, request_interval=request_interval, write_interval=write_interval)
    try:
        try:
            repo = call(f"opening {name}", lambda: github.get_repo(name))
        except UnknownObjectException:
            repo = _create_repository(github, call, owner, repo_name)
            report(f"created the private repository {repo.full_name}")
        _ensure_first_commit(repo, call)
        pushed, _ = push_files(repo, call, files, "vaist-lab builder: this installation's source and workflow")
        if pushed.changed:
            report(f"committed {pushed.changed} file(s) ({pushed.sent} sent) on {repo.default_branch}")
        else:
            report(f"{repo.full_name} already holds this source")
        _await_workflow(repo, call, report)
        return repo.html_url
    except (GithubException, requests.RequestException) as error:
        raise RemoteBuildError(describe_error(error, name, settings.api_url)) from None
    finally:
        github.close()


def _await_workflow(repo: Repository, call: GitHubCalls, report: Callable[[str], None], timeout: float = 20.0) -> None:
    """GitHub lists a workflow pushed to the default branch within seconds: wait for it, a bounded while."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            open_workflow(repo, call)
            return
        except RemoteBuildError:
            if time.monotonic() > deadline:
                report(f"GitHub does not list {WORKFLOW_PATH} yet: try `vaist-lab remote check` in a minute")
                return
            time.sleep(1.0)


def _create_repository(github: Github, call: GitHubCalls, owner: str, name: str) -> Repository:
    user = github.get_user()
    login = call("reading the token's user", lambda: user.login)
    description = "Builds vAIst lab plugins on GitHub Actions (vaist-lab remote init)"
    if login.lower() == owner.lower():
        return call(
            f"creating {owner}/{name}",
            lambda: user.create_repo(name, description=description, private=True, auto_init=True),
        )
    try:
        organization = call(f"opening organization {owner}", lambda: github.get_organization(owner))
    except UnknownObjectException:
        raise RemoteBuildError(
            f"{owner} is neither the token's user ({login}) nor an organization it can see"
        ) from None
    return call(
        f"creating {owner}/{name}",
        lambda: organization.create_repo(name, description=description, private=True, auto_init=True),
    )


def _ensure_first_commit(repo: Repository, call: GitHubCalls) -> None:
    """The git data API cannot write to an empty repository (409): give it a first commit through the
    contents API."""
    try:
        call("reading the default branch", lambda: repo.get_git_ref(f"heads/{repo.default_branch}"))
    except GithubException as error:
        if error.status not in (404, 409):
            raise
        call(
            "making the first commit",
            lambda: repo.create_file("README.md", "vaist-lab builder repository", "# vaist-lab builder\n"),
        )


__all__ = [
    "PLATFORMS",
    "GitHubBuilder",
    "GitHubCalls",
    "GitHubSettings",
    "RemoteBuildError",
    "RepoFile",
    "describe_error",
    "github_client",
    "prepare_repository",
    "rate_limit_delay",
    "source_files",
    "tree_changes",
]
