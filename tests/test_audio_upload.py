"""A user's own audio file, as the workbench's listen panel receives it (a name and bytes): every common
format written by a real encoder (scipy's and pedalboard's), and every refusal as one line naming the file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from pedalboard.io import AudioFile
from scipy.io import wavfile

from vaist_lab.audio import MEGABYTE, AudioFileError, decode_upload, write_wav
from vaist_lab.errors import VaistError

RATE = 44100


def music(channels: int, seconds: float = 0.5, sample_rate: int = RATE) -> np.ndarray:
    """A chord with a different note in each channel, at -6 dBFS or below."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return np.stack([0.25 * np.sin(2 * np.pi * 220.0 * (1 + channel) * t) for channel in range(channels)])


def encoded(audio: np.ndarray, file_format: str, sample_rate: int = RATE, bit_depth: int = 16) -> bytes:
    """`audio` as pedalboard's encoders write it (FLAC, OGG Vorbis, MP3, WAV)."""
    buffer = io.BytesIO()
    options = {"bit_depth": bit_depth} if file_format in ("wav", "flac") else {}
    with AudioFile(buffer, "w", sample_rate, audio.shape[0], format=file_format, **options) as file:
        file.write(audio.astype(np.float32))
    return buffer.getvalue()


def scipy_wav(audio: np.ndarray, dtype: type[np.generic], sample_rate: int = RATE) -> bytes:
    """`audio` as an integer-PCM WAV written by scipy (8-bit WAV is unsigned)."""
    if dtype is np.uint8:
        samples = np.round(audio * 127 + 128).astype(np.uint8)
    else:
        samples = np.round(audio * np.iinfo(dtype).max).astype(dtype)
    buffer = io.BytesIO()
    wavfile.write(buffer, sample_rate, samples.T)
    return buffer.getvalue()


def refusal(name: str, data: bytes, **limits: float) -> str:
    with pytest.raises(AudioFileError) as raised:
        decode_upload(name, data, **limits)
    message = str(raised.value)
    assert isinstance(raised.value, VaistError)
    assert "\n" not in message
    assert message.startswith(name)
    return message


def error_dbfs(reference: np.ndarray, decoded: np.ndarray) -> float:
    return float(20 * np.log10(np.max(np.abs(decoded - reference))))


# -- what is read -----------------------------------------------------------------------------------------------


def test_float_wav_from_the_project_writer_is_read_exactly(tmp_path: Path) -> None:
    audio = music(2)
    write_wav(tmp_path / "take.wav", audio, 96000)
    decoded, sample_rate = decode_upload("take.wav", (tmp_path / "take.wav").read_bytes())
    assert sample_rate == 96000
    assert decoded.dtype == np.float64
    assert np.array_equal(decoded, audio.astype(np.float32))


@pytest.mark.parametrize(("dtype", "bound_db"), [(np.uint8, -40.0), (np.int16, -85.0), (np.int32, -140.0)])
def test_integer_pcm_wav_is_read_at_its_own_rate(dtype: type[np.generic], bound_db: float) -> None:
    audio = music(1, sample_rate=22050)
    decoded, sample_rate = decode_upload("mono.wav", scipy_wav(audio, dtype, 22050))
    assert (decoded.shape, sample_rate) == ((1, audio.shape[1]), 22050)
    assert error_dbfs(audio, decoded) < bound_db


@pytest.mark.parametrize(
    ("file_format", "bit_depth", "bound_db"),
    [("wav", 24, -130.0), ("flac", 16, -85.0), ("flac", 24, -130.0), ("ogg", 16, -20.0)],
)
def test_pedalboard_encodings_are_read(file_format: str, bit_depth: int, bound_db: float) -> None:
    audio = music(2)
    decoded, sample_rate = decode_upload(f"take.{file_format}", encoded(audio, file_format, bit_depth=bit_depth))
    assert (decoded.shape, sample_rate) == (audio.shape, RATE)
    assert error_dbfs(audio, decoded) < bound_db


def test_mp3_is_read_with_its_encoder_padding() -> None:
    audio = music(2)
    decoded, sample_rate = decode_upload("take.mp3", encoded(audio, "mp3"))
    assert (decoded.shape[0], sample_rate) == (2, RATE)
    assert audio.shape[1] <= decoded.shape[1] < audio.shape[1] + 4096  # MP3 frames pad the end
    assert np.sqrt(np.mean(decoded**2)) == pytest.approx(np.sqrt(np.mean(audio**2)), rel=0.1)


def test_limits_are_inclusive() -> None:
    data = encoded(np.zeros((1, 600 * 8000)), "flac", sample_rate=8000)
    decoded, _ = decode_upload("ten-minutes.flac", data, max_bytes=len(data))
    assert decoded.shape == (1, 600 * 8000)


# -- what is refused --------------------------------------------------------------------------------------------


def test_over_50_megabytes_is_refused_before_decoding() -> None:
    data = bytes(50 * MEGABYTE + 1)  # the one large allocation of the suite
    assert refusal("huge.wav", data) == "huge.wav is 50.1 MB; the limit is 50 MB"


def test_a_smaller_limit_names_itself() -> None:
    data = encoded(music(2, seconds=3.0), "wav")
    assert refusal("take.wav", data, max_bytes=MEGABYTE // 2) == "take.wav is 0.6 MB; the limit is 0.5 MB"


def test_longer_than_ten_minutes_is_refused_with_its_length() -> None:
    data = encoded(np.zeros((1, 601 * 8000)), "flac", sample_rate=8000)
    assert refusal("long.flac", data) == "long.flac is 10 min 1 s long; the limit is 10 minutes"
    assert refusal("long.flac", data, max_seconds=30.0) == "long.flac is 10 min 1 s long; the limit is 30 s"


def test_more_than_two_channels_is_refused() -> None:
    data = scipy_wav(music(6, seconds=0.1), np.int16)
    assert refusal("surround.wav", data) == "surround.wav has 6 channels; upload a mono or stereo file"


def test_empty_and_sample_less_files_are_refused() -> None:
    assert refusal("nothing.wav", b"") == "nothing.wav is empty"
    no_frames = scipy_wav(np.zeros((2, 0)), np.int16)
    assert refusal("silence.wav", no_frames) == "silence.wav has no audio in it (empty, or cut short)"


def test_what_is_not_audio_is_refused_saying_what_was_expected() -> None:
    expected = "notes.txt is not an audio file (expected WAV, FLAC, OGG Vorbis, MP3 or AIFF)"
    assert refusal("notes.txt", b"bass line: A A C D, then the chorus\n" * 20) == expected
    riff_garbage = b"RIFF" + np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    assert refusal("fake.wav", riff_garbage).startswith("fake.wav is not an audio file")


def test_a_corrupt_file_is_refused_with_the_decoders_reason() -> None:
    damaged = bytearray(encoded(music(2), "flac"))
    damaged[20] &= 0xFE  # STREAMINFO's bits per sample: 1, which no decoder converts
    damaged[21] &= 0x0F
    message = refusal("take.flac", bytes(damaged))
    assert message.startswith("take.flac is damaged: it could not be decoded as WAV, FLAC, OGG Vorbis, MP3 or AIFF (")
    assert "1 bits per sample" in message


def test_non_finite_samples_are_refused(tmp_path: Path) -> None:
    audio = music(2)
    audio[1, 100] = np.nan
    write_wav(tmp_path / "broken.wav", audio, RATE)
    assert (
        refusal("broken.wav", (tmp_path / "broken.wav").read_bytes()) == "broken.wav contains NaN or infinite samples"
    )
