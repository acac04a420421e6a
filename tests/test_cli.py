"""The command line as a user meets it: real processes, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaist_lab", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def fails_cleanly(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr, result.stderr


@pytest.fixture
def stereo_wav(tmp_path: Path) -> Path:
    path = tmp_path / "in.wav"
    rng = np.random.default_rng(3)
    wavfile.write(path, 44100, (0.1 * rng.standard_normal((4410, 2))).astype(np.float32))
    return path


def test_cli_starts_without_the_heavy_packages() -> None:
    """`--help` and the plan verbs start fast: the service, the store and the planner SDKs are imported only by the
    commands that use them, scipy.io only to read or write a WAV."""
    code = (
        "import vaist_lab.cli, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy','alembic','google','anthropic','openai'} or m.startswith('scipy.io')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_service_and_planner_load_without_scipy() -> None:
    """What `keys`, `project`, a build worker and the hub service load: scipy (a second) only once a plan is
    measured, plotted or rendered."""
    code = (
        "import vaist_lab.service.lab, vaist_lab.service.build_worker, vaist_lab.hub.service, sys;"
        "import vaist_lab.planner.offline;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_templates_lists_all_eight() -> None:
    result = run("templates")
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == 8
    assert "tape-echo" in result.stdout and "COMPRESSOR" in result.stdout


def test_validate_reports_each_problem_on_its_own_line(tmp_path: Path, tape_echo: dict) -> None:
    tape_echo["parameters"][0]["default"] = 99999
    tape_echo["parameters"][3]["min"] = 200
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(tape_echo))
    result = run("validate", path)
    fails_cleanly(
        result,
        "parameters[0].default: 99999 is above max 1500",
        "parameters[3].min: min 200 must be below max 100",
    )
    assert len(result.stderr.strip().splitlines()) == 2


def test_validate_accepts_templates_and_files(tmp_path: Path, tape_echo: dict) -> None:
    assert run("validate", "glue-bus").returncode == 0
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(tape_echo))
    result = run("validate", path, "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["pluginName"] == "TapeEcho"


@pytest.mark.parametrize("content", ["{not json", "[]", ""])
def test_validate_rejects_broken_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    fails_cleanly(run("validate", path), "broken.json")


def test_render_stereo_float_wav_with_settings(tmp_path: Path, stereo_wav: Path) -> None:
    out = tmp_path / "out.wav"
    result = run(
        "render",
        "resonant-sweep",
        stereo_wav,
        out,
        "--set",
        "cutoff=500",
        "--set",
        "level=-6",
        "--block-size",
        "64",
    )
    assert result.returncode == 0, result.stderr
    rate, data = wavfile.read(out)
    assert rate == 44100 and data.dtype == np.float32 and data.shape == (4410, 2)
    _, original = wavfile.read(stereo_wav)
    assert np.std(data) < np.std(original)  # a 500 Hz low-pass and -6 dB take most of white noise away


def test_render_mono_at_96k(tmp_path: Path) -> None:
    source = tmp_path / "mono.wav"
    wavfile.write(source, 96000, np.sin(np.arange(9600) * 0.05).astype(np.float32))
    out = tmp_path / "out.wav"
    assert run("render", "warm-drive", source, out).returncode == 0
    rate, data = wavfile.read(out)
    assert rate == 96000 and data.shape == (9600,)


def test_render_user_errors(tmp_path: Path, stereo_wav: Path) -> None:
    out = tmp_path / "out.wav"
    fails_cleanly(run("render", "tape-echo", stereo_wav, out, "--set", "wobble=1"), "unknown parameter 'wobble'")
    fails_cleanly(
        run("render", "tape-echo", stereo_wav, out, "--set", "feedback=120"),
        "feedback: 120 is outside 0..95 %",
    )
    fails_cleanly(run("render", "tape-echo", stereo_wav, out, "--set", "feedback"), "not name=number")
    fails_cleanly(run("render", "tape-echo", stereo_wav, out, "--block-size", "0"), "block-size")
    fails_cleanly(run("render", "tape-echo", tmp_path / "missing.wav", out), "no such file")
    pcm = tmp_path / "pcm.wav"
    wavfile.write(pcm, 44100, np.zeros(100, dtype=np.int16))
    fails_cleanly(run("render", "tape-echo", pcm, out), "16-bit integer PCM")
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF not really a wave file")
    fails_cleanly(run("render", "tape-echo", garbage, out), "not a readable WAV file")
    slow = tmp_path / "slow.wav"
    wavfile.write(slow, 1000, np.zeros(100, dtype=np.float32))
    fails_cleanly(run("render", "tape-echo", slow, out), "sample rate 1000 Hz is outside")
    assert not out.exists()


def test_plot_writes_an_image(tmp_path: Path) -> None:
    out = tmp_path / "echo.png"
    result = run("plot", "tape-echo", "-o", out, "--set", "feedback=70")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_is_the_main_job(tmp_path: Path) -> None:
    result = run("demo", "classic-room", "-o", tmp_path / "demo", "--no-build")
    assert result.returncode == 0, result.stderr
    assert {path.name for path in (tmp_path / "demo").iterdir()} == {
        "dry.wav",
        "classic-room.wav",
        "classic-room.png",
    }
