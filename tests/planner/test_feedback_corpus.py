"""A corpus of feedback messages, each applied by the offline planner to a template it concerns and checked by
measuring the reference model before and after (dsp.measure, at the defaults, 48 kHz): the quantity the words
are about must move the asked way by at least a margin a musician would notice. A case the planner cannot
honour must be refused with its reason (the plan unchanged for that part). The margins and the quantity of
each case are this module's own, not the planner's request table: the planner is checked, not echoed.

`run_case` and `CORPUS` are also what benchmarks/bench_feedback_corpus.py prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaist_lab.dsp.measure import measure
from vaist_lab.plan import Plan
from vaist_lab.plan.io import load_template
from vaist_lab.planner.offline import NotUnderstood, OfflinePlanner


@dataclass(frozen=True)
class Case:
    message: str
    template: str
    quantity: str = ""  # "section.field" that must move; "" for a case the planner must refuse
    direction: int = 0  # +1: must rise, -1: must fall
    reason: str = ""  # for a refusal: what its reason must say


def up(message: str, template: str, quantity: str) -> Case:
    return Case(message, template, quantity, 1)


def down(message: str, template: str, quantity: str) -> Case:
    return Case(message, template, quantity, -1)


def refused(message: str, template: str, reason: str) -> Case:
    return Case(message, template, reason=reason)


HF_LOSS, TAIL_HZ, CENTROID = "echo.hf_loss_per_repeat_db", "reverb.tail_centroid_hz", "tone.centroid_hz"
LOW_END, LEVEL, RT60 = "tone.low_end_db", "tone.level_change_db", "reverb.rt60_s"

CORPUS: tuple[Case, ...] = (
    up("darker", "tape-echo", HF_LOSS),
    down("darker", "classic-room", TAIL_HZ),
    down("darker", "warm-drive", CENTROID),
    down("darker", "velvet-trim", CENTROID),
    up("darker repeats", "tape-echo", HF_LOSS),
    down("brighter repeats", "tape-echo", HF_LOSS),
    up("brighter", "classic-room", TAIL_HZ),
    up("brighter", "resonant-sweep", "filter.cutoff_hz"),
    down("warmer", "silk-chorus", CENTROID),
    up("more air", "glue-bus", CENTROID),
    down("a bit darker", "resonant-sweep", "filter.cutoff_hz"),
    down("a lot brighter", "tape-echo", HF_LOSS),
    up("longer tail", "classic-room", RT60),
    up("longer tail", "tape-echo", "echo.decay_to_minus_60_db_s"),
    down("shorter tail", "classic-room", RT60),
    up("longer", "tape-echo", "echo.repeat_spacing_ms"),
    down("shorter", "tape-echo", "echo.repeat_spacing_ms"),
    up("longer", "glue-bus", "compressor.release_ms"),
    up("longer", "velvet-trim", "glide.glide_ms"),
    down("less fizz", "warm-drive", "distortion.high_harmonics_dbc"),
    up("more fizz", "warm-drive", "distortion.high_harmonics_dbc"),
    up("more grit", "warm-drive", "distortion.thd_percent"),
    down("less distortion", "warm-drive", "distortion.thd_percent"),
    down("subtler", "warm-drive", "distortion.thd_percent"),
    up("more squash", "glue-bus", "compressor.gain_reduction_db"),
    down("less compression", "glue-bus", "compressor.gain_reduction_db"),
    down("faster attack", "glue-bus", "compressor.attack_ms"),
    up("slower release", "glue-bus", "compressor.release_ms"),
    down("shorter release", "glue-bus", "compressor.release_ms"),
    down("slower", "vintage-tremolo", "tremolo.rate_hz"),
    up("faster", "silk-chorus", "chorus.rate_hz"),
    down("slower", "silk-chorus", "chorus.rate_hz"),
    up("deeper wobble", "vintage-tremolo", "tremolo.depth_db"),
    down("shallower", "vintage-tremolo", "tremolo.depth_db"),
    up("deeper", "silk-chorus", "chorus.depth_ms"),
    down("tighter low end", "warm-drive", LOW_END),
    down("tighter low end", "tape-echo", LOW_END),
    down("less mud", "classic-room", LOW_END),
    up("more bass", "glue-bus", LOW_END),
    up("more resonance", "resonant-sweep", "filter.resonance_peak_db"),
    down("less resonance", "resonant-sweep", "filter.resonance_peak_db"),
    down("lower the cutoff", "resonant-sweep", "filter.cutoff_hz"),
    up("more repeats", "tape-echo", "echo.audible_repeats"),
    down("fewer repeats", "tape-echo", "echo.audible_repeats"),
    up("more intense", "tape-echo", "echo.audible_repeats"),
    up("bigger", "classic-room", RT60),
    up("narrower", "classic-room", "reverb.stereo_correlation"),
    up("louder", "vintage-tremolo", LEVEL),
    down("quieter", "warm-drive", LEVEL),
    refused("more squash", "tape-echo", "no threshold or ratio knob"),
    refused("faster attack", "classic-room", "no attack knob"),
    refused("more resonance", "warm-drive", "no resonance knob"),
    refused("wider", "classic-room", "already at its maximum"),
    refused("less fizz", "tape-echo", "could not honour it"),
    refused("longer tail", "glue-bus", "no room size or feedback knob"),
    refused("slower", "tape-echo", "no rate knob"),
    refused("more grit", "silk-chorus", "no drive knob"),
)

# What a musician would notice: dB-like quantities by half a decibel, times and frequencies by 3 %.
ABSOLUTE_MARGINS = {"db": 0.5, "dbc": 0.5, "repeats": 1.0, "correlation": 0.05}
RELATIVE_MARGIN = 0.03


def margin(quantity: str, old: float) -> float:
    unit = quantity.rsplit("_", 1)[-1]
    return ABSOLUTE_MARGINS.get(unit, RELATIVE_MARGIN * abs(old))


@dataclass(frozen=True)
class Outcome:
    case: Case
    claimed: bool  # the planner said it applied the request
    reason: str  # what it said when it did not
    old: float | None = None
    new: float | None = None

    @property
    def moved_right(self) -> bool:
        if self.old is None or self.new is None:
            return False
        return self.case.direction * (self.new - self.old) >= margin(self.case.quantity, self.old)

    @property
    def as_expected(self) -> bool:
        if not self.case.quantity:
            return not self.claimed and self.case.reason in self.reason
        return self.claimed and self.moved_right


offline = OfflinePlanner()


def _measured(plan: Plan, quantity: str) -> float | None:
    section = quantity.split(".")[0]
    return measure(plan, sections=(section,)).quantities().get(quantity)


def run_case(case: Case) -> Outcome:
    """Apply the message offline; measure the case's quantity before and after when the planner claims it."""
    before = load_template(case.template)
    try:
        after, notes = offline.revise(before, case.message)
    except NotUnderstood as refusal:
        return Outcome(case, False, str(refusal))
    not_applied = [note for note in notes if note.startswith(("Not applied", "Not understood"))]
    if not_applied:
        return Outcome(case, False, " ".join(not_applied))
    if not case.quantity:
        return Outcome(case, True, "")
    return Outcome(case, True, "", _measured(before, case.quantity), _measured(after, case.quantity))


