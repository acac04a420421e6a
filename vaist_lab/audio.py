"""Audio in and out as (channels, samples) float64: 32/64-bit float WAV files of any rate, mono or stereo
(`read_wav`, `write_wav`), and a user's uploaded file in any common format (`decode_upload`)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from vaist_lab.errors import VaistError


class AudioFileError(VaistError, ValueError):
    """An audio file that cannot be read or written, with the reason."""


MEGABYTE = 1024 * 1024
UPLOAD_FORMATS = "WAV, FLAC, OGG Vorbis, MP3 or AIFF"


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    from scipy.io import wavfile  # scipy.io is slow to import; only when a WAV is read or written

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # unknown chunks are harmless
            sample_rate, data = wavfile.read(path)
    except FileNotFoundError:
        raise AudioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFileError(f"{path}: is a directory, not a WAV file") from None
    except (ValueError, OSError, EOFError) as error:
        raise AudioFileError(f"{path}: not a readable WAV file ({error})") from None
    if data.dtype.kind != "f":
        bits = data.dtype.itemsize * 8
        raise AudioFileError(
            f"{path}: {bits}-bit integer PCM; vaist-lab reads 32-bit float WAV "
            "(e.g. `sox in.wav -e floating-point -b 32 out.wav`)"
        )
    audio = data.T.astype(np.float64) if data.ndim == 2 else data[np.newaxis, :].astype(np.float64)
    if audio.shape[0] > 2:
        raise AudioFileError(f"{path}: {audio.shape[0]} channels; a plugin takes mono or stereo")
    if audio.shape[1] == 0:
        raise AudioFileError(f"{path}: contains no samples")
    if not np.isfinite(audio).all():
        raise AudioFileError(f"{path}: contains NaN or infinite samples")
    return audio, int(sample_rate)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write (channels, samples) audio as 32-bit float WAV."""
    from scipy.io import wavfile

    try:
        wavfile.write(path, int(sample_rate), np.ascontiguousarray(audio.T, dtype=np.float32))
    except OSError as error:
        raise AudioFileError(f"{path}: cannot write ({error.strerror})") from None


def decode_upload(
    name: str, data: bytes, max_bytes: int = 50 * MEGABYTE, max_seconds: float = 600.0
) -> tuple[np.ndarray, int]:
    """A user's audio file, given as its name and bytes, as (channels, samples) float64 at its own sample rate.

    Any WAV (integer PCM or float), FLAC, OGG Vorbis, MP3 or AIFF that pedalboard reads. Files over
    `max_bytes` or `max_seconds` are refused before they are decoded. More than two channels are refused
    rather than mixed down: a plugin takes mono or stereo, and a surround mix has no single right stereo
    fold-down. Every refusal is an AudioFileError naming the file.
    """
    from pedalboard.io import AudioFile  # pedalboard is slow to import; only when a file is uploaded

    if not data:
        raise AudioFileError(f"{name} is empty")
    if len(data) > max_bytes:
        size = math.ceil(len(data) / MEGABYTE * 10) / 10  # rounded up: never shown as the limit itself
        raise AudioFileError(f"{name} is {size:.1f} MB; the limit is {max_bytes / MEGABYTE:g} MB")
    try:
        file = AudioFile(memoryview(data))
    except (ValueError, RuntimeError, OSError) as error:
        raise _unreadable(name, error) from None
    with file:
        channels, frames, sample_rate = file.num_channels, file.frames, round(file.samplerate)
        if channels > 2:
            raise AudioFileError(f"{name} has {channels} channels; upload a mono or stereo file")
        if frames > max_seconds * sample_rate:
            raise AudioFileError(
                f"{name} is {_duration(frames / sample_rate)} long; the limit is {_duration(max_seconds)}"
            )
        if frames == 0:
            raise AudioFileError(f"{name} has no audio in it (empty, or cut short)")
        try:
            audio = file.read(frames)
        except (ValueError, RuntimeError, OSError) as error:
            raise _unreadable(name, error) from None
    if not np.isfinite(audio).all():
        raise AudioFileError(f"{name} contains NaN or infinite samples")
    return audio.astype(np.float64), sample_rate


def _unreadable(name: str, error: Exception) -> AudioFileError:
    if "does not seem to contain audio" in str(error):  # pedalboard knows none of its formats in it
        return AudioFileError(f"{name} is not an audio file (expected {UPLOAD_FORMATS})")
    return AudioFileError(f"{name} is damaged: it could not be decoded as {UPLOAD_FORMATS} ({error})")


def _duration(seconds: float) -> str:
    """42.5 s, 10 minutes, 12 min 5 s."""
    if seconds < 60.0:
        return f"{seconds:g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} minutes" if rest == 0 else f"{minutes} min {rest} s"
