"""The plan view: what the plan says, as tables (knobs, then the signal chain) and as JSON on demand.

The JSON can be edited by hand (a DSP person rewiring blocks): it is checked against every plan rule as
it is typed, each problem is shown at the row of the table it names (`parameters[2].default: ...` at the
third knob), and only a valid plan can be saved, as the project's next version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.errors import PlanError
from vaist_lab.ui.editor import format_value
from vaist_lab.ui.markup import escape

SavePlan = Callable[[dict[str, Any]], None]
_ROW = re.compile(r"^(parameters|dspBlocks)\[(\d+)\]")


def problems_by_row(problems: list[str]) -> tuple[dict[tuple[str, int], list[str]], list[str]]:
    """Problems that name a knob or a block (by index), and the others (about the plan as a whole)."""
    at_rows: dict[tuple[str, int], list[str]] = {}
    general = []
    for problem in problems:
        match = _ROW.match(problem)
        if match:
            at_rows.setdefault((match[1], int(match[2])), []).append(problem)
        else:
            general.append(problem)
    return at_rows, general


def _problems_cell(problems: list[str]) -> str:
    return "".join(f"<div class='vaist-error vaist-field-problem'>{escape(problem)}</div>" for problem in problems)


def _number(value: Any, unit: str) -> str:
    return format_value(value, unit) if isinstance(value, int | float) else escape(str(value))


def parameters_table(plan: Mapping[str, Any], problems: Mapping[tuple[str, int], list[str]] | None = None) -> str:
    rows = []
    for index, item in enumerate(plan.get("parameters") or []):
        item = item if isinstance(item, dict) else {}
        found = (problems or {}).get(("parameters", index), [])
        unit = str(item.get("unit", ""))
        rows.append(
            f"<tr class='vaist-plan-param{' vaist-row-invalid' if found else ''}' data-index='{index}'>"
            f"<td><b>{escape(str(item.get('displayName', '?')))}</b>"
            f"<div class='vaist-muted'>{escape(str(item.get('name', '?')))}</div>{_problems_cell(found)}</td>"
            + "".join(f"<td>{_number(item.get(field, '—'), unit)}</td>" for field in ("min", "max", "default"))
            + "</tr>"
        )
    return (
        "<table class='vaist-table'><thead><tr><th>Knob</th><th>Min</th><th>Max</th><th>Default</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def blocks_table(plan: Mapping[str, Any], problems: Mapping[tuple[str, int], list[str]] | None = None) -> str:
    knobs = {
        item.get("name"): item.get("displayName") for item in plan.get("parameters") or [] if isinstance(item, dict)
    }
    rows = []
    for index, block in enumerate(plan.get("dspBlocks") or []):
        found = (problems or {}).get(("dspBlocks", index), [])
        kind, inputs = (block, {}) if isinstance(block, str) else (block.get("type", "?"), block.get("inputs") or {})
        shown = (
            ", ".join(
                f"{escape(name)} = <b>{escape(str(knobs[value]))}</b>"
                if isinstance(value, str) and value in knobs
                else f"{escape(name)} = {escape(str(value))}"
                for name, value in inputs.items()
            )
            or "<span class='vaist-muted'>defaults</span>"
        )
        rows.append(
            f"<tr class='vaist-plan-block{' vaist-row-invalid' if found else ''}' data-index='{index}'>"
            f"<td>{index + 1}</td><td><b>{escape(str(kind))}</b></td><td>{shown}{_problems_cell(found)}</td></tr>"
        )
    return (
        "<table class='vaist-table'><thead><tr><th>#</th><th>Block</th><th>Inputs (knob or constant)</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class PlanPanel(widgets.VBox):
    def __init__(self, on_save: SavePlan | None = None) -> None:
        self._on_save = on_save
        self.summary = widgets.HTML()
        self.tables = widgets.HTML()
        self.tables.add_class("vaist-plan-tables")
        self.json_toggle = widgets.ToggleButton(
            False, description="Show JSON", icon="code", layout=widgets.Layout(width="130px")
        )
        self.json_toggle.add_class("vaist-plan-json-toggle")
        self.editor = widgets.Textarea(continuous_update=True, layout=widgets.Layout(width="100%", height="360px"))
        self.editor.add_class("vaist-plan-json")
        self.problems = widgets.HTML()
        self.problems.add_class("vaist-plan-problems")
        self.save = widgets.Button(
            description="Save as a new version",
            icon="check",
            button_style="primary",
            disabled=True,
            layout=widgets.Layout(width="auto"),
        )
        self.save.add_class("vaist-plan-save")
        self.save.on_click(lambda _: self._save())
        self.revert = widgets.Button(description="Discard edits", disabled=True, layout=widgets.Layout(width="auto"))
        self.revert.on_click(lambda _: self._discard())
        self.json_box = widgets.VBox(
            [self.editor, self.problems, widgets.HBox([self.save, self.revert])] if on_save else [self.editor],
            layout=widgets.Layout(display="none"),
        )
        self.json_toggle.observe(self._toggle, "value")
        self.editor.observe(self._edited, "value")
        super().__init__([self.summary, self.tables, self.json_toggle, self.json_box])
        self.add_class("vaist-plan")
        self._plan: Plan | None = None
        self._checked: dict[str, Any] | None = None

    def show(self, plan: Plan | None, version: int = 0, approved_version: int | None = None) -> None:
        self._plan = plan
        if plan is None:
            self.summary.value = "<i>No plan yet.</i>"
            self.tables.value = ""
            self.editor.value = ""
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
        self.editor.value = json.dumps(plan.to_json_dict(), indent=2)
        self._show_tables(plan.to_json_dict(), {})

    def _show_tables(self, data: Mapping[str, Any], problems: Mapping[tuple[str, int], list[str]]) -> None:
        self.tables.value = (
            f"<h4>Knobs</h4>{parameters_table(data, problems)}<h4>Signal chain</h4>{blocks_table(data, problems)}"
        )

    def _edited(self, _change: Any = None) -> None:
        """Check the typed JSON against every plan rule; show each problem where it belongs."""
        if self._plan is None:
            return
        text = self.editor.value
        self._checked = None
        try:
            data = json.loads(text)
            plan = parse_plan(data, "your edit")
        except json.JSONDecodeError as error:
            self.problems.value = _problems_cell([f"not JSON: line {error.lineno} column {error.colno}: {error.msg}"])
            self.save.disabled = True
            self.revert.disabled = False
            return
        except PlanError as error:
            at_rows, general = problems_by_row(error.problems)
            if isinstance(data, dict):
                self._show_tables(data, at_rows)
            self.problems.value = _problems_cell(general or [f"{len(error.problems)} problem(s) marked in the tables"])
            self.save.disabled = True
            self.revert.disabled = False
            return
        changed = plan != self._plan
        self._show_tables(plan.to_json_dict(), {})
        self.problems.value = "<div class='vaist-ok'>valid plan</div>" if changed else ""
        self._checked = plan.to_json_dict() if changed else None
        self.save.disabled = not changed
        self.revert.disabled = not changed

    def _save(self) -> None:
        if self._checked is not None and self._on_save is not None:
            self.save.disabled = True
            self._on_save(self._checked)

    def _discard(self) -> None:
        if self._plan is not None:
            self.editor.value = json.dumps(self._plan.to_json_dict(), indent=2)

    def _toggle(self, _change: Any) -> None:
        shown = bool(self.json_toggle.value)
        self.json_box.layout.display = "" if shown else "none"
        self.json_toggle.description = "Hide JSON" if shown else "Show JSON"


__all__ = ["PlanPanel", "blocks_table", "parameters_table", "problems_by_row"]
