"""The response view: what the plan does at the knob positions heard, redrawn as the knobs move.

The analysis (vaist_lab.dsp.responses) runs on a `LatestWins` worker: a slider dragged across its range
computes only the newest position, and the widget thread never waits for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from vaist_lab.dsp.plots import TRACE_NAMES
from vaist_lab.dsp.responses import Analysis, ControlTraces, FrequencyResponse, ImpulseResponse, analyse
from vaist_lab.plan import Plan
from vaist_lab.ui.components import Axis, Panel, ResponsePlot, Series
from vaist_lab.ui.editor import format_value
from vaist_lab.ui.markup import escape
from vaist_lab.ui.work import LatestWins

SAMPLE_RATE = 48000.0
LONG_IMPULSE_S = 0.2  # longer impulse responses are shown as a level envelope in dB
ENVELOPE_POINTS = 600


def frequency_axis(sample_rate: float) -> Axis:
    return Axis("Frequency", "log", 20.0, sample_rate / 2.0, "Hz")


def _magnitude(response: FrequencyResponse, note: str) -> Panel:
    shown = response.frequency_hz >= 20.0
    frequency = response.frequency_hz[shown]
    if response.fine_structure:  # echoes and reverbs: the peaks and dips between points, not an aliased line
        series = [
            Series("peaks", frequency, response.magnitude_max_db[shown]),
            Series("dips", frequency, response.magnitude_min_db[shown], dash=True),
        ]
    else:
        series = [Series("magnitude", frequency, response.magnitude_db[shown])]
    top = 6.0 * math.ceil((float(response.magnitude_max_db[shown].max()) + 3.0) / 6.0)
    bottom = max(6.0 * math.floor((float(response.magnitude_min_db[shown].min()) - 3.0) / 6.0), top - 84.0)
    y = Axis("Magnitude", "linear", min(bottom, top - 24.0), top, "dB")
    return Panel("Magnitude", frequency_axis(response.sample_rate), y, series, note)


def _phase(response: FrequencyResponse) -> Panel:
    # the phase of a (numerically) zero response, such as a low-pass at Nyquist, means nothing
    shown = (response.frequency_hz >= 20.0) & (response.magnitude_db > response.magnitude_db.max() - 150.0)
    low, high = float(response.phase_min_deg[shown].min()), float(response.phase_max_deg[shown].max())
    bounds = (None, None) if high - low >= 90.0 else (0.5 * (low + high) - 45.0, 0.5 * (low + high) + 45.0)
    y = Axis("Phase", "linear", *bounds, "deg")
    frequency = response.frequency_hz[shown]
    if response.fine_structure:  # it swings between points: its range there, as for the magnitude
        series = [
            Series("highest", frequency, response.phase_max_deg[shown]),
            Series("lowest", frequency, response.phase_min_deg[shown], dash=True),
        ]
        return Panel("Phase (unwrapped)", frequency_axis(response.sample_rate), y, series, "range between points")
    series = [Series("phase", frequency, response.phase_deg[shown])]
    return Panel("Phase (unwrapped)", frequency_axis(response.sample_rate), y, series)


def _impulse(impulse: ImpulseResponse) -> Panel:
    time_ms = 1000.0 * impulse.time_s
    left, right = impulse.samples
    stereo = not np.allclose(left, right, atol=1e-12)
    channels = [("left", left), ("right", right)] if stereo else [("impulse", left)]
    x = Axis("Time", "linear", float(time_ms[0]), float(time_ms[-1]), "ms")
    if impulse.time_s[-1] <= LONG_IMPULSE_S:
        series = [Series(name, time_ms, samples) for name, samples in channels]
        return Panel("Impulse response", x, Axis("Amplitude", "linear", None, None), series)
    series = []
    for name, samples in channels:
        times, peaks = peak_envelope(time_ms, samples, ENVELOPE_POINTS)
        series.append(Series(name, times, 20.0 * np.log10(np.maximum(peaks, 1e-12))))
    top = 20.0 * math.log10(max(float(np.max(np.abs(impulse.samples))), 1e-12))
    y = Axis("Peak level", "linear", 6.0 * math.floor((top - 84.0) / 6.0), 6.0 * math.ceil((top + 3.0) / 6.0), "dB")
    return Panel("Impulse response (level)", x, y, series)


def peak_envelope(times: np.ndarray, samples: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """The peak magnitude in `points` equal stretches of the signal, at each stretch's start."""
    size = max(1, math.ceil(samples.size / points))
    padded = np.pad(np.abs(samples), (0, -samples.size % size))
    return times[::size], padded.reshape(-1, size).max(axis=1)


