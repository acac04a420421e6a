"""What a musician's words ask of the sound, and which measurement of the plan tells whether it happened.

`ASPECTS` is the one table from words to measurements. An aspect of the sound (brightness, length, squash,
...) has adjectives that ask for more or less of it on their own ("darker"), nouns that name it ("less fizz",
"more squash") and the measured quantities that concern it (`dsp.measure` keys), in order of priority, each
with the direction it moves when the aspect grows. `read_request` finds the request in one clause of
feedback; `requests_in` in every clause of a message. The offline planner edits by it and the checks of
every turn (`planner.measured`) judge by it, whichever planner answered.

How a clause is read:
1. a *leading* noun (attack, release, tail, low end) with a word of direction decides what an adjective means:
   "faster attack" shortens the attack, "tighter low end" takes bass away, "longer tail" lengthens the decay;
2. otherwise the first aspect (in table order) with one of its adjectives: "darker repeats" is brightness,
   "faster wobble" is rate; "less" before an adjective turns it round ("less bright" is darker);
3. otherwise a noun with more / less (raise, lower, ...): "more repeats", "less fizz", "more resonance".

The aspects, each as: adjectives for more / for less; nouns; measured by (the first that moved decides):

- attack (leads): slower, longer, softer / faster, quicker, snappier, shorter; attack; compressor attack
- release (leads): slower, longer / faster, quicker, shorter; release; compressor release
- tail (leads): longer, bigger / shorter, smaller, tighter; tail, decay; reverb RT60, echo decay to -60 dB
- low end (leads): fuller, fatter, boomier / tighter, thinner, leaner; low end, bass, lows, mud, boom, rumble;
  the low end against the mids
- brightness: brighter, crisper, airier / darker, warmer, duller, mellower; treble, highs, air, sparkle, top
  end; echo HF loss per repeat (falling), reverb tail centroid and HF/LF decay, cutoff (FILTER plans), centroid
- fizz: fizzier; fizz, sizzle, harshness; harmonics 4-10, spectral centroid
- drive: dirtier, grittier, crunchier, hotter; drive, distortion, grit, dirt, crunch, saturation; THD
- length: longer / shorter, tighter; repeat spacing, echo decay, RT60, release, chorus delay, glide
- repeats: repeats, feedback, regeneration, echoes; repeats within 60 dB, level drop per repeat (falling)
- rate: faster, quicker / slower; rate, speed; tremolo and chorus rate
- depth: deeper / shallower; depth, wobble, modulation, vibrato, throb; tremolo depth, chorus swing
- squash: squashier; squash, compression; gain reduction at -10 dBFS
- resonance: peakier, squelchier, resonant; resonance, reso, emphasis; filter resonance peak
- cutoff: cutoff; filter cutoff, spectral centroid
- size: bigger, larger, roomier / smaller; size, room, space; RT60
- width: wider / narrower; width, stereo, spread; left/right correlation (falling)
- loudness: louder / quieter; volume, level, loudness, output; level change for pink noise
- intensity: intense, heavier, stronger, harder / subtler, gentler, milder, cleaner, lighter; per category:
  repeats, RT60, chorus swing, tremolo depth, THD, gain reduction, resonance, level
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vaist_lab.plan import Category


def normalise(text: str) -> str:
    """Lower case, with the spellings musicians vary joined up: lo-fi, dry/wet, ping-pong, slap back."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=[a-z])[-/](?=[a-z])", "", text)
    return re.sub(r"\b(slap|ping|lo|hi|over|band|low|high)\s+(back|pong|fi|drive|pass)\b", r"\1\2", text)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text)


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CLAUSE_BREAK = re.compile(r"[,.;!?\n]+|\b(?:and|but|then|also|plus)\b", re.IGNORECASE)
UP_WORDS = word_list("more increase raise higher up boost extra")
DOWN_WORDS = word_list("less decrease reduce lower down fewer cut")
STRONG_WORDS = word_list("lot lots much way far loads")
WEAK_WORDS = word_list("bit slightly little touch tad hair")
# Two-word names of an aspect, joined before reading: "low end" -> lowend.
COMPOUNDS = re.compile(r"\b(low|top|high)\s+end\b")


@dataclass(frozen=True)
class Concern:
    """A measured quantity ("echo.hf_loss_per_repeat_db") that tells whether an aspect moved: `sign` +1 when
    it rises with the aspect, -1 when it falls; `category` when it speaks for that category only."""

    quantity: str
    sign: int = 1
    category: Category | None = None


