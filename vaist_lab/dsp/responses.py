"""Analysis of a plan's chain, apart from its design and its processing (in the scipy.signal spirit).

Every measurement runs test signals through a fresh `Chain`, so it describes exactly what the model
(and so the plugin) does. Each function returns a plain dataclass of numpy arrays:

- `impulse_response`: a unit impulse in *both* channels, i.e. a centred mono source, which is what a
  stereo chain's single transfer function describes (a reverb's mono sum sees it as mono input);
- `frequency_response`: exact from `Chain.response` for linear time-invariant chains, otherwise
  measured from the impulse response's FFT (left channel);
- `transfer_curve`, `harmonic_spectrum`: the static curve and the distortion of nonlinear chains;
- `control_traces`: the LFO, gain and level signals of modulated chains;
- `analyse`: whichever of these apply to a plan, together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vaist_lab.dsp.chain import Chain
from vaist_lab.dsp.shapes import db_to_gain
from vaist_lab.plan import Plan

NONLINEAR_BLOCKS = frozenset({"Waveshaper", "TanhSaturation", "SoftClip", "GainReduction"})
MODULATED_BLOCKS = frozenset({"LFO", "ModulatedDelay", "Envelope"})
# Blocks with a static input -> output curve; the transfer curve bypasses every other block.
STATIC_BLOCKS = frozenset(
    {
        "LinearGain",
        "DecibelGain",
        "SmoothRamp",
        "Waveshaper",
        "TanhSaturation",
        "SoftClip",
        "Envelope",
        "GainReduction",
        "MakeupGain",
        "Mix",
        "OutputGain",
    }
)

IMPULSE_SECONDS = (0.05, 10.0)  # bounds of an impulse response's length
DECAYED_DB = -60.0  # an impulse response is long enough once its last tenth is this far below its peak
SMALL_SIGNAL = 1e-4  # -80 dBFS: the impulse that measures a nonlinear chain's small-signal response
MIN_FFT = 1 << 15  # 1.5 Hz bins at 48 kHz: fine enough for the 10 Hz end of the log axis
DENSE_GRID = (1 << 12, 1 << 15)  # bounds of the dense grid behind an exact response's phase and range
FINE_STRUCTURE_DB = 1.0
FLOOR_DB = -240.0  # levels of exact zeros, so that logs stay finite
CURVE_SAMPLE_RATE = 8000.0  # where static curves are measured
ANALYSIS_BLOCK = 8192  # samples per chain call while measuring: fewer Python round trips

Values = Mapping[str, float] | None
Method = Literal["auto", "exact", "measured"]


@dataclass(frozen=True)
class ImpulseResponse:
    time_s: np.ndarray  # (samples,)
    samples: np.ndarray  # (2, samples): left and right output for a unit impulse in both channels
    sample_rate: float
    amplitude: float  # of the impulse sent; samples are divided by it


@dataclass(frozen=True)
class FrequencyResponse:
    frequency_hz: np.ndarray
    magnitude_db: np.ndarray
    phase_deg: np.ndarray  # unwrapped
    method: Literal["exact", "measured"]
    sample_rate: float
    # ranges over each point's share of a dense linear grid: fine structure (a delay's comb, a reverb's
    # modes) that the log-spaced points alone would alias
    magnitude_min_db: np.ndarray
    magnitude_max_db: np.ndarray
    phase_min_deg: np.ndarray
    phase_max_deg: np.ndarray
    # whether the magnitude rises and falls by more than FINE_STRUCTURE_DB between neighbouring points
    fine_structure: bool


@dataclass(frozen=True)
class TransferCurve:
    input: np.ndarray
    output: np.ndarray
    scale: Literal["amplitude", "dB"]  # DC amplitude -1..1, or (for compressors) input/output level in dB
    bypassed: tuple[str, ...]  # block types left out because they have no static curve


@dataclass(frozen=True)
class HarmonicSpectrum:
    fundamental_hz: float  # the test frequency, moved onto an FFT bin
    level_db: float  # of the test sine, dBFS peak
    harmonic: np.ndarray  # 1, 2, ... up to Nyquist
    frequency_hz: np.ndarray
    level_dbfs: np.ndarray  # output level of each harmonic, dB re full-scale peak
    thd_percent: float  # sqrt(sum of harmonics 2.. squared) / fundamental


@dataclass(frozen=True)
class ControlTraces:
    time_s: np.ndarray
    traces: dict[str, np.ndarray]  # as the blocks publish them: lfo, gain, level_db, gain_reduction_db ...
    stimulus: str
    output: np.ndarray  # the left output of the test signal
    input_level_db: np.ndarray | None = None  # the burst's level, for compressors


@dataclass(frozen=True)
class Analysis:
    values: dict[str, float]  # every parameter's value, defaults filled in
    sample_rate: float
    impulse: ImpulseResponse | None = None
    frequency: FrequencyResponse | None = None
    transfer: TransferCurve | None = None
    harmonics: HarmonicSpectrum | None = None
    controls: ControlTraces | None = None
    notes: list[str] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------------------


def resolved_values(plan: Plan, values: Values = None) -> dict[str, float]:
    given = dict(values or {})
    return {parameter.name: float(given.get(parameter.name, parameter.default)) for parameter in plan.parameters}


def is_nonlinear(plan: Plan) -> bool:
    return any(block.type in NONLINEAR_BLOCKS for block in plan.blocks)


def is_modulated(plan: Plan) -> bool:
    return any(block.type in MODULATED_BLOCKS for block in plan.blocks)


def prepared_chain(plan: Plan, values: Values, sample_rate: float) -> Chain:
    chain = Chain(plan, values)
    chain.prepare(sample_rate, max_block=ANALYSIS_BLOCK, channels=2)
    return chain


def input_value(chain: Chain, block_type: str, name: str) -> float | None:
    """The value of the first `block_type` block's numeric input, or None if the chain has no such block."""
    for block, binding in zip(chain.blocks, chain.bindings, strict=True):
        if block.type == block_type:
            bound = binding[name]
            return chain.smoothers[bound].target if isinstance(bound, str) else float(bound)
    return None


