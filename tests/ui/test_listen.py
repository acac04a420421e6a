"""The listen panel: test signals and the user's own file through the plan's model, dry/wet/earlier."""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy.io import wavfile

from vaist_lab.plan.io import load_template
from vaist_lab.ui.listen import UPLOAD, ListenPanel, level_gains

PLAN = load_template("tape-echo")


def wav_bytes(seconds: float, rate: int = 44100) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    wavfile.write(buffer, rate, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    return buffer.getvalue()


def test_level_gains_bring_every_clip_to_the_dry_level() -> None:
    dry = np.full((2, 100), 0.5)
    gains = level_gains({"dry": dry, "wet": dry * 0.25, "silent": np.zeros((2, 100))})
    assert gains == {"dry": 1.0, "wet": pytest.approx(4.0), "silent": 1.0}


def test_dry_wet_and_an_earlier_version_are_rendered_for_the_player() -> None:
    panel = ListenPanel()
    earlier = load_template("tape-echo")
    panel.show(PLAN, {"feedback": 80.0}, versions=[(1, earlier)])
    panel.compare.value = 1
    assert panel.wait_idle(30)
    content, buffers = panel.player._clips
    assert [clip["name"] for clip in content["clips"]] == ["dry", "wet", "earlier"]
    assert content["clips"][2]["label"] == "Version 1" and content["sample_rate"] == 48000
    dry, wet, earlier = (np.frombuffer(buffer, dtype=np.float32) for buffer in buffers)
    assert not np.allclose(wet, dry) and not np.allclose(wet, earlier)  # 80 % feedback against its default 45 %


def test_an_uploaded_file_is_heard_and_a_bad_one_is_refused_with_its_reason() -> None:
    panel = ListenPanel()
    panel.show(PLAN, {})
    panel._uploaded("riff.wav", wav_bytes(1.0))
    assert panel.signal.value == UPLOAD and "riff.wav" in panel.signal.label
    assert panel.wait_idle(30)
    assert "Listening to riff.wav" in panel.player.message
    panel._uploaded("notes.txt", b"this is not audio at all" * 100)
    assert "notes.txt" in panel.player.message
    assert panel.signal.value == UPLOAD  # the good file stays chosen


def test_a_long_upload_is_previewed_in_part_and_says_so() -> None:
    panel = ListenPanel()
    panel.show(PLAN, {})
    panel._uploaded("long.wav", wav_bytes(31.0, rate=8000))
    assert "the first 30 s" in panel.player.message