@dataclass(frozen=True)
class Aspect:
    name: str
    concerns: tuple[Concern, ...]
    more: tuple[str, ...] = ()  # adjectives that ask for more of it
    less: tuple[str, ...] = ()  # ... for less of it
    nouns: tuple[str, ...] = ()
    leads: bool = False  # its noun decides what an adjective means ("faster attack")

    def concerns_for(self, category: Category) -> tuple[Concern, ...]:
        return tuple(concern for concern in self.concerns if concern.category in (None, category))


def _concerns(*items: str) -> tuple[Concern, ...]:
    """ "echo.hf_loss_per_repeat_db-" falls with the aspect, any other rises with it."""
    return tuple(Concern(item.rstrip("-"), -1 if item.endswith("-") else 1) for item in items)


INTENSITY_CONCERNS = (
    Concern("echo.audible_repeats", 1, Category.DELAY),
    Concern("reverb.rt60_s", 1, Category.REVERB),
    Concern("chorus.depth_ms", 1, Category.CHORUS),
    Concern("tremolo.depth_db", 1, Category.TREMOLO),
    Concern("distortion.thd_percent", 1, Category.DISTORTION),
    Concern("compressor.gain_reduction_db", 1, Category.COMPRESSOR),
    Concern("filter.resonance_peak_db", 1, Category.FILTER),
    Concern("tone.level_change_db", 1, Category.GAIN),
)

ASPECTS: tuple[Aspect, ...] = (
    Aspect(
        "attack",
        _concerns("compressor.attack_ms"),
        word_list("slower longer softer gentler lazier"),
        word_list("faster quicker snappier shorter sharper tighter harder"),
        word_list("attack"),
        leads=True,
    ),
    Aspect(
        "release",
        _concerns("compressor.release_ms"),
        word_list("slower longer lazier"),
        word_list("faster quicker snappier shorter"),
        word_list("release"),
        leads=True,
    ),
    Aspect(
        "tail",
        _concerns("reverb.rt60_s", "echo.decay_to_minus_60_db_s"),
        word_list("longer bigger lengthier"),
        word_list("shorter smaller tighter"),
        word_list("tail decay"),
        leads=True,
    ),
    Aspect(
        "low end",
        _concerns("tone.low_end_db"),
        word_list("fuller fatter bigger boomier thicker warmer heavier"),
        word_list("tighter thinner leaner cleaner"),
        word_list("lowend bass lows bottom mud muddiness boom rumble"),
        leads=True,
    ),
    Aspect(
        "brightness",
        (
            Concern("echo.hf_loss_per_repeat_db", -1),
            Concern("reverb.tail_centroid_hz"),
            Concern("reverb.hf_lf_decay_ratio"),
            Concern("filter.cutoff_hz", 1, Category.FILTER),
            Concern("tone.centroid_hz"),
        ),
        word_list("brighter crisper airier sharper clearer sparklier bright crisp airy"),
        word_list("darker warmer duller mellower murkier dark warm dull mellow muffled"),
        word_list("treble highs air sparkle brightness topend presence"),
    ),
    Aspect(
        "fizz",
        _concerns("distortion.high_harmonics_dbc", "tone.centroid_hz"),
        word_list("fizzier sizzlier"),
        (),
        word_list("fizz fizziness sizzle harshness"),
    ),
    Aspect(
        "drive",
        _concerns("distortion.thd_percent"),
        word_list("dirtier grittier crunchier hotter"),
        (),
        word_list("drive distortion grit dirt crunch saturation overdrive"),
    ),
    Aspect(
        "length",
        _concerns(
            "echo.repeat_spacing_ms",
            "echo.decay_to_minus_60_db_s",
            "reverb.rt60_s",
            "compressor.release_ms",
            "chorus.centre_delay_ms",
            "glide.glide_ms",
        ),
        word_list("longer lengthier"),
        word_list("shorter tighter"),
    ),
    Aspect(
        "repeats",
        _concerns("echo.audible_repeats", "echo.level_drop_per_repeat_db-"),
        nouns=word_list("repeats feedback regen regeneration echoes"),
    ),
    Aspect(
        "rate",
        _concerns("tremolo.rate_hz", "chorus.rate_hz"),
        word_list("faster quicker"),
        word_list("slower"),
        word_list("rate speed"),
    ),
    Aspect(
        "depth",
        _concerns("tremolo.depth_db", "chorus.depth_ms"),
        word_list("deeper"),
        word_list("shallower"),
        word_list("depth wobble modulation vibrato throb"),
    ),
    Aspect(
        "squash",
        _concerns("compressor.gain_reduction_db"),
        word_list("squashier"),
        (),
        word_list("squash squashing compression"),
    ),
    Aspect(
        "resonance",
        _concerns("filter.resonance_peak_db"),
        word_list("peakier squelchier resonant"),
        (),
        word_list("resonance reso emphasis"),
    ),
    Aspect("cutoff", _concerns("filter.cutoff_hz", "tone.centroid_hz"), nouns=word_list("cutoff")),
    Aspect(
        "size",
        _concerns("reverb.rt60_s"),
        word_list("bigger larger roomier"),
        word_list("smaller"),
        word_list("size room space"),
    ),
    Aspect(
        "width",
        _concerns("reverb.stereo_correlation-"),
        word_list("wider"),
        word_list("narrower"),
        word_list("width stereo spread"),
    ),
    Aspect(
        "loudness",
        _concerns("tone.level_change_db"),
        word_list("louder"),
        word_list("quieter"),
        word_list("volume level loudness output"),
    ),
    Aspect(
        "intensity",
        INTENSITY_CONCERNS,
        word_list("intense intenser heavier stronger aggressive extreme wilder harder"),
        word_list("subtle subtler gentler milder cleaner lighter tamer calmer"),
    ),
)
ASPECT_BY_NAME = {aspect.name: aspect for aspect in ASPECTS}


