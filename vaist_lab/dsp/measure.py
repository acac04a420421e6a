"""Measurements of a plan's reference model: the facts a musician cares about, per kind of effect.

In the scipy.signal spirit: each `measure_*` function takes a plan (at `values`, by default its defaults) and a
sample rate, runs test signals through a fresh `Chain` and returns a small frozen dataclass whose field names
carry their units (None where the effect has nothing to measure). `measure` runs every measurement that applies
to a plan, sharing one impulse response between them, and `PlanMeasurements.quantities` flattens the result to
"section.field" -> number, which is what two plans are compared by.

Per section: what it applies to, and what it is measured on.

- tone (every plan): per third octave (25 Hz - 16 kHz) the output/input power for pink noise, from the impulse
  response's spectrum (LTI chains) or from pink noise at -18 dBFS RMS (others); then its centroid, tilt, low
  end and overall level change.
- echo (a DelayLine): the impulse response's first repeat (spacing) and its spectrum against the second's at
  500 Hz and 5 kHz (level drop and high-frequency loss per repeat).
- reverb (a Comb): the impulse response after the direct sound: Schroeder decay (RT60 from T20; per octave at
  500 Hz and 4 kHz for the HF/LF ratio), spectral centroid, left/right correlation.
- filter (FILTER plans, or LTI chains of filters and gains only): the magnitude response (exact, or measured at
  a small signal): -3 dB point, roll-off, resonance.
- distortion (a Waveshaper, TanhSaturation or SoftClip): a 1 kHz sine at -12 dBFS: THD, harmonics 2-5, the
  harmonics from the 4th on together, output level.
- compressor (an Envelope with a GainReduction): a 1 kHz sine at -40 then -10 dBFS, then a square wave stepping
  10 dB above the knee and back: the gain-reduction trace.
- tremolo (an LFO with a Modulator): a 1 kHz sine at -12 dBFS: its level per cycle.
- chorus (a ModulatedDelay): a click train through the wet chain (Mix at 100 %): when each click arrives.
- glide (a SmoothRamp): a gain knob moved by 6 dB on a steady signal: the time the output takes to arrive.

The plan's values size the test signals (how long to listen); every reported figure comes from the output.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
from scipy import fft as sp_fft
from scipy import optimize, signal

from vaist_lab.dsp.chain import Chain
from vaist_lab.dsp.responses import (
    ANALYSIS_BLOCK,
    IMPULSE_SECONDS,
    SMALL_SIGNAL,
    ImpulseResponse,
    frequency_response,
    harmonic_spectrum,
    impulse_response,
    input_value,
    prepared_chain,
    settle_seconds,
)
from vaist_lab.dsp.shapes import db_to_gain
from vaist_lab.plan import Category, Plan

Values = Mapping[str, float] | None

REFERENCE_RATE = 48000.0
TEST_TONE_HZ = 1000.0
TEST_LEVEL_DBFS = -12.0  # the distortion's and tremolo's test sine
NOISE_LEVEL_DBFS = -18.0  # RMS of the pink noise that measures a nonlinear or modulated chain's tone
NOISE_SETTLE_S, NOISE_ANALYSIS_S = 0.25, 0.75
FLOOR_DB = -120.0  # quieter than this counts as nothing
AUDIBLE_DB = 60.0  # repeats and tails count until they are this far below their start
MIN_SPECTRUM = 1 << 16
BAND_CENTRES_HZ = 1000.0 * 2.0 ** (np.arange(-16, 13) / 3.0)  # third octaves, 24.8 Hz .. 16 kHz
LOW_END_BANDS_HZ, MID_BANDS_HZ, TILT_BANDS_HZ = (30.0, 130.0), (490.0, 2050.0), (99.0, 10100.0)
ECHO_REFERENCE_HZ, ECHO_HIGH_HZ = 500.0, 5000.0
MAX_REPEATS = 1000
ECHO_EARLIEST_S = 0.001  # a repeat arrives at least this long after the input
DIRECT_SOUND_S = 0.005  # a reverb's tail is measured from here on (the dry impulse is at 0)
DECAY_FIT_DB = (-5.0, -25.0)  # T20, scaled to 60 dB
SHORTEST_FIT_DB = 10.0  # a decay that falls less than this within the impulse response has no RT60
DECAY_BANDS_HZ = (500.0, 4000.0)  # octave bands of the HF/LF decay ratio
FILTER_RANGE_HZ = (20.0, 20000.0)
SHAPE_MARGIN_DB = 6.0  # how far a stopband (or a notch) lies below the passband at least
FLAT_DB_PER_OCTAVE = 1.0  # an end of the response flatter than this is a passband
SHELF_MARGIN_DB = 3.0  # two flat ends this far apart are a shelf
COMPRESSOR_LEVELS_DBFS = (-40.0, -10.0)  # the step: quiet, then the reference level of the gain reduction
STEP_RATE_HZ = 16000.0  # the compressor's step is measured at this rate unless its attack is very fast
STEP_DB = 10.0  # the square wave's step, and the span the ratio is measured over
MIN_STEP_DB = 0.05
MAX_RATIO = 1000.0
SETTLED_FRACTION = 1.0 - math.exp(-1.0)  # attack and release: time to 63 % of the step (a one-pole's time constant)
GLIDE_STEP_DB = 6.0

Section = Literal["tone", "echo", "reverb", "filter", "distortion", "compressor", "tremolo", "chorus", "glide"]
SECTIONS: tuple[Section, ...] = (
    "tone",
    "echo",
    "reverb",
    "filter",
    "distortion",
    "compressor",
    "tremolo",
    "chorus",
    "glide",
)
IMPULSE_SECTIONS = frozenset({"tone", "echo", "reverb"})  # those that can share one impulse response
FILTER_BLOCKS = frozenset({"Biquad", "OnePole", "StateVariable"})
GAIN_BLOCKS = frozenset({"LinearGain", "DecibelGain", "SmoothRamp", "MakeupGain", "Mix", "OutputGain"})
SHAPER_BLOCKS = frozenset({"Waveshaper", "TanhSaturation", "SoftClip"})
GAIN_INPUTS = {"DecibelGain": "gain", "OutputGain": "gain", "MakeupGain": "gain", "LinearGain": "gain"}


@dataclass(frozen=True)
class ToneMeasurement:
    """How the plan colours and levels a pink-noise-like signal."""

    centroid_hz: float  # spectral centroid of the output for pink noise in: brightness
    tilt_db_per_octave: float  # slope of the output/input level, 100 Hz - 10 kHz
    low_end_db: float  # output/input level at 31.5-125 Hz against 500 Hz-2 kHz
    level_change_db: float  # output against input power for pink noise


@dataclass(frozen=True)
class EchoMeasurement:
    repeat_spacing_ms: float  # input to first repeat
    level_drop_per_repeat_db: float | None  # at 500 Hz; None: a single repeat
    hf_loss_per_repeat_db: float | None  # the extra loss of each repeat at 5 kHz, relative to 500 Hz
    audible_repeats: int  # repeats within 60 dB of the first
    decay_to_minus_60_db_s: float  # from the input until the repeats are 60 dB below the first


@dataclass(frozen=True)
class ReverbMeasurement:
    rt60_s: float | None  # from the Schroeder integral (T20); None if the tail is too short to fit
    tail_centroid_hz: float  # spectral centroid of the tail
    hf_lf_decay_ratio: float | None  # RT60 of the 4 kHz octave over that of the 500 Hz octave
    stereo_correlation: float  # of the left and right tails: 1 mono, near 0 wide


@dataclass(frozen=True)
class FilterMeasurement:
    shape: Literal["lowpass", "highpass", "bandpass", "notch", "shelf", "flat"]
    cutoff_hz: float | None  # -3 dB point (low-, high-pass), centre (band-pass), deepest point (notch), mid-shelf
    slope_db_per_octave: float | None  # roll-off, an octave past twice the cutoff (positive: falling away)
    resonance_peak_db: float  # the highest point above the passband (band-pass: above an octave away)


@dataclass(frozen=True)
class DistortionMeasurement:
    thd_percent: float  # of a 1 kHz sine at -12 dBFS
    harmonic2_dbc: float  # each harmonic against the fundamental (FLOOR_DB when absent)
    harmonic3_dbc: float
    harmonic4_dbc: float
    harmonic5_dbc: float
    high_harmonics_dbc: float  # harmonics 4 to 10 together: the fizz
    output_level_dbfs: float  # of the harmonics together (a full-scale sine is 0 dBFS)


@dataclass(frozen=True)
class CompressorMeasurement:
    gain_reduction_db: float  # at a steady 1 kHz sine of -10 dBFS
    attack_ms: float | None  # to 63 % of the reduction after a step -40 -> -10 dBFS; None without reduction
    release_ms: float | None  # to 63 % of the recovery after the step back
    ratio: float | None  # measured between two levels 10 dB apart above the knee


@dataclass(frozen=True)
class TremoloMeasurement:
    rate_hz: float
    depth_db: float  # loudest against quietest cycle (at most -FLOOR_DB)


@dataclass(frozen=True)
class ChorusMeasurement:
    rate_hz: float
    centre_delay_ms: float
    depth_ms: float  # peak delay swing either side of the centre
    depth_cents: float  # the largest pitch bend the swing causes


@dataclass(frozen=True)
class GlideMeasurement:
    glide_ms: float  # how long a 6 dB knob move takes to arrive at the output


@dataclass(frozen=True)
class PlanMeasurements:
    sample_rate_hz: float
    tone: ToneMeasurement | None = None
    echo: EchoMeasurement | None = None
    reverb: ReverbMeasurement | None = None
    filter: FilterMeasurement | None = None
    distortion: DistortionMeasurement | None = None
    compressor: CompressorMeasurement | None = None
    tremolo: TremoloMeasurement | None = None
    chorus: ChorusMeasurement | None = None
    glide: GlideMeasurement | None = None

    def quantities(self) -> dict[str, float]:
        """Every finite number measured, as "section.field" -> value ("echo.repeat_spacing_ms": 380.0)."""
        flat: dict[str, float] = {}
        for section in SECTIONS:
            measured = getattr(self, section)
            if measured is None:
                continue
            for item in fields(measured):
                value = getattr(measured, item.name)
                if isinstance(value, int | float) and math.isfinite(value):
                    flat[f"{section}.{item.name}"] = float(value)
        return flat


# -- helpers --------------------------------------------------------------------------------------------


def _power_db(power: np.ndarray | float) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(power, 1e-30))


def _amplitude_db(amplitude: np.ndarray | float) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(np.abs(amplitude), 1e-15))


def _block_types(plan: Plan) -> set[str]:
    return {block.type for block in plan.blocks}


def _wet(plan: Plan) -> Plan:
    """The plan with every Mix at 100 % (not re-validated: a mix knob may now be unbound)."""
    blocks = [
        block.model_copy(update={"inputs": {**block.inputs, "mix": 100.0}}) if block.type == "Mix" else block
        for block in plan.blocks
    ]
    return plan.model_copy(update={"dsp_blocks": blocks})


def _mono_chain(plan: Plan, values: Values, sample_rate: float) -> Chain:
    chain = Chain(plan, values)
    chain.prepare(sample_rate, max_block=ANALYSIS_BLOCK, channels=1)
    return chain


def _band_means(frequency_hz: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Mean power per third-octave band of BAND_CENTRES_HZ, from a spectrum on ascending frequencies."""
    total = np.concatenate(([0.0], np.cumsum(power)))
    low = np.searchsorted(frequency_hz, BAND_CENTRES_HZ * 2.0 ** (-1 / 6))
    high = np.searchsorted(frequency_hz, BAND_CENTRES_HZ * 2.0 ** (1 / 6))
    return (total[high] - total[low]) / np.maximum(high - low, 1)


