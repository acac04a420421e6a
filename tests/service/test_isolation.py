"""Isolation: every service call that takes a project id, made by a second user on the first user's
project, is refused with exactly the "not found" a missing project gets, and changes nothing. The first
user's same call then works, so the refusal is the isolation and not the project's state.

The list of calls is checked against the Lab's public methods: a new method taking a project id fails
this test until it is added here."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Callable

import pytest
from lab_states import project_in

from vaist_lab.plan.io import TEMPLATES
from vaist_lab.service import CurrentUser, Lab, NotFound, ProjectNotFound
from vaist_lab.store import ProjectStatus

PLAN = json.loads((TEMPLATES / "tape-echo.json").read_text())

# call -> (the status the owner's project needs for the call to succeed, the call)
CALLS: dict[str, tuple[ProjectStatus, Callable]] = {
    "rename_project": (ProjectStatus.PLANNING, lambda lab, user, project: lab.rename_project(user, project, "Mine")),
    "duplicate_project": (ProjectStatus.PLANNING, lambda lab, user, project: lab.duplicate_project(user, project)),
    "delete_project": (ProjectStatus.PLANNING, lambda lab, user, project: lab.delete_project(user, project)),
    "open_project": (ProjectStatus.PLANNING, lambda lab, user, project: lab.open_project(user, project)),
    "reserve_generation": (ProjectStatus.PLANNING, lambda lab, user, project: lab.reserve_generation(user, project)),
    "record_turn": (
        ProjectStatus.PLANNING,
        lambda lab, user, project: lab.record_turn(user, project, "hi", "ok", PLAN),
    ),
    "edit_parameters": (
        ProjectStatus.PLANNING,
        lambda lab, user, project: lab.edit_parameters(user, project, {"mix": {"default": 10}}),
    ),
    "chat": (ProjectStatus.PLANNING, lambda lab, user, project: lab.chat(user, project, "darker", model="offline")),
    "revert_plan": (ProjectStatus.PLANNING, lambda lab, user, project: lab.revert_plan(user, project, 1)),
    "approve": (ProjectStatus.PLANNING, lambda lab, user, project: lab.approve(user, project)),
    "start_build": (ProjectStatus.APPROVED, lambda lab, user, project: lab.start_build(user, project).wait(10)),
    "retry_build": (ProjectStatus.FAILED, lambda lab, user, project: lab.retry_build(user, project).wait(10)),
    "cancel_build": (ProjectStatus.BUILDING, lambda lab, user, project: lab.cancel_build(user, project)),
    "wait_for_build": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.wait_for_build(user, project, 5)),
    "get_logs": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.get_logs(user, project)),
    "download_link": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.download_link(user, project)),
    "project": (ProjectStatus.PLANNING, lambda lab, user, project: lab.project(user, project)),
    "rebuild": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.rebuild(user, project).wait(10)),
    "follow_logs": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.follow_logs(user, project, wait=1)),
    "build_report": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.build_report(user, project)),
    "platform_builds": (ProjectStatus.SUCCESS, lambda lab, user, project: lab.platform_builds(user, project)),
}


def test_every_call_taking_a_project_id_is_covered() -> None:
    taking_a_project = {
        name
        for name, function in inspect.getmembers(Lab, inspect.isfunction)
        if not name.startswith("_") and "project_id" in inspect.signature(function).parameters
    }
    assert taking_a_project == set(CALLS)


@pytest.mark.parametrize("call", list(CALLS))
def test_a_second_user_gets_not_found_and_changes_nothing(
    lab: Lab, alice: CurrentUser, bob: CurrentUser, call: str
) -> None:
    status, function = CALLS[call]
    project = project_in(lab, alice, status)
    before = lab.open_project(alice, project)
    missing = uuid.uuid4()
    with pytest.raises(ProjectNotFound) as for_missing:
        function(lab, bob, missing)
    with pytest.raises(ProjectNotFound) as for_foreign:
        function(lab, bob, project)
    assert str(for_foreign.value) == str(for_missing.value).replace(str(missing), str(project))
    with pytest.raises(ProjectNotFound):
        function(lab, bob, str(project))  # the id as text, as the CLI passes it
    assert lab.open_project(alice, project) == before
    assert lab.list_projects(bob) == []
    function(lab, alice, project)  # the owner's call works
    assert lab.list_projects(bob) == []


def test_finding_by_name_or_id_prefix_stays_within_the_user(lab: Lab, alice: CurrentUser, bob: CurrentUser) -> None:
    project = lab.create_project(alice, "Secret echo")
    for reference in ("Secret echo", str(project.id), str(project.id)[:8]):
        with pytest.raises(ProjectNotFound):
            lab.find_project(bob, reference)
        assert lab.find_project(alice, reference).id == project.id


def test_not_a_project_id_is_not_found_either(lab: Lab, bob: CurrentUser) -> None:
    with pytest.raises(ProjectNotFound, match="no project not-an-id"):
        lab.open_project(bob, "not-an-id")


def test_api_keys_are_per_user(lab: Lab, alice: CurrentUser, bob: CurrentUser) -> None:
    lab.set_api_key(alice, "openai", "sk-alice-0123456789abcdef")
    assert lab.api_keys(bob) == []
    with pytest.raises(NotFound, match="no openai API key stored"):
        lab.api_key(bob, "openai")
    assert not lab.delete_api_key(bob, "openai")
    assert lab.api_key(alice, "openai") == "sk-alice-0123456789abcdef"
