"""`vaist-lab serve` and `vaist-lab lab` as a user meets them: real servers in subprocesses, the URL printed last
once the server answers, the app's Voila settings, clean shutdown of the server and its kernels."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parent / "browser"))  # the serve harness is shared with the browser tests
from browser_harness import ServedApp, free_port, serve_arguments, write_notebook

MARKER = "rendered by the kernel"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nb" / "hello.ipynb", f"print({MARKER!r})")


@pytest.fixture
def served(notebook: Path, tmp_path: Path) -> Iterator[ServedApp]:
    app = ServedApp.start(serve_arguments(notebook=notebook), tmp_path / "serve.log")
    yield app
    app.stop()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vaist_lab", *args], capture_output=True, text=True, timeout=120)


def test_serve_prints_the_url_once_it_answers_and_renders_the_notebook(served: ServedApp) -> None:
    status, page = fetch(served.url)
    assert status == 200
    assert MARKER in page
    assert "print(" not in page  # the code is hidden
    assert "cdn.jsdelivr.net" not in page and "cdnjs" not in page  # offline: no CDN links


def test_serve_serves_no_files_beside_the_notebook(notebook: Path, served: ServedApp) -> None:
    (notebook.parent / "picture.png").write_bytes(b"\x89PNG")  # Voila's default allowlist would serve it
    for name in ("picture.png", notebook.name):
        assert fetch(f"{served.url}voila/files/{name}")[0] == 403


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_stops_cleanly_with_its_kernels(served: ServedApp, stop_signal: signal.Signals) -> None:
    assert fetch(served.url)[0] == 200  # a visitor's kernel
    kernels = served.children()
    assert kernels
    served.process.send_signal(stop_signal)
    assert served.process.wait(60) == 0
    _, alive = psutil.wait_procs(kernels, timeout=10)
    assert alive == []


def test_serve_takes_a_free_port_when_the_default_one_is_taken(notebook: Path, tmp_path: Path) -> None:
    with socket.socket() as squatter:
        try:
            squatter.bind(("127.0.0.1", 8866))
            squatter.listen()
        except OSError:
            pass  # something else holds it already, which serves the test as well
        app = ServedApp.start(["serve", "--no-browser", "--notebook", str(notebook)], tmp_path / "serve.log")
        try:
            assert not app.url.endswith(":8866/")
            assert fetch(app.url)[0] == 200
        finally:
            app.stop()


def test_serve_refuses_a_port_in_use_in_one_line(notebook: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = run("serve", "--no-browser", "--port", str(port), "--notebook", str(notebook))
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_serve_names_a_missing_notebook_in_one_line(tmp_path: Path) -> None:
    result = run("serve", "--no-browser", "--notebook", str(tmp_path / "nowhere.ipynb"))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: notebook not found: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_lab_opens_the_notebooks_folder_behind_a_token(tmp_path: Path) -> None:
    app = ServedApp.start(["lab", "--no-browser", "--port", str(free_port())], tmp_path / "lab.log")
    try:
        base, token = app.url.split("lab?token=")
        status, page = fetch(app.url)
        assert status == 200 and "JupyterLab" in page
        listing = json.loads(fetch(f"{base}api/contents?token={token}")[1])
        assert "app.ipynb" in {item["name"] for item in listing["content"]}
        assert fetch(f"{base}api/contents")[0] == 403  # not without the token
    finally:
        assert app.stop() == 0