def _level_db(amplitude: np.ndarray | float) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(np.abs(amplitude), db_to_gain(FLOOR_DB)))


def _next_power_of_two(n: float) -> int:
    return 1 << max(0, math.ceil(math.log2(max(n, 1.0))))


def _log_frequencies(sample_rate: float, n_points: int) -> np.ndarray:
    return np.geomspace(10.0, sample_rate / 2.0, n_points)


# -- linear responses ---------------------------------------------------------------------------------


def impulse_response(
    plan: Plan, values: Values, sample_rate: float, length_s: float | None = None, amplitude: float = 1.0
) -> ImpulseResponse:
    """The chain's response to an impulse of `amplitude` in both channels, divided by `amplitude`.

    Without `length_s` the length starts at the chain's tail_seconds and doubles (within IMPULSE_SECONDS)
    until its last tenth has decayed DECAYED_DB below the peak, so a ringing filter whose block reports
    no tail is not cut short.
    """
    if not amplitude > 0.0:
        raise ValueError(f"impulse amplitude {amplitude:g} must be positive")
    chain = prepared_chain(plan, values, sample_rate)
    audio = np.zeros((2, 1))
    audio[:, 0] = amplitude
    chain.process(audio)  # first: blocks know their tail only once they have seen their control values
    low, high = IMPULSE_SECONDS
    length = float(np.clip(length_s if length_s is not None else chain.tail_seconds(), low, high))
    n = max(1, round(length * sample_rate))
    audio = np.concatenate([audio, chain.process(np.zeros((2, n - 1)))], axis=1)
    if length_s is None:
        limit = round(high * sample_rate)
        while audio.shape[1] < limit and not _decayed(audio):
            more = np.zeros((2, min(audio.shape[1], limit - audio.shape[1])))
            audio = np.concatenate([audio, chain.process(more)], axis=1)
    return ImpulseResponse(
        np.arange(audio.shape[1]) / sample_rate, audio / amplitude, float(sample_rate), float(amplitude)
    )