def _power_spectrum(samples: np.ndarray, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and the channels' mean power spectrum of (channels, samples), zero-padded to at least
    2^16 points (0.7 Hz at 48 kHz: enough bins in the lowest third octave)."""
    size = sp_fft.next_fast_len(max(MIN_SPECTRUM, samples.shape[-1]), real=True)
    power = np.mean(np.abs(sp_fft.rfft(samples, size, axis=-1)) ** 2, axis=0)
    return sp_fft.rfftfreq(size, 1.0 / sample_rate), power


def _crossing(values: np.ndarray, level: float, rising: bool, start: int = 0) -> float | None:
    """The fractional index from `start` on where `values` first reaches `level` (linear interpolation)."""
    beyond = values[start:] >= level if rising else values[start:] <= level
    if not beyond.any():
        return None
    index = start + int(np.argmax(beyond))
    if index == 0:
        return 0.0
    before, after = values[index - 1], values[index]
    return index - 1 + float((level - before) / (after - before)) if after != before else float(index)


def _fit_sine(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(frequency Hz, amplitude, offset) of the sinusoid nearest to y(t) in the least-squares sense: a coarse
    search of log-spaced frequencies from a quarter cycle over the span to the Nyquist rate of the points,
    then a bounded refinement. Works on part of a cycle too."""
    span = float(t[-1] - t[0])
    nyquist = 0.5 * (len(t) - 1) / span

    def fitted(frequency: float) -> tuple[np.ndarray, float]:
        basis = np.stack([np.ones_like(t), np.cos(2 * np.pi * frequency * t), np.sin(2 * np.pi * frequency * t)], 1)
        coefficients, *_ = np.linalg.lstsq(basis, y, rcond=None)
        residual = y - basis @ coefficients
        return coefficients, float(residual @ residual)

    grid = np.geomspace(0.25 / span, nyquist, 240)
    errors = [fitted(frequency)[1] for frequency in grid]
    best = int(np.argmin(errors))
    bounds = (grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)])
    refined = optimize.minimize_scalar(lambda f: fitted(f)[1], bounds=bounds, method="bounded")
    frequency = float(refined.x)
    coefficients, _ = fitted(frequency)
    return frequency, float(np.hypot(coefficients[1], coefficients[2])), float(coefficients[0])