@dataclass(frozen=True)
class Request:
    """One clause's request: more (+1) or less (-1) of an aspect, by a step of `strength` (0.5, 1 or 2)."""

    words: str  # the clause as written
    aspect: Aspect
    direction: int
    strength: float = 1.0


def tokens(text: str) -> list[str]:
    return words(COMPOUNDS.sub(r"\1end", normalise(text)))


def strength_of(tokens: list[str]) -> float:
    """A step of 2 for "a lot", 0.5 for "a bit", else 1."""
    if set(tokens) & set(STRONG_WORDS):
        return 2.0
    if set(tokens) & set(WEAK_WORDS):
        return 0.5
    return 1.0


def _generic_direction(found: set[str]) -> int:
    up, down = bool(found & set(UP_WORDS)), bool(found & set(DOWN_WORDS))
    return 0 if up == down else (1 if up else -1)


def read_request(clause: str) -> Request | None:
    """The request of one clause of feedback, or None when it asks nothing that is measured."""
    found = tokens(clause)
    present = set(found)
    text = clause.strip()
    strength = strength_of(found)
    generic = _generic_direction(present)
    for aspect in ASPECTS:
        if aspect.leads and present & set(aspect.nouns):
            direction = 1 if present & set(aspect.more) else -1 if present & set(aspect.less) else generic
            if direction:
                return Request(text, aspect, direction, strength)
    negated = "less" in present
    for aspect in ASPECTS:
        if aspect.leads:
            continue
        direction = 1 if present & set(aspect.more) else -1 if present & set(aspect.less) else 0
        if direction:
            return Request(text, aspect, -direction if negated else direction, strength)
    if generic:
        for aspect in ASPECTS:
            if not aspect.leads and present & set(aspect.nouns):
                return Request(text, aspect, generic, strength)
    return None


def requests_in(message: str) -> list[Request]:
    """The requests of every clause of a message, the first of each aspect and direction only."""
    found: dict[tuple[str, int], Request] = {}
    for clause in CLAUSE_BREAK.split(message):
        request = read_request(clause) if clause.strip() else None
        if request is not None:
            found.setdefault((request.aspect.name, request.direction), request)
    return list(found.values())


__all__ = [
    "ASPECTS",
    "ASPECT_BY_NAME",
    "CLAUSE_BREAK",
    "DOWN_WORDS",
    "STRONG_WORDS",
    "UP_WORDS",
    "WEAK_WORDS",
    "Aspect",
    "Concern",
    "Request",
    "normalise",
    "read_request",
    "requests_in",
    "strength_of",
    "tokens",
    "word_list",
    "words",
]
