"""The offline planner: a corpus of prompts, each giving a valid plan of the expected category, adapted from
its words; and every kind of feedback it claims to understand, applied and checked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.io import load_template
from vaist_lab.planner import Planner, PlannerSettings
from vaist_lab.planner.offline import NotUnderstood, OfflinePlanner
from vaist_lab.planner.offline.feedback import ADJECTIVES, CHOICES
from vaist_lab.planner.offline.words import CATEGORY_WORDS, DESCRIPTIONS, ROLES, word_list
from vaist_lab.planner.requests import ASPECTS

CORPUS = [
    ("a warm tape delay with long repeats", "DELAY"),
    ("slapback echo for rockabilly guitar", "DELAY"),
    ("dub echo with endless feedback that gets darker", "DELAY"),
    ("a clean digital delay at 375 ms", "DELAY"),
    ("quarter note echo at 120 bpm with a mix knob", "DELAY"),
    ("multitap rhythmic delay for synth arps", "DELAY"),
    ("canyon echo, very long, 2 seconds", "DELAY"),
    ("a huge cathedral reverb for ambient pads", "REVERB"),
    ("small room ambience for drums", "REVERB"),
    ("bright plate reverb for vocals", "REVERB"),
    ("dark spacious hall with a long tail", "REVERB"),
    ("spring reverb like an old surf amp", "REVERB"),
    ("make my guitar sound like it is in a cave", "REVERB"),
    ("lush 80s chorus for clean guitar", "CHORUS"),
    ("a jet plane flanger with lots of feedback", "CHORUS"),
    ("subtle stereo doubler to thicken vocals", "CHORUS"),
    ("seasick vibrato, slow and deep", "CHORUS"),
    ("juno style ensemble chorus", "CHORUS"),
    ("warbly detuned tape wobble", "CHORUS"),
    ("vintage amp tremolo at 6 hz", "TREMOLO"),
    ("fast choppy helicopter tremolo with square wave", "TREMOLO"),
    ("slow pulsing volume throb", "TREMOLO"),
    ("a stutter effect that chops the sound in rhythm", "TREMOLO"),
    ("gentle triangle wave tremolo for electric piano", "TREMOLO"),
    ("crunchy overdrive pedal", "DISTORTION"),
    ("80s fuzz pedal with hard clipping", "DISTORTION"),
    ("subtle tube saturation to add warmth to a mix bus", "DISTORTION"),
    ("heavy metal distortion with a tone knob", "DISTORTION"),
    ("gritty dirty bass drive", "DISTORTION"),
    ("soft clipper for drums, called Velvet Clip", "DISTORTION"),
    ("resonant lowpass filter for acid basslines", "FILTER"),
    ("high-pass filter to remove rumble below 80 hz", "FILTER"),
    ("telephone voice effect", "FILTER"),
    ("bass boost eq", "FILTER"),
    ("a wah style band pass sweep", "FILTER"),
    ("notch filter to kill a 60 hz hum", "FILTER"),
    ("treble shelf to add air and presence", "FILTER"),
    ("muffled underwater sound", "FILTER"),
    ("a glue compressor for the drum bus", "COMPRESSOR"),
    ("brickwall limiter for mastering at -1 db", "COMPRESSOR"),
    ("vocal leveler that evens out a performance", "COMPRESSOR"),
    ("punchy parallel compression with 4:1 ratio and a mix knob", "COMPRESSOR"),
    ("squash the drums hard, fast attack 1 ms", "COMPRESSOR"),
    ("a simple volume trim knob", "GAIN"),
    ("utility gain with smooth automation", "GAIN"),
    ("clean boost of 6 db", "GAIN"),
    ("attenuator pad -12 db", "GAIN"),
    ("something nice", "GAIN"),
]

offline = OfflinePlanner()


def test_the_corpus_is_large_and_covers_every_category() -> None:
    assert len(CORPUS) >= 40
    assert {category for _, category in CORPUS} == {
        "GAIN",
        "DELAY",
        "FILTER",
        "DISTORTION",
        "TREMOLO",
        "CHORUS",
        "REVERB",
        "COMPRESSOR",
    }


@pytest.mark.parametrize(("prompt", "category"), CORPUS)
def test_each_prompt_gives_a_valid_plan_of_its_category(prompt: str, category: str) -> None:
    plan, _ = offline.create(prompt)

    assert plan.category.value == category
    assert parse_plan(plan.to_json_dict()) == plan  # valid as stored, not only as built
    assert 50 <= len(plan.explanation) <= 500
    assert prompt[:30] in plan.explanation


def default(plan: Plan, name: str) -> float:
    return plan.parameter(name).default


def block_input(plan: Plan, block_type: str, name: str) -> object:
    return next(block.inputs.get(name) for block in plan.blocks if block.type == block_type)


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("a long delay", lambda plan: default(plan, "delayTime") > 380),
        ("a short delay", lambda plan: default(plan, "delayTime") < 380),
        ("a dark delay", lambda plan: default(plan, "tone") < 3200),
        ("a delay with lots of feedback", lambda plan: default(plan, "feedback") > 45),
        ("a delay with no feedback", lambda plan: default(plan, "feedback") == 0),
        ("a delay at 450 ms", lambda plan: default(plan, "delayTime") == 450),
        ("an echo at 2 seconds", lambda plan: default(plan, "delayTime") == 2000),
        ("an echo at 100 bpm", lambda plan: default(plan, "delayTime") == 600),
        ("a huge reverb", lambda plan: default(plan, "size") > 65),
        ("a dark reverb", lambda plan: default(plan, "damping") > 40),
        ("a fast tremolo", lambda plan: default(plan, "rate") > 5),
        ("a square wave tremolo", lambda plan: block_input(plan, "LFO", "shape") == "square"),
        ("a fuzz", lambda plan: block_input(plan, "Waveshaper", "curve") == "hardclip"),
        ("a subtle saturation", lambda plan: default(plan, "drive") < 12),
        ("a highpass filter", lambda plan: block_input(plan, "StateVariable", "mode") == "highpass"),
        ("a notch filter", lambda plan: block_input(plan, "Biquad", "mode") == "notch"),
        ("a bass boost eq", lambda plan: block_input(plan, "Biquad", "mode") == "lowshelf"),
        ("a resonant filter", lambda plan: default(plan, "resonance") > 2.5),
        ("a limiter", lambda plan: default(plan, "ratio") == 20),
        (
            "a compressor with 8:1 ratio and -30 db threshold",
            lambda plan: (default(plan, "ratio"), default(plan, "threshold")) == (8, -30),
        ),
        ("an rms compressor", lambda plan: block_input(plan, "Envelope", "detector") == "rms"),
        ("a flanger", lambda plan: plan.parameter("feedback").default > 0 and default(plan, "delay") < 6),
        ("a tremolo with a mix knob", lambda plan: "mix" in [p.name for p in plan.parameters]),
        ("a reverb with an output level knob", lambda plan: block_input(plan, "OutputGain", "gain") == "level"),
        ("a chorus with a tone control", lambda plan: block_input(plan, "OnePole", "frequency") == "tone"),
        ("a warm analog tape delay", lambda plan: plan.plugin_name == "AnalogTapeDelay"),
        ("a fuzz called Moon Fuzz", lambda plan: plan.plugin_name == "MoonFuzz"),
        ("a reverb named 'deep space'", lambda plan: plan.plugin_name == "DeepSpace"),
    ],
)
def test_a_prompt_adapts_the_template_from_the_words_it_understands(prompt: str, check: Callable[[Plan], bool]) -> None:
    plan, notes = offline.create(prompt)

    assert check(plan), (plan.to_json_dict(), notes)


Check = Callable[[Plan, Plan], bool]

FEEDBACK: list[tuple[str, str, Check]] = [
    ("tape-echo", "longer", lambda old, new: default(new, "delayTime") > default(old, "delayTime")),
    ("tape-echo", "shorter", lambda old, new: default(new, "delayTime") < default(old, "delayTime")),
    ("classic-room", "longer", lambda old, new: default(new, "size") > default(old, "size")),
    ("glue-bus", "longer", lambda old, new: default(new, "release") > default(old, "release")),
    ("tape-echo", "darker", lambda old, new: default(new, "tone") < default(old, "tone")),
    ("tape-echo", "warmer", lambda old, new: default(new, "tone") < default(old, "tone")),
    ("tape-echo", "brighter", lambda old, new: default(new, "tone") > default(old, "tone")),
    ("classic-room", "darker", lambda old, new: default(new, "damping") > default(old, "damping")),
    ("velvet-trim", "darker", lambda old, new: block_input(new, "OnePole", "frequency") == "tone"),
    ("velvet-trim", "brighter", lambda old, new: block_input(new, "Biquad", "mode") == "highshelf"),
    ("tape-echo", "more feedback", lambda old, new: default(new, "feedback") > default(old, "feedback")),
    ("tape-echo", "less feedback", lambda old, new: default(new, "feedback") < default(old, "feedback")),
    ("silk-chorus", "more feedback", lambda old, new: block_input(new, "ModulatedDelay", "feedback") == "feedback"),
    ("vintage-tremolo", "add a mix knob", lambda old, new: block_input(new, "Mix", "mix") == "mix"),
    (
        "resonant-sweep",
        "add a dry/wet knob",
        lambda old, new: [block.type for block in new.blocks][-2:] == ["Mix", "OutputGain"],
    ),
    ("tape-echo", "add an output level knob", lambda old, new: block_input(new, "OutputGain", "gain") == "level"),
    ("silk-chorus", "add a tone knob", lambda old, new: block_input(new, "OnePole", "frequency") == "tone"),
    ("silk-chorus", "add a feedback knob", lambda old, new: "feedback" in [p.name for p in new.parameters]),
    (
        "tape-echo",
        "remove tone",
        lambda old, new: (
            "tone" not in [p.name for p in new.parameters] and block_input(new, "FeedbackLoop", "damping") == 3200
        ),
    ),
    (
        "warm-drive",
        "remove tone and mix",
        lambda old, new: (
            [p.name for p in new.parameters] == ["drive", "level"] and "Mix" not in [block.type for block in new.blocks]
        ),
    ),
    ("tape-echo", "get rid of the mix knob", lambda old, new: block_input(new, "Mix", "mix") == 35),
    ("vintage-tremolo", "faster", lambda old, new: default(new, "rate") > default(old, "rate")),
    ("silk-chorus", "slower", lambda old, new: default(new, "rate") < default(old, "rate")),
    ("warm-drive", "louder", lambda old, new: default(new, "level") == default(old, "level") + 3),
    ("tape-echo", "quieter", lambda old, new: default(new, "level") == -3),
    ("classic-room", "bigger", lambda old, new: default(new, "size") > default(old, "size")),
    ("classic-room", "smaller", lambda old, new: default(new, "size") < default(old, "size")),
    ("classic-room", "narrower", lambda old, new: default(new, "width") < default(old, "width")),
    ("silk-chorus", "deeper", lambda old, new: default(new, "depth") > default(old, "depth")),
    ("vintage-tremolo", "smoother", lambda old, new: default(new, "softness") > default(old, "softness")),
    ("vintage-tremolo", "choppier", lambda old, new: default(new, "softness") < default(old, "softness")),
    ("warm-drive", "more intense", lambda old, new: default(new, "drive") > default(old, "drive")),
    (
        "glue-bus",
        "heavier",
        lambda old, new: (
            default(new, "ratio") > default(old, "ratio") and default(new, "threshold") < default(old, "threshold")
        ),
    ),
    ("warm-drive", "subtler", lambda old, new: default(new, "drive") < default(old, "drive")),
    ("warm-drive", "less intense", lambda old, new: default(new, "drive") < default(old, "drive")),
    ("vintage-tremolo", "more depth", lambda old, new: default(new, "depth") > default(old, "depth")),
    ("vintage-tremolo", "a lot more depth", lambda old, new: default(new, "depth") - default(old, "depth") == 40),
    ("vintage-tremolo", "a bit less depth", lambda old, new: default(old, "depth") - default(new, "depth") == 10),
    ("resonant-sweep", "lower the cutoff", lambda old, new: default(new, "cutoff") < default(old, "cutoff")),
    ("tape-echo", "turn the feedback up", lambda old, new: default(new, "feedback") > default(old, "feedback")),
    ("tape-echo", "set feedback to 60%", lambda old, new: default(new, "feedback") == 60),
    ("tape-echo", "set the delay time to 2000", lambda old, new: default(new, "delayTime") == 2000),
    ("tape-echo", "time at 2 s", lambda old, new: new.parameter("delayTime").max >= 2000),
    ("glue-bus", "ratio 8:1", lambda old, new: default(new, "ratio") == 8),
    (
        "tape-echo",
        "feedback from 10 to 80",
        lambda old, new: (new.parameter("feedback").min, new.parameter("feedback").max) == (10, 80),
    ),
    ("vintage-tremolo", "square wave", lambda old, new: block_input(new, "LFO", "shape") == "square"),
    ("vintage-tremolo", "triangle", lambda old, new: block_input(new, "LFO", "shape") == "triangle"),
    ("warm-drive", "hard clip", lambda old, new: block_input(new, "Waveshaper", "curve") == "hardclip"),
    ("resonant-sweep", "highpass", lambda old, new: block_input(new, "StateVariable", "mode") == "highpass"),
    ("resonant-sweep", "bandpass", lambda old, new: block_input(new, "StateVariable", "mode") == "bandpass"),
    ("resonant-sweep", "notch", lambda old, new: block_input(new, "Biquad", "mode") == "notch"),
    ("glue-bus", "rms detector", lambda old, new: block_input(new, "Envelope", "detector") == "rms"),
    ("tape-echo", "call it Moon Echo", lambda old, new: new.plugin_name == "MoonEcho"),
    ("tape-echo", "grid layout", lambda old, new: new.ui_layout == "grid"),
    (
        "tape-echo",
        "longer, darker and with more feedback",
        lambda old, new: (
            default(new, "delayTime") > 380 and default(new, "tone") < 3200 and default(new, "feedback") > 45
        ),
    ),
]


@pytest.mark.parametrize(("template", "feedback", "check"), FEEDBACK, ids=[f"{t}: {f}" for t, f, _ in FEEDBACK])
def test_each_kind_of_feedback_is_applied(template: str, feedback: str, check: Check) -> None:
    before = load_template(template)

    after, notes = offline.revise(before, feedback)

    assert check(before, after), (after.to_json_dict(), notes)
    assert notes[0].startswith("Applied: ")
    assert parse_plan(after.to_json_dict()) == after
    assert "Knobs: " in after.explanation


@pytest.mark.parametrize(
    ("template", "feedback", "reason"),
    [
        ("tape-echo", "please sing a song", "I did not understand"),
        ("velvet-trim", "more feedback", "feedback needs a delay line"),
        ("tape-echo", "add a mix knob", "already has a Mix knob"),
        ("classic-room", "wider", "already at its maximum"),
        ("tape-echo", "remove the sparkle", "no knob called"),
    ],
)
def test_feedback_that_cannot_be_applied_says_why_and_changes_nothing(
    template: str, feedback: str, reason: str
) -> None:
    with pytest.raises(NotUnderstood, match=reason) as raised:
        offline.revise(load_template(template), feedback)
    assert "I understand: longer/shorter" in str(raised.value)


def test_a_clause_that_cannot_be_applied_is_reported_beside_those_that_were() -> None:
    plan, notes = offline.revise(load_template("classic-room"), "bigger and wider, and whistle")

    assert default(plan, "size") > 65
    assert notes[1:] == ["Not applied: wider: Width is already at its maximum (100%).", "Not understood: 'whistle'."]

    plan, notes = offline.revise(load_template("velvet-trim"), "remove glide and trim")

    assert [parameter.name for parameter in plan.parameters] == ["trim"]
    assert notes[1:] == ["Not applied: trim: a plan needs at least one knob."]


def test_offline_is_the_default_with_no_key_and_a_failed_turn_keeps_the_plan() -> None:
    planner = Planner(PlannerSettings())  # no keys anywhere
    first = planner.turn("a warm tape delay")
    assert first.ok and first.backend == "offline" and first.plan is not None

    second = planner.turn("longer", current=first.plan)
    assert second.ok and second.diff is not None and second.diff.parameters_changed

    failed = planner.turn("whistle a tune", current=second.plan)
    assert not failed.ok and failed.current is second.plan and failed.reply.endswith("The plan is unchanged.")


VOCABULARY = sorted(
    {keyword.rstrip("*") for keywords in CATEGORY_WORDS.values() for keyword in keywords}
    | {word for adjectives, _, _ in DESCRIPTIONS for word in adjectives}
    | {noun for role in ROLES.values() for noun in role.nouns}
    | {word for triggers, _ in ADJECTIVES for word in triggers}
    | {word for aspect in ASPECTS for word in (*aspect.more, *aspect.less, *aspect.nouns)}
    | {word for triggers, _ in CHOICES for word in triggers}
    | set(word_list("remove add set to from and with more less a lot bit knob , . 10 -5 0 99999 -99999 ms hz db %"))
    | set(word_list("4:1 s bpm called Foo"))
)
phrases = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=10).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(prompt=phrases, feedback=st.lists(phrases, max_size=3))
def test_any_words_give_a_valid_plan_and_any_feedback_a_valid_plan_or_a_reason(
    prompt: str, feedback: list[str]
) -> None:
    plan, _ = offline.create(prompt)
    for message in feedback:
        try:
            plan, _ = offline.revise(plan, message)
        except NotUnderstood as refusal:
            assert "went wrong" not in str(refusal)
        assert parse_plan(plan.to_json_dict()) == plan
