"""What the panels of one workbench share: the service, the open project and the knob positions heard.

Panels observe the traits and call the service through `actions` (one use case at a time, off the widget
thread); whatever a use case returns is put back here, and every panel follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import traitlets

from vaist_lab.errors import VaistError
from vaist_lab.plan import Plan
from vaist_lab.service.api import LabApi, ProjectId
from vaist_lab.service.views import ProjectDetail, ProjectView
from vaist_lab.ui.work import Actions

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


class ProjectState(traitlets.HasTraits):
    """The open project (None on the dashboard), its detail and the audition values of its knobs."""

    project = traitlets.Any(None, allow_none=True)  # ProjectView
    detail = traitlets.Any(None, allow_none=True)  # ProjectDetail: chat and plan history
    values = traitlets.Dict()  # knob positions heard and plotted, by parameter name (not saved)
    notice = traitlets.Unicode("")  # one line for the banner
    notice_kind = traitlets.Unicode("info")  # info | error | busy
    projects_changed = traitlets.Int(0)  # bumped whenever the dashboard's list may be stale

    def __init__(self, api: LabApi, actions: Actions | None = None) -> None:
        super().__init__()
        self.api = api
        self.actions = actions or Actions()
        self._plan_cache: tuple[tuple[Any, int], Plan | None] | None = None

    # -- the open project -------------------------------------------------------------------------------

    @property
    def plan(self) -> Plan | None:
        """The current plan of the open project (parsed once per plan version)."""
        project: ProjectView | None = self.project
        if project is None:
            return None
        key = (project.id, project.plan_version)
        if self._plan_cache is None or self._plan_cache[0] != key:
            self._plan_cache = (key, project.plan)
        return self._plan_cache[1]

    def open(self, project_id: ProjectId, then: Callable[[], None] | None = None) -> None:
        self.run(lambda: self.api.open_project(project_id), lambda detail: (self.show_detail(detail), then and then()))

    def close(self) -> None:
        self.detail = None
        self.project = None
        self.values = {}
        self.projects_changed += 1

    def show_detail(self, detail: ProjectDetail) -> None:
        previous: ProjectView | None = self.project
        self.detail = detail
        self.update(detail.project, keep_values=previous is not None and previous.id == detail.project.id)

    def update(self, view: ProjectView, keep_values: bool = True) -> None:
        """A use case returned this view of the open project: show it. A new plan version reloads the chat
        and history; knobs keep their positions unless the new version moved the parameter's default
        (a turn that says "darker" must be heard darker)."""
        previous: ProjectView | None = self.project
        old_plan = self.plan if keep_values else None
        old_values = self.values if keep_values else {}
        with self.hold_trait_notifications():
            self.project = view
            plan = self.plan
            values = {}
            for parameter in plan.parameters if plan else []:
                before = old_plan.parameter(parameter.name) if old_plan and _has(old_plan, parameter.name) else None
                kept = before is not None and before.default == parameter.default
                value = float(old_values.get(parameter.name, parameter.default)) if kept else parameter.default
                values[parameter.name] = min(max(value, parameter.min), parameter.max)
            self.values = values
        if (
            self.detail is None
            or self.detail.project.id != view.id
            or (previous is not None and previous.plan_version != view.plan_version)
        ):
            self.refresh_detail()
        self.projects_changed += 1

    def refresh_detail(self) -> None:
        """Reload the open project's chat and history (a failed turn is stored without a new plan version)."""
        if self.project is not None:
            project_id = self.project.id
            self.run(lambda: self.api.open_project(project_id), self._set_detail, quiet=True)

    def _set_detail(self, detail: ProjectDetail) -> None:
        if self.project is not None and detail.project.id == self.project.id:
            self.detail = detail

    def set_value(self, name: str, value: float) -> None:
        if self.values.get(name) != value:
            self.values = {**self.values, name: value}

    # -- running use cases ------------------------------------------------------------------------------

    def run(
        self,
        call: Callable[[], Result],
        done: Callable[[Result], Any] | None = None,
        *,
        busy: str = "",
        failed: Callable[[BaseException], Any] | None = None,
        quiet: bool = False,
    ) -> None:
        """Run a use case off the widget thread; its refusal (a VaistError) becomes the banner's message
        (and `failed` is called), anything else is reported as an internal error."""
        if busy:
            self.say(busy, "busy")

        def succeeded(result: Result) -> None:
            if busy and self.notice_kind == "busy":
                self.say("")
            if done is not None:
                done(result)

        def refused(error: BaseException) -> None:
            if isinstance(error, VaistError):
                message = str(error)
            else:
                logger.error("a workbench action failed", exc_info=error)
                message = f"Something went wrong ({type(error).__name__}): {error}"
            if not quiet:
                self.say(message, "error")
            if failed is not None:
                failed(error)

        self.actions.run(call, succeeded, refused)

    def say(self, message: str, kind: str = "info") -> None:
        self.notice_kind = kind
        self.notice = message


def _has(plan: Plan, name: str) -> bool:
    return any(parameter.name == name for parameter in plan.parameters)


__all__ = ["ProjectState"]