def summary(outcomes: list[Outcome]) -> str:
    honoured = [outcome for outcome in outcomes if outcome.case.quantity]
    lines = [f"{'template':<16} {'message':<20} {'quantity':<34} {'before':>9} {'after':>9}  verdict"]
    for outcome in outcomes:
        case = outcome.case
        if case.quantity:
            verdict = "moves right" if outcome.as_expected else "WRONG"
            old = f"{outcome.old:9.3g}" if outcome.old is not None else f"{'-':>9}"
            new = f"{outcome.new:9.3g}" if outcome.new is not None else f"{'-':>9}"
            lines.append(f"{case.template:<16} {case.message:<20} {case.quantity:<34} {old} {new}  {verdict}")
        else:
            verdict = "refused, says why" if outcome.as_expected else "NOT REFUSED AS EXPECTED"
            lines.append(
                f"{case.template:<16} {case.message:<20} {'(cannot be honoured)':<34} {'':>9} {'':>9}  {verdict}"
            )
    right = sum(outcome.as_expected for outcome in honoured)
    said = sum(outcome.as_expected for outcome in outcomes if not outcome.case.quantity)
    lines.append(
        f"{right} of {len(honoured)} honoured cases move the right way; "
        f"{said} of {len(outcomes) - len(honoured)} that cannot be honoured are refused with their reason "
        f"({len({case.message for case in CORPUS})} distinct messages, {len(outcomes)} cases)"
    )
    return "\n".join(lines)


def test_the_corpus_is_large_and_covers_every_template() -> None:
    assert len({case.message for case in CORPUS}) >= 30
    assert {case.template for case in CORPUS} == {
        "classic-room",
        "glue-bus",
        "resonant-sweep",
        "silk-chorus",
        "tape-echo",
        "velvet-trim",
        "vintage-tremolo",
        "warm-drive",
    }


def test_every_request_the_planner_honours_moves_its_measurement_and_the_rest_are_refused_with_a_reason() -> None:
    outcomes = [run_case(case) for case in CORPUS]
    print("\n" + summary(outcomes))

    wrong = [outcome for outcome in outcomes if outcome.claimed and outcome.case.quantity and not outcome.moved_right]
    assert not wrong, [(o.case, o.old, o.new) for o in wrong]  # nothing claimed is false
    silent = [outcome for outcome in outcomes if outcome.claimed and not outcome.case.quantity]
    assert not silent, [o.case for o in silent]  # nothing impossible is claimed
    unexpected = [outcome for outcome in outcomes if not outcome.as_expected]
    assert not unexpected, [(o.case, o.reason) for o in unexpected]  # and the corpus keeps its coverage
