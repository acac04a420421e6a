"""The GitHub Actions builder, driving the real PyGithub client against a GitHub on loopback (fake_github): the
branch it pushes, the run it finds, per-platform progress, logs and verdicts, failures on one platform, timeouts,
cancel, token and repository problems, rate limits and transient errors."""

from __future__ import annotations

import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import remote_builders
from build_helpers import collect
from fake_github import FakeGitHub, PlatformScript, Repo, Token

from vaist_lab.build.events import BuildFinished, Level, LogEvent, PlatformFinished, ProgressEvent, Source
from vaist_lab.build.github import (
    PLATFORMS,
    GitHubBuilder,
    GitHubSettings,
    RemoteBuildError,
    RepoFile,
    default_source_root,
    prepare_repository,
    project_files,
    source_files,
)
from vaist_lab.codegen import GeneratedProject, generate_project
from vaist_lab.plan import load_plan

OWNER, NAME = "octo", "vaist-builder"
REPOSITORY = f"{OWNER}/{NAME}"
TOKEN = "ghp_" + "k" * 36
FAST = {**remote_builders.FAST, "start_timeout": 3.0, "job_timeout": 30.0}  # shorter: timeout tests wait them out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> GeneratedProject:
    return generate_project(load_plan("tape-echo"), tmp_path_factory.mktemp("remote") / "project")


@pytest.fixture
def source() -> list[RepoFile]:
    """This checkout's source, workflow included: what `vaist-lab remote init` put on the default branch."""
    return source_files(default_source_root())


@pytest.fixture
def fake(source: list[RepoFile]) -> Iterator[FakeGitHub]:
    with FakeGitHub() as github:
        github.add_token(Token(TOKEN, OWNER))
        github.add_repo(OWNER, NAME, {file.path: file.data for file in source})
        yield github


def builder(fake: FakeGitHub, token: str | None = TOKEN, repository: str = REPOSITORY, **options: Any) -> GitHubBuilder:
    platforms = options.pop("platforms", PLATFORMS)
    return GitHubBuilder(GitHubSettings(token, repository, fake.url), platforms, **{**FAST, **options})


def platform_results(events: list[Any]) -> dict[str, PlatformFinished]:
    results = [event for event in events if isinstance(event, PlatformFinished)]
    assert len(results) == len({result.platform for result in results}), "one verdict per platform"
    return {result.platform: result for result in results}


def repo_of(fake: FakeGitHub) -> Repo:
    return fake.repos[REPOSITORY]


def build_branches(fake: FakeGitHub) -> list[str]:
    return [ref for ref in repo_of(fake).refs if ref.startswith("heads/vaist-build/")]


