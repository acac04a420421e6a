"""The plan checked against the request: after every turn the new plan and the one before it are measured
(`dsp.measure`, the reference model at the plan's defaults, 48 kHz), and the turn says in numbers what moved
and whether what the musician asked for (`planner.requests`) moved the way they asked.

- `QUANTITIES`: every measured quantity with its label, unit, the smallest change that counts (its margin)
  and how a sentence says it;
- `measured_quantities`: a plan's measurements, cached by the plan's canonical JSON;
- `judge`: one request against two plans' measurements: the first of its concerns that moved by its margin
  decides (honoured, or the wrong way), none moving is "not achieved", none measured is "not measured";
- `check_turn`: a turn's `TurnCheck` (the requests judged, the facts that moved), which the reply states and
  the chat shows; `provider_notes`: the measured facts (and what the last plan failed to do) for the AI's next
  request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from vaist_lab.plan import Category, Plan
from vaist_lab.planner.negotiation import Turn, canonical_json
from vaist_lab.planner.requests import Request, requests_in


@dataclass(frozen=True)
class Quantity:
    label: str
    unit: str
    margin: float  # the smallest change that counts: in the unit, or a fraction when `relative`
    says: str  # a sentence with {value}: "each repeat loses {value} more at 5 kHz than at 500 Hz"
    relative: bool = False
    headline: bool = True  # shown for a first plan and given to the AI

    def show(self, value: float) -> str:
        if self.unit == "Hz":
            return f"{value / 1000:.3g} kHz" if abs(value) >= 1000 else f"{value:.0f} Hz"
        if self.unit in ("ms", "cents"):
            return f"{value:.3g} {self.unit}"
        if self.unit == "s":
            return f"{value:.2f} s"
        if self.unit.startswith("dB"):
            return f"{value:.1f} {self.unit}"
        if self.unit == "%":
            return f"{value:.3g} %"
        if self.unit == ":1":
            return f"{value:.1f}:1"
        if self.unit == "x":
            return f"{value:.2f}x"
        if self.unit == "repeats":
            return f"{value:.0f}"
        return f"{value:.2f}"


def _decibels(label: str, says: str, margin: float = 0.5, unit: str = "dB", headline: bool = True) -> Quantity:
    return Quantity(label, unit, margin, says, headline=headline)


def _scaled(label: str, unit: str, says: str, margin: float = 0.03, headline: bool = True) -> Quantity:
    return Quantity(label, unit, margin, says, relative=True, headline=headline)


QUANTITIES: dict[str, Quantity] = {
    "echo.repeat_spacing_ms": _scaled("repeat spacing", "ms", "the repeats come every {value}"),
    "echo.level_drop_per_repeat_db": _decibels(
        "level drop per repeat", "each repeat is {value} quieter than the one before", 0.3
    ),
    "echo.hf_loss_per_repeat_db": _decibels(
        "HF loss per repeat (5 kHz against 500 Hz)", "each repeat loses {value} more at 5 kHz than at 500 Hz", 0.3
    ),
    "echo.audible_repeats": Quantity("repeats within 60 dB", "repeats", 1.0, "{value} repeats stay within 60 dB"),
    "echo.decay_to_minus_60_db_s": _scaled("echo decay to -60 dB", "s", "the echoes fade 60 dB in {value}", 0.05),
    "reverb.rt60_s": _scaled("RT60", "s", "the tail decays 60 dB in {value}", 0.05),
    "reverb.tail_centroid_hz": _scaled("tail brightness (centroid)", "Hz", "the tail's spectral centroid is {value}"),
    "reverb.hf_lf_decay_ratio": Quantity(
        "HF/LF decay (RT60 at 4 kHz / 500 Hz)", "x", 0.03, "the highs ring {value} as long as the lows"
    ),
    "reverb.stereo_correlation": Quantity(
        "left/right correlation", "", 0.05, "left and right correlate at {value} (1 is mono)"
    ),
    "filter.cutoff_hz": _scaled("cutoff (-3 dB)", "Hz", "the -3 dB point is at {value}"),
    "filter.slope_db_per_octave": _decibels("roll-off", "it rolls off {value} per octave", 1.0, "dB/oct"),
    "filter.resonance_peak_db": _decibels("resonance peak", "the resonance peaks {value} above the passband"),
    "distortion.thd_percent": _scaled("THD at -12 dBFS", "%", "THD is {value} at -12 dBFS", 0.1),
    "distortion.harmonic2_dbc": _decibels("2nd harmonic", "the 2nd harmonic is at {value}", 1.0, "dBc", False),
    "distortion.harmonic3_dbc": _decibels("3rd harmonic", "the 3rd harmonic is at {value}", 1.0, "dBc", False),
    "distortion.harmonic4_dbc": _decibels("4th harmonic", "the 4th harmonic is at {value}", 1.0, "dBc", False),
    "distortion.harmonic5_dbc": _decibels("5th harmonic", "the 5th harmonic is at {value}", 1.0, "dBc", False),
    "distortion.high_harmonics_dbc": _decibels(
        "fizz (harmonics 4-10)", "the harmonics from the 4th up sit at {value}", 1.0, "dBc"
    ),
    "distortion.output_level_dbfs": _decibels(
        "output at -12 dBFS in", "a -12 dBFS sine comes out at {value}", 0.5, "dBFS"
    ),
    "compressor.gain_reduction_db": _decibels(
        "gain reduction at -10 dBFS", "it turns a -10 dBFS sine down by {value}", 0.3
    ),
    "compressor.attack_ms": _scaled("attack (to 63 %)", "ms", "the attack takes {value} to 63 %", 0.05),
    "compressor.release_ms": _scaled("release (to 63 %)", "ms", "the release takes {value} to 63 %", 0.05),
    "compressor.ratio": _scaled("ratio", ":1", "the ratio is {value}", 0.05),
    "tremolo.rate_hz": _scaled("rate", "Hz", "it pulses at {value}"),
    "tremolo.depth_db": _decibels("depth", "the level dips {value}"),
    "chorus.rate_hz": _scaled("rate", "Hz", "it sweeps at {value}"),
    "chorus.centre_delay_ms": _scaled("delay", "ms", "the delay centres on {value}"),
    "chorus.depth_ms": _scaled("delay swing", "ms", "the delay swings {value} either way", 0.05),
    "chorus.depth_cents": _scaled("pitch bend", "cents", "the pitch bends up to {value}", 0.05),
    "glide.glide_ms": _scaled("glide", "ms", "a knob move glides over {value}", 0.05),
    "tone.centroid_hz": _scaled("brightness (spectral centroid)", "Hz", "the spectral centroid is {value}"),
    "tone.tilt_db_per_octave": _decibels("tilt", "the response tilts {value}", 0.2, "dB/oct", headline=False),
    "tone.low_end_db": _decibels(
        "low end (31.5-125 Hz against 0.5-2 kHz)", "the low end sits at {value} against the mids"
    ),
    "tone.level_change_db": _decibels("level change (pink noise)", "pink noise comes out at {value} against its input"),
}


def movement(quantity: str, old: float, new: float) -> int:
    """+1 when `new` is above `old` by at least the quantity's margin, -1 below, else 0."""
    spec = QUANTITIES[quantity]
    margin = spec.margin * max(abs(old), 1e-9) if spec.relative else spec.margin
    difference = new - old
    return 0 if abs(difference) < margin else (1 if difference > 0 else -1)


