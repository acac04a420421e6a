"""The offline planner's vocabulary: which words point to which category, which knob a word talks about (a
*role*, found through the block inputs a parameter drives, whatever the parameter is called), and which
adjectives push a knob up or down. The words feedback shares with the AI path's checks are in
planner.requests.

A keyword ending in `*` matches any word it begins ("compress*": compressor, compression, compressed).
"""

from __future__ import annotations

from dataclasses import dataclass

from vaist_lab.plan import Category
from vaist_lab.planner.requests import word_list


def matches(word: str, keyword: str) -> bool:
    return word.startswith(keyword[:-1]) if keyword.endswith("*") else word == keyword


def mentions(tokens: list[str], keywords: tuple[str, ...]) -> bool:
    return any(matches(word, keyword) for word in tokens for keyword in keywords)


# -- categories ----------------------------------------------------------------------------------------------


def _weighted(text: str) -> dict[str, float]:
    """ "delay* echo*:3 tape:1" -> every word up to a `:weight` has that weight."""
    weights: dict[str, float] = {}
    pending: list[str] = []
    for item in text.split():
        word, _, weight = item.partition(":")
        pending.append(word)
        if weight:
            weights.update(dict.fromkeys(pending, float(weight)))
            pending = []
    return weights


CATEGORY_WORDS: dict[Category, dict[str, float]] = {
    Category.DELAY: _weighted("delay* echo* slapback pingpong multitap:3 repeat* dub canyon slap:2 tape rhythmic:1"),
    Category.REVERB: _weighted(
        "reverb* verb cathedral:3 hall:2.5 plate chamber church ambien* cave* cavern* stadium arena:2 "
        "room spring space* spacious shimmer* wash*:1.5 tail:1 big huge:0.5"
    ),
    Category.CHORUS: _weighted(
        "chorus* flang* ensemble:3 vibrato:2.5 doubl* thicken* detun* warble* swirl* seasick juno:2 wobbl*:1.5 "
        "lush flutter wow:1"
    ),
    Category.TREMOLO: _weighted(
        "tremolo* trem helicopter:3 puls* throb* chop* stutter* amplitude flicker*:2 pump* gated:1.5 wobble vibe opto:1"
    ),
    Category.DISTORTION: _weighted(
        "distort* overdriv* fuzz* saturat* crunch*:3 drive grit* gritty dirt* dirty clip clipp* tube valve amp "
        "bitcrush*:2 scream* growl* metal exciter harmonics crush*:1.5 warmth console rasp* heat aggressive broken:1"
    ),
    Category.FILTER: _weighted(
        "filter* lowpass highpass bandpass eq equali* wah notch shelf telephone:3 radio cutoff treble muffl* "
        "underwater tilt rumble formant vowel acid:2 bass resonan* sweep* presence mud*:1.5 lofi tone hiss:1"
    ),
    Category.COMPRESSOR: _weighted(
        "compress* limit* brickwall:3 squash* glue leveler leveller:2.5 dynamic* smash* peaks rider:2 "
        "transient* tame punch* ceiling:1.5 sustain* bus even:1"
    ),
    Category.GAIN: _weighted(
        "trim utility attenuat* fader:3 gain volume pad mute:2 loudness level:1.5 boost* louder quieter:1 clean:0.5"
    ),
}

# The word a plugin name ends in when the prompt names its effect with no word of its own.
CATEGORY_SUFFIX = {
    Category.DELAY: "Echo",
    Category.REVERB: "Verb",
    Category.CHORUS: "Chorus",
    Category.TREMOLO: "Trem",
    Category.DISTORTION: "Drive",
    Category.FILTER: "Filter",
    Category.COMPRESSOR: "Comp",
    Category.GAIN: "Gain",
}

# Words that say nothing about the sound, left out of plugin names.
STOPWORDS = frozenset(
    word_list(
        "a an the and or but with without of for to in on at by as from into onto about over under up down my me "
        "i id im we you your our it its is are be was make makes making made want need needs like give some any "
        "that this these those which who what how please can could would should will just also really very quite "
        "super kind sort type style simple basic nice good great cool plugin plugins effect effects sound sounds "
        "sounding something thing knob knobs control controls parameter parameters lots lot bit little more less "
        "much many add adds using use used so too than then there here one two three all has have having get "
        "gets go goes let lets put set s t d ll ve re m"
    )
)


# -- roles: what a word about a knob means in the chain --------------------------------------------------------


@dataclass(frozen=True)
class Role:
    name: str
    targets: tuple[tuple[str, str], ...]  # (block type, input) a parameter playing this role drives
    nouns: tuple[str, ...]  # words that name the role in a sentence
    modes: tuple[str, ...] = ()  # when set, a block with a mode input plays the role only in these modes