def _test_tone(sample_rate: float) -> tuple[float, int]:
    """A test frequency near 1 kHz whose period is a whole number of samples, and that period."""
    period = max(2, round(sample_rate / TEST_TONE_HZ))
    return sample_rate / period, period


# -- what applies ---------------------------------------------------------------------------------------


def applicable_sections(plan: Plan) -> tuple[Section, ...]:
    """The sections `measure` gives this plan, in SECTIONS order."""
    types = _block_types(plan)
    applies = {
        "tone": True,
        "echo": "DelayLine" in types,
        "reverb": "Comb" in types,
        "filter": bool(types & FILTER_BLOCKS)
        and (plan.category is Category.FILTER or types <= FILTER_BLOCKS | GAIN_BLOCKS),
        "distortion": bool(types & SHAPER_BLOCKS),
        "compressor": {"Envelope", "GainReduction"} <= types,
        "tremolo": {"LFO", "Modulator"} <= types,
        "chorus": "ModulatedDelay" in types,
        "glide": "SmoothRamp" in types and _gain_knob(plan) is not None,
    }
    return tuple(section for section in SECTIONS if applies[section])


def measure(
    plan: Plan,
    values: Values = None,
    sample_rate: float = REFERENCE_RATE,
    sections: Collection[str] | None = None,
) -> PlanMeasurements:
    """Every measurement that applies to the plan (or those of them in `sections`), one impulse response
    shared by the tone, echo and reverb sections."""
    wanted = [name for name in applicable_sections(plan) if sections is None or name in sections]
    linear = Chain(plan, values).is_linear_time_invariant  # also checks the values, before any work
    reads_impulse = {"echo", "reverb", "tone"} if linear else {"echo", "reverb"}
    impulse = _impulse(plan, values, sample_rate, wanted) if reads_impulse & set(wanted) else None
    found: dict[str, Any] = {}
    for name in wanted:
        if name in IMPULSE_SECTIONS:
            found[name] = MEASUREMENTS[name](plan, values, sample_rate, impulse=impulse)
        else:
            found[name] = MEASUREMENTS[name](plan, values, sample_rate)
    return PlanMeasurements(float(sample_rate), **found)


