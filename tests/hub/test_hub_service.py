"""The vaist service behind a real JupyterHub and its proxy, called as the kernels call it (HubLab with a
user's hub token) and on the wire: a user's whole job (create, chat, edit, approve, build with its log
followed by long polls, download through the API and through a signed link); another user's project answers
exactly as a missing one; tokens that are not a signed-in user's (none, forged, expired, without the scope)
and bodies naming a user are refused; refusals come back as the service errors they are; a single-user
server's own token reaches the service at the URL it derives; and the service killed mid-build loses no
project and follows the build to its end once back."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from typing import Any

import httpx2
import pytest
from hub_harness import ALICE, BOB, Hub
from scripted_builder import BINARY

from vaist_lab.hub.client import HubLab
from vaist_lab.hub.wire import NotSignedIn
from vaist_lab.planner.settings import PlannerConfigError
from vaist_lab.service.errors import InvalidInput, InvalidTransition, ProjectNotFound
from vaist_lab.service.views import LogLine
from vaist_lab.status import ProjectStatus

BUILD_TIMEOUT = 90.0  # a worker process starts, then the paced builder runs a few seconds


@pytest.fixture(scope="module")
def alices(hub: Hub) -> HubLab:
    with HubLab(hub.service_url, hub.token(ALICE)) as lab:
        yield lab


@pytest.fixture(scope="module")
def bobs(hub: Hub) -> HubLab:
    with HubLab(hub.service_url, hub.token(BOB)) as lab:
        yield lab


def call(hub: Hub, name: str, arguments: dict[str, Any] | None = None, token: str | None = None) -> httpx2.Response:
    """One raw call of the service's API through the proxy."""
    headers = {"Authorization": f"token {token}"} if token is not None else {}
    return httpx2.post(f"{hub.service_url}api/{name}", json=arguments or {}, headers=headers, timeout=60.0)


def follow_to_the_end(lab: HubLab, project_id: uuid.UUID, after_id: int = 0) -> list[LogLine]:
    """Every log line of the project's running build after `after_id`, by long polls, until it has ended."""
    lines: list[LogLine] = []
    deadline = time.monotonic() + BUILD_TIMEOUT
    while time.monotonic() < deadline:
        new = lab.follow_logs(project_id, after_id, wait=5.0)
        lines += new
        after_id = new[-1].id if new else after_id
        if not new and lab.project(project_id).status is not ProjectStatus.BUILDING:
            return lines + lab.follow_logs(project_id, after_id)
    raise AssertionError(f"the build of {project_id} did not end within {BUILD_TIMEOUT} s")


def test_a_user_creates_negotiates_builds_and_downloads_through_the_proxy(hub: Hub, alices: HubLab) -> None:
    assert alices.user.email == ALICE
    project = alices.create_project("Echo", prompt="a dark echo", template="tape-echo")
    assert project.status is ProjectStatus.PLANNING and isinstance(project.id, uuid.UUID)
    assert project.id in {view.id for view in alices.list_projects()}
    turn = alices.chat(project.id, "make the echo darker", model="offline")
    assert turn.ok and turn.diff is not None and turn.diff["summary"] and turn.project.plan_version == 2
    edited = alices.edit_parameters(project.id, {"feedback": {"max": 80}})
    assert edited.plan.parameter("feedback").max == 80 and edited.plan_version == 3
    detail = alices.open_project(project.id)
    assert [message.role for message in detail.messages] == ["user", "assistant"]
    assert detail.plan_history[0].source == "template"
    assert alices.approve(project.id).status is ProjectStatus.APPROVED

    started = alices.start_build(project.id)
    assert started.status is ProjectStatus.BUILDING and started.build_attempts == 1
    lines = follow_to_the_end(alices, project.id)
    ids = [line.id for line in lines]
    assert ids == sorted(set(ids)) and lines[-1].message == "built TapeEcho.vst3"
    assert sum("compiling unit" in line.message for line in lines) == 24
    assert next(line for line in lines if line.file).file.startswith("Source/Unit")

    built = alices.project(project.id)
    assert built.status is ProjectStatus.SUCCESS and built.build_progress == (2, 2) and built.artifacts
    assert alices.build_report(project.id) is not None
    downloaded = alices.download(project.id)
    assert downloaded.filename == "TapeEcho.vst3.zip"
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as archive:
        assert archive.read("TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so") == BINARY

    link = alices.download_link(project.id)  # the service's own signed link: no token needed
    assert link.url.startswith(f"{hub.service_url}artifacts/") and link.filename == "TapeEcho.vst3.zip"
    fetched = httpx2.get(link.url, timeout=30.0)
    assert fetched.status_code == 200 and fetched.content == downloaded.data
    assert 'filename="TapeEcho.vst3.zip"' in fetched.headers["Content-Disposition"]
    forged = httpx2.get(link.url.replace("signature=", "signature=0"), timeout=30.0)
    assert forged.status_code == 403
    assert forged.json() == {"error": "InvalidDownloadLink", "message": "the download link's signature is wrong"}


