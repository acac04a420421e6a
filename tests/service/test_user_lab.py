"""UserLab, the workbench's LabApi in process: it is the protocol (every method, with the same parameters),
each call is the Lab's use case for its user, a chat turn comes back as a TurnView, refusals come through
as the service errors they are, "build" starts, retries or rebuilds by status, a download is the stored
file's bytes, and the model picker knows which providers have a key."""

from __future__ import annotations

import inspect
import io
import zipfile
from pathlib import Path

import pytest
from lab_states import project_in
from scripted_builder import BINARY

from vaist_lab.planner import Planner, PlannerConfigError, PlannerSettings
from vaist_lab.planner.settings import DEFAULT_MODELS
from vaist_lab.service import (
    LOCAL_USER_EMAIL,
    CurrentUser,
    DetachedBuildExecutor,
    InvalidTransition,
    Lab,
    LabSettings,
    ProjectNotFound,
    RateLimited,
    UserLab,
)
from vaist_lab.service.api import LabApi, TurnView
from vaist_lab.store import ProjectStatus


@pytest.fixture
def alices(lab: Lab, alice: CurrentUser) -> UserLab:
    return UserLab(lab, alice)


def protocol_members() -> list[str]:
    return [name for name in vars(LabApi) if not name.startswith("_") and name not in vars(object)]


def test_user_lab_is_the_protocol_with_the_same_parameters(alices: UserLab) -> None:
    assert isinstance(alices, LabApi)
    members = protocol_members()
    assert {"user", "chat", "start_build", "follow_logs", "build_report", "download", "models"} <= set(members)
    for name in members:
        declared = getattr(LabApi, name)
        implemented = getattr(UserLab, name)
        if isinstance(declared, property):
            assert isinstance(implemented, property), name
            continue
        assert inspect.signature(implemented) == inspect.signature(declared), name


def test_projects_are_the_users_own(alices: UserLab, lab: Lab, bob: CurrentUser) -> None:
    created = alices.create_project("Echo", prompt="a dark echo", template="tape-echo")
    assert created.status is ProjectStatus.PLANNING and created.prompt == "a dark echo"
    assert [view.id for view in alices.list_projects()] == [created.id]
    assert alices.rename_project(created.id, "Dub echo").name == "Dub echo"
    assert alices.project(str(created.id)).name == "Dub echo"
    copy = alices.duplicate_project(created.id)
    assert copy.name == "Dub echo (copy)" and len(alices.list_projects()) == 2
    assert alices.open_project(copy.id).plan_history[0].source == "template"
    alices.delete_project(copy.id)
    with pytest.raises(ProjectNotFound):
        alices.project(copy.id)
    with pytest.raises(ProjectNotFound):
        UserLab(lab, bob).project(created.id)
    assert "tape-echo" in {template.name for template in alices.list_templates()}


def test_a_chat_turn_is_a_turn_view_with_the_plans_diff(alices: UserLab) -> None:
    project = alices.create_project("Echo", template="tape-echo")
    turn = alices.chat(project.id, "make the echo darker", model="offline")
    assert isinstance(turn, TurnView) and turn.ok and turn.error is None and turn.backend == "offline"
    assert turn.reply and turn.diff is not None and turn.diff["summary"]
    assert turn.project.plan_version == 2 and turn.project.plan_json != project.plan_json
    detail = alices.open_project(project.id)
    assert [message.role for message in detail.messages] == ["user", "assistant"]


def test_refusals_pass_through_and_leave_the_plan_alone(alices: UserLab, lab: Lab) -> None:
    project = alices.create_project("Echo", template="tape-echo")
    before = alices.open_project(project.id)
    with pytest.raises(PlannerConfigError, match="unknown model 'nonsense'"):
        alices.chat(project.id, "darker", model="nonsense")
    alices.set_api_key("gemini", "AIza-not-a-real-key-0123456789")
    for _ in range(lab.settings.generations_per_hour or 0):
        lab.reserve_generation(alices.user)
    with pytest.raises(RateLimited, match="generation limit reached"):
        alices.chat(project.id, "darker", model="gemini")
    assert alices.open_project(project.id) == before