def _panels(analysis: Analysis) -> list[Panel]:
    panels: list[Panel] = []
    if analysis.frequency is not None:
        panels += [
            _magnitude(analysis.frequency, "; ".join([analysis.frequency.method, *analysis.notes])),
            _phase(analysis.frequency),
        ]
    if analysis.impulse is not None:
        panels.append(_impulse(analysis.impulse))
    if analysis.transfer is not None:
        curve = analysis.transfer
        unit = "dBFS" if curve.scale == "dB" else ""
        scale = "Level" if curve.scale == "dB" else "Amplitude"
        bypassed = f" ({', '.join(curve.bypassed)} bypassed)" if curve.bypassed else ""
        panels.append(
            Panel(
                f"Static curve{bypassed}",
                Axis(f"Input {scale.lower()}", "linear", float(curve.input[0]), float(curve.input[-1]), unit),
                Axis(f"Output {scale.lower()}", "linear", None, None, unit),
                [Series("1:1", curve.input, curve.input, dash=True), Series("chain", curve.input, curve.output)],
            )
        )
    if analysis.harmonics is not None:
        spectrum = analysis.harmonics
        panels.append(
            Panel(
                f"Harmonics of {spectrum.fundamental_hz:.4g} Hz at {spectrum.level_db:g} dBFS",
                Axis("Harmonic", "linear", 0.5, float(spectrum.harmonic[-1]) + 0.5),
                Axis("Level", "linear", None, None, "dBFS"),
                [Series("level", spectrum.harmonic, np.maximum(spectrum.level_dbfs, -160.0))],
                f"THD {spectrum.thd_percent:.3g} %",
            )
        )
    if analysis.controls is not None:
        panels += _control_panels(analysis.controls)
    return panels


def _control_panels(controls: ControlTraces) -> list[Panel]:
    groups: dict[str, list[str]] = {}
    for name in controls.traces:
        groups.setdefault("dB" if name.endswith("_db") else "ms" if name.endswith("_ms") else "", []).append(name)
    x = Axis("Time", "linear", 0.0, float(controls.time_s[-1]), "s")
    panels = []
    for unit, names in groups.items():
        series = [
            Series(TRACE_NAMES.get(name, name.replace("_", " ")), controls.time_s, controls.traces[name])
            for name in names
        ]
        if unit == "dB" and controls.input_level_db is not None:
            series.insert(0, Series("input level", controls.time_s, controls.input_level_db, dash=True))
        label = {"dB": "Level", "ms": "Delay", "": "Value"}[unit]
        panels.append(
            Panel(f"Control signals ({controls.stimulus})", x, Axis(label, "linear", None, None, unit), series)
        )
    times, peaks = peak_envelope(controls.time_s, controls.output, ENVELOPE_POINTS)
    panels.append(
        Panel(
            f"Output envelope of the {controls.stimulus}",
            x,
            Axis("Peak", "linear", 0.0, None),
            [Series("output", times, peaks)],
        )
    )
    return panels


@dataclass(frozen=True)
class Drawing:
    panels: list[Panel]
    title: str
    seconds: float  # how long the analysis took


def draw(plan: Plan, values: Mapping[str, float], sample_rate: float = SAMPLE_RATE) -> Drawing:
    started = time.perf_counter()
    analysis = analyse(plan, values, sample_rate)
    return Drawing(_panels(analysis), title(plan, analysis.values, sample_rate), time.perf_counter() - started)


def title(plan: Plan, values: Mapping[str, float], sample_rate: float) -> str:
    """'TapeEcho (DELAY) at 48 kHz: Time 577 ms · Feedback 45 %': the knobs as their readouts show them."""
    knobs = " · ".join(
        f"{parameter.display_name} {format_value(values[parameter.name], parameter.unit)}"
        for parameter in plan.parameters
    )
    return f"{plan.plugin_name} ({plan.category}) at {sample_rate / 1000:g} kHz: {knobs}"


class ResponseView(widgets.VBox):
    """Magnitude and phase, impulse response, static curve and harmonics, LFO/envelope traces: whichever
    apply to the plan, at the given knob positions. `show(plan, values)` returns at once."""

    def __init__(self) -> None:
        self.title = widgets.HTML(layout=widgets.Layout(margin="0 0 4px 0"))
        self.title.add_class("vaist-response-title")
        self.plot = ResponsePlot(columns=2, height_px=230)
        self.problem = widgets.HTML()
        super().__init__([self.title, self.plot, self.problem])
        self.add_class("vaist-responses")
        self._worker: LatestWins[tuple[Plan, dict[str, float]], Drawing] = LatestWins(
            lambda request: draw(*request), self._deliver, self._fail, name="vaist-responses"
        )

    def show(self, plan: Plan | None, values: Mapping[str, float]) -> None:
        if plan is None:
            self.title.value = "<i>No plan yet: describe the effect in the chat.</i>"
            self.plot.show([])
            return
        self.plot.busy = True
        self._worker.submit((plan, dict(values)))

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._worker.wait_idle(timeout)

    def _deliver(self, drawing: Drawing) -> None:
        self.problem.value = ""
        self.title.value = f"<span>{escape(drawing.title)}</span>"
        self.plot.show(drawing.panels)
        self.plot.busy = False

    def _fail(self, error: BaseException) -> None:
        self.plot.busy = False
        self.problem.value = f"<div class='vaist-error'>Cannot analyse this setting: {escape(str(error))}</div>"


__all__ = ["Drawing", "ResponseView", "draw", "peak_envelope"]
