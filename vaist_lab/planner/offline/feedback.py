"""Feedback on a plan, offline. The feedback is cut into clauses (at punctuation, "and", "but", "then"), and
each clause is read as the first of these it matches:

| say | does |
|---|---|
| call it Moon Echo / rename to MoonEcho | the plugin's name |
| grid / vertical / horizontal layout | uiLayout |
| feedback from 10 to 80 (%), time range 50-2000 ms | a knob's range |
| set feedback to 60%, time at 500 ms, 4:1, 120 bpm | a knob's default (its range widened if the blocks allow) |
| remove tone / delete the mix knob / get rid of width / drop X | removes a knob; what it drove stays at its setting |
| add a mix (dry/wet) / tone / level (output, volume) / feedback knob | adds the knob and the block it needs |
| square / triangle / saw / sine wave | the LFO shape |
| hard clip, fuzzier / tube, warm saturation / softer clipping | the Waveshaper curve |
| lowpass / highpass / bandpass / notch | the filter's mode |
| rms / peak detector | the compressor's detector |
| what it asks of the sound (planner.requests): | each applied, then checked by measuring the plan (offline.checked) |
| longer / shorter | delay time, reverb size, compressor release or glide |
| longer / shorter tail | reverb size or delay feedback |
| darker, warmer / brighter | the low-pass tone knob or reverb damping (adds a Tone or Air knob when there is none) |
| less / more fizz | the tone knob, then the drive (adds a Tone knob) |
| more / less drive, grit, dirt, crunch | the drive |
| tighter low end, less bass / more bass | the low cut (knob or fixed), else adds a Low cut or Bass knob |
| faster / slower, faster / slower attack or release | LFO or chorus rate; the compressor's attack or release |
| more / less squash, compression | threshold and ratio |
| more / less resonance, repeats (feedback), depth (wobble) | that knob ("more feedback" adds one to a delay) |
| louder / quieter | 3 dB on the level knob (adds one when there is none) |
| bigger / smaller, wider / narrower, deeper / shallower | room size, stereo width, modulation depth |
| more intense, heavier, stronger / subtler, gentler, cleaner | the knobs that carry the effect (mix, drive, ...) |
| smoother / choppier | tremolo softness |
| more / less / raise / lower / turn up / down <knob> | that knob by a step ("a lot more": two, "a bit": half) |

A clause that names no verb after one that did ("remove tone and mix") takes the previous verb. The edits
that apply are kept and named in the reply; a request whose measurement does not move the asked way is undone
(the next candidate edit is tried) and said so. When nothing applies the turn fails with what the planner
understands, and the plan is unchanged.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from vaist_lab.planner.offline.checked import honour
from vaist_lab.planner.offline.design import NUMBER_WITH_UNIT, apply_numbers
from vaist_lab.planner.offline.editor import CannotApply, PlanEditor, pascal_case
from vaist_lab.planner.offline.knobs import ADDERS, move_role
from vaist_lab.planner.offline.words import STOPWORDS
from vaist_lab.planner.requests import (
    CLAUSE_BREAK,
    DOWN_WORDS,
    STRONG_WORDS,
    UP_WORDS,
    WEAK_WORDS,
    normalise,
    read_request,
    strength_of,
    word_list,
    words,
)

UNDERSTOOD = (
    "longer/shorter, darker/brighter, faster/slower, louder/quieter, bigger/smaller, wider/narrower, "
    "deeper, smoother/choppier, more intense/subtler, less fizz, more grit, tighter low end/more bass, "
    "more squash, more resonance, faster/slower attack or release, longer tail, more/less <knob>, "
    "add a mix/tone/level/feedback knob, "
    "remove <knob>, set <knob> to <value>, <knob> from <low> to <high>, square/triangle/saw/sine wave, "
    "hard clip/tube, lowpass/highpass/bandpass/notch, rms/peak, call it <Name>, grid/vertical/horizontal layout"
)

RENAME = re.compile(
    r"\b(?:call it|name it|rename(?: it)?(?: to)?|called|named)\s+[\"']?([A-Za-z][A-Za-z0-9 ]{1,40})", re.I
)
LAYOUT = re.compile(r"\b(grid|vertical|horizontal)\b")
RANGE = re.compile(r"(-?\d+(?:\.\d+)?)\s*[a-z%]*\s*(?:to|-|\.\.)\s*(-?\d+(?:\.\d+)?)")
REMOVE = re.compile(r"\b(?:remove|delete|drop|ditch|lose|kill|get rid of|take out|take away|without)\b(.*)")
ADD = re.compile(
    r"\b(?:add|include|put in)\b(.*)|\b(?:give|want|need|with)\b(.*\b(?:knob|control|fader|slider|dial)\b.*)"
)
ADDABLE = {
    **dict.fromkeys(word_list("mix drywet blend wet"), "mix"),
    **dict.fromkeys(word_list("level output volume"), "level"),
    **dict.fromkeys(word_list("feedback repeats"), "feedback"),
    "tone": "tone",
}

# An adjective's edit; its strength is signed: negative turns it round ("less choppy").
Edit = Callable[[PlanEditor, float], str]


def _role(role: str, direction: int, missing: str) -> Edit:
    def edit(editor: PlanEditor, strength: float) -> str:
        moved = move_role(editor, role, direction, strength)
        if moved is None:
            raise CannotApply(missing)
        return moved

    return edit


# Adjectives no measurement covers (the edges of a tremolo's swell): applied as they are.
ADJECTIVES: tuple[tuple[tuple[str, ...], Edit], ...] = (
    (word_list("smoother rounder"), _role("softness", 1, "this plan has no softness knob")),
    (word_list("choppier harsher"), _role("softness", -1, "this plan has no softness knob")),
)

FILTER_BLOCKS = ("StateVariable", "Biquad", "OnePole")
CHOICES: tuple[tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]], ...] = (
    (word_list("square"), (("LFO", "shape", "square"),)),
    (word_list("triangle"), (("LFO", "shape", "triangle"),)),
    (word_list("saw sawtooth"), (("LFO", "shape", "saw"),)),
    (word_list("sine"), (("LFO", "shape", "sine"),)),
    (word_list("hardclip fuzzier fuzz clipping clip"), (("Waveshaper", "curve", "hardclip"),)),
    (word_list("tube tanh valve"), (("Waveshaper", "curve", "tanh"),)),
    (word_list("lowpass"), tuple((block, "mode", "lowpass") for block in FILTER_BLOCKS)),
    (word_list("highpass"), tuple((block, "mode", "highpass") for block in FILTER_BLOCKS)),
    (word_list("bandpass"), (("StateVariable", "mode", "bandpass"), ("Biquad", "mode", "bandpass"))),
    (word_list("notch"), (("Biquad", "mode", "notch"),)),
    (word_list("rms"), (("Envelope", "detector", "rms"),)),
    (word_list("peak"), (("Envelope", "detector", "peak"),)),
)


@dataclass
class Reading:
    """What a feedback message did: the edits applied, and the clauses that could not be applied and why."""

    applied: list[str]
    refused: list[str]
    not_understood: list[str]


def apply_feedback(editor: PlanEditor, feedback: str) -> Reading:
    reading = Reading([], [], [])
    verb: str | None = None
    for raw in CLAUSE_BREAK.split(feedback):
        clause = raw.strip()
        if not clause:
            continue
        text = normalise(clause)
        handled, used_verb = _clause(editor, clause, text, reading)
        if not handled and verb and not _has_verb(text):  # "remove tone and mix": mix takes "remove"
            handled, used_verb = _clause(editor, clause, f"{verb} {text}", reading)
        verb = used_verb or verb
        if not handled:
            reading.not_understood.append(clause)
    return reading


def _has_verb(text: str) -> bool:
    return bool(REMOVE.search(text) or ADD.search(text) or set(words(text)) & {*UP_WORDS, *DOWN_WORDS})


def _clause(editor: PlanEditor, clause: str, text: str, reading: Reading) -> tuple[bool, str | None]:
    """Apply one clause; whether it was understood, and the verb it used (for the next clause to borrow)."""
    readers = (_rename, _layout, _range, _number, _remove, _add, _choice, _request, _adjective, _more_or_less)
    for reader in readers:
        saved = copy.deepcopy(editor.data)
        try:
            outcome = reader(editor, clause, text)
        except CannotApply as refusal:
            editor.data = saved  # a refused clause leaves no half-made edit behind
            reading.refused.append(f"{clause}: {refusal}")
            return True, _verb_of(text)
        if outcome:
            reading.applied.append(outcome)
            return True, _verb_of(text)
    return False, None


def _verb_of(text: str) -> str | None:
    if REMOVE.search(text):
        return "remove"
    if ADD.search(text):
        return "add"
    return None


# -- readers: each returns what it did, None when the clause is not for it, or raises CannotApply ------------


def _rename(editor: PlanEditor, clause: str, text: str) -> str | None:
    match = RENAME.search(clause)
    if not match:
        return None
    name = pascal_case(match[1])
    if len(name) < 2:
        raise CannotApply(f"{match[1]!r} cannot be a plugin name")
    editor.data["pluginName"] = name
    return f"renamed to {name}"


def _layout(editor: PlanEditor, clause: str, text: str) -> str | None:
    match = LAYOUT.search(text)
    if not match or "layout" not in text:
        return None
    editor.data["uiLayout"] = match[1]
    return f"{match[1]} layout"


def _range(editor: PlanEditor, clause: str, text: str) -> str | None:
    match = RANGE.search(text)
    if not match or not re.search(r"\b(?:range|from|between|go)\b|\d\s*-\s*\d", text):
        return None
    parameter = _named_in(editor, text[: match.start()])
    if parameter is None:
        return None
    editor.set_range(parameter, float(match[1]), float(match[2]))
    return f"{parameter['displayName']} range {parameter['min']:g} to {parameter['max']:g}"


def _number(editor: PlanEditor, clause: str, text: str) -> str | None:
    number = re.search(r"(?:to|at|=|of)\s*(-?\d+(?:\.\d+)?)(?!\s*:)", text)
    if NUMBER_WITH_UNIT.search(text):
        notes = apply_numbers(editor, text)
        return "; ".join(notes) or None
    if number:
        parameter = _named_in(editor, text[: number.start()])
        if parameter is not None:
            editor.set_default(parameter, float(number[1]))
            return editor.describe(parameter)
    return None


def _remove(editor: PlanEditor, clause: str, text: str) -> str | None:
    match = REMOVE.search(text)
    if not match:
        return None
    parameter = _named_in(editor, match[1])
    if parameter is None:
        raise CannotApply(f"no knob called {match[1].strip()!r} (knobs: {_knobs(editor)})")
    return editor.remove_parameter(parameter)


def _add(editor: PlanEditor, clause: str, text: str) -> str | None:
    match = ADD.search(text)
    if not match or set(words(text)) & {*UP_WORDS, *DOWN_WORDS}:  # "with more feedback" moves a knob
        return None
    kind = next((ADDABLE[word] for word in words(match[1] or match[2] or "") if word in ADDABLE), None)
    return ADDERS[kind](editor) if kind else None


def _choice(editor: PlanEditor, clause: str, text: str) -> str | None:
    tokens = words(text)
    for triggers, settings in CHOICES:
        if not set(tokens) & set(triggers):
            continue
        for block_type, input_name, value in settings:
            if editor.set_choice(block_type, input_name, value):
                return f"{block_type} {input_name}: {value}"
        if triggers[0] == "notch" and any(block["type"] == "StateVariable" for block in editor.blocks):
            _to_biquad(editor, "notch")
            return "the state-variable filter became a notch biquad"
        kinds = " or ".join(sorted({block_type for block_type, _, _ in settings}))
        raise CannotApply(f"this plan has no {kinds} block to set to {triggers[0]}")
    return None


def _to_biquad(editor: PlanEditor, mode: str) -> None:
    """A state-variable filter becomes a biquad (which has the mode asked for); its resonance is the Q."""
    for block in editor.blocks:
        if block["type"] == "StateVariable":
            inputs = block["inputs"]
            block["type"] = "Biquad"
            block["inputs"] = {
                "mode": mode,
                "frequency": inputs.get("frequency", 1000),
                "q": inputs.get("resonance", 0.7071),
            }


def _request(editor: PlanEditor, clause: str, text: str) -> str | None:
    """What the clause asks of the sound (darker, less fizz, more squash...), applied and checked by measuring."""
    request = read_request(text)
    return honour(editor, request) if request is not None else None


def _adjective(editor: PlanEditor, clause: str, text: str) -> str | None:
    tokens = words(text)
    sign = -1 if "less" in tokens else 1  # "less choppy" is "smoother"
    for triggers, edit in ADJECTIVES:
        if set(tokens) & set(triggers):
            return edit(editor, sign * strength_of(tokens))
    return None


def _more_or_less(editor: PlanEditor, clause: str, text: str) -> str | None:
    tokens = words(text)
    up, down = bool(set(tokens) & set(UP_WORDS)), bool(set(tokens) & set(DOWN_WORDS))
    if up == down:
        return None
    direction = 1 if up else -1
    subject = [
        word for word in tokens if word not in (*UP_WORDS, *DOWN_WORDS, *STRONG_WORDS, *WEAK_WORDS, *STOPWORDS, "turn")
    ]
    parameter = _named_in(editor, " ".join(subject))
    if parameter is None:
        if subject:
            raise CannotApply(f"no knob called {' '.join(subject)!r} (knobs: {_knobs(editor)})")
        return None
    old, new = editor.nudge(parameter, direction, strength_of(tokens))
    return editor.describe_move(parameter, old, new)


def _named_in(editor: PlanEditor, text: str) -> dict | None:
    """The knob a phrase names: two words joined ("delay time" -> delaytime), then each word."""
    tokens = [word for word in words(normalise(text)) if word not in STOPWORDS]
    for first, second in itertools.pairwise(tokens):
        if found := editor.named(first + second):
            return found
    return next((found for word in reversed(tokens) if (found := editor.named(word))), None)


def _knobs(editor: PlanEditor) -> str:
    return ", ".join(parameter["name"] for parameter in editor.parameters)
