"""The workbench's test signals: shape, level, determinism, and that each is what its name says (a loop at
100 bpm, a string in tune, vowels that change, pink noise in bursts, a 20 Hz - 20 kHz sweep). Speed is in
benchmarks/bench_signals.py, not asserted here."""

from __future__ import annotations

import numpy as np
import pytest

from vaist_lab.dsp import signals
from vaist_lab.dsp.signals import PEAK_DB, TEST_SIGNALS, SignalError
from vaist_lab.errors import VaistError

RATE = 48000


def band_energy(audio: np.ndarray, low_hz: float, high_hz: float, sample_rate: float = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(audio.size, 1.0 / sample_rate)
    return float(spectrum[(frequencies >= low_hz) & (frequencies < high_hz)].sum())


def peak_frequency(audio: np.ndarray, low_hz: float, high_hz: float, sample_rate: float = RATE) -> float:
    n_fft = 1 << 20  # zero-padded: a fine grid to read the peak from
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size), n_fft))
    frequencies = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    band = (frequencies >= low_hz) & (frequencies < high_hz)
    return float(frequencies[band][np.argmax(spectrum[band])])


def window(audio: np.ndarray, start_s: float, stop_s: float, sample_rate: float = RATE) -> np.ndarray:
    return audio[..., round(start_s * sample_rate) : round(stop_s * sample_rate)]


@pytest.mark.parametrize("name", TEST_SIGNALS)
@pytest.mark.parametrize(("sample_rate", "seconds"), [(48000, 4.0), (44100, 1.3), (8000, 9.0), (96000, 0.25)])
def test_shape_level_and_determinism(name: str, sample_rate: int, seconds: float) -> None:
    audio = signals.test_signal(name, sample_rate, seconds)
    assert audio.shape == (2, round(seconds * sample_rate))
    assert audio.dtype == np.float64
    assert np.isfinite(audio).all()
    assert 20 * np.log10(np.max(np.abs(audio))) == pytest.approx(PEAK_DB, abs=0.01)
    assert np.array_equal(audio, signals.test_signal(name, sample_rate, seconds))


def test_signals_differ_from_each_other() -> None:
    made = {name: signals.test_signal(name, RATE, 1.0) for name in TEST_SIGNALS}
    for name, audio in made.items():
        for other, other_audio in made.items():
            if other != name:
                assert not np.allclose(audio, other_audio, atol=0.01), (name, other)


def test_drums_hit_every_eighth_note_at_100_bpm() -> None:
    # hats on every eighth note (0.3 s at 100 bpm): the top octave jumps at each one and has died away before the next
    drums = signals.test_signal("drums", RATE)[1]
    spectrum = np.fft.rfft(drums)
    spectrum[np.fft.rfftfreq(drums.size, 1.0 / RATE) < 6000.0] = 0.0
    top = np.fft.irfft(spectrum, drums.size)
    for beat in np.arange(0.3, 3.9, 0.3):
        after = np.sum(window(top, beat, beat + 0.015) ** 2)
        before = np.sum(window(top, beat - 0.015, beat) ** 2)
        assert after > 10 * before, f"no hit at {beat:.1f} s"
    # kicks: the low end carries more than half the energy (it is a drum loop, not noise)
    assert band_energy(drums, 30.0, 200.0) > 0.5 * band_energy(drums, 30.0, 20000.0)


def test_pluck_notes_are_in_tune() -> None:
    pluck = signals.test_signal("pluck", RATE)[0]
    for (onset, frequency, _), (next_onset, _, _) in zip(signals.PLUCK_NOTES, signals.PLUCK_NOTES[1:], strict=False):
        found = peak_frequency(window(pluck, onset + 0.02, next_onset), 0.8 * frequency, 1.2 * frequency)
        assert 1200 * np.log2(found / frequency) == pytest.approx(0.0, abs=5.0), f"{frequency} Hz note at {found} Hz"


def test_voice_sings_its_pitch_and_changes_vowels() -> None:
    voice = signals.test_signal("voice", RATE)[0]
    assert peak_frequency(window(voice, 0.1, 0.3), 150.0, 260.0) == pytest.approx(196.0, rel=0.02)
    # the diphthong's "i" (F2 near 2.3 kHz) has far more upper-formant energy than the closing "u" (F2 near 870 Hz)
    upper_share = {
        vowel: band_energy(window(voice, *span), 1800.0, 3500.0) / band_energy(window(voice, *span), 50.0, 3500.0)
        for vowel, span in {"i": (1.98, 2.15), "u": (3.0, 3.5)}.items()
    }
    assert upper_share["i"] > 5 * upper_share["u"]


def test_noise_is_pink_and_comes_in_bursts() -> None:
    noise = signals.test_signal("noise", RATE)
    # pink: equal energy per octave (white noise would have 32 times more in the upper octave)
    low, high = band_energy(noise[0], 125.0, 250.0), band_energy(noise[0], 4000.0, 8000.0)
    assert 10 * np.log10(high / low) == pytest.approx(0.0, abs=2.0)
    # bursts: silence between them, and both channels partly independent (a stereo source)
    assert not window(noise, 0.45, 0.55).any()
    correlation = np.corrcoef(noise[0], noise[1])[0, 1]
    assert 0.5 < correlation < 0.95


@pytest.mark.parametrize(("sample_rate", "top_hz"), [(48000, 20000.0), (8000, 3600.0)])
def test_sweep_rises_exponentially_from_20_hz_to_its_top(sample_rate: int, top_hz: float) -> None:
    sweep = signals.test_signal("sweep", sample_rate)[0]
    for at_s in (1.0, 2.0, 3.0):
        expected = 20.0 * (top_hz / 20.0) ** (at_s / 4.0)
        found = peak_frequency(window(sweep, at_s - 0.02, at_s + 0.02, sample_rate), 10.0, sample_rate / 2, sample_rate)
        assert found == pytest.approx(expected, rel=0.1)
    assert np.array_equal(*signals.test_signal("sweep", sample_rate))  # the same in both channels


@pytest.mark.parametrize(
    ("name", "sample_rate", "seconds", "message"),
    [
        ("guitar", RATE, 4.0, "unknown test signal 'guitar' (signals: drums, pluck, voice, noise, sweep)"),
        ("drums", 1000, 4.0, "sample rate 1000 Hz is outside 8000..384000 Hz"),
        ("drums", RATE, 0.0, "a test signal lasts more than 0 and at most 600 s, not 0 s"),
    ],
)
def test_bad_requests_are_user_errors(name: str, sample_rate: int, seconds: float, message: str) -> None:
    with pytest.raises(SignalError) as raised:
        signals.test_signal(name, sample_rate, seconds)
    assert isinstance(raised.value, VaistError)
    assert str(raised.value) == message
