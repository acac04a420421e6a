"""The workbench: the dashboard, and an open project's chat, plan, sound (editor, responses, listen),
build and settings, composed over one service (`LabApi`). Shown by the Voila app and in notebooks:

    from vaist_lab.ui import Workbench
    Workbench()                 # in a hub's single-user server: HubLab; else the in-process lab, local user
    Workbench(api=some_client)  # any LabApi
"""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Any

import ipywidgets as widgets

from vaist_lab.plan import parse_plan
from vaist_lab.service.api import LabApi
from vaist_lab.service.status import APPROVED, BUILDING, PLANNING, SUCCESS
from vaist_lab.service.views import ProjectDetail, ProjectView
from vaist_lab.ui.build import BuildPanel
from vaist_lab.ui.chat import ChatPanel
from vaist_lab.ui.dashboard import Dashboard
from vaist_lab.ui.editor import ParameterEditor
from vaist_lab.ui.listen import ListenPanel
from vaist_lab.ui.markup import escape, status_badge
from vaist_lab.ui.plan import PlanPanel
from vaist_lab.ui.responses import ResponseView
from vaist_lab.ui.settings import SettingsPanel
from vaist_lab.ui.state import ProjectState

TABS = ("Chat", "Plan", "Sound", "Build", "Settings")
CHAT, PLAN, SOUND, BUILD, SETTINGS = range(len(TABS))


def stylesheet() -> widgets.HTML:
    """The workbench's CSS (shipped beside the components' scripts), as a widget that injects it."""
    css = resources.files("vaist_lab.ui").joinpath("static/workbench.css").read_text(encoding="utf-8")
    return widgets.HTML(f"<style>{css}</style>", layout=widgets.Layout(display="none"))


def default_api() -> LabApi:
    """The hub service's client in a hub's single-user server (its token and the service's URL in the
    environment: vaist_lab.hub.client.hub_connection), else the in-process lab of single-user mode (imported
    only then: a hub's kernel never loads the database library)."""
    from vaist_lab.hub.client import HubLab, hub_connection

    connection = hub_connection()
    if connection is not None:
        return HubLab(connection.service_url, connection.token)
    from vaist_lab.service.user_lab import UserLab

    return UserLab.local()