def test_settings_and_keys_round_trip_with_only_a_hint_shown(alices: HubLab) -> None:
    assert "tape-echo" in {template.name for template in alices.list_templates()}
    assert alices.models()[0].value == "offline"
    info = alices.set_api_key("anthropic", "sk-ant-hub-secret-0123456789")
    assert "hub-secret" not in info.hint and [key.provider for key in alices.api_keys()] == ["anthropic"]
    alices.set_preferred_model("offline")
    assert alices.preferred_model() == "offline"
    assert alices.delete_api_key("anthropic") and alices.api_keys() == []


def test_another_users_project_answers_exactly_as_a_missing_one(hub: Hub, alices: HubLab, bobs: HubLab) -> None:
    theirs = alices.create_project("Private", template="tape-echo")
    alices.approve(theirs.id)
    assert bobs.user.email == BOB and theirs.id not in {view.id for view in bobs.list_projects()}
    with pytest.raises(ProjectNotFound, match=f"no project {theirs.id}"):
        bobs.open_project(theirs.id)
    bob = hub.token(BOB)
    missing = uuid.uuid4()
    for name, extra in [
        ("project", {}),
        ("open_project", {}),
        ("start_build", {}),
        ("download", {}),
        ("download_link", {}),
        ("follow_logs", {"wait": 1.0}),
        ("build_report", {}),
        ("rename_project", {"name": "Mine now"}),
        ("delete_project", {}),
        ("chat", {"message": "darker"}),
    ]:
        foreign = call(hub, name, {"project_id": str(theirs.id), **extra}, bob)
        absent = call(hub, name, {"project_id": str(missing), **extra}, bob)
        assert foreign.status_code == absent.status_code == 404, name
        assert foreign.json() == {"error": "ProjectNotFound", "message": f"no project {theirs.id}"}, name
        assert absent.text.replace(str(missing), str(theirs.id)) == foreign.text, name
    untouched = alices.project(theirs.id)
    assert (untouched.name, untouched.status, untouched.plan_version) == ("Private", ProjectStatus.APPROVED, 1)


def test_tokens_that_are_not_a_signed_in_users_are_refused(hub: Hub) -> None:
    refused = {"error": "NotSignedIn"}
    anonymous = call(hub, "list_projects")
    assert anonymous.status_code == 401 and anonymous.json().items() >= refused.items()
    forged = call(hub, "list_projects", token=uuid.uuid4().hex)
    assert (forged.status_code, forged.json()) == (401, anonymous.json())
    expired = hub.token(ALICE, expires_in=1)
    time.sleep(2.0)
    answer = call(hub, "list_projects", token=expired)
    assert (answer.status_code, answer.json()) == (401, anonymous.json())
    in_the_url = httpx2.post(f"{hub.service_url}api/list_projects?token={hub.token(ALICE)}", json={}, timeout=30)
    assert in_the_url.status_code == 401  # a token in a URL ends up in logs: only the header counts
    no_scope = call(hub, "list_projects", token=hub.token(ALICE, scopes=("read:users:name!user",)))
    assert no_scope.status_code == 403 and no_scope.json()["error"] == "NotAllowed"
    with HubLab(hub.service_url, uuid.uuid4().hex) as forger, pytest.raises(NotSignedIn, match="no valid hub token"):
        forger.list_projects()