def _impulse_seconds(plan: Plan, values: Values, sample_rate: float, sections: Collection[str]) -> float:
    """Long enough for every section that reads the impulse response: the tone to 30 dB down (at most 1 s),
    an echo's first two repeats, a reverb's tail to 45 dB down (so that T20's end is not cut short)."""
    chain = prepared_chain(plan, values, sample_rate)
    chain.process(np.zeros((2, 1)))  # blocks know their tail once they have seen their controls
    tail = chain.tail_seconds()
    needs = [float(np.clip(0.5 * tail, 0.05, 1.0))]
    if "echo" in sections:
        needs.append(2.6 * (input_value(chain, "DelayLine", "time") or 0.0) / 1000.0 + 0.01)
    if "reverb" in sections:
        needs.append(float(np.clip(0.75 * tail, 0.3, 4.0)))
    return float(np.clip(max(needs), *IMPULSE_SECONDS))


def _impulse(plan: Plan, values: Values, sample_rate: float, sections: Collection[str]) -> ImpulseResponse:
    linear = Chain(plan, values).is_linear_time_invariant
    length = _impulse_seconds(plan, values, sample_rate, sections)
    return impulse_response(plan, values, sample_rate, length_s=length, amplitude=1.0 if linear else SMALL_SIGNAL)


# -- tone -------------------------------------------------------------------------------------------------


def pink_noise(num_samples: int, level_dbfs: float = NOISE_LEVEL_DBFS, seed: int = 3) -> np.ndarray:
    """Mono pink noise (power falling 3 dB per octave) at an RMS level of `level_dbfs`, made in the frequency
    domain: deterministic for a seed."""
    white = np.fft.rfft(np.random.default_rng(seed).standard_normal(num_samples))
    frequency = np.arange(white.size, dtype=np.float64)
    white[0] = 0.0
    white[1:] /= np.sqrt(frequency[1:])
    pink = np.fft.irfft(white, num_samples)
    return pink * (db_to_gain(level_dbfs) / np.sqrt(np.mean(pink * pink)))


def measure_tone(
    plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE, *, impulse: ImpulseResponse | None = None
) -> ToneMeasurement:
    """The chain's power gain per third octave for pink noise, summed up: LTI chains from the impulse
    response's spectrum (both channels), others from pink noise through the chain (settled first)."""
    if Chain(plan, values).is_linear_time_invariant:
        impulse = impulse or _impulse(plan, values, sample_rate, ("tone",))
        gains = _band_means(*_power_spectrum(impulse.samples, sample_rate))
    else:
        chain = prepared_chain(plan, values, sample_rate)
        chain.process(np.zeros((2, 1)))
        settle = round(max(NOISE_SETTLE_S, settle_seconds(chain)) * sample_rate)
        length = round(NOISE_ANALYSIS_S * sample_rate)
        noise = pink_noise(settle + length)
        output = chain.process(np.tile(noise, (2, 1)))[:, settle:]
        window = signal.windows.hann(length)
        frequency = np.fft.rfftfreq(length, 1.0 / sample_rate)
        into = _band_means(frequency, np.abs(np.fft.rfft(noise[settle:] * window)) ** 2)
        out = _band_means(frequency, np.mean(np.abs(np.fft.rfft(output * window, axis=1)) ** 2, axis=0))
        gains = out / np.maximum(into, 1e-30)
    return _tone_from_band_gains(gains)


def _tone_from_band_gains(gains: np.ndarray) -> ToneMeasurement:
    def band(span: tuple[float, float]) -> np.ndarray:
        return (span[0] <= BAND_CENTRES_HZ) & (span[1] >= BAND_CENTRES_HZ)

    total = float(np.sum(gains))
    centroid = float(np.sum(BAND_CENTRES_HZ * gains) / total) if total > 0.0 else 0.0
    tilt_bands = band(TILT_BANDS_HZ)
    tilt = float(np.polyfit(np.log2(BAND_CENTRES_HZ[tilt_bands]), _power_db(gains[tilt_bands]), 1)[0])
    low_end = float(_power_db(np.mean(gains[band(LOW_END_BANDS_HZ)])) - _power_db(np.mean(gains[band(MID_BANDS_HZ)])))
    return ToneMeasurement(centroid, tilt, low_end, float(_power_db(np.mean(gains))))


# -- echo -------------------------------------------------------------------------------------------------


