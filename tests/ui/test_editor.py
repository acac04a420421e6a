"""Parameter edits checked as they are typed: the plan's own rules, shown at the field."""

from __future__ import annotations

import pytest

from vaist_lab.plan.io import load_template
from vaist_lab.ui.editor import ParameterEditor, check_edit, format_value, uses_log_taper

PLAN = load_template("tape-echo")


def fields(**typed: str) -> dict[str, str]:
    parameter = PLAN.parameter("feedback")
    return {
        "min": f"{parameter.min:g}",
        "max": f"{parameter.max:g}",
        "default": f"{parameter.default:g}",
        "displayName": parameter.display_name,
    } | typed


def test_an_unchanged_row_has_no_changes_and_no_problems() -> None:
    assert check_edit(PLAN, "feedback", fields()) == ({}, {})


def test_a_valid_edit_becomes_changes() -> None:
    changes, problems = check_edit(PLAN, "feedback", fields(max="80", displayName="Regen"))
    assert problems == {}
    assert changes == {"max": 80.0, "displayName": "Regen"}


@pytest.mark.parametrize(
    ("typed", "field", "words"),
    [
        ({"min": "abc"}, "min", "'abc' is not a number"),
        ({"max": ""}, "max", "'nothing' is not a number"),
        ({"default": "nan"}, "default", "finite"),
        ({"min": "90", "max": "10"}, "min", "below max"),
        ({"default": "120"}, "default", "above max"),
    ],
)
def test_a_broken_rule_is_shown_at_its_field(typed: dict[str, str], field: str, words: str) -> None:
    _, problems = check_edit(PLAN, "feedback", fields(**typed))
    assert field in problems, problems
    assert words in problems[field]


def test_a_range_outside_the_blocks_limits_is_refused_for_the_parameter() -> None:
    _, problems = check_edit(PLAN, "feedback", fields(max="120"))
    assert problems  # FeedbackLoop's feedback stays below 100 %
    assert any("100" in message or "feedback" in message for message in problems.values())


def test_log_taper_for_wide_frequency_and_time_ranges_only() -> None:
    assert uses_log_taper("Hz", 20, 20000)
    assert uses_log_taper("ms", 20, 1500)
    assert not uses_log_taper("ms", 0, 1500)
    assert not uses_log_taper("%", 1, 100)
    assert format_value(380.0, "ms") == "380 ms"
    assert format_value(4.0, ":1") == "4:1"


def test_the_editor_reports_knob_moves_and_saves_only_valid_edits() -> None:
    moved: list[tuple[str, float]] = []
    saved: list[tuple[str, dict]] = []
    editor = ParameterEditor(lambda name, value: moved.append((name, value)), lambda n, c: saved.append((n, c)))
    editor.show(PLAN, {})
    row = editor.rows["feedback"]
    row.slider.value = 60.0
    assert moved[-1] == ("feedback", 60.0)
    row.fields["max"].value = "20"  # below the default of 45
    assert row.save.disabled and "default" in row.error.value.lower()
    row._save()
    assert saved == []
    row.fields["max"].value = "90"
    assert not row.save.disabled
    row._save()
    assert saved == [("feedback", {"max": 90.0})]
    time_row = editor.rows["delayTime"]
    assert type(time_row.slider).__name__ == "FloatLogSlider"
