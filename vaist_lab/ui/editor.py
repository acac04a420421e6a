"""The parameter editor: a slider per parameter to hear and see it, and its range, default and name to
edit. Edits are checked against the whole plan as they are typed (the plan's own rules, with its own
messages), shown at the field, and saved through the service only when valid."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.errors import PlanError
from vaist_lab.ui.markup import escape

LOG_UNITS = ("Hz", "ms")  # ranges of these units get a log taper when they span a decade or more
NUMERIC_FIELDS = ("min", "max", "default")
FIELD_TITLES = {"min": "Min", "max": "Max", "default": "Default", "displayName": "Name"}
_PROBLEM = re.compile(r"^parameters\[(\d+)\]\.(\w+): (.*)$")

ValueChanged = Callable[[str, float], None]
SaveEdits = Callable[[str, dict[str, Any]], None]


def uses_log_taper(unit: str, low: float, high: float) -> bool:
    return unit in LOG_UNITS and low > 0 and high / low >= 10.0


def format_value(value: float, unit: str) -> str:
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    if unit in ("", ":1"):
        return f"{text}{unit}"
    return f"{text} {unit}"


def check_edit(plan: Plan, name: str, fields: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The typed fields of parameter `name` as changes, and the problems by field ("" for the parameter as a
    whole): numbers must be numbers, then the edited plan must pass every rule of the plan."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    parameter = plan.parameter(name)
    for field, text in fields.items():
        if field in NUMERIC_FIELDS:
            try:
                number = float(text)
            except ValueError:
                problems[field] = f"{text.strip() or 'nothing'!r} is not a number"
                continue
            if not math.isfinite(number):
                problems[field] = "must be a finite number"
                continue
            if number != getattr(parameter, field):
                changes[field] = number
        elif text != parameter.display_name:
            changes[field] = text
    if problems or not changes:
        return changes, problems
    edited = copy.deepcopy(plan.to_json_dict())
    index = next(i for i, item in enumerate(edited["parameters"]) if item["name"] == name)
    edited["parameters"][index].update(changes)
    try:
        parse_plan(edited, "edited plan")
    except PlanError as error:
        for problem in error.problems:
            match = _PROBLEM.match(problem)
            if match and int(match[1]) == index:
                field = match[2] if match[2] in FIELD_TITLES else ""
                problems.setdefault(field, match[3])
            elif name in problem:  # e.g. a block input's limits that this range breaks
                problems.setdefault("", problem)
        if not problems:
            problems[""] = "; ".join(error.problems)
    return changes, problems


class ParameterRow(widgets.VBox):
    def __init__(self, plan: Plan, name: str, value: float, on_value: ValueChanged, on_save: SaveEdits | None) -> None:
        self.plan = plan
        self.parameter = parameter = plan.parameter(name)
        self._on_value = on_value
        self._on_save = on_save
        log = uses_log_taper(parameter.unit, parameter.min, parameter.max)
        common = dict(readout=False, continuous_update=True, layout=widgets.Layout(flex="1 1 auto", width="auto"))
        if log:
            self.slider = widgets.FloatLogSlider(
                value=value,
                base=10,
                min=math.log10(parameter.min),
                max=math.log10(parameter.max),
                step=0.001,
                **common,
            )
        else:
            self.slider = widgets.FloatSlider(
                value=value,
                min=parameter.min,
                max=parameter.max,
                step=(parameter.max - parameter.min) / 1000,
                **common,
            )
        self.slider.add_class("vaist-slider")
        self.label = widgets.HTML(f"<b>{escape(parameter.display_name)}</b>", layout=widgets.Layout(width="150px"))
        self.readout = widgets.HTML(layout=widgets.Layout(width="90px"))
        self.readout.add_class("vaist-readout")
        self.toggle = widgets.ToggleButton(
            False, icon="sliders", tooltip="Range, default and name", layout=widgets.Layout(width="44px")
        )
        self.toggle.add_class("vaist-param-toggle")
        self.fields = {
            field: widgets.Text(
                value=_field_text(parameter, field),
                description=FIELD_TITLES[field],
                continuous_update=True,
                layout=widgets.Layout(width="170px" if field != "displayName" else "260px"),
                style={"description_width": "52px"},
            )
            for field in ("min", "max", "default", "displayName")
        }
        for field, text in self.fields.items():
            text.add_class(f"vaist-field-{'display' if field == 'displayName' else field}")
            text.observe(self._check, "value")
        self.error = widgets.HTML()
        self.error.add_class("vaist-field-error")
        self.save = widgets.Button(
            description="Save", icon="check", disabled=True, button_style="primary", layout=widgets.Layout(width="90px")
        )
        self.save.add_class("vaist-param-save")
        self.save.on_click(lambda _: self._save())
        self.reset = widgets.Button(description="Undo", disabled=True, layout=widgets.Layout(width="80px"))
        self.reset.on_click(lambda _: self._undo())
        unit = f" ({parameter.unit})" if parameter.unit else ""
        self.details = widgets.VBox(
            [
                widgets.HBox([*self.fields.values()], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox(
                    [
                        widgets.HTML(
                            f"<span class='vaist-muted'>{escape(parameter.name)}{escape(unit)}"
                            f"{' · log taper' if log else ''}</span>"
                        ),
                        self.save,
                        self.reset,
                    ],
                    layout=widgets.Layout(align_items="center", justify_content="space-between"),
                ),
                self.error,
            ],
            layout=widgets.Layout(display="none", padding="4px 0 8px 150px"),
        )
        self.toggle.observe(
            lambda change: setattr(self.details.layout, "display", "" if change.new else "none"), "value"
        )
        if on_save is None:
            self.toggle.layout.display = "none"
        self.slider.observe(self._moved, "value")
        self._show_value(value)
        super().__init__(
            [
                widgets.HBox(
                    [self.label, self.slider, self.readout, self.toggle], layout=widgets.Layout(align_items="center")
                ),
                self.details,
            ]
        )
        self.add_class("vaist-param")
        self.add_class(f"vaist-param-{name}")

    def _moved(self, change: Any) -> None:
        self._show_value(change.new)
        self._on_value(self.parameter.name, float(change.new))

    def _show_value(self, value: float) -> None:
        self.readout.value = f"<span>{escape(format_value(value, self.parameter.unit))}</span>"

    def _check(self, _change: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
        changes, problems = check_edit(self.plan, self.parameter.name, {f: w.value for f, w in self.fields.items()})
        for field, text in self.fields.items():
            if field in problems:
                text.add_class("vaist-invalid")
            else:
                text.remove_class("vaist-invalid")
        self.error.value = "".join(
            f"<div class='vaist-error'>{escape(FIELD_TITLES.get(field, 'Range'))}: {escape(message)}</div>"
            for field, message in problems.items()
        )
        self.save.disabled = bool(problems) or not changes
        self.reset.disabled = not changes and not problems
        return changes, problems

    def _save(self) -> None:
        changes, problems = self._check()
        if problems or not changes or self._on_save is None:
            return
        self.save.disabled = True
        self._on_save(self.parameter.name, changes)

    def _undo(self) -> None:
        for field, text in self.fields.items():
            text.value = _field_text(self.parameter, field)

    def refused(self, message: str) -> None:
        """The service refused the save: say why at the parameter, keep what was typed."""
        self.error.value = f"<div class='vaist-error'>Not saved: {escape(message)}</div>"
        self.save.disabled = False


def _field_text(parameter: Any, field: str) -> str:
    value = getattr(parameter, "display_name" if field == "displayName" else field)
    return value if isinstance(value, str) else f"{value:g}"


class ParameterEditor(widgets.VBox):
    """Sliders for a plan's parameters. `on_value(name, value)` as a knob moves; `on_save(name, changes)` when
    a valid edit of range, default or name is saved (None: the editor only plays, no fields)."""

    def __init__(self, on_value: ValueChanged, on_save: SaveEdits | None = None) -> None:
        super().__init__()
        self.add_class("vaist-editor")
        self._on_value = on_value
        self._on_save = on_save
        self.rows: dict[str, ParameterRow] = {}
        self._plan: Plan | None = None

    def show(self, plan: Plan | None, values: Mapping[str, float]) -> None:
        """Rows for `plan` (rebuilt only when the plan changed), knobs at `values`."""
        if plan is None:
            self.rows = {}
            self.children = [widgets.HTML("<i>No parameters yet.</i>")]
            self._plan = None
            return
        if plan != self._plan:
            self._plan = plan
            self.rows = {
                parameter.name: ParameterRow(
                    plan, parameter.name, values.get(parameter.name, parameter.default), self._on_value, self._on_save
                )
                for parameter in plan.parameters
            }
            self.children = list(self.rows.values())
            return
        for name, row in self.rows.items():
            if name in values and not math.isclose(row.slider.value, values[name], rel_tol=1e-9, abs_tol=1e-12):
                row.slider.value = values[name]


__all__ = ["ParameterEditor", "ParameterRow", "check_edit", "format_value", "uses_log_taper"]
