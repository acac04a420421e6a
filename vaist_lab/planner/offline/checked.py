"""Edits for what feedback asks of the sound ("darker", "less fizz", "more squash": `planner.requests`), each
checked by measuring the plan before and after it (`planner.measured`).

Every aspect has its candidate edits in order (`EDITS`). The first that applies is measured: when the
measurement the request concerns moved the asked way by its margin, it stays; otherwise it is undone and the
next candidate is tried. When none does it, the clause is refused with what was tried and what it measured,
so the plan is left as it was for that part and the reply says why. A request that no measurement of the plan
covers (a chorus's feedback) keeps its edit and says that it was not measured.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable

from vaist_lab.plan import Plan, PlanError
from vaist_lab.planner.measured import QUANTITIES, judge, measured_quantities, sections_of
from vaist_lab.planner.offline.editor import CannotApply, PlanEditor
from vaist_lab.planner.offline.knobs import (
    add_air,
    add_bass,
    add_feedback,
    add_low_cut,
    add_tone,
    intensify,
    louder,
    move_fixed_low_cut,
    move_role,
)
from vaist_lab.planner.offline.words import ROLES
from vaist_lab.planner.requests import Request

log = logging.getLogger(__name__)

# An edit: (editor, direction, strength) -> what it did, or None when it does not apply to this plan.
Edit = Callable[[PlanEditor, int, float], str | None]


def _role(role: str, sign: int = 1) -> Edit:
    """Nudge the knob playing `role`, the request's way (`sign` -1: the other way, as damping for brightness)."""
    return lambda editor, direction, strength: move_role(editor, role, sign * direction, strength)


def _adding(wanted: int, adder: Callable[[PlanEditor], str], knob: str) -> Edit:
    """Add a knob, which only works one way (a Tone knob darkens); no candidate when the plan has one."""

    def edit(editor: PlanEditor, direction: int, strength: float) -> str | None:
        present = editor.parameter(knob) or (knob in ROLES and editor.playing(knob))
        return adder(editor) if direction == wanted and not present else None

    return edit


def _dark_tone(editor: PlanEditor) -> str:
    return add_tone(editor, 2500)


def _louder(editor: PlanEditor, direction: int, strength: float) -> str:
    return louder(editor, direction)


def _intensify(editor: PlanEditor, direction: int, strength: float) -> str:
    return intensify(editor, direction, strength)


def _squash(editor: PlanEditor, direction: int, strength: float) -> str | None:
    """A lower threshold and a higher ratio together (each where the plan has the knob and it can move)."""
    moves, limits = [], []
    for role, sign in (("threshold", -1), ("ratio", 1)):
        try:
            moved = move_role(editor, role, sign * direction, strength)
        except CannotApply as limit:
            limits.append(str(limit))
            continue
        if moved:
            moves.append(moved)
    if not moves and limits:
        raise CannotApply("; ".join(limits))
    return "; ".join(moves) or None


# Per aspect: the candidate edits in order, and what to say when the plan has nothing that could do it.
EDITS: dict[str, tuple[tuple[Edit, ...], str]] = {
    "attack": ((_role("attack"),), "this plan has no attack knob"),
    "release": ((_role("release"),), "this plan has no release knob"),
    "tail": ((_role("size"), _role("feedback")), "this plan has no room size or feedback knob to change its tail"),
    "low end": (
        (
            _role("lowcut", -1),
            lambda editor, direction, strength: move_fixed_low_cut(editor, -direction, strength),
            _adding(-1, add_low_cut, "lowcut"),
            _adding(1, add_bass, "bass"),
        ),
        "this plan has no low cut to move",
    ),
    "brightness": (
        (_role("tone"), _role("damping", -1), _adding(-1, _dark_tone, "tone"), _adding(1, add_air, "air")),
        "this plan has no tone or damping knob",
    ),
    "fizz": (
        (_role("tone"), _role("drive"), _adding(-1, _dark_tone, "tone")),
        "this plan has no tone or drive knob",
    ),
    "drive": ((_role("drive"),), "this plan has no drive knob"),
    "length": (
        (_role("time"), _role("size"), _role("release"), _role("glide")),
        "this plan has no time, size, release or glide knob to make longer or shorter",
    ),
    "repeats": ((_role("feedback"), _adding(1, add_feedback, "feedback")), "this plan has no feedback knob"),
    "rate": ((_role("rate"),), "this plan has no rate knob"),
    "depth": ((_role("depth"),), "this plan has no depth knob"),
    "squash": ((_squash,), "this plan has no threshold or ratio knob"),
    "resonance": ((_role("resonance"),), "this plan has no resonance knob"),
    "cutoff": ((_role("cutoff"),), "this plan has no cutoff knob"),
    "size": ((_role("size"),), "this plan has no size knob"),
    "width": ((_role("width"),), "this plan has no width knob"),
    "loudness": ((_louder,), "this plan has no level knob"),
    "intensity": ((_intensify,), "this plan has no knob that carries its effect"),
}


def honour(editor: PlanEditor, request: Request) -> str:
    """Apply the first candidate edit whose measurement moves the asked way; what it did. CannotApply (the
    editor untouched) when none does, saying what each candidate did and measured."""
    candidates, missing = EDITS[request.aspect.name]
    sections = sections_of(request)
    before = measured_quantities(_built(editor), sections)
    refusals: list[str] = []  # candidates that could not be applied
    misses: list[str] = []  # candidates applied, measured and undone
    for edit in candidates:
        saved = copy.deepcopy(editor.data)
        try:
            done = edit(editor, request.direction, request.strength)
        except CannotApply as refusal:
            editor.data = saved
            refusals.append(str(refusal))
            continue
        if done is None:
            editor.data = saved
            continue
        after = measured_quantities(_built(editor), sections)
        check = judge(request, before, after, editor.category)
        if check.verdict == "honoured":
            return done
        if check.verdict == "not measured":
            return f"{done} (not measured: no measurement of this plan covers {request.aspect.name})"
        editor.data = saved
        assert check.fact is not None and check.fact.old is not None and check.fact.new is not None
        spec = QUANTITIES[check.fact.quantity]
        how = "moved it the wrong way" if check.verdict == "wrong way" else "did not move it enough"
        misses.append(
            f"{done} {how} ({spec.label} {spec.show(check.fact.old)} -> {spec.show(check.fact.new)}), so I left it"
        )
    if misses:
        raise CannotApply(f"could not honour it: {'; '.join(misses + refusals)}")
    raise CannotApply("; ".join(refusals) or missing)


def _built(editor: PlanEditor) -> Plan:
    try:
        return editor.build()
    except PlanError as error:  # an edit this package got wrong: refuse the clause, keep the plan
        log.error("offline editing gave an invalid plan: %s", error)
        raise CannotApply(f"offline editing went wrong ({'; '.join(error.problems)})") from None


__all__ = ["EDITS", "honour"]