# -- measuring, cached ----------------------------------------------------------------------------------------

_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, frozenset[str] | None], dict[str, float]] = OrderedDict()
_cache_lock = threading.Lock()


def measured_quantities(plan: Plan, sections: Collection[str] | None = None) -> dict[str, float]:
    """The plan's measurements as "section.field" -> value (only `sections` when given), remembered for the
    last plans measured: a turn measures the plan the previous turn measured."""
    key = (canonical_json(plan), frozenset(sections) if sections is not None else None)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return dict(_cache[key])
    # imported here: scipy's signal and stats cost a second, which every CLI command, build worker and service
    # that only names these types would otherwise pay
    from vaist_lab.dsp.measure import REFERENCE_RATE, measure

    found = measure(plan, sample_rate=REFERENCE_RATE, sections=sections).quantities()
    with _cache_lock:
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return dict(found)


def sections_of(request: Request) -> set[str]:
    """The measurement sections a request's concerns read."""
    return {concern.quantity.split(".")[0] for concern in request.aspect.concerns}


# -- facts and verdicts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasuredFact:
    """One measured quantity of a turn, as plain data: its value before and after (None where the plan had no
    such measurement), `change` +1 / -1 when it rose / fell by at least its margin; for a fact that answers a
    request, the musician's words and whether it moved their way."""

    quantity: str  # "echo.hf_loss_per_repeat_db"
    label: str
    unit: str
    old: float | None
    new: float | None
    change: int
    text: str  # "RT60 1.46 s -> 1.62 s"
    asked: str = ""
    honoured: bool | None = None


