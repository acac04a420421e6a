"""WAV in and out: 32/64-bit float WAV of any rate, mono or stereo, as (channels, samples) float64."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from vaist_lab.errors import VaistError


class AudioFileError(VaistError, ValueError):
    """A WAV file that cannot be read or written, with the reason."""


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
