"""CPU cost of the generated plugins against JUCE's own effects, side by side in one run:

    python benchmarks/bench_plugins.py [--repeats 5] [--block-size 512] [--seconds 30]

Each plan is built with the local builder (the user's cache: incremental after the first time) and hosted in
pedalboard as a VST3; beside it runs pedalboard's built-in JUCE effect of the same kind, set alike, on the
same stereo 48 kHz noise (-12 dBFS RMS) with the same block size. Kinds are matched: pedalboard's
LowpassFilter is first order, so FILTER is a generated first-order low-pass (one OnePole block), and the
resonant-sweep template (a second-order state-variable filter) is shown beside PeakFilter (JUCE's IIR
biquad); pedalboard has no tremolo, so its Phaser (the other LFO-driven effect besides Chorus) stands in.

The hosting floor is the GAIN plugin with its VST3 bypass on: JUCE's wrapper then only passes the audio
through, so what remains is what hosting any VST3 costs in pedalboard (its copies in and out of the plugin's
buses, the VST3 process call) against the same built-in Gain. No generated plugin can be cheaper than that.

Figures are the best of `repeats` runs in CPU time of the processing thread (robust to the machine's other
work); ratio = plugin / JUCE, goal <= 1.2. Nothing is asserted: this is a report.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from vaist_lab.build import BuildFinished, LocalBuilder
from vaist_lab.codegen import generate_project
from vaist_lab.plan import Plan, load_plan, parse_plan

GOAL = 1.2
SAMPLE_RATE = 48000

# pedalboard's LowpassFilter is JUCE's first-order IIR low-pass: the generated plugin of the same kind.
FIRST_ORDER_LOWPASS = {
    "schemaVersion": 1,
    "pluginName": "BenchLowpass",
    "category": "FILTER",
    "explanation": "A first-order low-pass, the same kind of filter as pedalboard's LowpassFilter.",
    "parameters": [{"name": "cutoff", "displayName": "Cutoff", "min": 20, "max": 20000, "default": 1000, "unit": "Hz"}],
    "dspBlocks": [{"type": "OnePole", "inputs": {"mode": "lowpass", "frequency": "cutoff"}}],
}


def bench_plan(source: str | dict) -> Plan:
    return parse_plan(source, "FIRST_ORDER_LOWPASS") if isinstance(source, dict) else load_plan(source)


def builtins(pedalboard):
    """Per category: (plan, {plan parameter: value}, the built-in effect set alike, what it is)."""
    return {
        "GAIN": ("velvet-trim", {"trim": -6.0}, pedalboard.Gain(gain_db=-6.0), "Gain"),
        "FILTER": (
            FIRST_ORDER_LOWPASS,
            {"cutoff": 1200.0},
            pedalboard.LowpassFilter(cutoff_frequency_hz=1200.0),
            "LowpassFilter",
        ),
        "DELAY": (
            "tape-echo",
            {"delayTime": 380.0, "feedback": 45.0, "mix": 35.0},
            pedalboard.Delay(delay_seconds=0.38, feedback=0.45, mix=0.35),
            "Delay",
        ),
        "DISTORTION": ("warm-drive", {"drive": 12.0}, pedalboard.Distortion(drive_db=12.0), "Distortion"),
        "CHORUS": (
            "silk-chorus",
            {"delay": 8.0, "depth": 2.5, "rate": 0.8, "mix": 50.0},
            pedalboard.Chorus(rate_hz=0.8, depth=0.25, centre_delay_ms=8.0, feedback=0.0, mix=0.5),
            "Chorus",
        ),
        "REVERB": (
            "classic-room",
            {"size": 65.0, "damping": 40.0, "width": 100.0, "mix": 30.0},
            pedalboard.Reverb(room_size=0.65, damping=0.4, wet_level=0.3, dry_level=0.7, width=1.0),
            "Reverb",
        ),
        "COMPRESSOR": (
            "glue-bus",
            {"threshold": -18.0, "ratio": 4.0, "attack": 10.0, "release": 150.0},
            pedalboard.Compressor(threshold_db=-18.0, ratio=4.0, attack_ms=10.0, release_ms=150.0),
            "Compressor",
        ),
        "TREMOLO": (
            "vintage-tremolo",
            {"rate": 5.0, "depth": 60.0},
            pedalboard.Phaser(rate_hz=5.0, depth=0.6, mix=1.0),
            "Phaser (no tremolo)",
        ),
    }


def best_cpu_seconds(effect, audio: np.ndarray, block_size: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.thread_time()
        effect.process(audio, SAMPLE_RATE, buffer_size=block_size, reset=True)
        best = min(best, time.thread_time() - started)
    return best


def set_values(plugin, plan, values: dict[str, float]) -> None:
    by_name = {parameter.name: parameter for parameter in plugin._parameters}
    for parameter in plan.parameters:
        if parameter.name in values:
            hosted = by_name[parameter.display_name]
            hosted.raw_value = (values[parameter.name] - parameter.min) / (parameter.max - parameter.min)


def main() -> None:
    import pedalboard

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--block-size", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    samples = round(args.seconds * SAMPLE_RATE)
    audio = (10 ** (-12 / 20) * np.random.default_rng(1).standard_normal((2, samples))).astype(np.float32)

    def build(source: str | dict, scratch: Path):
        plan = bench_plan(source)
        project = generate_project(plan, scratch / plan.plugin_name)
        finished = None
        for event in LocalBuilder().build(project, scratch / "out"):
            if isinstance(event, BuildFinished):
                finished = event
        if finished is None or not finished.success:
            raise SystemExit(f"{plan.plugin_name}: {finished.message if finished else 'no result'}")
        return plan, pedalboard.load_plugin(str(finished.artifact))

    def line(category: str, name: str, ours: float, what: str, theirs: float, flag: bool = True) -> None:
        over = "  over" if flag and ours / theirs > GOAL else ""
        figures = f"{ours * 1000:7.1f}   {what:<20} {theirs * 1000:7.1f}  {ours / theirs:5.2f}{over}"
        print(f"{category:<11} {name:<15} {figures}")

    with tempfile.TemporaryDirectory(prefix="vaist-bench-") as scratch:
        effects = builtins(pedalboard)
        plugins = {category: build(source, Path(scratch)) for category, (source, _, _, _) in effects.items()}
        plugins["SVF"] = build("resonant-sweep", Path(scratch))

        print(
            f"{args.seconds:g} s stereo {SAMPLE_RATE // 1000} kHz noise, block {args.block_size}, "
            f"best of {args.repeats}, CPU ms of the processing thread; goal plugin/JUCE <= {GOAL}"
        )
        header = f"{'category':<11} {'plugin':<15} {'ms':>7}   {'JUCE effect':<20} {'ms':>7}  {'ratio':>5}"
        print(header)
        print("-" * len(header))
        measured = {}
        for category, (_, values, builtin, what) in effects.items():
            plan, plugin = plugins[category]
            set_values(plugin, plan, values)
            ours = best_cpu_seconds(plugin, audio, args.block_size, args.repeats)
            theirs = best_cpu_seconds(builtin, audio, args.block_size, args.repeats)
            measured[category] = (ours, theirs)
            line(category, plugin.name, ours, what, theirs)

        plan, plugin = plugins["SVF"]
        set_values(plugin, plan, {"cutoff": 1200.0, "resonance": 2.5})
        ours = best_cpu_seconds(plugin, audio, args.block_size, args.repeats)
        peak = pedalboard.PeakFilter(cutoff_frequency_hz=1200.0, gain_db=6.0, q=2.5)
        line("(FILTER", "2nd order)", ours, "PeakFilter", best_cpu_seconds(peak, audio, args.block_size, args.repeats))
        first_order = best_cpu_seconds(effects["FILTER"][2], audio, args.block_size, args.repeats)
        line("", "", ours, "LowpassFilter (1st)", first_order, flag=False)

        gain_plugin = plugins["GAIN"][1]
        gain_plugin.bypass = True
        floor = best_cpu_seconds(gain_plugin, audio, args.block_size, args.repeats)
        gain_plugin.bypass = False
        line("(floor", "bypassed VST3)", floor, "Gain", measured["GAIN"][1], False)
        print(
            f"hosting floor: a VST3 that only passes audio through costs {floor / measured['GAIN'][1]:.2f} x "
            "pedalboard's Gain; over that floor, per category (plugin - floor) / JUCE effect:"
        )
        over_floor = (f"{category} {(ours - floor) / theirs:.2f}" for category, (ours, theirs) in measured.items())
        print("  " + ", ".join(over_floor))


if __name__ == "__main__":
    main()