def fact(
    quantity: str,
    old: float | None,
    new: float | None,
    asked: str = "",
    honoured: bool | None = None,
) -> MeasuredFact:
    spec = QUANTITIES[quantity]
    change = movement(quantity, old, new) if old is not None and new is not None else 0
    if old is None:
        text = f"{spec.label} {spec.show(new)}" if new is not None else spec.label
    elif new is None:
        text = f"{spec.label} {spec.show(old)} -> (none)"
    else:
        text = f"{spec.label} {spec.show(old)} -> {spec.show(new)}"
    return MeasuredFact(quantity, spec.label, spec.unit, old, new, change, text, asked, honoured)


Verdict = Literal["honoured", "wrong way", "not achieved", "not measured"]


@dataclass(frozen=True)
class RequestCheck:
    """A request judged: by `fact` (None when no measurement of the plan covers it); `wanted` the direction
    that fact had to move (+1 / -1)."""

    words: str
    aspect: str
    verdict: Verdict
    fact: MeasuredFact | None = None
    wanted: int = 0

    @property
    def honoured(self) -> bool:
        return self.verdict == "honoured"

    def sentence(self) -> str:
        """ "You asked: darker repeats -> measured: each repeat loses 8.1 dB more at 5 kHz than at 500 Hz (was
        5.4 dB)." """
        asked = f"You asked: {self.words}"
        if self.fact is None or self.fact.new is None:
            return f"{asked} -> not measured: no measurement of this plan covers {self.aspect}."
        spec = QUANTITIES[self.fact.quantity]
        said = spec.says.format(value=spec.show(self.fact.new))
        was = f" (was {spec.show(self.fact.old)})" if self.fact.old is not None else ""
        lead = {"honoured": "measured", "wrong way": "moved the wrong way", "not achieved": "not achieved"}
        return f"{asked} -> {lead[self.verdict]}: {said}{was}."


def judge(
    request: Request, before: Mapping[str, float], after: Mapping[str, float], category: Category
) -> RequestCheck:
    """The request against two plans' measurements: the first of its concerns (for this category) that moved by
    its margin decides; none moved: "not achieved", judged by the first measured; none measured: "not measured"."""
    available = [c for c in request.aspect.concerns_for(category) if c.quantity in before and c.quantity in after]
    name = request.aspect.name
    if not available:
        return RequestCheck(request.words, name, "not measured")
    for concern in available:
        old, new = before[concern.quantity], after[concern.quantity]
        moved = movement(concern.quantity, old, new)
        if moved:
            wanted = concern.sign * request.direction
            verdict: Verdict = "honoured" if moved == wanted else "wrong way"
            return RequestCheck(
                request.words, name, verdict, fact(concern.quantity, old, new, request.words, moved == wanted), wanted
            )
    first = available[0]
    old, new = before[first.quantity], after[first.quantity]
    return RequestCheck(
        request.words, name, "not achieved", fact(first.quantity, old, new, request.words, False), first.sign
    )