def test_three_platforms_build_verify_and_deliver(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    project = replace(project, path=Path(shutil.copytree(project.path, tmp_path / "project")))
    (project.path / "Resources").mkdir()
    (project.path / "Resources" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    fake.scripts["macos"] = PlatformScript(step_seconds=0.08)
    events, finished = collect(builder(fake).build(project, tmp_path / "out"))

    assert finished.success, finished.message
    assert finished.message == "linux ok, macos ok, windows ok"
    assert finished.artifact == tmp_path / "out"
    results = platform_results(events)
    assert sorted(results) == sorted(PLATFORMS)
    for platform, result in results.items():
        assert result.success and result.message.startswith("built and verified (worst fidelity -138.5 dB)")
        assert result.artifact == tmp_path / "out" / platform / f"vaist-{platform}.zip"
        with zipfile.ZipFile(result.artifact) as archive:
            assert f"{project.plugin_name}.vst3/Contents/Resources/moduleinfo.json" in archive.namelist()
        assert result.verification is not None and result.verification["passed"] is True
        assert result.verification["plugin"] == f"dist/{project.plugin_name}.vst3"
        progress = [e for e in events if isinstance(e, ProgressEvent) and e.platform == platform]
        assert progress[-1].done == progress[-1].total == 12, "every step of the job done"
        assert any(e.step == "Build" for e in progress), "the step running is named"
        logs = [e for e in events if isinstance(e, LogEvent) and e.platform == platform]
        assert any(e.source is Source.GITHUB and e.message == "step 'Build' started" for e in logs)
        assert any(e.source is Source.PLUGINVAL and e.message == "ALL TESTS PASSED" for e in logs)
        assert any(e.source is Source.VERIFY and e.message == "PASS" for e in logs)
    warning = next(e for e in events if isinstance(e, LogEvent) and e.level is Level.WARNING and e.file)
    assert (warning.platform, warning.source, warning.line, warning.column) == ("macos", Source.COMPILER, 12, 30)

    repo = repo_of(fake)
    (run,) = repo.runs
    assert run.title.startswith("vaist build ") and run.branch.startswith("vaist-build/")
    pushed = repo.files_at(run.head_sha)
    assert pushed["vaist-build/project/plan.json"] == (project.path / "plan.json").read_bytes()
    assert pushed["vaist_lab/build/github.py"] == (default_source_root() / "vaist_lab/build/github.py").read_bytes()
    (parent,) = repo.commits[run.head_sha]["parents"]
    base = {sha for _mode, sha in repo.trees[repo.commits[parent]["tree"]].values()}
    new = {file.sha: file for file in project_files(project) if file.sha not in base}
    assert len(new) < len(project_files(project)), "the DSP headers equal cpp_templates' and are not sent"
    (logo,) = [sha for sha, file in new.items() if file.path.endswith("logo.png")]
    assert fake.blobs_posted == [logo], "a file that is not text goes as a blob"
    assert sorted(fake.contents_sent) == sorted(set(new) - {logo}), "new text travels in the tree request, once"
    assert build_branches(fake) == [], "the build branch is deleted"


def test_windows_fails_and_the_others_deliver(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.scripts["windows"] = PlatformScript("compile_error")
    events, finished = collect(builder(fake).build(project, tmp_path / "out"))

    assert not finished.success
    assert finished.message == "linux ok, macos ok, windows failed: compile error"
    assert finished.artifact == tmp_path / "out", "the platforms that built are delivered"
    results = platform_results(events)
    assert results["linux"].success and results["macos"].success
    assert results["linux"].artifact and results["linux"].artifact.is_file()
    windows = results["windows"]
    assert not windows.success and windows.artifact is None and windows.verification is None
    assert windows.message.startswith("compile error: ")
    error = windows.errors[0]
    assert (error.platform, error.source, error.level) == ("windows", Source.COMPILER, Level.ERROR)
    assert error.file is not None and error.file.endswith("PluginProcessor.cpp")
    assert (error.line, error.column) == (42, 17) and "C2065" in error.message
    assert error in finished.errors
    assert not (tmp_path / "out" / "windows" / "vaist-windows.zip").exists()
    assert build_branches(fake) == []


def test_a_failed_verification_ships_its_report(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.scripts["macos"] = PlatformScript("verify_failure")
    events, finished = collect(builder(fake, platforms=["macos"]).build(project, tmp_path / "out"))

    assert finished.message == "macos failed: verification failed"
    macos = platform_results(events)["macos"]
    assert not macos.success and macos.message.startswith("verification failed: ")
    assert macos.artifact is not None and macos.artifact.is_file(), "the report travels with the bundle"
    assert macos.verification is not None and macos.verification["passed"] is False
    assert any(error.source is Source.VERIFY and "96000 Hz" in error.message for error in macos.errors)
    assert [run.jobs[1].name for run in repo_of(fake).runs] == ["build (macos)"], "only the platform asked for"


def test_job_timeouts_on_github_and_here(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.scripts["macos"] = PlatformScript("github_timeout")
    fake.scripts["windows"] = PlatformScript(queue_seconds=3600)  # no runner for it
    events, finished = collect(builder(fake, job_timeout=1.0).build(project, tmp_path / "out"))

    results = platform_results(events)
    assert results["linux"].success
    assert results["macos"].message == "timed out on GitHub (the job exceeded its time limit)"
    assert results["windows"].message == "timed out after 1 s waiting for a runner"
    windows_progress = [e for e in events if isinstance(e, ProgressEvent) and e.platform == "windows"]
    assert [(e.done, e.total, e.step) for e in windows_progress] == [(0, 0, "waiting for a runner")]
    assert finished.message == (
        "linux ok, macos failed: timed out on GitHub (the job exceeded its time limit), windows failed: timed out"
    )
    macos_log = [e.message for e in events if isinstance(e, LogEvent) and e.platform == "macos"]
    assert any("exceeded the maximum execution time" in line for line in macos_log), "the log received is kept"
    (run,) = repo_of(fake).runs
    assert run.cancel_requested.is_set(), "the stuck run is cancelled, not left to burn minutes"
    assert build_branches(fake) == []


def test_a_dispatch_that_starts_no_run(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.run_start_delay = None
    started = time.monotonic()
    _events, finished = collect(builder(fake, start_timeout=1.0).build(project, tmp_path / "out"))

    assert not finished.success and not finished.cancelled
    assert finished.message.startswith("the dispatch of build-plugin.yml on vaist-build/")
    assert "started no run within 1 s" in finished.message
    assert 1.0 <= time.monotonic() - started < 10
    assert build_branches(fake) == []


def test_runs_started_by_others_are_not_taken_for_ours(
    fake: FakeGitHub, project: GeneratedProject, tmp_path: Path
) -> None:
    failing = {platform: PlatformScript("compile_error") for platform in PLATFORMS}
    others = []

    def others_dispatch_too(repo: Repo, branch: str, inputs: dict[str, str]) -> None:
        ours = inputs["build_id"]
        # someone's build whose id starts with ours, on our branch; ours, on another branch; all at this moment
        others.append(fake.start_run(repo, f"vaist build {ours}0", branch, list(PLATFORMS), scripts=failing))
        others.append(fake.start_run(repo, f"vaist build {ours}", "main", list(PLATFORMS), scripts=failing))

    fake.on_dispatch = others_dispatch_too
    fake.run_start_delay = 0.3  # ours starts last: the others are the newest runs for a while
    _events, finished = collect(builder(fake).build(project, tmp_path / "out"))

    assert finished.success, finished.message
    repo = repo_of(fake)
    ours = next(run for run in repo.runs if run not in others)
    assert fake.requests_to(rf"/actions/runs/{ours.id}/jobs$")
    for other in others:
        assert not fake.requests_to(rf"/actions/runs/{other.id}(/|$)"), "another run was looked at"
        assert not other.cancel_requested.is_set()


def test_a_jobs_log_is_read_as_soon_as_it_ends(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.scripts["linux"] = PlatformScript(step_seconds=0.01)
    fake.scripts["macos"] = PlatformScript(step_seconds=0.15)
    fake.scripts["windows"] = PlatformScript(step_seconds=0.15)
    received: list[tuple[float, Any]] = []
    for event in builder(fake).build(project, tmp_path / "out"):
        received.append((time.monotonic(), event))
    assert isinstance(received[-1][1], BuildFinished) and received[-1][1].success

    (run,) = repo_of(fake).runs
    assert run.completed_monotonic is not None
    linux_job = next(job for job in run.jobs if job.platform == "linux")
    (log_request,) = fake.requests_to(rf"/actions/jobs/{linux_job.id}/logs$")
    assert log_request.at < run.completed_monotonic, "linux's log was fetched while the run was still going"
    linux_done = next(at for at, event in received if isinstance(event, PlatformFinished) and event.platform == "linux")
    assert linux_done < run.completed_monotonic
    order = [event.platform for _at, event in received if isinstance(event, PlatformFinished)]
    assert order[0] == "linux"
    first_linux_log = next(
        index for index, (_at, e) in enumerate(received) if isinstance(e, LogEvent) and e.source is Source.PLUGINVAL
    )
    first_other_verdict = next(
        index for index, (_at, e) in enumerate(received) if isinstance(e, PlatformFinished) and e.platform != "linux"
    )
    assert first_linux_log < first_other_verdict


@pytest.mark.parametrize("how", ["cancel event", "closing the generator"])
def test_cancel_cancels_the_run(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path, how: str) -> None:
    for platform in PLATFORMS:
        fake.scripts[platform] = PlatformScript("hang")
    cancel = threading.Event()
    events = builder(fake).build(project, tmp_path / "out", cancel)
    building: set[str] = set()
    for event in events:
        if isinstance(event, ProgressEvent) and event.step == "Build" and event.platform:
            building.add(event.platform)
        if building == set(PLATFORMS):
            break
    (run,) = repo_of(fake).runs
    if how == "cancel event":
        cancel.set()
        rest = list(events)
        finished = rest[-1]
        assert isinstance(finished, BuildFinished) and finished.cancelled and not finished.success
        assert finished.message == "cancelled"
        assert not any(isinstance(event, PlatformFinished) for event in rest)
    else:
        events.close()  # type: ignore[attr-defined]
    assert run.cancel_requested.is_set()
    assert build_branches(fake) == []


@pytest.mark.parametrize(
    ("token", "repository", "expected"),
    [
        (None, REPOSITORY, "no GitHub token: run `vaist-lab remote init OWNER/REPO` or set VAIST_GITHUB_TOKEN"),
        ("ghp_wrong", REPOSITORY, "GitHub refused the token (401 Bad credentials): it is wrong, expired or revoked"),
        ("classic-no-workflow", REPOSITORY, "the GitHub token lacks the scope(s) workflow (it has: repo)"),
        ("classic-public", REPOSITORY, "the GitHub token lacks the scope(s) repo, workflow (it has: public_repo"),
        (
            "fine-actions-read",
            REPOSITORY,
            f"the GitHub token lacks a permission on {REPOSITORY}: this needs actions: write",
        ),
        (
            "fine-contents-read",
            REPOSITORY,
            f"the GitHub token lacks a permission on {REPOSITORY}: this needs contents: write",
        ),
        (TOKEN, "octo/missing", "repository octo/missing not found, or the token cannot see it"),
        (TOKEN, "octo/empty", "octo/empty has no workflow .github/workflows/build-plugin.yml on its default branch"),
        (TOKEN, "not a repository", "'not a repository' is not a GitHub repository name (OWNER/REPO)"),
    ],
)
def test_check_says_what_is_wrong_in_one_line(
    fake: FakeGitHub, token: str | None, repository: str, expected: str
) -> None:
    fake.add_token(Token("classic-no-workflow", OWNER, scopes=("repo",)))
    fake.add_token(Token("classic-public", OWNER, scopes=("public_repo", "read:org")))
    fake.add_token(
        Token("fine-actions-read", OWNER, None, {"contents": "write", "actions": "read", "workflows": "write"})
    )
    fake.add_token(Token("fine-contents-read", OWNER, None, {"contents": "read", "actions": "write"}))
    fake.add_repo(OWNER, "empty", {"README.md": b"# nothing here\n"})

    problems = builder(fake, token=token, repository=repository).check()

    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert not build_branches(fake), "checking creates nothing"


def test_check_passes_for_a_ready_repository_and_good_tokens(fake: FakeGitHub) -> None:
    fine = fake.add_token(
        Token("fine-ok", OWNER, None, {"contents": "write", "actions": "write", "workflows": "write"})
    )
    assert builder(fake).check() == []
    assert builder(fake, token=fine).check() == []


def test_a_refused_token_ends_the_build_with_the_same_line(
    fake: FakeGitHub, project: GeneratedProject, tmp_path: Path
) -> None:
    _events, finished = collect(builder(fake, token="ghp_wrong").build(project, tmp_path / "out"))
    assert finished.message.startswith("GitHub refused the token (401 Bad credentials)")
    assert not fake.requests_to(r"/git/", "POST")


def test_rate_limits_are_waited_out_and_said(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    reset = int(time.time()) + 1
    fake.fail_next(
        "GET",
        r"/actions/runs/\d+/jobs$",
        403,
        {"message": "API rate limit exceeded for user ID 1.", "documentation_url": "https://docs.github.com/rest"},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "x-ratelimit-used": "5000"},
    )
    fake.fail_next(
        "POST",
        r"/dispatches$",
        403,
        {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
        {"retry-after": "1"},
    )
    events, finished = collect(builder(fake).build(project, tmp_path / "out"))

    assert finished.success, finished.message
    said = [e.message for e in events if isinstance(e, LogEvent) and e.level is Level.WARNING]
    assert any(m.startswith("GitHub's primary rate limit was hit (reading the run's jobs): waiting") for m in said)
    assert any(
        m.startswith("GitHub's secondary rate limit was hit (dispatching build-plugin.yml): waiting 1 s") for m in said
    )
    first, second = fake.requests_to(r"/dispatches$", "POST")[:2]
    assert (first.status, second.status) == (403, 204) and second.at - first.at >= 0.95
    jobs = fake.requests_to(r"/actions/runs/\d+/jobs$")
    assert jobs[0].status == 403 and jobs[1].wall >= reset, "not retried before the limit's reset"


def test_a_rate_limit_longer_than_the_bound_fails_at_once(
    fake: FakeGitHub, project: GeneratedProject, tmp_path: Path
) -> None:
    fake.fail_next(
        "GET",
        rf"/repos/{REPOSITORY}$",
        429,
        {"message": "API rate limit exceeded for user ID 1."},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)},
    )
    _events, finished = collect(builder(fake, max_rate_limit_wait=5.0).build(project, tmp_path / "out"))
    assert finished.message.startswith("GitHub's API rate limit is used up until ")
    assert finished.duration < 5
    assert not fake.requests_to(r"/git/", "POST")


def test_transient_failures_are_retried(fake: FakeGitHub, project: GeneratedProject, tmp_path: Path) -> None:
    fake.fail_next("POST", r"/git/trees$", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", times=2)
    fake.fail_next("GET", r"/actions/runs/\d+$", 503, {"message": "Service Unavailable"})
    fake.fail_next("GET", r"/actions/runs/\d+/artifacts$", 0, "")  # the connection dropped, no answer
    events, finished = collect(builder(fake).build(project, tmp_path / "out"))

    assert finished.success, finished.message
    said = [e.message for e in events if isinstance(e, LogEvent) and e.level is Level.WARNING]
    assert "writing the tree: GitHub failed (HTTP 502); retrying in 0.1 s (attempt 2 of 4)" in said
    assert "writing the tree: GitHub failed (HTTP 502); retrying in 0.1 s (attempt 3 of 4)" in said
    assert "reading the run: GitHub failed (HTTP 503); retrying in 0.1 s (attempt 2 of 4)" in said
    assert any(m.startswith("listing the run's artifacts: GitHub failed (ConnectionError)") for m in said)


def test_remote_init_makes_and_updates_a_builder_repository(fake: FakeGitHub) -> None:
    settings = GitHubSettings(TOKEN, "octo/new-builder", fake.url)
    said: list[str] = []
    url = prepare_repository(settings, report=said.append, request_interval=0, write_interval=0)

    repo = fake.repos["octo/new-builder"]
    assert repo.private and url == "https://github.example/octo/new-builder"
    files = repo.files_at(repo.refs["heads/main"])
    assert {file.path: file.data for file in source_files(default_source_root())}.items() <= files.items()
    assert "README.md" in files
    assert said[0] == "created the private repository octo/new-builder"
    assert GitHubBuilder(settings, **FAST).check() == []

    said.clear()
    prepare_repository(settings, report=said.append, request_interval=0, write_interval=0)
    assert said == ["octo/new-builder already holds this source"]

    fake.organizations.add("acme")
    prepare_repository(GitHubSettings(TOKEN, "acme/builder", fake.url), request_interval=0, write_interval=0)
    assert fake.requests_to(r"^/orgs/acme/repos$", "POST")
    fake.add_repo("acme", "empty-builder", None)  # exists, without a commit: the git data API refuses it
    prepare_repository(GitHubSettings(TOKEN, "acme/empty-builder", fake.url), request_interval=0, write_interval=0)
    for name in ("acme/builder", "acme/empty-builder"):
        repo = fake.repos[name]
        assert ".github/workflows/build-plugin.yml" in repo.files_at(repo.refs["heads/main"])

    with pytest.raises(RemoteBuildError, match=r"^nobody is neither the token's user"):
        prepare_repository(GitHubSettings(TOKEN, "nobody/builder", fake.url), request_interval=0, write_interval=0)


def test_the_command_line_sets_up_checks_and_builds_remotely(fake: FakeGitHub, cli: Any, tmp_path: Path) -> None:
    init = cli("remote", "init", "octo/cli-builder", "--token", TOKEN, "--api-url", fake.url)
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines()[-1] == "https://github.example/octo/cli-builder"
    assert "created the private repository octo/cli-builder" in init.stderr
    check = cli("remote", "check")  # the token from the encrypted keys, the repository from the user's settings
    assert check.returncode == 0 and check.stdout.strip() == f"ready: octo/cli-builder on {fake.url}", check.stderr

    built = cli("build", "tape-echo", "--remote", "github", "--platforms", "linux,macos", "-o", "out")
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[-1] == "out"
    assert "[linux 12/12]\n" in built.stderr, "each platform's progress"
    assert "macos: built and verified (worst fidelity -138.5 dB) -> out/macos/vaist-macos.zip" in built.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["linux", "macos"]


def test_unknown_platforms_are_refused(fake: FakeGitHub) -> None:
    with pytest.raises(RemoteBuildError, match=r"^unknown platform\(s\) beos: choose from linux, macos, windows$"):
        builder(fake, platforms=["linux", "beos"])
