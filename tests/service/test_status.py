"""The status machine, action by action and status by status: what is allowed moves the project as the
machine says; what is not is refused with a clear error and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from lab_states import project_in, wait_until

from vaist_lab.plan.io import TEMPLATES
from vaist_lab.service import TRANSITIONS, CurrentUser, InvalidTransition, Lab
from vaist_lab.store import ProjectStatus

DRAFT, PLANNING, APPROVED, BUILDING, SUCCESS, FAILED = ProjectStatus
PLAN = json.loads((TEMPLATES / "tape-echo.json").read_text())

ACTIONS: dict[str, Callable] = {
    "record a plan turn": lambda lab, user, project: lab.record_turn(user, project, "hi", "hello", PLAN),
    "edit parameters": lambda lab, user, project: lab.edit_parameters(user, project, {"mix": {"default": 50}}),
    "approve the plan": lambda lab, user, project: lab.approve(user, project),
    "start a build": lambda lab, user, project: lab.start_build(user, project).wait(10),
    "retry the build": lambda lab, user, project: lab.retry_build(user, project).wait(10),
    "rebuild": lambda lab, user, project: lab.rebuild(user, project).wait(10),
    "cancel the build": lambda lab, user, project: lab.cancel_build(user, project),
}

# action -> {status it is allowed in: status it leads to}
ALLOWED = {
    "record a plan turn": {
        DRAFT: PLANNING,
        PLANNING: PLANNING,
        APPROVED: PLANNING,
        SUCCESS: PLANNING,
        FAILED: PLANNING,
    },
    "edit parameters": {PLANNING: PLANNING, APPROVED: PLANNING, SUCCESS: PLANNING, FAILED: PLANNING},
    "approve the plan": {PLANNING: APPROVED},
    "start a build": {APPROVED: SUCCESS},  # through BUILDING
    "retry the build": {FAILED: SUCCESS},
    "rebuild": {SUCCESS: SUCCESS},
    "cancel the build": {BUILDING: FAILED},
}


def test_the_allowed_table_follows_the_transitions() -> None:
    for allowed in ALLOWED.values():
        for source, target in allowed.items():
            assert target in TRANSITIONS[source] or BUILDING in TRANSITIONS[source]


@pytest.mark.parametrize("status", list(ProjectStatus), ids=lambda status: status.value)
def test_every_action_in_every_status(lab: Lab, alice: CurrentUser, status: ProjectStatus) -> None:
    for action, call in ACTIONS.items():
        project = project_in(lab, alice, status, name=f"{status.value} {action}")
        before = lab.open_project(alice, project)
        expected = ALLOWED[action].get(status)
        if expected is None:
            with pytest.raises(InvalidTransition, match=f"cannot {action}: the project is {status.value}"):
                call(lab, alice, project)
            assert lab.open_project(alice, project) == before, f"a refused {action} changed nothing"
        else:
            call(lab, alice, project)
            if status is BUILDING:  # the cancelled build ends in its own thread
                wait_until(lambda project=project: lab.open_project(alice, project).project.status is not BUILDING)
            assert lab.open_project(alice, project).project.status is expected, action
        if lab.open_project(alice, project).project.status is BUILDING:
            lab.cancel_build(alice, project)


def test_refusals_say_what_to_do_instead(lab: Lab, alice: CurrentUser) -> None:
    draft = project_in(lab, alice, DRAFT)
    with pytest.raises(InvalidTransition, match=r"DRAFT \(it has no plan yet: record a plan turn first\)"):
        lab.approve(alice, draft)
    planning = project_in(lab, alice, PLANNING)
    with pytest.raises(InvalidTransition, match=r"PLANNING \(approve its plan first\)"):
        lab.start_build(alice, planning)
    built = project_in(lab, alice, SUCCESS)
    with pytest.raises(InvalidTransition, match=r"SUCCESS \(it is built: rebuild it, or record a new plan turn"):
        lab.approve(alice, built)
    building = project_in(lab, alice, BUILDING)
    with pytest.raises(InvalidTransition, match="a build is running: wait for it to finish or cancel it"):
        lab.record_turn(alice, building, "change it", "ok", PLAN)
    lab.cancel_build(alice, building)


def test_a_turn_without_a_plan_cannot_be_approved(lab: Lab, alice: CurrentUser) -> None:
    project = project_in(lab, alice, DRAFT)
    lab.record_turn(alice, project, "a reverb?", "What kind of room?")
    assert lab.open_project(alice, project).project.status is PLANNING
    with pytest.raises(InvalidTransition, match="no plan yet"):
        lab.approve(alice, project)
    with pytest.raises(InvalidTransition, match="no plan yet"):
        lab.edit_parameters(alice, project, {"mix": {"default": 1}})


def test_approval_pins_the_plan_that_gets_built(lab: Lab, alice: CurrentUser) -> None:
    project = project_in(lab, alice, PLANNING)
    approved = lab.approve(alice, project)
    assert approved.approved_plan_json == approved.plan_json and approved.approved_version == 1
    edited = lab.edit_parameters(alice, project, {"mix": {"default": 50}})
    assert edited.status is PLANNING and edited.approved_version == 1, "the last approval stays on record"
    assert lab.approve(alice, project).approved_version == 2
