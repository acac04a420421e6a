"""The plan view: what the plan says, as tables (knobs, then the signal chain) and as JSON on demand."""

from __future__ import annotations

import json

import ipywidgets as widgets

from vaist_lab.plan import Plan
from vaist_lab.ui.editor import format_value
from vaist_lab.ui.markup import escape


def parameters_table(plan: Plan) -> str:
    rows = "".join(
        f"<tr class='vaist-plan-param' data-name='{escape(p.name)}'><td><b>{escape(p.display_name)}</b>"
        f"<div class='vaist-muted'>{escape(p.name)}</div></td><td>{escape(format_value(p.min, p.unit))}</td>"
        f"<td>{escape(format_value(p.max, p.unit))}</td><td>{escape(format_value(p.default, p.unit))}</td></tr>"
        for p in plan.parameters
    )
    return (
        "<table class='vaist-table'><thead><tr><th>Knob</th><th>Min</th><th>Max</th><th>Default</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def blocks_table(plan: Plan) -> str:
    knobs = {parameter.name: parameter.display_name for parameter in plan.parameters}
    rows = []
    for index, block in enumerate(plan.blocks):
        inputs = (
            ", ".join(
                f"{escape(name)} = <b>{escape(knobs[value])}</b>"
                if isinstance(value, str) and value in knobs
                else f"{escape(name)} = {escape(str(value))}"
                for name, value in block.inputs.items()
            )
            or "<span class='vaist-muted'>no inputs</span>"
        )
        rows.append(f"<tr><td>{index + 1}</td><td><b>{escape(block.type)}</b></td><td>{inputs}</td></tr>")
    return (
        "<table class='vaist-table'><thead><tr><th>#</th><th>Block</th><th>Inputs (knob or constant)</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class PlanPanel(widgets.VBox):
    def __init__(self) -> None:
        self.summary = widgets.HTML()
        self.tables = widgets.HTML()
        self.json_toggle = widgets.ToggleButton(
            False, description="Show JSON", icon="code", layout=widgets.Layout(width="130px")
        )
        self.json_toggle.add_class("vaist-plan-json-toggle")
        self.json = widgets.HTML(layout=widgets.Layout(display="none"))
        self.json.add_class("vaist-plan-json")
        self.json_toggle.observe(self._toggle, "value")
        super().__init__([self.summary, self.tables, self.json_toggle, self.json])
        self.add_class("vaist-plan")

    def show(self, plan: Plan | None, version: int = 0, approved_version: int | None = None) -> None:
        if plan is None:
            self.summary.value = "<i>No plan yet.</i>"
            self.tables.value = self.json.value = ""
            return
        approved = (
            " · <span class='vaist-ok'>approved</span>"
            if approved_version == version
            else f" · approved: v{approved_version}"
            if approved_version
            else ""
        )
        self.summary.value = (
            f"<div class='vaist-plan-head'><span class='vaist-plan-name'>{escape(plan.plugin_name)}</span>"
            f"<span class='vaist-chip'>{escape(str(plan.category))}</span>"
            f"<span class='vaist-muted'>version {version}{approved}</span></div>"
            f"<p class='vaist-explanation'>{escape(plan.explanation)}</p>"
        )
        self.tables.value = f"<h4>Knobs</h4>{parameters_table(plan)}<h4>Signal chain</h4>{blocks_table(plan)}"
        self.json.value = f"<pre class='vaist-json'>{escape(json.dumps(plan.to_json_dict(), indent=2))}</pre>"

    def _toggle(self, change: object) -> None:
        shown = bool(self.json_toggle.value)
        self.json.layout.display = "" if shown else "none"
        self.json_toggle.description = "Hide JSON" if shown else "Show JSON"


__all__ = ["PlanPanel", "blocks_table", "parameters_table"]
