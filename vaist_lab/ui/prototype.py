"""A plan to play with in a notebook, no database: knobs, their ranges, the live responses and a player.

from vaist_lab.ui import Prototype
proto = Prototype("tape-echo")     # a template name, a Plan, or plan JSON
proto                              # shows it; proto.plan and proto.values follow the edits
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.io import load_template, template_names
from vaist_lab.ui.editor import ParameterEditor
from vaist_lab.ui.listen import ListenPanel
from vaist_lab.ui.responses import ResponseView
from vaist_lab.ui.workbench import stylesheet


def as_plan(plan: Plan | Mapping[str, Any] | str) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if isinstance(plan, str) and plan in template_names():
        return load_template(plan)
    return parse_plan(plan if isinstance(plan, str) else dict(plan))


class Prototype(widgets.VBox):
    def __init__(self, plan: Plan | Mapping[str, Any] | str) -> None:
        self.plan = as_plan(plan)
        self.values = {parameter.name: parameter.default for parameter in self.plan.parameters}
        self.history: list[Plan] = []  # earlier versions, heard against the current one
        self.editor = ParameterEditor(self._moved, self._edited)
        self.responses = ResponseView()
        self.listen = ListenPanel()
        super().__init__([stylesheet(), self.editor, self.listen, self.responses])
        self.add_class("vaist-workbench")
        self._refresh()

    def set_values(self, **values: float) -> None:
        """Move knobs from code: `proto.set_values(feedback=60)`."""
        self.values.update({name: float(value) for name, value in values.items()})
        self._refresh()

    def wait_idle(self, timeout: float | None = 30.0) -> bool:
        """Block until the plots and the player show the latest knob positions (scripts and tests)."""
        return self.responses.wait_idle(timeout) and self.listen.wait_idle(timeout)

    def _moved(self, name: str, value: float) -> None:
        self.values[name] = value
        self.responses.show(self.plan, self.values)
        self.listen.show(self.plan, self.values, self._versions())

    def _edited(self, name: str, changes: dict[str, Any]) -> None:
        edited = copy.deepcopy(self.plan.to_json_dict())
        for parameter in edited["parameters"]:
            if parameter["name"] == name:
                parameter.update(changes)
        self.history.append(self.plan)
        self.plan = parse_plan(edited, "edited plan")  # the editor checked it as it was typed
        parameter = self.plan.parameter(name)
        if "default" in changes:
            self.values[name] = parameter.default
        self.values[name] = min(max(self.values[name], parameter.min), parameter.max)
        self._refresh()

    def _versions(self) -> list[tuple[int, Plan]]:
        return [(number, plan) for number, plan in reversed(list(enumerate(self.history, start=1)))]

    def _refresh(self) -> None:
        self.editor.show(self.plan, self.values)
        self.responses.show(self.plan, self.values)
        self.listen.show(self.plan, self.values, self._versions())


__all__ = ["Prototype", "as_plan"]