def test_start_build_starts_retries_or_rebuilds_by_status(alices: UserLab, lab: Lab) -> None:
    user = alices.user
    planning = project_in(lab, user, ProjectStatus.PLANNING, name="planning")
    with pytest.raises(InvalidTransition, match=r"cannot start a build: the project is PLANNING \(approve"):
        alices.start_build(planning)
    for status, attempts in ((ProjectStatus.APPROVED, 1), (ProjectStatus.FAILED, 2), (ProjectStatus.SUCCESS, 2)):
        project = project_in(lab, user, status, name=status.value)
        started = alices.start_build(project)
        assert started.build_attempts == attempts and started.status in (ProjectStatus.BUILDING, ProjectStatus.SUCCESS)
        assert lab.wait_for_build(user, project, timeout=10).status is ProjectStatus.SUCCESS
    building = project_in(lab, user, ProjectStatus.BUILDING, name="building")
    with pytest.raises(InvalidTransition, match="a build is running"):
        alices.start_build(building)
    assert alices.cancel_build(building).status in (ProjectStatus.BUILDING, ProjectStatus.FAILED)


def test_download_is_the_built_plugin_through_its_signed_link(alices: UserLab, lab: Lab) -> None:
    project = project_in(lab, alices.user, ProjectStatus.SUCCESS)
    downloaded = alices.download(project)
    assert downloaded.filename == "TapeEcho.vst3.zip"
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as archive:
        assert archive.read("TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so") == BINARY
    assert alices.build_report(project) is not None
    assert alices.build_report(project_in(lab, alices.user, ProjectStatus.APPROVED, name="unbuilt")) is None


def test_models_know_which_providers_have_a_key(
    migrated_database_url: str, tmp_path: Path, clock, settings: LabSettings
) -> None:
    nowhere = dict.fromkeys(("gemini", "anthropic", "openai"), "http://127.0.0.1:9")  # models lists fail at once
    planner = Planner(
        PlannerSettings(fallback_keys={"openai": "sk-server-0123456789"}, models={"gemini": "gem-x"}, base_urls=nowhere)
    )
    data = tmp_path / "data"
    with Lab.open(migrated_database_url, data=data, settings=settings, clock=clock, planner=planner) as lab:
        alices = UserLab(lab, lab.ensure_user("alice@example.com"))
        alices.set_api_key("claude", "sk-ant-0123456789abcdef")  # an alias of its provider
        claude, gpt = f"anthropic:{DEFAULT_MODELS['anthropic']}", f"openai:{DEFAULT_MODELS['openai']}"
        has_key = {choice.value: choice.has_key for choice in alices.models()}
        assert has_key == {"offline": True, "gemini:gem-x": False, claude: True, gpt: True}  # the user's, the server's
        alices.set_preferred_model(claude)
        assert alices.preferred_model() == claude
        assert [info.provider for info in alices.api_keys()] == ["claude"]
        assert alices.delete_api_key("claude") and alices.api_keys() == []
        assert not {choice.value: choice.has_key for choice in alices.models()}[claude]


def test_local_is_the_single_user_app_with_builds_that_outlive_it(tmp_path: Path) -> None:
    with UserLab.local() as local:  # the data folder is the test's (VAIST_DATA_DIR)
        assert local.user.email == LOCAL_USER_EMAIL
        executor = local.lab.executor
        assert isinstance(executor, DetachedBuildExecutor)
        database = tmp_path / "data" / "vaist-lab.db"
        assert local.lab.database.sqlite_path == database and executor.database_url == f"sqlite:///{database}"
        assert executor.data == tmp_path / "data" and executor.work_root == local.lab.work_root
        assert local.create_project("Echo").id in {view.id for view in local.list_projects()}