class Workbench(widgets.VBox):
    def __init__(self, api: LabApi | None = None) -> None:
        self.state = state = ProjectState(api or default_api())
        self.back = widgets.Button(description="Projects", icon="arrow-left", layout=widgets.Layout(width="auto"))
        self.back.add_class("vaist-back")
        self.back.on_click(lambda _: self.show_dashboard())
        self.title = widgets.HTML()
        self.title.add_class("vaist-project-title")
        self.status = widgets.HTML()
        self.status.add_class("vaist-status")
        self.approve = widgets.Button(
            description="Approve plan", icon="check", button_style="success", layout=widgets.Layout(width="auto")
        )
        self.approve.add_class("vaist-approve")
        self.approve.on_click(lambda _: self._approve())
        self.notice = widgets.HTML()
        self.notice.add_class("vaist-notice")
        user = state.api.user
        user_label = widgets.HTML(f"<span>{escape(user.name or user.email)}</span>")
        user_label.add_class("vaist-user")
        self.header = widgets.HBox(
            [
                widgets.HTML("<div class='vaist-logo'>v<b>AI</b>st <span>lab</span></div>"),
                self.back,
                self.title,
                self.status,
                self.approve,
                user_label,
            ],
            layout=widgets.Layout(align_items="center"),
        )
        self.header.add_class("vaist-header")

        self.dashboard = Dashboard(state, self.open_project)
        self.chat = ChatPanel(self._chat_turn, self._revert)
        self.plan = PlanPanel(self._save_plan)
        self.editor = ParameterEditor(state.set_value, self._save_parameter)
        self.responses = ResponseView()
        self.listen = ListenPanel()
        self.build = BuildPanel(state)
        self.settings = SettingsPanel(state)
        sound = widgets.VBox([self.editor, self.listen, self.responses])
        sound.add_class("vaist-sound")
        self.tabs = widgets.Tab([self.chat, self.plan, sound, self.build, self.settings], titles=TABS)
        self.tabs.add_class("vaist-tabs")
        self.tabs.observe(self._tab_changed, "selected_index")
        super().__init__([stylesheet(), self.header, self.notice, self.dashboard, self.tabs])
        self.add_class("vaist-workbench")

        state.observe(self._project_changed, "project")
        state.observe(self._detail_changed, "detail")
        state.observe(self._values_changed, "values")
        state.observe(self._notice_changed, ["notice", "notice_kind"])
        state.observe(lambda _: self.dashboard.refresh() if state.project is None else None, "projects_changed")
        self.show_dashboard()
        self.settings.refresh()

    # -- navigation ---------------------------------------------------------------------------------------

    def show_dashboard(self) -> None:
        self.state.close()
        for widget in (self.back, self.title, self.status, self.approve, self.tabs):
            widget.layout.display = "none"
        self.dashboard.layout.display = ""
        self.dashboard.refresh()

    def open_project(self, project_id: uuid.UUID, tab: int = CHAT) -> None:
        def opened() -> None:
            self.dashboard.layout.display = "none"
            for widget in (self.back, self.title, self.status, self.approve, self.tabs):
                widget.layout.display = ""
            self.tabs.selected_index = tab

        self.state.open(project_id, opened)

    # -- following the state ------------------------------------------------------------------------------

    def _project_changed(self, change: Any) -> None:
        view: ProjectView | None = change.new
        self.build.show(view)
        if view is None:
            return
        self.title.value = f"<span class='vaist-project-name'>{escape(view.name)}</span>"
        self.status.value = status_badge(view.status.value)
        self.approve.disabled = view.status is not PLANNING
        self.approve.description = {APPROVED: "Approved", BUILDING: "Building…", SUCCESS: "Built"}.get(
            view.status, "Approve plan"
        )
        previous: ProjectView | None = change.old
        if previous is None or previous.id != view.id or previous.plan_version != view.plan_version:
            self.plan.show(self.state.plan, view.plan_version, view.approved_version)
            self.editor.show(self.state.plan, self.state.values)
            self._hear()

    def _detail_changed(self, change: Any) -> None:
        detail: ProjectDetail | None = change.new
        self.chat.show(detail)
        if detail is not None:
            self._hear()

    def _values_changed(self, _change: Any) -> None:
        self.editor.show(self.state.plan, self.state.values)
        self._hear()

    def _hear(self) -> None:
        plan = self.state.plan
        self.responses.show(plan, self.state.values)
        detail: ProjectDetail | None = self.state.detail
        project: ProjectView | None = self.state.project
        versions = []
        if detail is not None and project is not None:
            versions = [
                (item.version, parse_plan(item.plan_json))
                for item in reversed(detail.plan_history)
                if item.version != project.plan_version
            ][:12]
        self.listen.show(plan, self.state.values, versions)

    def _notice_changed(self, _change: Any) -> None:
        kind, message = self.state.notice_kind, self.state.notice
        self.notice.value = f"<div class='vaist-notice-{kind}'>{escape(message)}</div>" if message else ""

    def _tab_changed(self, change: Any) -> None:
        if change.new == SETTINGS:
            self.settings.refresh()
        elif change.new == BUILD:  # the GitHub settings may have changed meanwhile
            self.build.refresh_remote()

    # -- use cases ----------------------------------------------------------------------------------------

    def _chat_turn(self, message: str) -> None:
        view: ProjectView | None = self.state.project
        if view is None:
            return

        def answered(turn: Any) -> None:
            self.state.update(turn.project)
            if turn.ok:
                self.chat.sent(turn.backend)
            else:  # recorded as a failed turn: its bubble says why (a red line under it would say it again)
                self.chat.not_applied()
                self.state.refresh_detail()

        self.state.run(
            lambda: self.state.api.chat(view.id, message),
            answered,
            quiet=True,
            failed=lambda error: self.chat.failed(str(error)),
        )

    def _revert(self, version: int) -> None:
        view = self.state.project
        if view is not None:
            self.state.run(lambda: self.state.api.revert_plan(view.id, version), self.state.update)

    def _save_parameter(self, name: str, changes: dict[str, Any]) -> None:
        view = self.state.project
        if view is None:
            return

        def refused(error: BaseException) -> None:
            row = self.editor.rows.get(name)
            if row is not None:
                row.refused(str(error))

        self.state.run(
            lambda: self.state.api.edit_parameters(view.id, {name: changes}), self.state.update, failed=refused
        )

    def _save_plan(self, plan_json: dict[str, Any]) -> None:
        view = self.state.project
        if view is not None:
            self.state.run(lambda: self.state.api.save_plan(view.id, plan_json), self.state.update)

    def _approve(self) -> None:
        view = self.state.project
        if view is not None:
            self.state.run(
                lambda: self.state.api.approve(view.id),
                lambda approved: (self.state.update(approved), setattr(self.tabs, "selected_index", BUILD)),
            )


__all__ = ["Workbench"]