def test_a_body_naming_a_user_is_refused_and_changes_nothing(hub: Hub, alices: HubLab, bobs: HubLab) -> None:
    before = {view.id for view in bobs.list_projects()}, {view.id for view in alices.list_projects()}
    for field in ("user", "user_id", "email"):
        answer = call(hub, "create_project", {"name": "Planted", field: BOB}, hub.token(ALICE))
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "InvalidInput",
            "message": f"create_project takes no argument {field!r} (the caller is always the hub token's user)",
        }
    assert ({view.id for view in bobs.list_projects()}, {view.id for view in alices.list_projects()}) == before


def test_refusals_come_back_as_the_service_errors_they_are(hub: Hub, alices: HubLab) -> None:
    project = alices.create_project("Refusals", template="tape-echo")
    with pytest.raises(InvalidTransition, match=r"cannot start a build: the project is PLANNING \(approve"):
        alices.start_build(project.id)
    with pytest.raises(InvalidInput, match="a project needs a name"):
        alices.rename_project(project.id, "   ")
    with pytest.raises(PlannerConfigError, match="unknown model 'nonsense'"):
        alices.chat(project.id, "darker", model="nonsense")
    assert alices.open_project(project.id).project.plan_version == 1  # nothing recorded
    token = hub.token(ALICE)
    mistyped = call(hub, "revert_plan", {"project_id": str(project.id), "version": "one"}, token)
    assert (mistyped.status_code, mistyped.json()["message"]) == (400, "version: expected an integer, got 'one'")
    missing = call(hub, "rename_project", {"project_id": str(project.id)}, token)
    assert missing.status_code == 400 and "missing a required argument: 'name'" in missing.json()["message"]
    not_json = httpx2.post(
        f"{hub.service_url}api/list_projects", content=b"{", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert (not_json.status_code, not_json.json()["error"]) == (400, "InvalidInput")
    unknown = call(hub, "drop_database", {}, token)
    assert unknown.status_code == 404 and unknown.json()["error"] == "NotFound"
    read = httpx2.get(f"{hub.service_url}api/list_projects", headers={"Authorization": f"token {token}"}, timeout=30)
    assert read.status_code == 405 and json.loads(read.text)["message"] == "use POST for the lab service's API"


def test_a_single_user_servers_own_token_reaches_the_service(hub: Hub, alices: HubLab) -> None:
    alices.create_project("Seen from the server", template="tape-echo")
    report = hub.spawn(ALICE)
    try:
        assert report.get("error") is None, report
        assert report["service_url"] == hub.service_url  # derived from the hub's public URL
        assert report["email"] == ALICE and "Seen from the server" in report["projects"]
    finally:
        hub.stop_server(ALICE)


def test_the_service_killed_mid_build_loses_no_project_and_follows_the_build(hub: Hub, alices: HubLab) -> None:
    project = alices.create_project("Mid-build", template="tape-echo")
    alices.approve(project.id)
    with hub.builds_held():
        alices.start_build(project.id)
        seen: list[LogLine] = []
        while alices.project(project.id).build_progress != (1, 2):  # the worker is building, held half way
            seen += alices.follow_logs(project.id, seen[-1].id if seen else 0, wait=1.0)
        before = {view.id: (view.name, view.plan_version, view.artifacts) for view in alices.list_projects()}
        hub.restart_service()
        assert alices.project(project.id).status is ProjectStatus.BUILDING  # recovery left the live build alone
        assert {view.id: (view.name, view.plan_version, view.artifacts) for view in alices.list_projects()} == before
    rest = follow_to_the_end(alices, project.id, seen[-1].id if seen else 0)
    lines = seen + rest
    assert [line.id for line in lines] == sorted({line.id for line in lines})
    assert sum("compiling unit" in line.message for line in lines) == 24 and lines[-1].message == "built TapeEcho.vst3"
    assert alices.project(project.id).status is ProjectStatus.SUCCESS
    with zipfile.ZipFile(io.BytesIO(alices.download(project.id).data)) as archive:
        assert archive.read("TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so") == BINARY
