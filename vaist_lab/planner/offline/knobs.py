"""Knobs the offline planner can add to any plan, each with the block it drives, and the moves a word asks of
a role ("more intense" of the knobs that carry the effect, "louder" of the level knob), shared by first designs
and feedback."""

from __future__ import annotations

from vaist_lab.plan import Category
from vaist_lab.planner.offline.editor import STEP_FACTOR, CannotApply, PlanEditor
from vaist_lab.planner.offline.words import INTENSITY

WET_CATEGORIES = (Category.DELAY, Category.REVERB, Category.CHORUS)
FIXED_LOW_CUT_RANGE = (20.0, 1000.0)


def add_mix(editor: PlanEditor, default: float | None = None) -> str:
    if editor.playing("mix"):
        raise CannotApply("the plan already has a Mix knob")
    if default is None:
        default = 50 if editor.category in WET_CATEGORIES else 100
    parameter = editor.add_parameter("mix", "Mix", "%", 0, 100, default)
    block = editor.free_input("Mix", "mix") or editor.insert_block({"type": "Mix", "inputs": {}})
    block["inputs"]["mix"] = parameter["name"]
    return f"added a Mix knob ({editor.describe(parameter)})"


def add_level(editor: PlanEditor, default: float = 0) -> str:
    if editor.playing("level"):
        raise CannotApply("the plan already has a level knob")
    parameter = editor.add_parameter("level", "Level", "dB", -24, 12, default)
    block = editor.free_input("OutputGain", "gain") or editor.insert_block(
        {"type": "OutputGain", "inputs": {}}, at_end=True
    )
    block["inputs"]["gain"] = parameter["name"]
    return f"added a Level knob ({editor.describe(parameter)})"


def add_tone(editor: PlanEditor, default: float = 4000) -> str:
    """A low-pass tone knob: in the feedback loop of a delay that has none, else a one-pole after the effect."""
    if editor.playing("tone"):
        raise CannotApply("the plan already has a tone knob")
    parameter = editor.add_parameter("tone", "Tone", "Hz", 200, 20000, default)
    block = (
        editor.free_input("FeedbackLoop", "damping")
        or editor.free_input("OnePole", "frequency", "lowpass")
        or editor.insert_block({"type": "OnePole", "inputs": {"mode": "lowpass"}})
    )
    block["inputs"]["damping" if block["type"] == "FeedbackLoop" else "frequency"] = parameter["name"]
    return f"added a Tone knob ({editor.describe(parameter)})"


def add_air(editor: PlanEditor, default: float = 4) -> str:
    """Brightness where there is no low-pass to open: a high shelf at 6 kHz with its boost on a knob."""
    if editor.parameter("air"):
        raise CannotApply("the plan already has an Air knob")
    parameter = editor.add_parameter("air", "Air", "dB", 0, 12, default)
    editor.insert_block(
        {"type": "Biquad", "inputs": {"mode": "highshelf", "frequency": 6000, "gain": parameter["name"]}}
    )
    return f"added an Air knob, a 6 kHz high shelf ({editor.describe(parameter)})"


def add_feedback(editor: PlanEditor, default: float = 40) -> str:
    if editor.playing("feedback"):
        raise CannotApply("the plan already has a feedback knob")
    loop = editor.free_input("FeedbackLoop", "feedback")
    chorus = editor.free_input("ModulatedDelay", "feedback")
    delays = [index for index, block in enumerate(editor.blocks) if block["type"] == "DelayLine"]
    if loop is None and chorus is None and not delays:
        raise CannotApply("feedback needs a delay line, and this plan has none")
    parameter = editor.add_parameter("feedback", "Feedback", "%", 0, 90, default)
    if loop is not None:
        loop["inputs"]["feedback"] = parameter["name"]
    elif chorus is not None:
        chorus["inputs"]["feedback"] = parameter["name"]
    else:
        editor.blocks.insert(delays[-1] + 1, {"type": "FeedbackLoop", "inputs": {"feedback": parameter["name"]}})
    return f"added a Feedback knob ({editor.describe(parameter)})"


def add_low_cut(editor: PlanEditor, default: float = 150) -> str:
    """A high-pass at the very end (after the dry/wet mix, so the dry signal is tightened too)."""
    if editor.playing("lowcut"):
        raise CannotApply("the plan already has a low-cut knob")
    parameter = editor.add_parameter("lowCut", "Low cut", "Hz", 20, 1000, default)
    editor.insert_block(
        {"type": "Biquad", "inputs": {"mode": "highpass", "frequency": parameter["name"], "q": 0.7071}}, at_end=True
    )
    return f"added a Low cut knob, a high-pass at the end ({editor.describe(parameter)})"


def add_bass(editor: PlanEditor, default: float = 4) -> str:
    """More low end where there is no low cut to open: a 150 Hz low shelf at the end with its boost on a knob."""
    if editor.parameter("bass"):
        raise CannotApply("the plan already has a Bass knob")
    parameter = editor.add_parameter("bass", "Bass", "dB", 0, 12, default)
    editor.insert_block(
        {"type": "Biquad", "inputs": {"mode": "lowshelf", "frequency": 150, "gain": parameter["name"]}}, at_end=True
    )
    return f"added a Bass knob, a 150 Hz low shelf ({editor.describe(parameter)})"


def move_fixed_low_cut(editor: PlanEditor, direction: int, strength: float = 1.0) -> str | None:
    """Move every high-pass whose frequency is a constant (no knob) by the step a knob in Hz takes; None when
    there is none."""
    moved = []
    for block in editor.blocks:
        frequency = block["inputs"].get("frequency")
        if block["inputs"].get("mode") != "highpass" or not isinstance(frequency, int | float):
            continue
        low, high = FIXED_LOW_CUT_RANGE
        new = round(min(max(frequency * STEP_FACTOR ** (direction * strength), low), high))
        if new != frequency:
            block["inputs"]["frequency"] = new
            moved.append(f"the fixed {frequency:g} Hz low cut -> {new:g} Hz")
    if not moved and any(block["inputs"].get("mode") == "highpass" for block in editor.blocks):
        raise CannotApply("the fixed low cut is already at its limit")
    return "; ".join(moved) or None


ADDERS = {"mix": add_mix, "level": add_level, "tone": add_tone, "feedback": add_feedback}


def move_role(editor: PlanEditor, role: str, direction: int, strength: float = 1.0) -> str | None:
    """Nudge the knob playing `role`; None when no knob plays it."""
    parameter = editor.playing(role)
    if parameter is None:
        return None
    old, new = editor.nudge(parameter, direction, strength)
    return editor.describe_move(parameter, old, new)


def intensify(editor: PlanEditor, direction: int, strength: float = 1.0) -> str:
    """More intense (+1) or subtler (-1): the knobs that carry the category's effect."""
    moves = []
    for role, sign in INTENSITY[editor.category]:
        try:
            moved = move_role(editor, role, direction * sign, strength)
        except CannotApply:
            continue
        if moved:
            moves.append(moved)
    if not moves:
        raise CannotApply("the knobs that carry this effect are already at their limits")
    return "; ".join(moves)


def louder(editor: PlanEditor, direction: int) -> str:
    """3 dB louder or quieter on the level knob (added when there is none)."""
    parameter = editor.playing("level")
    if parameter is None:
        return add_level(editor, 3.0 * direction)
    old = parameter["default"]
    new = editor.set_default(parameter, old + 3.0 * direction)
    if new == old:
        raise CannotApply(f"{parameter['displayName']} is already at its {'maximum' if direction > 0 else 'minimum'}")
    return editor.describe_move(parameter, old, new)
