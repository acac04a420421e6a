"""Test and demo signals, (channels, samples) float64.

`test_signal` makes the workbench's listening material (a drum loop, a plucked string, a voice, noise
bursts, a sweep) from nothing but NumPy and SciPy: deterministic, at any sample rate and length, peaking at
PEAK_DB. Each is built from whole-array operations (one-shots placed per hit, a plucked string advanced a
period at a time, formant filters per syllable), so four seconds take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal as scipy_signal

from vaist_lab.errors import VaistError

PEAK_DB = -6.0

TEST_SIGNALS: dict[str, str] = {
    "drums": "Drum loop (100 bpm)",
    "pluck": "Plucked string",
    "voice": "Voice (sung vowels)",
    "noise": "Pink noise bursts",
    "sweep": "Sine sweep 20 Hz - 20 kHz",
}


class SignalError(VaistError, ValueError):
    """A test signal that cannot be made: an unknown name, a length or rate out of reach."""


def impulse(num_samples: int, channels: int = 2) -> np.ndarray:
    signal = np.zeros((channels, num_samples))
    signal[:, 0] = 1.0
    return signal


def noise(num_samples: int, channels: int = 2, level_db: float = -12.0, seed: int = 1) -> np.ndarray:
    """Gaussian white noise at an RMS level of `level_db` dBFS."""
    return 10 ** (level_db / 20) * np.random.default_rng(seed).standard_normal((channels, num_samples))


def sine(
    frequency_hz: float, seconds: float, sample_rate: float, level_db: float = -6.0, channels: int = 2
) -> np.ndarray:
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return np.tile(10 ** (level_db / 20) * np.sin(2 * np.pi * frequency_hz * t), (channels, 1))


def demo_phrase(sample_rate: float, seconds: float = 4.0, seed: int = 7) -> np.ndarray:
    """A short stereo phrase that shows off any effect: plucked notes of a minor arpeggio over a soft
    pad, with silences between the notes so delay and reverb tails can be heard."""
    rng = np.random.default_rng(seed)
    num_samples = round(seconds * sample_rate)
    t = np.arange(num_samples) / sample_rate
    phrase = np.zeros((2, num_samples))
    note_hz = [220.0, 261.63, 329.63, 440.0, 329.63, 261.63]
    step = seconds / (len(note_hz) + 2)
    for index, frequency in enumerate(note_hz):
        start = int(index * step * sample_rate)
        local = t[: num_samples - start]
        pluck = np.exp(-local * 6.0) * (
            np.sin(2 * np.pi * frequency * local) + 0.3 * np.sin(4 * np.pi * frequency * local)
        )
        click = np.exp(-local * 400.0) * rng.standard_normal(local.size) * 0.2
        pan = 0.5 + 0.3 * np.sin(index)
        phrase[0, start:] += (1 - pan) * (pluck + click)
        phrase[1, start:] += pan * (pluck + click)
    pad = 0.08 * np.sin(2 * np.pi * 110.0 * t) * np.minimum(1.0, t * 2.0)
    phrase += pad
    return 0.5 * phrase / np.max(np.abs(phrase))


# -- test signals for listening -------------------------------------------------------------------------------


def test_signal(name: str, sample_rate: int, seconds: float = 4.0) -> np.ndarray:
    """The test signal `name` (a key of TEST_SIGNALS): stereo float64 (2, samples), peak PEAK_DB dBFS, the
    same every call."""
    if name not in _MAKERS:
        raise SignalError(f"unknown test signal {name!r} (signals: {', '.join(TEST_SIGNALS)})")
    if not 8000 <= sample_rate <= 384000:
        raise SignalError(f"sample rate {sample_rate:g} Hz is outside 8000..384000 Hz")
    if not 0.0 < seconds <= 600.0:
        raise SignalError(f"a test signal lasts more than 0 and at most 600 s, not {seconds:g} s")
    audio = _MAKERS[name](max(1, round(seconds * sample_rate)), float(sample_rate))
    peak = np.max(np.abs(audio))
    return audio * (10 ** (PEAK_DB / 20) / peak) if peak > 0.0 else audio


test_signal.__test__ = False  # type: ignore[attr-defined]  # a test module importing it must not collect it


def _pan(mono: np.ndarray, position: float) -> np.ndarray:
    """Constant-power pan: position 0 is left, 0.5 centre, 1 right."""
    angle = 0.5 * np.pi * position
    return np.stack([np.cos(angle) * mono, np.sin(angle) * mono])


def _highpass(audio: np.ndarray, cutoff_hz: float, sample_rate: float, order: int = 2) -> np.ndarray:
    sos = scipy_signal.butter(order, min(cutoff_hz, 0.45 * sample_rate), "highpass", fs=sample_rate, output="sos")
    return scipy_signal.sosfilt(sos, audio)


def _add_at(target: np.ndarray, start: int, sound: np.ndarray) -> None:
    """Mix `sound` (channels, samples) into `target` from `start`, cut at the end of `target`."""
    length = min(sound.shape[-1], target.shape[-1] - start)
    if length > 0:
        target[:, start : start + length] += sound[:, :length]


# -- drums: one-shots placed on a 16-step pattern ---------------------------------------------------------------

DRUM_BPM = 100.0
# (sound, step of a 16-step bar, velocity, pan): a laid-back boom-bap bar with a ghost snare and an open hat
DRUM_PATTERN = (
    [("kick", step, velocity, 0.5) for step, velocity in ((0, 1.0), (7, 0.75), (10, 0.9))]
    + [("snare", step, velocity, 0.46) for step, velocity in ((4, 0.75), (12, 0.8), (15, 0.18))]
    + [("hat", step, 0.3 if step % 4 == 0 else 0.2, 0.66) for step in range(0, 14, 2)]
    + [("hat", 9, 0.1, 0.7), ("open_hat", 14, 0.25, 0.68)]
)
SWING = 0.12  # off-beat sixteenths come this fraction of a step late


def _drums(num_samples: int, sample_rate: float) -> np.ndarray:
    rng = np.random.default_rng(11)
    t = np.arange(round(0.5 * sample_rate)) / sample_rate
    sounds = {
        name: sound / np.max(np.abs(sound))  # each at peak 1: the pattern's velocities set the balance
        for name, sound in (
            ("kick", _kick(t, sample_rate, rng)),
            ("snare", _snare(t[: round(0.3 * sample_rate)], sample_rate, rng)),
            ("hat", _hat(t[: round(0.08 * sample_rate)], sample_rate, rng, decay_s=0.014)),
            ("open_hat", _hat(t[: round(0.45 * sample_rate)], sample_rate, rng, decay_s=0.11)),
        )
    }
    step_s = 60.0 / DRUM_BPM / 4
    audio = np.zeros((2, num_samples))
    for bar_start in np.arange(0.0, num_samples / sample_rate, 16 * step_s):
        for sound, step, velocity, position in DRUM_PATTERN:
            onset = bar_start + (step + SWING * (step % 2)) * step_s
            _add_at(audio, round(onset * sample_rate), _pan(velocity * sounds[sound], position))
    return audio


def _kick(t: np.ndarray, sample_rate: float, rng: np.random.Generator) -> np.ndarray:
    frequency = 48.0 + 100.0 * np.exp(-t / 0.03)  # the pitch drop that makes the thump
    body = np.sin(2 * np.pi * np.cumsum(frequency) / sample_rate) * np.exp(-t / 0.16)
    click = 0.25 * rng.standard_normal(t.size) * np.exp(-t / 0.0015)
    return np.tanh(1.6 * (body + click))


def _snare(t: np.ndarray, sample_rate: float, rng: np.random.Generator) -> np.ndarray:
    shell = (0.6 * np.sin(2 * np.pi * 185.0 * t) + 0.3 * np.sin(2 * np.pi * 330.0 * t)) * np.exp(-t / 0.045)
    wires = _highpass(rng.standard_normal(t.size), 1800.0, sample_rate) * np.exp(-t / 0.075)
    return shell + 0.8 * wires


def _hat(t: np.ndarray, sample_rate: float, rng: np.random.Generator, decay_s: float) -> np.ndarray:
    # six detuned square waves (the metallic ring of analogue hats) and some noise, high-passed
    metal = sum(
        np.sign(np.sin(2 * np.pi * f * t + phase))
        for f, phase in zip((205.3, 304.4, 369.6, 522.7, 540.0, 800.0), rng.uniform(0.0, 2 * np.pi, 6), strict=True)
    )
    sizzle = _highpass(0.4 * metal + rng.standard_normal(t.size), 7000.0, sample_rate, order=4)
    return sizzle * np.exp(-t / decay_s)


# -- pluck: a Karplus-Strong string, advanced a period at a time -----------------------------------------------

PHRASE_SECONDS = 4.0  # the pluck and voice phrases repeat at this period in longer signals
# (onset s, frequency Hz, pan): an A-minor phrase on one string; each note sounds until the next
PLUCK_NOTES = (
    (0.0, 329.63, 0.4),
    (0.3, 392.0, 0.6),
    (0.6, 440.0, 0.4),
    (1.2, 523.25, 0.6),
    (1.5, 440.0, 0.4),
    (1.8, 392.0, 0.6),
    (2.4, 293.66, 0.45),
    (2.7, 329.63, 0.55),
)


def _pluck(num_samples: int, sample_rate: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    onsets = [
        (round((phrase + onset) * sample_rate), frequency, pan)
        for phrase in np.arange(0.0, num_samples / sample_rate, PHRASE_SECONDS)
        for onset, frequency, pan in PLUCK_NOTES
    ]
    audio = np.zeros((2, num_samples))
    for (start, frequency, pan), (stop, _, _) in zip(onsets, [*onsets[1:], (num_samples, 0.0, 0.0)], strict=True):
        if start >= num_samples:
            break
        note = _karplus_strong(frequency, min(stop, num_samples) - start, sample_rate, rng)
        fade = min(note.size, round(0.01 * sample_rate))  # the next pluck damps the string
        note[note.size - fade :] *= np.linspace(1.0, 0.0, fade)
        _add_at(audio, start, _pan(note, pan))
    return audio


def _karplus_strong(
    frequency: float, num_samples: int, sample_rate: float, rng: np.random.Generator, decay_s: float = 2.5
) -> np.ndarray:
    """A plucked string: a period of filtered noise recirculating through a delay line whose loop filter
    (a two-point average, for the string's losses, and a linear interpolation, for the tuning's fraction of
    a sample) dulls it as it decays. The loop reads only the period before, so each period is computed
    from the last in one step."""
    period = sample_rate / frequency
    delay = int(period - 0.5)  # the average delays by half a sample; the interpolation by `fraction`
    fraction = period - 0.5 - delay
    taps = np.array([0.5 * (1.0 - fraction), 0.5, 0.5 * fraction]) * 10 ** (-3.0 / (decay_s * frequency))
    excitation = rng.uniform(-1.0, 1.0, delay)
    excitation -= np.roll(excitation, max(1, round(0.13 * delay)))  # plucked near the bridge
    excitation = scipy_signal.lfilter([0.5], [1.0, -0.5], excitation)  # a soft pick
    excitation -= excitation.mean()  # the loop passes DC almost undamped
    string = np.zeros(num_samples + 2)  # sample n at string[n + 2]; the taps reach two samples back
    string[2 : 2 + min(delay, num_samples)] = excitation[:num_samples]
    for start in range(delay, num_samples, delay):
        stop = min(start + delay, num_samples)
        string[start + 2 : stop + 2] = np.convolve(string[start - delay : stop - delay + 2], taps, "valid")
    return string[2:]


# -- voice: a glottal pulse train through formant resonators ----------------------------------------------------

# (F1, F2, F3) in Hz of sung vowels (Peterson and Barney's averages for men)
VOWEL_FORMANTS = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}
UPPER_FORMANTS = (3300.0, 3750.0)  # F4, F5: about the same for every vowel
FORMANT_BANDWIDTHS = (80.0, 100.0, 120.0, 175.0, 250.0)
# (onset s, length s, pitch Hz, vowel, vowel it glides to): a sung phrase with a diphthong
VOICE_SYLLABLES = (
    (0.0, 0.7, 196.0, "a", "a"),
    (0.8, 0.55, 220.0, "e", "e"),
    (1.45, 0.75, 246.94, "a", "i"),
    (2.3, 0.5, 220.0, "o", "o"),
    (2.9, 0.85, 196.0, "u", "u"),
)
VIBRATO_HZ, VIBRATO_DEPTH = 5.3, 0.012  # depth as a fraction of the pitch, reached 0.5 s into a note
GLIDE_S, ATTACK_S, RELEASE_S = 0.06, 0.05, 0.12
OPEN_QUOTIENT, CLOSING_QUOTIENT = 0.45, 0.15  # of a glottal cycle: the folds opening, then closing


def _voice(num_samples: int, sample_rate: float) -> np.ndarray:
    rng = np.random.default_rng(9)
    t = np.arange(num_samples) / sample_rate
    syllables = [
        (phrase + onset, length, pitch, start_vowel, end_vowel)
        for phrase in np.arange(0.0, num_samples / sample_rate, PHRASE_SECONDS)
        for onset, length, pitch, start_vowel, end_vowel in VOICE_SYLLABLES
    ]
    pitches = [pitch for _, _, pitch, _, _ in syllables]
    pitch_points = [  # each note glides in from the one before
        point
        for (onset, _, pitch, _, _), previous in zip(syllables, [pitches[0], *pitches], strict=False)
        for point in ((onset, previous), (onset + GLIDE_S, pitch))
    ]
    pitch = np.interp(t, *zip(*pitch_points, strict=True))
    vibrato_points = [
        (onset + offset, depth)
        for onset, length, *_ in syllables
        for offset, depth in ((0.0, 0.0), (0.2, 0.0), (0.5, 1.0), (length, 1.0))
    ]
    vibrato = np.interp(t, *zip(*vibrato_points, strict=True)) * np.sin(2 * np.pi * VIBRATO_HZ * t)
    drift_times = np.arange(0.0, t[-1] + 0.2, 0.1)  # a slow random wander of the pitch, as no singer holds still
    drift = np.interp(t, drift_times, rng.uniform(-0.004, 0.004, drift_times.size))
    cycles = np.cumsum(pitch * (1.0 + VIBRATO_DEPTH * vibrato + drift)) / sample_rate
    cycles -= np.floor(cycles)
    flow = _GLOTTAL_CYCLE[(cycles * (_GLOTTAL_CYCLE.size - 1)).astype(np.intp)]  # a table finer than the pitch
    breath = 0.002 * flow * rng.uniform(-1.0, 1.0, num_samples)
    source = np.diff(flow, prepend=0.0) + breath  # the lips radiate the flow's derivative
    voice = np.zeros((1, num_samples))
    for onset, length, _, start_vowel, end_vowel in syllables:
        start, stop = round(onset * sample_rate), min(num_samples, round((onset + length) * sample_rate))
        if start >= num_samples:
            break
        local = t[start:stop] - onset
        envelope = np.interp(local, (0.0, ATTACK_S, length - RELEASE_S, length), (0.0, 1.0, 0.85, 0.0))
        tail = np.zeros(round(0.03 * sample_rate))  # the resonances ring on after the folds stop
        excitation = np.concatenate([source[start:stop] * envelope, tail])
        sung = scipy_signal.sosfilt(_vowel_filter(start_vowel, sample_rate), excitation)
        if end_vowel != start_vowel:
            glide = np.clip((np.arange(excitation.size) / sample_rate - 0.35 * length) / (0.3 * length), 0.0, 1.0)
            glide = glide * glide * (3.0 - 2.0 * glide)  # smoothstep
            sung += glide * (scipy_signal.sosfilt(_vowel_filter(end_vowel, sample_rate), excitation) - sung)
        _add_at(voice, start, sung[np.newaxis])
    return np.concatenate([voice, voice])


def _glottal_cycle(points: int = 4096) -> np.ndarray:
    """One cycle of the Rosenberg glottal flow at `points` phases: the folds open, close, rest."""
    phase = np.linspace(0.0, 1.0, points)
    closing = (phase - OPEN_QUOTIENT) / CLOSING_QUOTIENT
    opening_flow = 0.5 * (1.0 - np.cos(np.pi * phase / OPEN_QUOTIENT))
    return np.where(phase < OPEN_QUOTIENT, opening_flow, np.where(closing < 1.0, np.cos(0.5 * np.pi * closing), 0.0))


_GLOTTAL_CYCLE = _glottal_cycle()


def _vowel_filter(vowel: str, sample_rate: float) -> np.ndarray:
    """Second-order sections of a cascade of Klatt resonators (unity gain at DC), one per formant below
    0.45 of the sample rate."""
    sections = []
    for frequency, bandwidth in zip((*VOWEL_FORMANTS[vowel], *UPPER_FORMANTS), FORMANT_BANDWIDTHS, strict=True):
        if frequency < 0.45 * sample_rate:
            c = -np.exp(-2 * np.pi * bandwidth / sample_rate)
            b = 2 * np.exp(-np.pi * bandwidth / sample_rate) * np.cos(2 * np.pi * frequency / sample_rate)
            sections.append([1.0 - b - c, 0.0, 0.0, 1.0, -b, -c])
    return np.array(sections)


# -- noise bursts and the sweep ---------------------------------------------------------------------------------

# (onset s, length s, level dB): long and short bursts at three levels, with silences for tails and release
NOISE_BURSTS = (
    (0.0, 0.4, 0.0),
    (0.6, 0.05, -6.0),
    (0.75, 0.05, -6.0),
    (0.9, 0.05, -6.0),
    (1.2, 0.8, -12.0),
    (2.3, 0.15, 0.0),
    (2.6, 0.15, -12.0),
    (3.0, 0.35, -6.0),
)
NOISE_EDGE_S = 0.004  # fade in and out of a burst: no clicks
NOISE_WIDTH = 0.4  # side / mid: partly correlated channels, as a stereo source
# J. O. Smith's pink-noise filter: -3 dB per octave within 0.3 dB over the audio band at any usual rate
PINK_FILTER = (
    [0.049922035, -0.095993537, 0.050612699, -0.004408786],
    [1.0, -2.494956002, 2.017265875, -0.522189400],
)


def _noise_bursts(num_samples: int, sample_rate: float) -> np.ndarray:
    white = np.random.default_rng(5).uniform(-1.0, 1.0, (2, num_samples))  # Gaussian enough once filtered
    mid, side = scipy_signal.lfilter(*PINK_FILTER, white)
    points = [
        (phrase + onset + offset, level)
        for phrase in np.arange(0.0, num_samples / sample_rate, PHRASE_SECONDS)
        for onset, length, level_db in NOISE_BURSTS
        for offset, level in (
            (0.0, 0.0),
            (NOISE_EDGE_S, 10 ** (level_db / 20)),
            (length - NOISE_EDGE_S, 10 ** (level_db / 20)),
            (length, 0.0),
        )
    ]
    envelope = np.interp(np.arange(num_samples) / sample_rate, *zip(*points, strict=True))
    return envelope * np.stack([mid + NOISE_WIDTH * side, mid - NOISE_WIDTH * side])


SWEEP_HZ = (20.0, 20000.0)
SWEEP_FADE_S = 0.02


def _sweep(num_samples: int, sample_rate: float) -> np.ndarray:
    """An exponential (log) sine sweep over the whole length; its top stops below Nyquist at low rates."""
    low, high = SWEEP_HZ[0], min(SWEEP_HZ[1], 0.45 * sample_rate)
    t = np.arange(num_samples) / sample_rate
    duration = num_samples / sample_rate
    rate = np.log(high / low) / duration
    sweep = np.sin(2 * np.pi * low / rate * np.expm1(rate * t))
    fade = np.clip(np.minimum(t, duration - t) / SWEEP_FADE_S, 0.0, 1.0)
    return np.stack([sweep * fade] * 2)


_MAKERS: dict[str, Callable[[int, float], np.ndarray]] = {
    "drums": _drums,
    "pluck": _pluck,
    "voice": _voice,
    "noise": _noise_bursts,
    "sweep": _sweep,
}