def _decayed(audio: np.ndarray) -> bool:
    peak = np.max(np.abs(audio))
    end = np.max(np.abs(audio[:, -max(1, audio.shape[1] // 10) :]))
    return bool(peak == 0.0 or end <= peak * db_to_gain(DECAYED_DB))


def frequency_response(
    plan: Plan,
    values: Values,
    sample_rate: float,
    n_points: int = 512,
    *,
    frequencies: np.ndarray | None = None,
    method: Method = "auto",
    impulse: ImpulseResponse | None = None,
) -> FrequencyResponse:
    """Magnitude (dB) and unwrapped phase (deg), on `n_points` log-spaced frequencies from 10 Hz to
    Nyquist or on the given `frequencies` (in ascending order).

    "exact" (what "auto" picks for LTI chains): Chain.response, at the frequencies and on a dense linear
    grid that finds the phase's turns and the fine structure between the points.
    "measured" (what "auto" falls back to): the spectrum of the left channel of `impulse`, or of an
    impulse response taken at SMALL_SIGNAL for a chain that is not LTI (so a nonlinear chain is seen in
    its linear range), at the FFT bins nearest to the frequencies.
    """
    chain = prepared_chain(plan, values, sample_rate)
    if frequencies is None:
        targets = _log_frequencies(sample_rate, n_points)
    else:
        targets = np.sort(np.atleast_1d(np.asarray(frequencies, dtype=np.float64)))
    if method != "measured":
        transfer = chain.response(targets)
        if transfer is not None:
            # dense enough for the chain's group delay, which its tail roughly bounds
            size = int(np.clip(_next_power_of_two(4 * chain.tail_seconds() * sample_rate), *DENSE_GRID))
            dense_frequencies = np.linspace(0.0, sample_rate / 2.0, size + 1)[1:]  # no DC: its phase is moot
            dense = chain.response(dense_frequencies)
            assert dense is not None  # the same chain just answered
            return _response(targets, transfer, dense_frequencies, dense, "exact", sample_rate)
        if method == "exact":
            raise ValueError(
                f"{plan.plugin_name} has no exact response: its chain is not linear time-invariant "
                "or a block gives no transfer function"
            )
    if impulse is None:
        amplitude = 1.0 if chain.is_linear_time_invariant else SMALL_SIGNAL
        impulse = impulse_response(plan, values, sample_rate, amplitude=amplitude)
    bin_frequencies, spectrum = _spectrum(impulse)
    bins = np.unique(np.round(targets / bin_frequencies[0]).astype(int)) - 1  # bin k is at index k - 1
    bins = bins[(bins >= 0) & (bins < spectrum.size)]
    return _response(bin_frequencies[bins], spectrum[bins], bin_frequencies, spectrum, "measured", sample_rate)


def _spectrum(impulse: ImpulseResponse) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and spectrum of the left channel, zero-padded to at least MIN_FFT points, without DC."""
    n_fft = max(MIN_FFT, _next_power_of_two(impulse.samples.shape[1]))
    return np.fft.rfftfreq(n_fft, 1.0 / impulse.sample_rate)[1:], np.fft.rfft(impulse.samples[0], n_fft)[1:]


def _response(
    frequencies: np.ndarray,
    transfer: np.ndarray,
    dense_frequencies: np.ndarray,
    dense: np.ndarray,
    method: Literal["exact", "measured"],
    sample_rate: float,
) -> FrequencyResponse:
    """The response at `frequencies`, with its phase unwrapped along the points and the dense linear grid
    merged (the log-spaced points resolve a sharp low resonance, the linear grid a long delay), and the
    ranges over each point's share of the dense grid."""
    merged = np.concatenate([frequencies, dense_frequencies])
    order = np.argsort(merged, kind="stable")
    unwrapped = np.empty(merged.size)
    unwrapped[order] = np.unwrap(np.angle(np.concatenate([transfer, dense])[order]))
    phase, dense_phase = np.degrees(unwrapped[: frequencies.size]), np.degrees(unwrapped[frequencies.size :])
    magnitude = _level_db(transfer)
    edges = np.sqrt(frequencies[:-1] * frequencies[1:])
    bounds = np.concatenate(
        [
            np.searchsorted(dense_frequencies, np.concatenate([frequencies[:1], edges])),
            np.searchsorted(dense_frequencies, frequencies[-1:], side="right"),
        ]
    )
    magnitude_low, magnitude_high, ripple = _share_ranges(magnitude, _level_db(dense), bounds)
    phase_low, phase_high, _ = _share_ranges(phase, dense_phase, bounds)
    return FrequencyResponse(
        frequencies,
        magnitude,
        phase,
        method,
        float(sample_rate),
        magnitude_low,
        magnitude_high,
        phase_low,
        phase_high,
        ripple > FINE_STRUCTURE_DB,
    )


def _share_ranges(at_points: np.ndarray, dense: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(min, max) of each point's value and the dense values of its share, dense[bounds[i]:bounds[i + 1]]
    (empty where log-spaced points are closer than the dense grid), and the largest ripple: how far a
    share's range exceeds the plain rise or fall from its first to its last value."""
    starts, stops = bounds[:-1], bounds[1:]
    filled = np.flatnonzero(stops > starts)
    low, high = at_points.copy(), at_points.copy()
    if filled.size == 0:
        return low, high, 0.0
    # the filled shares tile dense[starts[filled[0]]:bounds[-1]], so each reduces up to the next one's start
    shares = dense[: bounds[-1]]
    share_low = np.minimum.reduceat(shares, starts[filled])
    share_high = np.maximum.reduceat(shares, starts[filled])
    low[filled] = np.minimum(low[filled], share_low)
    high[filled] = np.maximum(high[filled], share_high)
    rise = np.abs(shares[stops[filled] - 1] - shares[starts[filled]])
    return low, high, float(np.max(share_high - share_low - rise))


# -- nonlinear chains ---------------------------------------------------------------------------------


def transfer_curve(plan: Plan, values: Values, sample_rate: float, n_points: int = 1001) -> TransferCurve:
    """The static curve of the chain's level-shaping blocks (gains, shapers, compressor, mix).

    Filters, delays, reverbs and modulation have no static curve (a highpass blocks DC), so they are
    bypassed. Without an Envelope the rest is memoryless: a DC ramp -1..1 gives output against input
    amplitude. With one (a compressor) DC steps rise from well below the threshold, each held until the
    attack has settled, and the curve is output level (dB) against input level (dB).
    """
    kept = [block for block in plan.blocks if block.type in STATIC_BLOCKS]
    bypassed = tuple(dict.fromkeys(block.type for block in plan.blocks if block.type not in STATIC_BLOCKS))
    static_plan = plan.model_copy(update={"dsp_blocks": kept})  # not re-validated: knobs may now be unbound
    # a static curve does not depend on the sample rate (an envelope settles in time constants, not samples):
    # measuring at a low rate makes a compressor's curve cheap enough to follow a knob
    chain = prepared_chain(static_plan, values, min(sample_rate, CURVE_SAMPLE_RATE))
    if "Envelope" not in {block.type for block in kept}:
        ramp = np.linspace(-1.0, 1.0, n_points)
        output = chain.process(np.tile(ramp, (2, 1)))[0]
        return TransferCurve(ramp, output, "amplitude", bypassed)
    return _compressor_curve(chain, min(sample_rate, CURVE_SAMPLE_RATE), bypassed)


def _compressor_curve(chain: Chain, sample_rate: float, bypassed: tuple[str, ...]) -> TransferCurve:
    threshold = input_value(chain, "GainReduction", "threshold")
    low = min(-60.0, (threshold if threshold is not None else 0.0) - 30.0)
    levels = np.arange(low, 6.0 + 0.5, 1.0)
    attack_ms = input_value(chain, "Envelope", "attack") or 10.0
    # 7 time constants leave 1 dB steps within 0.001 dB; capped so that a slow attack stays affordable
    hold = int(np.clip(7.0 * attack_ms / 1000.0, 0.002, 0.25) * sample_rate)
    lead_in = 8 * hold  # the detector starts at its -180 dB floor, far below the first step
    steps = np.repeat(db_to_gain(levels), hold)
    steps = np.concatenate([np.full(lead_in, steps[0]), steps])
    output = chain.process(np.tile(steps, (2, 1)))[0]
    settled = output[lead_in + hold - 1 :: hold]
    return TransferCurve(levels, _level_db(settled), "dB", bypassed)


def settle_seconds(chain: Chain) -> float:
    """How long a steady test signal needs before the output is steady: the tail (a slow reverb is near
    steady well before its -60 dB time) and ten attack time constants of an envelope from its floor."""
    attack_ms = input_value(chain, "Envelope", "attack") or 0.0
    return 0.05 + min(chain.tail_seconds(), 1.0) + min(10.0 * attack_ms / 1000.0, 2.0)


def harmonic_spectrum(
    plan: Plan,
    values: Values,
    sample_rate: float,
    frequency: float = 1000.0,
    level_db: float = -6.0,
    n_harmonics: int = 10,
) -> HarmonicSpectrum:
    """Output levels of the harmonics of a steady sine through the whole chain, and its THD.

    The frequency is moved onto an FFT bin of a 0.25 s window (1 kHz already is one at the usual rates),
    so the steady output is periodic in the window and every harmonic falls on a bin: no window function
    and no leakage. Harmonics above Nyquist fold back as they do in the plugin (it does not oversample);
    where fs / frequency is a whole number they fold onto harmonic bins and count there.
    """
    chain = prepared_chain(plan, values, sample_rate)
    window = round(0.25 * sample_rate)
    cycles = max(1, round(frequency * window / sample_rate))
    fundamental = cycles * sample_rate / window
    chain.process(np.zeros((2, 1)))  # a silent first sample, so that the blocks know their tail
    settle = round(settle_seconds(chain) * sample_rate)
    t = np.arange(settle + window) / sample_rate
    audio = np.tile(db_to_gain(level_db) * np.sin(2.0 * np.pi * fundamental * t), (2, 1))
    output = chain.process(audio)[0, settle:]
    amplitude = 2.0 * np.abs(np.fft.rfft(output)) / window
    harmonic = np.arange(1, n_harmonics + 1)
    harmonic = harmonic[harmonic * cycles < window // 2]
    levels = amplitude[harmonic * cycles]
    thd = 100.0 * float(np.sqrt(np.sum(levels[1:] ** 2)) / max(levels[0], 1e-300))
    return HarmonicSpectrum(
        float(fundamental), float(level_db), harmonic, harmonic * fundamental, _level_db(levels), thd
    )


# -- modulated chains ---------------------------------------------------------------------------------

BURST_DB = (-46.0, -6.0)  # a compressor's test burst: quiet, loud
TEST_TONE_HZ = 1000.0


def control_traces(plan: Plan, values: Values, sample_rate: float, seconds: float | None = None) -> ControlTraces:
    """The control signals the blocks publish while processing a test signal.

    A chain with an Envelope gets a 1 kHz burst (-46 dBFS, -6 dBFS from 20 % to 60 % of the time,
    -46 dBFS again) after the quiet tone has settled the detector, to show attack and release; others a
    steady -6 dBFS 1 kHz sine from the LFOs' phase 0. Without `seconds` the time shows three cycles of
    the slowest LFO, or the attack and release in full.
    """
    chain = prepared_chain(plan, values, sample_rate)
    seconds = seconds if seconds is not None else _trace_seconds(chain)
    n = max(1, round(seconds * sample_rate))
    compressor = any(block.type == "Envelope" for block in chain.blocks)
    quiet, loud = BURST_DB
    settle = round(settle_seconds(chain) * sample_rate) if compressor else 0
    t = np.arange(-settle, n) / sample_rate
    level = np.full(t.size, loud)
    if compressor:
        level = np.where((t >= 0.2 * seconds) & (t < 0.6 * seconds), loud, quiet)
    audio = np.tile(db_to_gain(level) * np.sin(2.0 * np.pi * TEST_TONE_HZ * t), (2, 1))
    chain.process(audio[:, :settle])
    shown = audio[:, settle:]  # a view: processed in place
    traces = chain.process_traced(shown)
    stimulus = f"1 kHz burst {quiet:g} / {loud:g} / {quiet:g} dBFS" if compressor else f"1 kHz sine {loud:g} dBFS"
    return ControlTraces(t[settle:], traces, stimulus, shown[0], level[settle:] if compressor else None)


def _trace_seconds(chain: Chain) -> float:
    rates = [rate for kind in ("LFO", "ModulatedDelay") if (rate := input_value(chain, kind, "rate"))]
    if rates:
        return float(np.clip(3.0 / min(rates), 0.5, 10.0))
    attack_ms = input_value(chain, "Envelope", "attack")
    release_ms = input_value(chain, "Envelope", "release")
    if attack_ms is not None and release_ms is not None:
        # loud for 40 % of the time (6 attack constants), quiet after it for 40 % (5 release constants)
        return float(np.clip(max(15.0 * attack_ms, 12.5 * release_ms) / 1000.0, 0.5, 10.0))
    return 1.0


# -- all together -------------------------------------------------------------------------------------


def analyse(plan: Plan, values: Values = None, sample_rate: float = 48000.0) -> Analysis:
    """Whichever analyses apply: LTI -> exact frequency and impulse response; nonlinear -> transfer curve
    and harmonics; modulated -> control traces. A nonlinear chain without modulation also gets its
    small-signal (measured) response, which shows the filters around its shaper."""
    linear = Chain(plan, values).is_linear_time_invariant  # also validates the values, before any work
    modulated = is_modulated(plan)
    impulse = frequency = transfer = harmonics = controls = None
    notes = []
    if linear or not modulated:
        impulse = impulse_response(plan, values, sample_rate, amplitude=1.0 if linear else SMALL_SIGNAL)
        frequency = frequency_response(plan, values, sample_rate, impulse=impulse)
        if not linear:
            notes.append(f"small-signal response ({_level_db(SMALL_SIGNAL).item():.0f} dBFS impulse)")
    if is_nonlinear(plan):
        transfer = transfer_curve(plan, values, sample_rate)
        harmonics = harmonic_spectrum(plan, values, sample_rate)
    if modulated:
        controls = control_traces(plan, values, sample_rate)
    return Analysis(
        resolved_values(plan, values),
        float(sample_rate),
        impulse,
        frequency,
        transfer,
        harmonics,
        controls,
        notes,
    )
