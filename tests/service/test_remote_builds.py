"""Builds on GitHub Actions through the service, with the real GitHubBuilder (PyGithub) against fake_github's
GitHub on loopback: one row per platform, each recorded (with its plugin and report) as soon as that platform
is done; a run where windows fails and the others deliver; a cancel in the middle; settings and a bad token
refused before anything changes; each user's own token and repository, else the server's; the same build
in a detached worker process, its plugins in an S3 bucket with their metadata."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fake_github import FakeGitHub, PlatformScript, Token
from lab_states import wait_until
from remote_builders import FACTORY, OWNER, REPOSITORY, TESTS, TOKEN, fake_github, fast_github_builder
from s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, s3_server  # noqa: F401 - fixture
from scripted_builder import ScriptedBuilder

from vaist_lab.service import (
    BuilderUnavailable,
    CurrentUser,
    DetachedBuildExecutor,
    InvalidInput,
    Lab,
    LabSettings,
    NotFound,
    PlatformBuildStatus,
    UserLab,
    host_platform,
)
from vaist_lab.service.build_worker import REMOTE_BUILDER_VARIABLE
from vaist_lab.store import BuildLog, PlatformBuild, ProjectStatus
from vaist_lab.store.s3 import S3ArtifactStorage
from vaist_lab.store.testing import migrated_sqlite_file

SUCCEEDED, FAILED, CANCELLED, BUILDING = (
    PlatformBuildStatus.SUCCEEDED,
    PlatformBuildStatus.FAILED,
    PlatformBuildStatus.CANCELLED,
    PlatformBuildStatus.BUILDING,
)
PLATFORMS = ("linux", "macos", "windows")
TIMEOUT = 60.0


@pytest.fixture
def settings() -> LabSettings:
    """One build at a time on this machine: a build on GitHub takes no place among them."""
    return LabSettings(heartbeat_interval=0.05, build_workers=1, verify_builds=False)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as fake:
        yield fake


def open_lab(url: str, tmp_path: Path, clock: Callable[[], datetime], settings: LabSettings) -> Lab:
    """The service's Lab, its remote builds polling the fake GitHub every few hundredths of a second."""
    return Lab.open(
        url,
        data=tmp_path / "data",
        settings=settings,
        clock=clock,
        builder_factory=ScriptedBuilder,
        remote_builder_factory=fast_github_builder,
        work_root=tmp_path / "work",
        build_roots=[],
    )


@pytest.fixture
def lab(
    migrated_database_url: str, tmp_path: Path, clock: Callable[[], datetime], settings: LabSettings
) -> Iterator[Lab]:
    """On SQLite and PostgreSQL: for what the database does (rows, sums, transactions)."""
    lab = open_lab(migrated_database_url, tmp_path, clock, settings)
    yield lab
    lab.close()


@pytest.fixture
def sqlite_lab(tmp_path: Path, clock: Callable[[], datetime], settings: LabSettings) -> Iterator[Lab]:
    """On SQLite only: for what happens around the database."""
    migrated_sqlite_file(tmp_path / "vaist.db")
    lab = open_lab(f"sqlite:///{tmp_path / 'vaist.db'}", tmp_path, clock, settings)
    yield lab
    lab.close()


def github_user(lab: Lab, github: FakeGitHub, email: str = "alice@example.com") -> CurrentUser:
    """A user who saved her own token and builder repository."""
    user = lab.ensure_user(email)
    lab.set_github_settings(user, REPOSITORY, token=TOKEN, api_url=github.url)
    return user


@pytest.fixture
def alice(lab: Lab, github: FakeGitHub) -> CurrentUser:
    return github_user(lab, github)


def approved(lab: Lab, user: CurrentUser) -> uuid.UUID:
    project = lab.create_project(user, "Echo", template="tape-echo").id
    lab.approve(user, project)
    return project


def rows(lab: Lab, user: CurrentUser, project: uuid.UUID) -> dict[str, object]:
    return {view.platform: view for view in lab.platform_builds(user, project)}


def zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def test_three_platforms_each_recorded_as_it_finishes_with_its_plugin_and_report(
    lab: Lab, alice: CurrentUser, github: FakeGitHub
) -> None:
    github.scripts["windows"] = PlatformScript(step_seconds=0.2)  # still building when the others are done
    project = approved(lab, alice)
    lab.start_build(alice, project, remote="github")
    assert {view.platform: view.status for view in lab.platform_builds(alice, project)} == dict.fromkeys(
        PLATFORMS, BUILDING
    )

    def others_done() -> bool:
        now = rows(lab, alice, project)
        return now["linux"].status is SUCCEEDED and now["macos"].status is SUCCEEDED

    wait_until(others_done, TIMEOUT)
    during = rows(lab, alice, project)
    assert lab.project(alice, project).status is ProjectStatus.BUILDING and during["windows"].status is BUILDING
    linux = during["linux"]
    assert linux.downloadable and linux.passed is True and linux.worst_db == pytest.approx(-138.5)
    assert linux.remote == "github" and linux.duration_s > 0 and "built and verified" in linux.message
    link = lab.download_link(alice, project, "linux")  # downloadable while windows still builds
    assert link.filename == "TapeEcho-linux.zip"
    assert "TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so" in zip_names(lab.verify_download(link.url))
    with pytest.raises(NotFound, match="no plugin for windows yet: it is building"):
        lab.download_link(alice, project, "windows")

    view = lab.wait_for_build(alice, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.SUCCESS and view.last_error is None
    assert set(view.artifacts) == set(PLATFORMS)
    final = rows(lab, alice, project)
    assert [view.platform for view in lab.platform_builds(alice, project)] == list(PLATFORMS)
    for platform in PLATFORMS:
        row = final[platform]
        assert row.status is SUCCEEDED and row.downloadable and not row.earlier_plugin and row.finished_at
        data = lab.verify_download(lab.download_link(alice, project, platform).url)
        names = zip_names(data)
        assert {"verification.json", "pluginval.txt"} <= set(names)
        assert any(name.startswith("TapeEcho.vst3/Contents/") for name in names)
        report = lab.build_report(alice, project, platform)
        assert report.platform == platform and report.passed is True
        assert [figure.sample_rate for figure in report.fidelity] == [44100, 48000, 96000]
        assert all(figure.worst_db == pytest.approx(-138.5) and figure.passed for figure in report.fidelity)
        assert report.summary.startswith("verified: all 6 checks passed")
    assert final["macos"].progress == final["windows"].progress == (12, 12)
    # each platform's lines are kept, tagged with it; the build's own lines with "github"
    platforms_logged = {line.platform for line in lab.get_logs(alice, project, limit=100_000)}
    assert platforms_logged == {*PLATFORMS, "github"}
    (run,) = github.repos[REPOSITORY.lower()].runs
    assert run.branch.startswith("vaist-build/") and run.conclusion == "success"


def test_windows_fails_and_the_others_deliver(lab: Lab, alice: CurrentUser, github: FakeGitHub) -> None:
    github.scripts["windows"] = PlatformScript("compile_error")
    project = approved(lab, alice)
    lab.start_build(alice, project, remote="github", platforms=("linux", "macos", "windows"))
    view = lab.wait_for_build(alice, project, timeout=TIMEOUT)
    # a musician must still download what was built: SUCCESS, with what failed and why
    assert view.status is ProjectStatus.SUCCESS, view.last_error
    assert view.last_error.startswith("windows failed: compile error: ")
    assert set(view.artifacts) == {"linux", "macos"}
    now = rows(lab, alice, project)
    assert now["linux"].status is now["macos"].status is SUCCEEDED
    windows = now["windows"]
    assert windows.status is FAILED and not windows.downloadable and windows.passed is None
    assert windows.message.startswith("compile error: ") and "C2065" in windows.message
    for platform in ("linux", "macos"):
        assert zip_names(lab.verify_download(lab.download_link(alice, project, platform).url))
    with pytest.raises(
        NotFound, match=r"no plugin for windows: its build failed \(compile error: .*\(built: linux, macos\)"
    ):
        lab.download_link(alice, project, "windows")
    with pytest.raises(NotFound, match="no plugin for windows: its build failed"):
        lab.build_report(alice, project, "windows")
    # the logs received are kept: the windows compiler's error where it was, and the others' lines
    lines = lab.get_logs(alice, project, limit=100_000)
    errors = [line for line in lines if line.platform == "windows" and line.source == "compiler" and line.file]
    assert errors and errors[0].level == "error" and errors[0].line
    assert any(line.platform == "linux" and line.source == "verify" for line in lines)


def test_a_cancel_in_the_middle_keeps_what_was_delivered(sqlite_lab: Lab, github: FakeGitHub) -> None:
    lab, alice = sqlite_lab, github_user(sqlite_lab, github)
    github.scripts["windows"] = PlatformScript("hang")
    project = approved(lab, alice)
    lab.start_build(alice, project, remote="github")
    wait_until(lambda: rows(lab, alice, project)["macos"].status is SUCCEEDED, TIMEOUT)
    wait_until(lambda: rows(lab, alice, project)["linux"].status is SUCCEEDED, TIMEOUT)
    lab.cancel_build(alice, project)
    view = lab.wait_for_build(alice, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.FAILED and view.last_error == "cancelled"
    now = rows(lab, alice, project)
    assert now["windows"].status is CANCELLED and now["windows"].message == "cancelled"
    assert now["linux"].status is SUCCEEDED and now["linux"].downloadable
    assert zip_names(lab.verify_download(lab.download_link(alice, project, "linux").url))
    (run,) = github.repos[REPOSITORY.lower()].runs
    wait_until(lambda: run.status == "completed", TIMEOUT)
    assert run.cancel_requested.is_set() and run.conclusion == "cancelled"
    # a rebuild for windows alone keeps the linux and macos plugins
    github.scripts["windows"] = PlatformScript()
    lab.retry_build(alice, project, remote="github", platforms=["windows"])
    view = lab.wait_for_build(alice, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.SUCCESS and set(view.artifacts) == set(PLATFORMS)
    assert all(row.status is SUCCEEDED for row in lab.platform_builds(alice, project))
    # a rebuild that fails on windows keeps the windows plugin built before, said to be an earlier build's
    github.scripts["windows"] = PlatformScript("compile_error")
    lab.rebuild(alice, project, remote="github", platforms=["windows"])
    assert lab.wait_for_build(alice, project, timeout=TIMEOUT).status is ProjectStatus.FAILED
    windows = rows(lab, alice, project)["windows"]
    assert windows.status is FAILED and windows.downloadable and windows.earlier_plugin
    assert zip_names(lab.verify_download(lab.download_link(alice, project, "windows").url))


def test_bad_settings_and_a_bad_token_are_refused_before_anything_changes(
    lab: Lab, alice: CurrentUser, github: FakeGitHub
) -> None:
    project = approved(lab, alice)
    before = lab.project(alice, project)

    def refused(error: type[Exception], pattern: str, **options: object) -> None:
        with pytest.raises(error, match=pattern) as caught:
            lab.start_build(alice, project, **options)
        assert "\n" not in str(caught.value)
        assert lab.project(alice, project) == before and lab.platform_builds(alice, project) == []

    refused(InvalidInput, "'gitlab' is not a remote builder", remote="gitlab")
    refused(InvalidInput, r"'beos' given; choose from linux, macos, windows", remote="github", platforms=["beos"])
    refused(InvalidInput, "platforms are chosen for a build on GitHub Actions only", platforms=["linux"])
    lab.set_github_settings(alice, token="ghp_" + "x" * 36)  # a token GitHub does not know
    refused(BuilderUnavailable, r"^cannot start a build: GitHub refused the token.*Bad credentials", remote="github")
    lab.set_github_settings(alice, token=TOKEN, repository="octo/missing")
    refused(BuilderUnavailable, "cannot start a build: .*octo/missing", remote="github")
    lab.set_github_settings(alice, repository="", token="")  # hers forgotten; the server has none
    refused(BuilderUnavailable, "no GitHub token.*; no builder repository", remote="github")
    with pytest.raises(InvalidInput, match="'not a repo' is not a GitHub repository: write OWNER/REPO"):
        lab.set_github_settings(alice, "not a repo", token=TOKEN)
    with pytest.raises(InvalidInput, match="not the address of GitHub's API"):
        lab.set_github_settings(alice, REPOSITORY, api_url="ftp://github")
    assert lab.github_settings_view(alice).token_hint is None, "a refused change saves nothing"
    assert not github.requests_to(r"/dispatches$", "POST") and not github.requests_to(r"/git/refs$", "POST")


def test_each_user_builds_with_their_own_settings_else_the_servers(
    sqlite_lab: Lab, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab, alice = sqlite_lab, github_user(sqlite_lab, github)
    server_token = github.add_token(Token("ghp_" + "v" * 36, "vaist-server"))
    github.add_repo("vaist-server", "builds", dict(github.repos[REPOSITORY.lower()].files_at(_head(github))))
    monkeypatch.setenv("VAIST_GITHUB_TOKEN", server_token)
    monkeypatch.setenv("VAIST_GITHUB_REPOSITORY", "vaist-server/builds")
    monkeypatch.setenv("VAIST_GITHUB_API_URL", github.url)
    bob = lab.ensure_user("bob@example.com")
    ours = lab.github_settings_view(alice)
    assert (ours.repository, ours.own_repository, ours.server_token, ours.problem) == (REPOSITORY, True, True, "")
    assert ours.token_hint and TOKEN not in ours.token_hint
    theirs = lab.github_settings_view(bob)
    assert (theirs.repository, theirs.own_repository, theirs.token_hint) == ("vaist-server/builds", False, None)
    assert UserLab(lab, bob).test_github().message == f"ready: builds run in vaist-server/builds on {github.url}"
    for user in (alice, bob):
        project = lab.create_project(user, "Echo", template="tape-echo").id
        lab.approve(user, project)
        lab.start_build(user, project, remote="github", platforms=["linux"])
        assert lab.wait_for_build(user, project, timeout=TIMEOUT).status is ProjectStatus.SUCCESS
    assert [len(github.repos[name].runs) for name in (REPOSITORY.lower(), "vaist-server/builds")] == [1, 1]


def test_a_user_sets_up_their_builder_repository_from_the_lab(sqlite_lab: Lab, github: FakeGitHub) -> None:
    """What the settings' Set up button asks (a hub user has no `vaist-lab remote init`): the repository made,
    private, with this source and workflow, then tested; a second time changes nothing; a refused token says so."""
    carol = UserLab(sqlite_lab, sqlite_lab.ensure_user("carol@example.com"))
    fresh = f"{OWNER}/fresh-builds"
    carol.set_github_settings(fresh, token=TOKEN, api_url=github.url)
    assert not carol.test_github().ok  # not there yet
    made = carol.set_up_github()
    assert made.ok, made.message
    assert made.message.startswith(f"created the private repository {fresh}; committed ")
    assert made.message.endswith(f"; ready: builds run in {fresh} on {github.url}")
    assert github.repos[fresh].private
    again = carol.set_up_github()
    assert again.ok and f"{fresh} already holds this source" in again.message
    carol.set_github_settings(token="ghp_" + "x" * 36)  # a token GitHub does not know
    refused = carol.set_up_github()
    assert not refused.ok and refused.message.startswith("GitHub refused the token (401 Bad credentials)")


def _head(github: FakeGitHub) -> str:
    repo = github.repos[REPOSITORY.lower()]
    return repo.refs[f"heads/{repo.default_branch}"]


def test_a_local_build_has_one_row_for_this_machine_and_is_not_held_up_by_github(
    sqlite_lab: Lab, github: FakeGitHub
) -> None:
    lab, alice = sqlite_lab, github_user(sqlite_lab, github)
    github.scripts["windows"] = PlatformScript("hang")
    elsewhere = approved(lab, alice)
    lab.start_build(alice, elsewhere, remote="github", platforms=["windows"])
    wait_until(lambda: rows(lab, alice, elsewhere)["windows"].progress is not None, TIMEOUT)
    project = approved(lab, alice)
    lab.start_build(alice, project).wait(TIMEOUT)  # the one local build slot is free
    (row,) = lab.platform_builds(alice, project)
    assert (row.platform, row.remote, row.status, row.progress) == (host_platform(), None, SUCCEEDED, (2, 2))
    assert row.downloadable and row.message == "built TapeEcho.vst3" and row.passed is None
    with lab.database.session() as session:  # the local build's lines are this machine's, as before
        lines = session.query(BuildLog).filter(BuildLog.project_id == project)
        assert {line.platform for line in lines} == {host_platform()}
        assert session.query(PlatformBuild).filter(PlatformBuild.project_id == project).count() == 1
    assert lab.project(alice, elsewhere).status is ProjectStatus.BUILDING
    lab.cancel_build(alice, elsewhere)
    assert lab.wait_for_build(alice, elsewhere, timeout=TIMEOUT).last_error == "cancelled"


def test_a_remote_build_in_a_worker_process_stores_each_plugin_in_the_bucket(
    github: FakeGitHub,
    s3_server: S3Server,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the single-user app and the hub service run builds: in a worker process of its own, which makes its
    GitHubBuilder from the settings of the project's owner (the token decrypted with the data folder's secret),
    on S3 storage configured as a server is."""
    bucket = s3_server.new_bucket()
    for name, value in {
        **s3_server.environment(bucket),
        REMOTE_BUILDER_VARIABLE: FACTORY,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), str(TESTS / "service"), os.environ.get("PYTHONPATH")])),
    }.items():
        monkeypatch.setenv(name, value)
    github.scripts["windows"] = PlatformScript("compile_error")
    data, work = tmp_path / "data", tmp_path / "work"
    url = f"sqlite:///{tmp_path / 'vaist.db'}"
    settings = LabSettings(heartbeat_interval=0.1, build_workers=1, link_lifetime=timedelta(minutes=5))
    with Lab.open(url, data=data, settings=settings, executor=DetachedBuildExecutor(url, data, settings, work)) as lab:
        user = lab.local_user()
        UserLab(lab, user).set_github_settings(REPOSITORY, token=TOKEN, api_url=github.url)
        project = approved(lab, user)
        view = UserLab(lab, user).start_build(project, remote="github", platforms=("linux", "windows"))
        assert view.status is ProjectStatus.BUILDING
        view = lab.wait_for_build(user, project, timeout=TIMEOUT)
        assert view.status is ProjectStatus.SUCCESS and view.last_error.startswith("windows failed: compile error")
        assert {row.platform: row.status for row in lab.platform_builds(user, project)} == {
            "linux": SUCCEEDED,
            "windows": FAILED,
        }
        downloaded = UserLab(lab, user).download(project, "linux")
        assert downloaded.filename == "TapeEcho-linux.zip" and "verification.json" in zip_names(downloaded.data)
        assert isinstance(lab.storage, S3ArtifactStorage)
        head = s3_server.client().head_object(Bucket=bucket, Key=f"projects/{project}/linux/TapeEcho-linux.zip")
        assert head["Metadata"]["platform"] == "linux" and head["Metadata"]["project"] == str(project)
        assert head["Metadata"]["user"] == str(user.id)
        assert lab.build_report(user, project, "linux").passed is True
