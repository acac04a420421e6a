"""A first plan from a prompt, offline: pick the category the words point to, start from its template, and
adapt it from what the prompt says: the kind of filter, clipper, waveform or compressor; knobs asked for;
adjectives (long, dark, fast, subtle, ...); quantities ("lots of feedback"); numbers with units ("450 ms",
"4:1", "-12 dB", "120 bpm"); and a plugin name from the prompt's own words.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import partial

from vaist_lab.plan import Category, Plan
from vaist_lab.planner.offline.editor import LOG_UNITS, CannotApply, Parameter, PlanEditor, pascal_case
from vaist_lab.planner.offline.knobs import ADDERS
from vaist_lab.planner.offline.words import (
    CATEGORY_SUFFIX,
    CATEGORY_WORDS,
    DESCRIPTIONS,
    LESS_WORDS,
    MORE_WORDS,
    ROLES,
    STOPWORDS,
    matches,
    mentions,
)
from vaist_lab.planner.requests import normalise, words
from vaist_lab.planner.templates import templates_by_category

_UNIT = r"(ms|msec|milliseconds?|s|secs?|seconds?|khz|hz|db|%|percent|bpm|:\s*1)"
NUMBER_WITH_UNIT = re.compile(rf"(-?\d+(?:\.\d+)?)\s*{_UNIT}(?![a-z0-9])")
KNOB_WORDS = r"(?:knob|control|parameter|fader|slider|dial)"
ASKED_KNOBS = {
    "mix": re.compile(rf"\b(?:mix\s+{KNOB_WORDS}|drywet|blend|wet\s+{KNOB_WORDS})"),
    "tone": re.compile(rf"\btone\s+{KNOB_WORDS}|\btone\b"),
    "level": re.compile(rf"\b(?:output|volume|level|gain)\s+{KNOB_WORDS}|\boutput\s+(?:level|gain)\b"),
    "feedback": re.compile(rf"\bfeedback\s+{KNOB_WORDS}|\bwith\s+(?:some\s+)?feedback\b"),
}


def classify(tokens: list[str]) -> tuple[Category, bool]:
    """The category the words point to most (earliest mention breaks ties); GAIN and False when none does."""
    scores: dict[Category, float] = dict.fromkeys(Category, 0.0)
    first_seen: dict[Category, int] = {}
    for position, token in enumerate(tokens):
        for category, keywords in CATEGORY_WORDS.items():
            weight = max((value for keyword, value in keywords.items() if matches(token, keyword)), default=0.0)
            if weight:
                scores[category] += weight
                first_seen.setdefault(category, position)
    best = max(scores.values())
    if best == 0:
        return Category.GAIN, False
    tied = [category for category, score in scores.items() if score == best]
    return min(tied, key=lambda category: first_seen[category]), True


def design(prompt: str) -> tuple[Plan, list[str]]:
    """The adapted template and notes saying what was understood."""
    text = normalise(prompt)
    tokens = words(text)
    category, recognised = classify(tokens)
    editor = PlanEditor(templates_by_category()[category])
    notes: list[str] = []
    if not recognised:
        notes.append("I found no effect type in the request, so here is a clean gain stage to start from.")
    lead = _first_sentence(editor.data["explanation"])
    variant = VARIANTS[category](editor, tokens)
    if variant:
        lead, note = variant
        notes.append(note)
    for kind, pattern in ASKED_KNOBS.items():
        if pattern.search(text):
            _try(notes, partial(ADDERS[kind], editor))
    moved: set[str] = set()
    notes += _describe(editor, tokens, moved)
    notes += _quantities(editor, tokens, moved)
    notes += apply_numbers(editor, text)
    editor.data["pluginName"] = plugin_name(prompt, tokens, category)
    editor.data["explanation"] = explanation(lead, prompt, editor)
    return editor.build(), [note for note in notes if note]


def _try(notes: list[str], edit: Callable[[], str]) -> None:
    with contextlib.suppress(CannotApply):  # a first design adds what fits; nothing to report
        notes.append(edit())


# -- variants: the kind of effect within a category ---------------------------------------------------------

Variant = tuple[str, str] | None


def _filter_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    svf = next((block for block in editor.blocks if block["type"] == "StateVariable"), None)
    cutoff, resonance = editor.playing("cutoff"), editor.playing("resonance")
    if svf is None or cutoff is None or resonance is None:
        return None
    shelf = next((mode for words_, mode in _SHELVES if mentions(tokens, words_)), None)
    if shelf:
        mode, frequency, label = shelf
        cut = mentions(tokens, ("cut", "reduce", "tame", "less", "remove", "scoop*"))
        editor.remove_parameter(resonance)
        svf["type"], svf["inputs"] = "Biquad", {"mode": mode, "frequency": cutoff["name"], "q": 0.7071}
        boost = editor.add_parameter("boost", "Boost", "dB", -15, 15, -6 if cut else 6)
        svf["inputs"]["gain"] = boost["name"]
        editor.set_default(cutoff, frequency)
        return f"A {label} equaliser: Frequency picks the band and Boost lifts or cuts it.", f"{label} EQ"
    if mentions(tokens, ("notch",)):
        svf["type"] = "Biquad"
        svf["inputs"] = {"mode": "notch", "frequency": cutoff["name"], "q": resonance["name"]}
        return "A notch filter that removes a narrow band around the cutoff; resonance narrows it.", "notch filter"
    for words_, mode, frequency, label in _FILTER_MODES:
        if mentions(tokens, words_):
            svf["inputs"]["mode"] = mode
            editor.set_default(cutoff, frequency)
            return f"A resonant state-variable {label} filter: sweep the cutoff and raise the resonance.", label
    return None


_SHELVES = (
    (("bass", "lowshelf", "lows", "warmth", "sub", "boom*"), ("lowshelf", 150, "low-shelf")),
    (
        ("treble", "highshelf", "air", "presence", "sparkle", "highs", "eq", "equali*", "shelf"),
        ("highshelf", 5000, "high-shelf"),
    ),
)
_FILTER_MODES = (
    (("highpass", "lowcut", "rumble", "thin", "thinner"), "highpass", 150, "high-pass"),
    (("telephone", "radio", "phone", "megaphone"), "bandpass", 1500, "band-pass (telephone)"),
    (("bandpass", "wah", "vowel", "formant", "nasal"), "bandpass", 800, "band-pass"),
)


def _distortion_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    for words_, curve, label in (
        (("soft", "cubic"), "cubic", "cubic soft clipping"),
        (("atan", "smooth", "gentle"), "atan", "gentle arctangent saturation"),
        (("fuzz*", "hard", "clipp*", "clip", "square", "brutal", "metal", "diode"), "hardclip", "hard clipping"),
    ):
        if mentions(tokens, words_) and editor.set_choice("Waveshaper", "curve", curve):
            return (
                f"A drive with {label}: a low cut tightens the bass before the shaper and a tone knob tames the top.",
                label,
            )
    return None


def _tremolo_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    for words_, shape in (
        (("square", "choppy", "chop*", "helicopter", "stutter*", "gated", "hard"), "square"),
        (("triangle", "linear"), "triangle"),
        (("saw", "sawtooth", "ramp"), "saw"),
    ):
        if mentions(tokens, words_) and editor.set_choice("LFO", "shape", shape):
            return f"A tremolo with a {shape} LFO: rate sets the speed, depth how deep the dips go.", f"{shape} LFO"
    return None


def _compressor_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    if mentions(tokens, ("limit*", "brickwall", "ceiling", "maximi*")):
        for role, value in (("ratio", 20), ("knee", 0), ("attack", 1), ("threshold", -6)):
            parameter = editor.playing(role)
            if parameter:
                editor.set_default(parameter, value)
        return "A peak limiter: a fast attack and a high ratio hold peaks under the threshold.", "limiter"
    if mentions(tokens, ("parallel",)) and (mix := editor.playing("mix")):
        editor.set_default(mix, 50)
        return "A parallel compressor: the squashed signal is blended with the dry one by the Mix knob.", "parallel"
    if mentions(tokens, ("rms", "vocal*", "leveler", "leveller", "smooth", "rider")):
        editor.set_choice("Envelope", "detector", "rms")
        return "A smooth RMS compressor that levels a performance, with a soft knee and makeup gain.", "RMS detector"
    return None


def _chorus_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    centre = editor.playing("time")
    depth = editor.playing("depth")
    if mentions(tokens, ("flang*", "jet")) and centre and depth:
        editor.set_range(centre, 0.5, 10)
        editor.set_default(centre, 2)
        editor.set_range(depth, 0, 3)
        editor.set_default(depth, 1.5)
        with contextlib.suppress(CannotApply):  # the template may have one already
            ADDERS["feedback"](editor, 50)
        return "A flanger: a very short swept delay with feedback for the jet-plane comb sweep.", "flanger"
    if mentions(tokens, ("vibrato",)) and (mix := editor.playing("mix")):
        editor.set_default(mix, 100)
        return "A vibrato: the swept delay alone, fully wet, bends the pitch up and down.", "vibrato"
    return None


def _no_variant(editor: PlanEditor, tokens: list[str]) -> Variant:
    return None


VARIANTS: dict[Category, Callable[[PlanEditor, list[str]], Variant]] = {
    Category.FILTER: _filter_variant,
    Category.DISTORTION: _distortion_variant,
    Category.TREMOLO: _tremolo_variant,
    Category.COMPRESSOR: _compressor_variant,
    Category.CHORUS: _chorus_variant,
    Category.DELAY: _no_variant,
    Category.REVERB: _no_variant,
    Category.GAIN: _no_variant,
}


# -- adjectives, quantities and numbers ------------------------------------------------------------------------


def _describe(editor: PlanEditor, tokens: list[str], done: set[str]) -> list[str]:
    """Adjectives move their role's knob: times and frequencies by a factor of 2.25 from the template's
    setting (as they are heard), other knobs to a place in their range. `done` collects the knobs moved."""
    notes = []
    for adjectives, role, fraction in DESCRIPTIONS:
        said = next((word for word in tokens if word in adjectives), None)
        parameter = editor.playing(role) if said else None
        if parameter is None or parameter["name"] in done:
            continue
        if parameter["unit"] in LOG_UNITS:
            editor.nudge(parameter, 1 if fraction > 0.5 else -1, 2.0)
        else:
            editor.place(parameter, fraction)
        done.add(parameter["name"])
        notes.append(f"{said}: {editor.describe(parameter)}")
    return notes


def _quantities(editor: PlanEditor, tokens: list[str], done: set[str]) -> list[str]:
    """ "lots of feedback", "no feedback", "deep modulation": a quantity word up to three words before a role's
    noun places that knob high or low (adding a feedback knob where a delay has none)."""
    notes = []
    for position, token in enumerate(tokens):
        before = tokens[max(0, position - 3) : position]
        more, less = any(word in MORE_WORDS for word in before), any(word in LESS_WORDS for word in before)
        if more == less:
            continue
        for role in ROLES.values():
            if not any(matches(token, noun) for noun in role.nouns):
                continue
            parameter = editor.playing(role.name)
            if parameter is not None and parameter["name"] in done:
                break
            if parameter is None and role.name == "feedback" and more:
                _try(notes, partial(ADDERS["feedback"], editor, 70))
                break
            if parameter is not None:
                none_at_all = any(word in ("no", "zero", "without") for word in before)
                editor.place(parameter, 0.0 if none_at_all else 0.8 if more else 0.15)
                done.add(parameter["name"])
                notes.append(f"{' '.join(before[-2:])} {token}: {editor.describe(parameter)}")
                break
    return notes


def apply_numbers(editor: PlanEditor, text: str) -> list[str]:
    """Numbers with units set the default of the knob of that unit the nearby words name (or the only or first
    knob of that unit): "450 ms", "2 s", "5 hz", "-12 db threshold", "4:1", "30%", "120 bpm"."""
    notes = []
    for match in NUMBER_WITH_UNIT.finditer(text):
        value, unit = float(match[1]), match[2].replace(" ", "")
        if unit == "s" and value >= 20 and value % 10 == 0:
            continue  # a decade ("80s fuzz"), not a time
        value, unit = _canonical(value, unit)
        nearby = words(text[: match.start()])[-4:] + words(text[match.end() :])[:4]
        candidates = [parameter for parameter in editor.parameters if parameter["unit"] == unit]
        if unit == "bpm":  # a quarter note at that tempo, on the delay time
            candidates, value = [p for p in editor.parameters if p["unit"] == "ms"], 60000 / value
        if not candidates:
            continue
        named = [parameter for parameter in candidates if _names(editor, parameter, nearby)]
        parameter = (named or candidates)[0]
        editor.set_default(parameter, value)
        notes.append(f"{match[0].strip()}: {editor.describe(parameter)}")
    return notes


def _canonical(value: float, unit: str) -> tuple[float, str]:
    if unit.startswith(("ms", "msec", "milli")):
        return value, "ms"
    if unit in ("s", "sec", "secs") or unit.startswith("second"):
        return value * 1000, "ms"
    if unit == "khz":
        return value * 1000, "Hz"
    return value, {"hz": "Hz", "db": "dB", "percent": "%", ":1": ":1"}.get(unit, unit)


def _names(editor: PlanEditor, parameter: Parameter, nearby: list[str]) -> bool:
    own = {parameter["name"].lower(), *words(normalise(parameter["displayName"]))}
    if own & set(nearby):
        return True
    return any(
        editor.playing(role.name) is parameter and any(matches(word, noun) for noun in role.nouns for word in nearby)
        for role in ROLES.values()
    )


# -- name and explanation --------------------------------------------------------------------------------------

GIVEN_NAME = re.compile(
    r"\b(?:called|named|name it|call it)\s+"
    r"(?:[\"']([^\"']{2,40})[\"']|([A-Za-z][A-Za-z0-9]*(?:\s+[A-Z][A-Za-z0-9]*){0,2}))"  # quoted, or Capitalised Words
)


def plugin_name(prompt: str, tokens: list[str], category: Category) -> str:
    """The name the prompt gives ("called Moon Echo"), else up to two of its words before the effect's noun
    ("warm tape delay" -> WarmTapeDelay), else its first words and the category's suffix."""
    given = GIVEN_NAME.search(prompt)
    if given:
        parts = (given[1] or given[2]).split()
    else:
        position = _noun_position(tokens, category)
        content = [i for i, token in enumerate(tokens) if token not in STOPWORDS and len(token) > 2]
        if position is not None:
            parts = [*[tokens[i] for i in content if position - 3 <= i < position][-2:], tokens[position]]
        else:
            parts = [tokens[i] for i in content[:2]] + [CATEGORY_SUFFIX[category]]
    name = pascal_case(" ".join(parts))
    return name if len(name) >= 2 else CATEGORY_SUFFIX[category] + "Lab"


def _noun_position(tokens: list[str], category: Category) -> int | None:
    """Where the prompt names its effect: the first of its strongest category words ("lowpass" over "acid")."""
    keywords = CATEGORY_WORDS[category]
    for threshold in (3, 2):
        nouns = [keyword for keyword, weight in keywords.items() if weight >= threshold]
        found = [i for i, token in enumerate(tokens) if any(matches(token, noun) for noun in nouns)]
        if found:
            return found[0]
    return None


def explanation(lead: str, prompt: str, editor: PlanEditor) -> str:
    request = " ".join("".join(char for char in prompt if char.isprintable()).split())
    if len(request) > 120:
        request = request[:117].rsplit(" ", 1)[0] + "..."
    return with_knobs(f"{lead} Designed offline for: {request}.", editor)


def with_knobs(lead: str, editor: PlanEditor) -> str:
    """An explanation ending in the list of knobs, kept within 500 characters."""
    knobs = f" Knobs: {editor.knob_list()}."
    room = 500 - len(knobs)
    if len(lead) > room:
        lead = lead[: room - 3].rsplit(" ", 1)[0] + "..."
    return f"{lead}{knobs}"


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."