@dataclass(frozen=True)
class TurnCheck:
    """What a turn's plan measures: the requests judged and the facts to show (those that answer a request
    first, then the others that moved; for a first plan its headline facts)."""

    requests: tuple[RequestCheck, ...] = ()
    facts: tuple[MeasuredFact, ...] = ()

    def lines(self) -> list[str]:
        """The reply's lines: a sentence per request, then what else moved (or, first plan, what it measures)."""
        lines = [check.sentence() for check in self.requests]
        others = [item.text for item in self.facts if not item.asked]
        if others:
            first_plan = all(item.old is None for item in self.facts)
            lines.append(("Measured: " if first_plan else "Also moved: ") + "; ".join(others) + ".")
        return lines


def check_turn(previous: Plan | None, plan: Plan, message: str) -> TurnCheck:
    """Measure `plan` (and `previous`) and judge the requests of `message` (none for a first plan)."""
    after = measured_quantities(plan)
    if previous is None:
        return TurnCheck((), tuple(fact(key, None, after[key]) for key in _headlines(after)))
    before = measured_quantities(previous)
    checks = tuple(judge(request, before, after, plan.category) for request in requests_in(message))
    asked = [check.fact for check in checks if check.fact is not None]
    shown = {item.quantity for item in asked}
    moved = [
        fact(key, before.get(key), after.get(key))
        for key in QUANTITIES
        if key not in shown
        and (key in before or key in after)
        and (key not in before or key not in after or movement(key, before[key], after[key]))
    ]
    return TurnCheck(checks, (*asked, *moved))


def _headlines(measured: Mapping[str, float]) -> list[str]:
    return [key for key, spec in QUANTITIES.items() if spec.headline and key in measured]


# -- for the AI ---------------------------------------------------------------------------------------------------


def provider_notes(current: Plan, history: Sequence[Turn]) -> str:
    """What the AI's next revision is told of the current plan: its measured facts, and every request of the
    last turn that its plan did not honour, so that it can correct itself."""
    measured = measured_quantities(current)
    lines = ["Measured on the current plan (its NumPy reference model at the defaults, 48 kHz):"]
    lines += [f"- {QUANTITIES[key].label}: {QUANTITIES[key].show(measured[key])}" for key in _headlines(measured)]
    missed = [check for check in _last_turn_checks(history) if not check.honoured]
    if missed:
        lines += ["", "Your last plan did not do what the musician asked:"]
        for check in missed:
            lines.append(f"- {_missed(check)}")
        lines.append("Correct this in the revision.")
    return "\n".join(lines)


def _missed(check: RequestCheck) -> str:
    said = f"they said {check.words!r}"
    if check.fact is None or check.fact.old is None or check.fact.new is None:
        return f"{said}, but no measurement of the plan covers {check.aspect}: change the plan so that one does."
    spec = QUANTITIES[check.fact.quantity]
    should = "rise" if check.wanted > 0 else "fall"
    how = "moved the wrong way" if check.verdict == "wrong way" else "did not move enough"
    return (
        f"{said}, so {spec.label} should {should}, but it {how}: measured "
        f"{spec.show(check.fact.old)} -> {spec.show(check.fact.new)}."
    )


def _last_turn_checks(history: Sequence[Turn]) -> tuple[RequestCheck, ...]:
    """The requests of the last turn that proposed a plan, judged against the plan before it."""
    snapshots = [index for index, turn in enumerate(history) if turn.role == "assistant" and turn.plan_json]
    if len(snapshots) < 2:
        return ()
    last, before = snapshots[-1], snapshots[-2]
    asked = next((turn.content for turn in reversed(history[before:last]) if turn.role == "user"), None)
    previous, plan = history[before].plan, history[last].plan
    if asked is None or previous is None or plan is None:
        return ()
    return check_turn(previous, plan, asked).requests


__all__ = [
    "QUANTITIES",
    "MeasuredFact",
    "Quantity",
    "RequestCheck",
    "TurnCheck",
    "check_turn",
    "fact",
    "judge",
    "measured_quantities",
    "movement",
    "provider_notes",
    "sections_of",
]