def measure_echo(
    plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE, *, impulse: ImpulseResponse | None = None
) -> EchoMeasurement | None:
    """The repeats in the impulse response (a centred source: the mean of both channels): the first repeat is
    its largest peak from ECHO_EARLIEST_S on (refined between samples), the second the largest peak a spacing
    later. Their spectra over windows a spacing wide, compared at 500 Hz and 5 kHz, give each repeat's level
    drop and extra high-frequency loss. None when nothing repeats (a mix of 0 %)."""
    impulse = impulse or _impulse(plan, values, sample_rate, ("echo",))
    x = impulse.samples.mean(axis=0)
    envelope = np.abs(x)
    earliest = round(ECHO_EARLIEST_S * sample_rate)
    if envelope.size <= earliest + 2 or envelope[earliest:].max() < db_to_gain(FLOOR_DB):
        return None
    first = earliest + int(np.argmax(envelope[earliest:]))
    spacing = _peak_position(envelope, first)  # samples: the input is at 0
    if first + round(1.5 * spacing) >= envelope.size:  # the impulse response ends before a second repeat
        return EchoMeasurement(1000.0 * spacing / sample_rate, None, None, 1, spacing / sample_rate)
    start = first + round(0.5 * spacing)
    second = start + int(np.argmax(envelope[start : first + round(1.5 * spacing)]))
    if envelope[second] < envelope[first] * db_to_gain(FLOOR_DB):
        return EchoMeasurement(1000.0 * spacing / sample_rate, None, None, 1, spacing / sample_rate)
    frequencies = np.array([ECHO_REFERENCE_HZ, ECHO_HIGH_HZ])
    one, two = (_window_spectrum(x, peak, spacing, frequencies, sample_rate) for peak in (first, second))
    loss_db = _amplitude_db(one) - _amplitude_db(two)
    drop = float(loss_db[0])
    high = float(loss_db[1] - loss_db[0]) if 0.45 * sample_rate > ECHO_HIGH_HZ else None
    repeats = min(math.floor(AUDIBLE_DB / drop) + 1, MAX_REPEATS) if drop > 0.0 else MAX_REPEATS
    decay = spacing / sample_rate * (1.0 + AUDIBLE_DB / drop) if drop > 0.0 else math.inf
    return EchoMeasurement(1000.0 * spacing / sample_rate, drop, high, repeats, decay)


def _peak_position(envelope: np.ndarray, index: int) -> float:
    """A peak's position between samples: the vertex of the parabola through it and its neighbours."""
    if index <= 0 or index >= envelope.size - 1:
        return float(index)
    left, middle, right = envelope[index - 1 : index + 2]
    curvature = left - 2.0 * middle + right
    return index + (0.5 * (left - right) / curvature if curvature < 0.0 else 0.0)


def _window_spectrum(
    x: np.ndarray, centre: int, width: float, frequencies: np.ndarray, sample_rate: float
) -> np.ndarray:
    """|DFT| at `frequencies` of x over a window `width` samples wide around `centre`."""
    start = max(0, centre - round(width / 2))
    part = x[start : centre + round(width / 2)]
    n = np.arange(part.size)
    return np.abs(np.exp(-2j * np.pi * np.outer(frequencies, n) / sample_rate) @ part)


# -- reverb -----------------------------------------------------------------------------------------------


def measure_reverb(
    plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE, *, impulse: ImpulseResponse | None = None
) -> ReverbMeasurement | None:
    """The impulse response's tail from DIRECT_SOUND_S on (the dry impulse of a Mix is at 0): RT60 from the
    Schroeder integral of both channels' energy, the tail's spectral centroid, the ratio of the 4 kHz and
    500 Hz octaves' RT60s and the left/right correlation. None when the tail is silent (a mix of 0 %)."""
    impulse = impulse or _impulse(plan, values, sample_rate, ("reverb",))
    tail = impulse.samples[:, round(DIRECT_SOUND_S * sample_rate) :]
    energy = np.mean(tail * tail, axis=0)
    if energy.sum() < db_to_gain(2 * FLOOR_DB):
        return None
    centroid = _tone_from_band_gains(_band_means(*_power_spectrum(tail, sample_rate))).centroid_hz
    mono = tail.mean(axis=0)
    band_times = []
    for centre in DECAY_BANDS_HZ:
        if centre * math.sqrt(2.0) >= 0.45 * sample_rate:
            break
        edges = [centre / math.sqrt(2.0), centre * math.sqrt(2.0)]
        octave = signal.butter(4, edges, "bandpass", fs=sample_rate, output="sos")
        band_times.append(rt60_seconds(signal.sosfilt(octave, mono) ** 2, sample_rate))
    low, high = [*band_times, None, None][:2]
    ratio = high / low if low and high else None
    left, right = tail[0], tail[-1]
    correlation = float(np.dot(left, right) / math.sqrt(max(np.dot(left, left) * np.dot(right, right), 1e-300)))
    return ReverbMeasurement(rt60_seconds(energy, sample_rate), centroid, ratio, correlation)


def rt60_seconds(energy: np.ndarray, sample_rate: float) -> float | None:
    """RT60 from an energy envelope (squared impulse response): the Schroeder backward integral in dB, a
    least-squares line over its -5..-25 dB stretch (T20), extrapolated to 60 dB. If the integral ends above
    -25 dB the fit takes what there is from -5 dB on, when that spans SHORTEST_FIT_DB; else None."""
    integral = np.cumsum(energy[::-1])[::-1]
    if integral[0] <= 0.0:
        return None
    decay = _power_db(integral / integral[0])
    top, bottom = DECAY_FIT_DB
    bottom = max(bottom, float(decay[-1]) + 1.0)  # the very end of a cut-off integral falls away: skip it
    span = (decay <= top) & (decay >= bottom)
    if top - bottom < SHORTEST_FIT_DB or span.sum() < 3:
        return None
    points = np.flatnonzero(span)[:: max(1, round(sample_rate / 2000.0))]  # every 0.5 ms is plenty for a line
    slope = np.polyfit(points / sample_rate, decay[points], 1)[0]
    return float(-60.0 / slope) if slope < 0.0 else None


