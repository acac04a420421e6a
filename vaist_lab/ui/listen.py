"""Listen: the plan's model on test signals or the user's own file, dry/wet and this version against an
earlier one, switched in the browser (WebAudio) without a click. Renders run on a `LatestWins` worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from vaist_lab.audio import decode_upload
from vaist_lab.dsp.chain import render
from vaist_lab.dsp.signals import TEST_SIGNALS, test_signal
from vaist_lab.errors import VaistError
from vaist_lab.plan import Plan
from vaist_lab.ui.components import AudioPlayer
from vaist_lab.ui.work import LatestWins

SAMPLE_RATE = 48000
SIGNAL_SECONDS = 4.0
PREVIEW_SECONDS = 30.0  # of an uploaded file: enough to judge, quick to render and to send
UPLOAD = "upload"
NO_COMPARISON = 0  # plan versions start at 1
# renders wait for a knob to rest this long: the plot, which the eye follows while dragging, gets the CPU first
RENDER_DEBOUNCE_S = 0.15


@dataclass(frozen=True)
class Request:
    signal: str
    plan: Plan
    values: dict[str, float]
    compare: tuple[int, Plan] | None  # an earlier plan version to hear against this one


def level_gains(clips: Mapping[str, np.ndarray], reference: str = "dry") -> dict[str, float]:
    """Gains that bring every clip to the reference clip's RMS level (silent clips stay as they are)."""

    def rms(audio: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0

    target = rms(clips[reference])
    gains = {}
    for name, audio in clips.items():
        level = rms(audio)
        gains[name] = min(target / level, 16.0) if level > 1e-9 and target > 0 else 1.0
    return gains


class ListenPanel(widgets.VBox):
    def __init__(self) -> None:
        self.signal = widgets.Dropdown(
            options=[(title, name) for name, title in TEST_SIGNALS.items()],
            value=next(iter(TEST_SIGNALS)),
            description="Signal",
            style={"description_width": "50px"},
            layout=widgets.Layout(width="260px"),
        )
        self.signal.add_class("vaist-signal")
        self.compare = widgets.Dropdown(
            options=[("nothing else", NO_COMPARISON)],
            value=NO_COMPARISON,
            description="Also hear",
            style={"description_width": "70px"},
            layout=widgets.Layout(width="280px"),
        )
        self.compare.add_class("vaist-compare")
        self.level_match = widgets.Checkbox(
            False, description="Level-matched", indent=False, layout=widgets.Layout(width="140px")
        )
        self.level_match.add_class("vaist-level-match")
        self.player = AudioPlayer()
        self.player.add_class("vaist-player-widget")
        self.player.on_upload(self._uploaded)
        widgets.link((self.level_match, "value"), (self.player, "level_match"))
        super().__init__(
            [
                widgets.HBox(
                    [self.signal, self.compare, self.level_match],
                    layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.player,
            ]
        )
        self.add_class("vaist-listen")
        self._upload: tuple[str, np.ndarray, int] | None = None
        self._dry: dict[str, tuple[np.ndarray, int]] = {}
        self._plan: Plan | None = None
        self._values: dict[str, float] = {}
        self._versions: dict[int, Plan] = {}
        self._worker: LatestWins[Request, tuple[int, dict[str, np.ndarray], dict[str, str]]] = LatestWins(
            self._render, self._deliver, self._fail, debounce_s=RENDER_DEBOUNCE_S, name="vaist-listen"
        )
        self.signal.observe(lambda _: self._refresh(), "value")
        self.compare.observe(lambda _: self._refresh(), "value")

    def show(self, plan: Plan | None, values: Mapping[str, float], versions: Sequence[tuple[int, Plan]] = ()) -> None:
        """Hear `plan` at `values`; `versions` are the earlier plan versions offered for comparison."""
        self._plan = plan
        self._values = dict(values)
        self._versions = dict(versions)
        options = [("nothing else", NO_COMPARISON)] + [(f"version {number}", number) for number, _ in versions]
        if [value for _, value in options] != [value for _, value in self.compare.options]:
            chosen = self.compare.value if self.compare.value in self._versions else NO_COMPARISON
            self.compare.options = options
            self.compare.value = chosen
        self._refresh()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._worker.wait_idle(timeout)

    def _refresh(self) -> None:
        if self._plan is None:
            return
        compare = self.compare.value
        earlier = (compare, self._versions[compare]) if compare in self._versions else None
        self.player.status = "rendering…"
        self._worker.submit(Request(self.signal.value, self._plan, self._values, earlier))

    def _source(self, name: str) -> tuple[np.ndarray, int]:
        if name == UPLOAD:
            if self._upload is None:
                raise VaistError("no file uploaded yet")
            return self._upload[1], self._upload[2]
        if name not in self._dry:
            self._dry[name] = (test_signal(name, SAMPLE_RATE, SIGNAL_SECONDS), SAMPLE_RATE)
        return self._dry[name]

    def _render(self, request: Request) -> tuple[int, dict[str, np.ndarray], dict[str, str]]:
        dry, rate = self._source(request.signal)
        clips = {"dry": dry, "wet": render(request.plan, dry, rate, request.values)}
        labels = {"dry": "Dry", "wet": f"{request.plan.plugin_name}"}
        if request.compare is not None:  # as that version was proposed: its own plan at its own defaults
            number, earlier = request.compare
            clips["earlier"] = render(earlier, dry, rate)
            labels["earlier"] = f"Version {number}"
        return rate, clips, labels

    def _deliver(self, result: tuple[int, dict[str, np.ndarray], dict[str, str]]) -> None:
        rate, clips, labels = result
        self.player.set_clips(rate, clips, labels=labels, gains=level_gains(clips))
        if self.player.selected not in clips:
            self.player.selected = "wet"
        self.player.status = ""

    def _fail(self, error: BaseException) -> None:
        self.player.status = ""
        self.player.message = str(error) if isinstance(error, VaistError) else f"Cannot render: {error}"

    def _uploaded(self, filename: str, data: bytes) -> None:
        try:
            audio, rate = decode_upload(filename, data)
        except VaistError as error:
            self.player.message = str(error)
            return
        limit = int(PREVIEW_SECONDS * rate)
        note = f" (the first {PREVIEW_SECONDS:g} s)" if audio.shape[1] > limit else ""
        self._upload = (filename, audio[:, :limit], rate)
        self.player.message = f"Listening to {filename}{note}."
        options = [item for item in self.signal.options if item[1] != UPLOAD] + [(f"Your file: {filename}", UPLOAD)]
        self.signal.options = options
        if self.signal.value == UPLOAD:
            self._refresh()
        else:
            self.signal.value = UPLOAD


__all__ = ["ListenPanel", "level_gains"]