ROLES: dict[str, Role] = {
    role.name: role
    for role in (
        Role("time", (("DelayLine", "time"), ("ModulatedDelay", "centre")), ("time", "delaytime", "echo")),
        Role(
            "length",
            (("DelayLine", "time"), ("Comb", "roomSize"), ("Envelope", "release"), ("SmoothRamp", "time")),
            ("length", "decay", "tail"),
        ),
        Role(
            "feedback",
            (("FeedbackLoop", "feedback"), ("ModulatedDelay", "feedback")),
            ("feedback", "repeats", "regeneration", "regen"),
        ),
        Role(
            "tone",
            (
                ("FeedbackLoop", "damping"),
                ("OnePole", "frequency"),
                ("StateVariable", "frequency"),
                ("Biquad", "frequency"),
            ),
            ("tone", "brightness"),
            ("lowpass",),
        ),
        Role(
            "cutoff",
            (("OnePole", "frequency"), ("StateVariable", "frequency"), ("Biquad", "frequency")),
            ("cutoff", "frequency", "freq", "corner"),
        ),
        Role(
            "lowcut",
            (("OnePole", "frequency"), ("StateVariable", "frequency"), ("Biquad", "frequency")),
            ("lowcut",),
            ("highpass",),
        ),
        Role("resonance", (("StateVariable", "resonance"), ("Biquad", "q")), ("resonance", "reso", "q", "emphasis")),
        Role("mix", (("Mix", "mix"),), ("mix", "drywet", "wet", "blend", "dry")),
        Role(
            "level",
            (("OutputGain", "gain"), ("MakeupGain", "gain"), ("DecibelGain", "gain"), ("LinearGain", "gain")),
            ("level", "volume", "output", "loudness", "makeup", "trim"),
        ),
        Role("rate", (("LFO", "rate"), ("ModulatedDelay", "rate")), ("rate", "speed")),
        Role("depth", (("Modulator", "depth"), ("ModulatedDelay", "depth")), ("depth", "intensity", "modulation")),
        Role(
            "drive",
            (("Waveshaper", "drive"), ("TanhSaturation", "drive"), ("SoftClip", "drive")),
            ("drive", "distortion", "saturation", "grit", "dirt", "fuzz", "crunch", "gain"),
        ),
        Role("size", (("Comb", "roomSize"),), ("size", "room", "space", "decay")),
        Role("damping", (("Comb", "damping"),), ("damping", "damp")),
        Role("width", (("Diffuser", "width"),), ("width", "stereo", "spread")),
        Role("threshold", (("GainReduction", "threshold"),), ("threshold", "thresh")),
        Role("ratio", (("GainReduction", "ratio"),), ("ratio", "compression")),
        Role("knee", (("GainReduction", "knee"),), ("knee",)),
        Role("attack", (("Envelope", "attack"),), ("attack",)),
        Role("release", (("Envelope", "release"),), ("release",)),
        Role("glide", (("SmoothRamp", "time"),), ("glide", "ramp", "smoothing")),
        Role("softness", (("SmoothGain", "time"),), ("softness", "smoothness")),
        Role("phase", (("LFO", "phase"),), ("phase",)),
    )
}

# What "more intense" / "subtler" turns, per category: roles with the direction that intensifies.
INTENSITY: dict[Category, tuple[tuple[str, int], ...]] = {
    Category.DELAY: (("mix", 1), ("feedback", 1)),
    Category.REVERB: (("mix", 1), ("size", 1)),
    Category.CHORUS: (("depth", 1), ("mix", 1)),
    Category.TREMOLO: (("depth", 1),),
    Category.DISTORTION: (("drive", 1),),
    Category.COMPRESSOR: (("ratio", 1), ("threshold", -1)),
    Category.FILTER: (("resonance", 1),),
    Category.GAIN: (("level", 1),),
}

# -- adjectives of a first prompt: (words, role, where in the knob's range its default goes) --------------------

HIGH, LOW = 0.8, 0.15

DESCRIPTIONS: tuple[tuple[tuple[str, ...], str, float], ...] = (
    (word_list("long lengthy endless infinite huge vast cathedral cavernous massive big"), "length", HIGH),
    (word_list("short slapback slap tight small tiny closet snappy"), "length", LOW),
    (
        word_list("dark darker warm murky muffled mellow dull lofi vintage analog analogue underwater telephone radio"),
        "tone",
        LOW,
    ),
    (word_list("bright crisp sparkly sparkling shimmering shimmer airy glassy clear"), "tone", HIGH),
    (word_list("fast rapid quick helicopter choppy frantic"), "rate", HIGH),
    (word_list("slow lazy languid seasick"), "rate", LOW),
    (word_list("wide spacious immersive"), "width", HIGH),
    (word_list("narrow mono"), "width", LOW),
    (word_list("resonant squelchy acid peaky vocal vowel"), "resonance", HIGH),
    (word_list("deep"), "depth", HIGH),
    (word_list("shallow"), "depth", LOW),
    (word_list("hard heavy hot aggressive extreme brutal crushing screaming saturated"), "drive", HIGH),
    (word_list("soft gentle mild light subtle transparent smooth"), "drive", LOW),
    (word_list("fast"), "attack", LOW),
    (word_list("slow"), "attack", HIGH),
    (word_list("bright"), "damping", LOW),
    (word_list("dark warm mellow"), "damping", HIGH),
)

# Quantities before a role's noun: "lots of feedback", "no feedback", "deep modulation".
MORE_WORDS = word_list(
    "lots lot loads plenty heavy high strong deep extreme endless infinite many big huge long extra maximum max "
    "intense wide"
)
LESS_WORDS = word_list(
    "no little few single zero low light subtle gentle minimal small short slight without less narrow tiny"
)