# -- filter -----------------------------------------------------------------------------------------------


def measure_filter(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> FilterMeasurement:
    """The magnitude response on a log grid over FILTER_RANGE_HZ (below 0.45 fs): exact for LTI chains, else
    measured at a small signal. The slopes of its two end octaves give the shape (a flat end is a passband, a
    rising or falling one a stopband); the -3 dB point is taken against the passband end, the roll-off over the
    octave from twice (half) the cutoff; a shelf's cutoff is where it is halfway between its two levels."""
    top = min(FILTER_RANGE_HZ[1], 0.45 * sample_rate)
    grid = np.geomspace(FILTER_RANGE_HZ[0], top, 720)
    transfer = prepared_chain(plan, values, sample_rate).response(grid)
    if transfer is not None:
        frequency, magnitude = grid, _amplitude_db(transfer)
    else:
        measured = frequency_response(plan, values, sample_rate, frequencies=grid, method="measured")
        frequency, magnitude = measured.frequency_hz, measured.magnitude_db
    log_frequency = np.log2(frequency)

    def level(at_hz: float) -> float:
        return float(np.interp(math.log2(at_hz), log_frequency, magnitude))

    def edge(reference: float, upward: bool) -> float | None:
        """Where the response first falls 3 dB below `reference`, from the low end up (or the top down)."""
        ordered = magnitude if upward else magnitude[::-1]
        index = _crossing(ordered, reference - 3.0, rising=False)
        if index is None:
            return None
        position = index if upward else magnitude.size - 1 - index
        return float(2.0 ** np.interp(position, np.arange(magnitude.size), log_frequency))

    def roll_off(near: float, far: float) -> float | None:
        inside = frequency[0] <= min(near, far) and max(near, far) <= frequency[-1]
        return level(near) - level(far) if inside else None

    low, high = float(magnitude[0]), float(magnitude[-1])
    low_slope = level(2.0 * frequency[0]) - low  # dB over the bottom octave
    high_slope = high - level(frequency[-1] / 2.0)  # ... and the top one
    low_flat, high_flat = abs(low_slope) < FLAT_DB_PER_OCTAVE, abs(high_slope) < FLAT_DB_PER_OCTAVE
    peak, dip = int(np.argmax(magnitude)), int(np.argmin(magnitude))
    if (low_flat or low_slope < 0.0) and not high_flat and high_slope < 0.0 and low - high > SHAPE_MARGIN_DB:
        cutoff = edge(low, upward=True)
        slope = roll_off(2.0 * cutoff, 4.0 * cutoff) if cutoff else None
        return FilterMeasurement("lowpass", cutoff, slope, max(0.0, float(magnitude[peak]) - low))
    if (high_flat or high_slope > 0.0) and not low_flat and low_slope > 0.0 and high - low > SHAPE_MARGIN_DB:
        cutoff = edge(high, upward=False)
        slope = roll_off(cutoff / 2.0, cutoff / 4.0) if cutoff else None
        return FilterMeasurement("highpass", cutoff, slope, max(0.0, float(magnitude[peak]) - high))
    centre = float(frequency[peak])
    if not low_flat and not high_flat and low_slope > 0.0 > high_slope:
        around = [level(at) for at in (centre / 2.0, centre * 2.0) if frequency[0] <= at <= frequency[-1]]
        resonance = float(magnitude[peak]) - (float(np.mean(around)) if around else max(low, high))
        return FilterMeasurement("bandpass", centre, roll_off(2.0 * centre, 4.0 * centre), resonance)
    resonance = max(0.0, float(magnitude[peak]) - max(low, high))
    if min(low, high) - magnitude[dip] > SHAPE_MARGIN_DB:
        return FilterMeasurement("notch", float(frequency[dip]), None, resonance)
    if abs(low - high) > SHELF_MARGIN_DB:
        halfway = _crossing(magnitude, (low + high) / 2.0, rising=high > low)
        cutoff = float(2.0 ** np.interp(halfway, np.arange(magnitude.size), log_frequency)) if halfway else None
        return FilterMeasurement("shelf", cutoff, None, resonance)
    return FilterMeasurement("flat", None, None, resonance)


# -- distortion -------------------------------------------------------------------------------------------


def measure_distortion(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> DistortionMeasurement:
    """The harmonics 1-10 of a steady 1 kHz sine at TEST_LEVEL_DBFS through the whole chain
    (responses.harmonic_spectrum: on FFT bins, no leakage)."""
    spectrum = harmonic_spectrum(plan, values, sample_rate, TEST_TONE_HZ, TEST_LEVEL_DBFS, n_harmonics=10)
    levels = spectrum.level_dbfs
    relative = np.maximum(levels - levels[0], FLOOR_DB)
    by_order = {int(order): float(value) for order, value in zip(spectrum.harmonic, relative, strict=True)}
    high = relative[spectrum.harmonic >= 4]
    high_db = float(_power_db(np.sum(db_to_gain(2.0 * high)))) if high.size else FLOOR_DB
    return DistortionMeasurement(
        spectrum.thd_percent,
        *(by_order.get(order, FLOOR_DB) for order in (2, 3, 4, 5)),
        max(high_db, FLOOR_DB),
        float(_power_db(np.sum(db_to_gain(2.0 * levels)))),
    )


# -- compressor -------------------------------------------------------------------------------------------


def measure_compressor(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> CompressorMeasurement:
    """One mono test signal near 1 kHz, each stretch held until the detector has settled: a sine at -40 then
    -10 dBFS (the gain reduction at -10 dBFS), then a square wave stepping from a level above the knee to 10 dB
    higher and back (attack and release: time to 63 % of the change in reduction; ratio: from the change). A
    square wave's level is the same at every sample, so the step shows the detector's own timing rather than
    its ripple on a sine, and staying above the knee keeps the reduction proportional to the detected level.
    Read from the GainReduction's trace (what its meter shows; on the sine, its mean over a cycle). Run at
    STEP_RATE_HZ unless the attack is under 2 ms (the time constants are in seconds)."""
    chain = Chain(plan, values)
    attack_ms = input_value(chain, "Envelope", "attack") or 10.0
    release_ms = input_value(chain, "Envelope", "release") or 100.0
    threshold = input_value(chain, "GainReduction", "threshold") or 0.0
    knee = input_value(chain, "GainReduction", "knee") or 0.0
    rate = sample_rate if attack_ms < 2.0 else min(sample_rate, STEP_RATE_HZ)
    chain.prepare(rate, max_block=ANALYSIS_BLOCK, channels=1)
    rise = float(np.clip(7.0 * attack_ms / 1000.0, 0.02, 1.0))
    fall = float(np.clip(7.0 * release_ms / 1000.0, 0.05, 3.5))
    # on a sine the detector climbs between peaks and sags between them: it takes longer to settle
    steady = float(np.clip((10.0 * attack_ms + 2.0 * release_ms) / 1000.0, 0.05, 4.0))
    quiet, reference = COMPRESSOR_LEVELS_DBFS
    low = max(reference, threshold + knee / 2.0 + 2.0)
    stretches = [(quiet, "sine", rise + 0.05), (reference, "sine", steady), (low, "square", rise)]
    stretches += [(low + STEP_DB, "square", rise), (low, "square", fall)]
    counts = [round(seconds * rate) for _, _, seconds in stretches]
    ends = np.cumsum(counts)
    frequency, period = _test_tone(rate)
    phase = 2.0 * np.pi * frequency * np.arange(ends[-1]) / rate
    square = np.repeat([kind == "square" for _, kind, _ in stretches], counts)
    wave = np.where(square, np.where(np.sin(phase + np.pi / period) >= 0.0, 1.0, -1.0), np.sin(phase))
    level = np.repeat([value for value, _, _ in stretches], counts)
    reduction = -chain.process_traced((db_to_gain(level) * wave)[None, :])["gain_reduction_db"]
    # on the sine the reduction ripples with the detector: its mean over a cycle
    on_sine = slice(0, ends[1])
    reduction[on_sine] = np.convolve(reduction[on_sine], np.ones(period) / period, mode="same")

    def settled(stretch: int) -> float:
        return float(np.mean(reduction[ends[stretch] - 2 * period : ends[stretch] - period]))

    at_reference, before, loud, after = settled(1), settled(2), settled(3), settled(4)
    change = loud - before
    if change < MIN_STEP_DB:  # no compression above the knee: nothing to time
        return CompressorMeasurement(at_reference, None, None, 1.0)
    rise_at = _crossing(reduction, before + SETTLED_FRACTION * change, rising=True, start=ends[2])
    fall_at = _crossing(reduction, loud - SETTLED_FRACTION * (loud - after), rising=False, start=ends[3])
    attack = 1000.0 * (rise_at - ends[2]) / rate if rise_at is not None else None
    release = 1000.0 * (fall_at - ends[3]) / rate if fall_at is not None else None
    ratio = STEP_DB / (STEP_DB - change) if change < STEP_DB - MIN_STEP_DB else MAX_RATIO
    return CompressorMeasurement(at_reference, attack, release, min(ratio, MAX_RATIO))


# -- modulation -------------------------------------------------------------------------------------------


def measure_tremolo(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> TremoloMeasurement:
    """A steady sine near 1 kHz at TEST_LEVEL_DBFS through the chain (mono) for two cycles of the LFO (0.5-4
    s); its level per cycle of the sine is the envelope. Rate: the sinusoid fitted to the envelope; depth: its
    loudest against its quietest cycle."""
    chain = _mono_chain(plan, values, sample_rate)
    rate_set = input_value(chain, "LFO", "rate") or 0.0
    seconds = float(np.clip(2.0 / rate_set, 0.5, 4.0)) if rate_set > 0.0 else 0.5
    frequency, period = _test_tone(sample_rate)
    cycles = round(seconds * frequency)
    tone = db_to_gain(TEST_LEVEL_DBFS) * np.sin(2.0 * np.pi * frequency * np.arange(cycles * period) / sample_rate)
    output = chain.process(tone[None, :].copy())[0]
    envelope = np.sqrt(2.0 * np.mean(output.reshape(cycles, period) ** 2, axis=1)) / db_to_gain(TEST_LEVEL_DBFS)
    depth = float(min(_amplitude_db(envelope.max()) - _amplitude_db(envelope.min()), -FLOOR_DB))
    if depth < 0.01:
        return TremoloMeasurement(0.0, depth)
    t = (np.arange(cycles) + 0.5) / frequency
    return TremoloMeasurement(_fit_sine(t, envelope)[0], depth)


def measure_chorus(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> ChorusMeasurement:
    """Clicks through the wet chain (every Mix at 100 %, mono), spaced wider than the delay's swing; each
    arrives at the largest peak of its window, placed between samples as the centroid of the peak and its
    neighbours (exact for the linear interpolation of the delay line). The sinusoid fitted to the arrival
    delays gives the rate, centre and swing; the swing's steepest slope the pitch bend."""
    chain = _mono_chain(_wet(plan), values, sample_rate)
    centre_set = input_value(chain, "ModulatedDelay", "centre") or 0.0
    depth_set = abs(input_value(chain, "ModulatedDelay", "depth") or 0.0)
    rate_set = input_value(chain, "ModulatedDelay", "rate") or 0.0
    seconds = float(np.clip(2.0 / rate_set, 0.5, 3.0)) if rate_set > 0.0 else 0.5
    spacing = round((2.0 * depth_set + 2.0) * sample_rate / 1000.0)  # samples between clicks
    earliest = max(0, round((centre_set - depth_set - 0.5) * sample_rate / 1000.0))
    clicks = np.arange(0, round(seconds * sample_rate) - earliest - spacing, spacing)
    stimulus = np.zeros((1, clicks[-1] + earliest + 2 * spacing))
    stimulus[0, clicks] = 1.0
    output = np.abs(chain.process(stimulus)[0])
    windows = (clicks + earliest)[:, None] + np.arange(spacing)[None, :]
    peaks = windows[np.arange(clicks.size), np.argmax(output[windows], axis=1)]
    around = peaks[:, None] + np.array([-1, 0, 1])[None, :]
    weights = output[np.clip(around, 0, output.size - 1)]
    arrival = np.sum(around * weights, axis=1) / np.maximum(np.sum(weights, axis=1), 1e-300)
    delay_ms = 1000.0 * (arrival - clicks) / sample_rate
    if np.ptp(delay_ms) < 1e-3:
        return ChorusMeasurement(0.0, float(np.mean(delay_ms)), 0.0, 0.0)
    rate, swing, centre = _fit_sine(arrival / sample_rate, delay_ms)
    slope = min(2.0 * np.pi * rate * swing / 1000.0, 0.999)  # the delay's fastest change, seconds per second
    return ChorusMeasurement(rate, centre, swing, float(-1200.0 * math.log2(1.0 - slope)))


def measure_glide(plan: Plan, values: Values = None, sample_rate: float = REFERENCE_RATE) -> GlideMeasurement | None:
    """A steady signal (DC, mono) while the first knob on a gain input moves by GLIDE_STEP_DB (down if it
    cannot go up): the time from the move until the output is within 1 ppm of where it ends. None without
    such a knob or when the chain passes no DC."""
    knob = _gain_knob(plan)
    if knob is None:
        return None
    parameter = plan.parameter(knob)
    chain = _mono_chain(plan, values, sample_rate)
    start = chain.smoothers[knob].target
    step = GLIDE_STEP_DB if parameter.unit == "dB" else start * (float(db_to_gain(GLIDE_STEP_DB)) - 1.0)
    target = start + step if start + step <= parameter.max else start - step
    lead = round(0.01 * sample_rate)
    before = chain.process(np.full((1, lead), 0.5))[0, -1]
    chain.set_parameter(knob, max(parameter.min, target))
    after = chain.process(np.full((1, round((1.2 * chain.ramp_seconds() + 0.02) * sample_rate)), 0.5))[0]
    change = after[-1] - before
    if abs(change) < 1e-9:
        return None
    moving = np.flatnonzero(np.abs(after - after[-1]) > 1e-6 * abs(change))
    return GlideMeasurement(1000.0 * (moving[-1] + 1 if moving.size else 0) / sample_rate)


def _gain_knob(plan: Plan) -> str | None:
    """The first parameter driving a gain input, in chain order."""
    for block in plan.blocks:
        bound = block.inputs.get(GAIN_INPUTS.get(block.type, ""))
        if isinstance(bound, str):
            return bound
    return None


MEASUREMENTS = {
    "tone": measure_tone,
    "echo": measure_echo,
    "reverb": measure_reverb,
    "filter": measure_filter,
    "distortion": measure_distortion,
    "compressor": measure_compressor,
    "tremolo": measure_tremolo,
    "chorus": measure_chorus,
    "glide": measure_glide,
}

__all__ = [
    "REFERENCE_RATE",
    "SECTIONS",
    "ChorusMeasurement",
    "CompressorMeasurement",
    "DistortionMeasurement",
    "EchoMeasurement",
    "FilterMeasurement",
    "GlideMeasurement",
    "PlanMeasurements",
    "ReverbMeasurement",
    "ToneMeasurement",
    "TremoloMeasurement",
    "applicable_sections",
    "measure",
    "measure_chorus",
    "measure_compressor",
    "measure_distortion",
    "measure_echo",
    "measure_filter",
    "measure_glide",
    "measure_reverb",
    "measure_tone",
    "measure_tremolo",
    "pink_noise",
    "rt60_seconds",
]
