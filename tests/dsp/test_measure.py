"""Measurements of a plan's reference model (dsp/measure.py) on plans whose answers are known in closed form:
an echo's spacing and loss per repeat from its loop gain, a one-pole's -3 dB point, a comb's decay, tanh's
harmonics, a compressor's time constants and ratio, a tremolo's and a chorus's rate and depth."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from vaist_lab.dsp.design import one_pole_transfer, svf_transfer
from vaist_lab.dsp.linear import evaluate_transfer_function
from vaist_lab.dsp.measure import (
    BAND_CENTRES_HZ,
    FLOOR_DB,
    TEST_LEVEL_DBFS,
    applicable_sections,
    measure,
    measure_chorus,
    measure_compressor,
    measure_distortion,
    measure_echo,
    measure_filter,
    measure_glide,
    measure_reverb,
    measure_tone,
    measure_tremolo,
    rt60_seconds,
)
from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.io import load_template, template_names

FS = 48000.0


def plan_of(blocks: list[dict[str, Any]], *parameters: dict[str, Any], category: str = "FILTER") -> Plan:
    return parse_plan(
        {
            "pluginName": "MeasuredPlan",
            "explanation": "A plan written by the measurement tests, whose answers are known in closed form.",
            "category": category,
            "parameters": list(parameters),
            "dspBlocks": blocks,
        }
    )


def knob(name: str, unit: str, low: float, high: float, default: float) -> dict[str, Any]:
    return {"name": name, "displayName": name.capitalize(), "min": low, "max": high, "default": default, "unit": unit}


def one_pole_db(mode: str, cutoff: float, at_hz: float) -> float:
    b, a = one_pole_transfer(mode, cutoff, FS)
    z = np.exp(2j * np.pi * at_hz / FS)
    return float(20.0 * np.log10(np.abs(evaluate_transfer_function(b, a, np.array([z])))[0]))


# -- echo -------------------------------------------------------------------------------------------------


def echo_plan(damping: float, feedback: float = 50.0, time_ms: float = 250.0) -> Plan:
    return plan_of(
        [
            {"type": "DelayLine", "inputs": {"time": time_ms}},
            {"type": "FeedbackLoop", "inputs": {"feedback": "feedback", "damping": damping}},
        ],
        knob("feedback", "%", 0, 95, feedback),
        category="DELAY",
    )


@pytest.mark.parametrize("damping", [20000.0, 2000.0])
def test_an_echo_repeats_at_its_delay_and_loses_its_loop_gain_per_repeat(damping: float) -> None:
    echo = measure_echo(echo_plan(damping), None, FS)

    assert echo is not None
    assert echo.repeat_spacing_ms == pytest.approx(250.0, abs=0.01)
    # each repeat is the one before through the loop: feedback 0.5 times the damping low-pass
    drop = -20.0 * math.log10(0.5) - one_pole_db("lowpass", damping, 500.0)
    assert echo.level_drop_per_repeat_db == pytest.approx(drop, abs=0.02)
    assert echo.hf_loss_per_repeat_db == pytest.approx(
        one_pole_db("lowpass", damping, 500.0) - one_pole_db("lowpass", damping, 5000.0), abs=0.02
    )
    assert echo.audible_repeats == math.floor(60.0 / drop) + 1
    assert echo.decay_to_minus_60_db_s == pytest.approx(0.25 * (1.0 + 60.0 / drop), rel=1e-3)


def test_a_delay_of_250_ms_with_feedback_one_half_drops_6_db_per_repeat() -> None:
    echo = measure_echo(echo_plan(20000.0), None, FS)

    assert echo is not None and round(echo.repeat_spacing_ms, 1) == 250.0
    assert round(echo.level_drop_per_repeat_db, 1) == 6.0


def test_an_echo_without_feedback_repeats_once_and_a_knob_moves_it() -> None:
    plan = plan_of(
        [{"type": "DelayLine", "inputs": {"time": "time"}}], knob("time", "ms", 10, 1000, 120), category="DELAY"
    )

    single = measure_echo(plan, None, FS)
    moved = measure_echo(plan, {"time": 333.0}, FS)

    assert single is not None and single.audible_repeats == 1 and single.level_drop_per_repeat_db is None
    assert single.repeat_spacing_ms == pytest.approx(120.0, abs=0.01)
    assert moved is not None and moved.repeat_spacing_ms == pytest.approx(333.0, abs=0.01)


def test_an_echo_mixed_with_its_dry_signal_measures_the_same_repeats() -> None:
    dry_and_wet = load_template("tape-echo")
    wet = dry_and_wet.model_copy(update={"dsp_blocks": dry_and_wet.blocks[:3]})

    mixed, alone = measure_echo(dry_and_wet, None, FS), measure_echo(wet, None, FS)

    assert mixed is not None and alone is not None
    assert mixed.repeat_spacing_ms == pytest.approx(alone.repeat_spacing_ms, abs=1e-6)
    assert mixed.hf_loss_per_repeat_db == pytest.approx(alone.hf_loss_per_repeat_db, abs=1e-6)


# -- reverb -----------------------------------------------------------------------------------------------


def test_rt60_of_an_exponential_decay() -> None:
    t = np.arange(round(4.0 * FS)) / FS
    for rt60 in (0.4, 1.5):
        energy = 10.0 ** (-6.0 * t / rt60)  # 60 dB down at rt60
        assert rt60_seconds(energy, FS) == pytest.approx(rt60, rel=0.002)
    assert rt60_seconds(np.zeros(100), FS) is None


def comb_plan(room: float, damping: float, width: float = 100.0, mix: float | None = None) -> Plan:
    blocks: list[dict[str, Any]] = [
        {"type": "Comb", "inputs": {"roomSize": "size", "damping": damping}},
        {"type": "Diffuser", "inputs": {"width": width}},
    ]
    if mix is not None:
        blocks.append({"type": "Mix", "inputs": {"mix": mix}})
    return plan_of(blocks, knob("size", "%", 0, 100, room), category="REVERB")


def test_a_freeverb_decays_between_its_shortest_and_longest_comb() -> None:
    # undamped, comb k decays by its feedback g every L_k samples: RT60_k = 3 L_k / fs / -log10(g)
    g = 0.7 + 0.28 * 0.5
    lengths = np.floor(np.array([1116, 1617]) * FS / 44100.0 + 0.5)
    shortest, longest = 3.0 * lengths / FS / -math.log10(g)

    reverb = measure_reverb(comb_plan(50.0, 0.0), None, FS)

    assert reverb is not None and reverb.rt60_s is not None
    assert shortest <= reverb.rt60_s <= longest


def test_damping_darkens_the_tail_size_lengthens_it_width_decorrelates_it() -> None:
    bright, dark = (measure_reverb(comb_plan(50.0, damping), None, FS) for damping in (0.0, 100.0))
    small, large = (measure_reverb(comb_plan(room, 40.0), None, FS) for room in (20.0, 80.0))
    mono = measure_reverb(comb_plan(50.0, 40.0, width=0.0), None, FS)

    assert bright and dark and small and large and mono
    assert dark.tail_centroid_hz < 0.8 * bright.tail_centroid_hz
    assert dark.hf_lf_decay_ratio is not None and bright.hf_lf_decay_ratio is not None
    assert dark.hf_lf_decay_ratio < bright.hf_lf_decay_ratio - 0.1
    assert large.rt60_s is not None and small.rt60_s is not None and large.rt60_s > 1.5 * small.rt60_s
    assert mono.stereo_correlation == pytest.approx(1.0, abs=1e-9) and bright.stereo_correlation < 0.5


def test_a_reverbs_dry_signal_does_not_count_in_its_tail() -> None:
    wet, mixed = (
        measure_reverb(comb_plan(60.0, 40.0), None, FS),
        measure_reverb(comb_plan(60.0, 40.0, mix=30), None, FS),
    )

    assert wet is not None and mixed is not None and wet.rt60_s is not None
    assert mixed.rt60_s == pytest.approx(wet.rt60_s, rel=1e-6)
    assert measure_reverb(comb_plan(60.0, 40.0, mix=0), None, FS) is None  # nothing but the dry signal


# -- filter -----------------------------------------------------------------------------------------------


def test_a_one_pole_lowpass_is_3_db_down_at_its_cutoff() -> None:
    plan = plan_of(
        [{"type": "OnePole", "inputs": {"mode": "lowpass", "frequency": "cutoff"}}],
        knob("cutoff", "Hz", 20, 20000, 1000),
    )

    measured = measure_filter(plan, None, FS)

    assert measured.shape == "lowpass"
    assert measured.cutoff_hz == pytest.approx(1000.0, rel=0.002)
    slope = one_pole_db("lowpass", 1000.0, 2000.0) - one_pole_db("lowpass", 1000.0, 4000.0)
    assert measured.slope_db_per_octave == pytest.approx(slope, abs=0.02)
    assert measured.resonance_peak_db == pytest.approx(0.0, abs=1e-6)


def test_a_resonant_state_variable_lowpass_peaks_as_its_transfer_function() -> None:
    plan = plan_of(
        [{"type": "StateVariable", "inputs": {"mode": "lowpass", "frequency": 1000, "resonance": "q"}}],
        knob("q", "", 0.5, 10, 4),
    )
    b, a = svf_transfer("lowpass", 1000.0, 4.0, FS)
    dense = np.linspace(500.0, 2000.0, 20001)
    peak = 20.0 * np.log10(np.abs(evaluate_transfer_function(b, a, np.exp(2j * np.pi * dense / FS))).max())

    measured = measure_filter(plan, None, FS)

    assert measured.shape == "lowpass"
    assert measured.resonance_peak_db == pytest.approx(peak, abs=0.05)
    assert measured.slope_db_per_octave is not None and 11.0 < measured.slope_db_per_octave < 14.0


@pytest.mark.parametrize(
    ("block", "shape", "at_hz"),
    [
        ({"type": "OnePole", "inputs": {"mode": "highpass", "frequency": "f"}}, "highpass", 500.0),
        ({"type": "Biquad", "inputs": {"mode": "bandpass", "frequency": "f", "q": 2.0}}, "bandpass", 500.0),
        ({"type": "Biquad", "inputs": {"mode": "notch", "frequency": "f", "q": 2.0}}, "notch", 500.0),
        ({"type": "Biquad", "inputs": {"mode": "lowshelf", "frequency": "f", "gain": 9.0}}, "shelf", 500.0),
    ],
)
def test_the_shape_of_a_filter_and_where_it_acts(block: dict[str, Any], shape: str, at_hz: float) -> None:
    measured = measure_filter(plan_of([block], knob("f", "Hz", 20, 20000, 500)), None, FS)

    assert measured.shape == shape
    assert measured.cutoff_hz == pytest.approx(at_hz, rel=0.01)


# -- distortion -------------------------------------------------------------------------------------------


def test_tanh_harmonics_are_those_of_its_fourier_series() -> None:
    plan = plan_of([{"type": "TanhSaturation", "inputs": {"drive": "drive"}}], knob("drive", "dB", -24, 24, 6))
    amplitude = 10.0 ** ((TEST_LEVEL_DBFS + 6.0) / 20.0)
    one_period = np.tanh(amplitude * np.sin(2.0 * np.pi * np.arange(4096) / 4096))
    coefficients = 2.0 * np.abs(np.fft.rfft(one_period)) / 4096  # harmonic k at bin k

    measured = measure_distortion(plan, None, FS)

    relative = 20.0 * np.log10(coefficients[1:6] / coefficients[1])
    assert measured.harmonic3_dbc == pytest.approx(relative[2], abs=0.01)
    assert measured.harmonic5_dbc == pytest.approx(relative[4], abs=0.05)
    assert measured.harmonic2_dbc == measured.harmonic4_dbc == FLOOR_DB  # an odd curve: no even harmonics
    thd = 100.0 * np.sqrt(np.sum(coefficients[2:11] ** 2)) / coefficients[1]
    assert measured.thd_percent == pytest.approx(thd, rel=1e-3)
    assert measured.output_level_dbfs == pytest.approx(10.0 * np.log10(np.sum(coefficients[1:11] ** 2)), abs=0.01)


def test_a_hard_clipper_driven_hard_makes_a_square_wave() -> None:
    plan = plan_of(
        [{"type": "Waveshaper", "inputs": {"curve": "hardclip", "drive": "drive"}}],
        knob("drive", "dB", 0, 60, 54),
        category="DISTORTION",
    )

    measured = measure_distortion(plan, None, FS)

    assert measured.harmonic3_dbc == pytest.approx(20.0 * math.log10(1 / 3), abs=0.3)  # a square's 1/k
    assert measured.harmonic5_dbc == pytest.approx(20.0 * math.log10(1 / 5), abs=0.4)
    assert measured.high_harmonics_dbc > measured.harmonic5_dbc  # the 5th, 7th and 9th together


# -- compressor -------------------------------------------------------------------------------------------


def compressor_plan(detector: str, threshold: float, ratio: float) -> Plan:
    return plan_of(
        [
            {"type": "Envelope", "inputs": {"attack": "attack", "release": 100, "detector": detector}},
            {"type": "GainReduction", "inputs": {"threshold": threshold, "ratio": ratio, "knee": 0}},
        ],
        knob("attack", "ms", 0.1, 100, 10),
        category="COMPRESSOR",
    )


def test_a_compressor_times_its_attack_and_release_and_keeps_its_ratio() -> None:
    measured = measure_compressor(compressor_plan("peak", -60.0, 4.0), None, FS)

    assert measured.attack_ms == pytest.approx(10.0, rel=0.01)
    assert measured.release_ms == pytest.approx(100.0, rel=0.01)
    assert measured.ratio == pytest.approx(4.0, rel=0.005)
    fast = measure_compressor(compressor_plan("peak", -60.0, 4.0), {"attack": 1.0}, FS)
    assert fast.attack_ms == pytest.approx(1.0, rel=0.03)


def test_gain_reduction_of_a_steady_sine_at_minus_10_dbfs() -> None:
    # an rms detector reads the sine 3 dB below its peak: above a -60 dB threshold at 4:1, 3/4 of the excess
    measured = measure_compressor(compressor_plan("rms", -60.0, 4.0), None, FS)

    assert measured.gain_reduction_db == pytest.approx((-10.0 - 10.0 * math.log10(2.0) + 60.0) * 0.75, abs=0.05)


def test_a_compressor_that_never_acts_has_nothing_to_time() -> None:
    measured = measure_compressor(compressor_plan("peak", 0.0, 1.0), None, FS)

    assert measured.gain_reduction_db == pytest.approx(0.0, abs=1e-9)
    assert measured.attack_ms is None and measured.release_ms is None and measured.ratio == 1.0


# -- modulation -------------------------------------------------------------------------------------------


def test_a_tremolo_pulses_at_its_rate_and_dips_by_its_depth() -> None:
    plan = plan_of(
        [{"type": "LFO", "inputs": {"rate": "rate"}}, {"type": "Modulator", "inputs": {"depth": 50}}],
        knob("rate", "Hz", 0.1, 20, 4),
        category="TREMOLO",
    )

    measured = measure_tremolo(plan, None, FS)
    slow = measure_tremolo(plan, {"rate": 0.7}, FS)

    assert measured.rate_hz == pytest.approx(4.0, rel=1e-3)
    assert measured.depth_db == pytest.approx(20.0 * math.log10(1.0 / 0.5), abs=0.02)
    assert slow.rate_hz == pytest.approx(0.7, rel=2e-3)


@pytest.mark.parametrize("mix", [None, 40.0])
def test_a_chorus_sweeps_its_delay_at_its_rate(mix: float | None) -> None:
    blocks: list[dict[str, Any]] = [{"type": "ModulatedDelay", "inputs": {"centre": "delay", "depth": 2, "rate": 1.5}}]
    if mix is not None:
        blocks.append({"type": "Mix", "inputs": {"mix": mix}})
    plan = plan_of(blocks, knob("delay", "ms", 1, 30, 7), category="CHORUS")

    measured = measure_chorus(plan, None, FS)

    assert measured.rate_hz == pytest.approx(1.5, rel=1e-3)
    assert measured.centre_delay_ms == pytest.approx(7.0, abs=0.005)
    assert measured.depth_ms == pytest.approx(2.0, abs=0.005)
    assert measured.depth_cents == pytest.approx(-1200.0 * math.log2(1.0 - 2.0 * math.pi * 1.5 * 0.002), rel=2e-3)


def test_a_glide_takes_its_ramp_time() -> None:
    measured = measure_glide(load_template("velvet-trim"), None, FS)
    slower = measure_glide(load_template("velvet-trim"), {"glide": 200.0}, FS)

    assert measured is not None and measured.glide_ms == pytest.approx(50.0, abs=0.05)
    assert slower is not None and slower.glide_ms == pytest.approx(200.0, abs=0.05)


# -- tone -------------------------------------------------------------------------------------------------


def test_a_gain_changes_the_level_and_nothing_else() -> None:
    plan = plan_of([{"type": "OutputGain", "inputs": {"gain": "level"}}], knob("level", "dB", -24, 12, -6))

    tone = measure_tone(plan, None, FS)

    assert tone.level_change_db == pytest.approx(-6.0, abs=1e-6)
    assert tone.tilt_db_per_octave == pytest.approx(0.0, abs=1e-6)
    assert tone.low_end_db == pytest.approx(0.0, abs=1e-6)
    assert tone.centroid_hz == pytest.approx(float(np.mean(BAND_CENTRES_HZ)), rel=1e-6)  # pink in, pink out


def test_pink_noise_measures_a_nonlinear_chain_in_its_linear_range() -> None:
    plan = plan_of([{"type": "TanhSaturation", "inputs": {"drive": "drive"}}], knob("drive", "dB", -24, 24, -24))

    tone = measure_tone(plan, None, FS)

    assert tone.level_change_db == pytest.approx(-24.0, abs=0.01)
    assert tone.tilt_db_per_octave == pytest.approx(0.0, abs=0.01)


def test_a_lowpass_darkens_and_tilts_the_tone() -> None:
    flat = plan_of([{"type": "OutputGain", "inputs": {"gain": "level"}}], knob("level", "dB", -24, 12, 0))
    dark = plan_of(
        [{"type": "OnePole", "inputs": {"mode": "lowpass", "frequency": "cutoff"}}],
        knob("cutoff", "Hz", 20, 20000, 1000),
    )

    assert measure_tone(dark, None, FS).centroid_hz < 0.5 * measure_tone(flat, None, FS).centroid_hz
    assert measure_tone(dark, None, FS).tilt_db_per_octave < -3.0


# -- every template -----------------------------------------------------------------------------------------

SECTIONS = {
    "classic-room": ("tone", "reverb"),
    "glue-bus": ("tone", "compressor"),
    "resonant-sweep": ("tone", "filter"),
    "silk-chorus": ("tone", "chorus"),
    "tape-echo": ("tone", "echo"),
    "velvet-trim": ("tone", "glide"),
    "vintage-tremolo": ("tone", "tremolo"),
    "warm-drive": ("tone", "distortion"),
}


def test_every_template_gets_the_measurements_of_its_category() -> None:
    assert set(SECTIONS) == set(template_names())
    for name, sections in SECTIONS.items():
        plan = load_template(name)
        assert applicable_sections(plan) == sections, name
        measured = measure(plan)
        quantities = measured.quantities()
        assert {key.split(".")[0] for key in quantities} == set(sections), name
        assert all(math.isfinite(value) for value in quantities.values())
    assert measure(load_template("tape-echo"), sections=("echo",)).tone is None
