"""The project status machine:

    DRAFT -> PLANNING -> APPROVED -> BUILDING -> SUCCESS | FAILED

A new plan (a chat turn or a parameter edit) takes any project that is not building back to PLANNING;
a failed build can be retried and a successful one rebuilt (the same approved plan, e.g. with a newer
builder); a running build can only finish (a cancelled build is FAILED).
"""

from __future__ import annotations

from vaist_lab.service.errors import InvalidTransition
from vaist_lab.status import ProjectStatus

DRAFT, PLANNING, APPROVED, BUILDING, SUCCESS, FAILED = ProjectStatus

TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    DRAFT: frozenset({PLANNING}),
    PLANNING: frozenset({PLANNING, APPROVED}),
    APPROVED: frozenset({PLANNING, BUILDING}),
    BUILDING: frozenset({SUCCESS, FAILED}),
    SUCCESS: frozenset({PLANNING, BUILDING}),
    FAILED: frozenset({PLANNING, BUILDING}),
}

# what to do instead, when an action is refused in a status
_HINTS = {
    DRAFT: "it has no plan yet: record a plan turn first",
    PLANNING: "approve its plan first",
    APPROVED: "start its build",
    BUILDING: "a build is running: wait for it to finish or cancel it",
    SUCCESS: "it is built: rebuild it, or record a new plan turn to change it",
    FAILED: "retry the build, or record a new plan turn",
}


def check_transition(current: ProjectStatus, target: ProjectStatus, action: str) -> None:
    """Refuse (InvalidTransition) to `action` if it would move a project from `current` to `target`
    against the machine."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"cannot {action}: the project is {current.value} ({_HINTS[current]})")


__all__ = ["TRANSITIONS", "check_transition"]
