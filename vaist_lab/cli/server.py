"""`vaist-lab serve` (the workbench as a Voila app) and `vaist-lab lab` (JupyterLab on the notebooks). Both run
the server in this process, print its URL as the last line of stdout once it answers, and stop on Ctrl-C or
SIGTERM (the servers shut their kernels down)."""

from __future__ import annotations

import errno
import os
import secrets
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

import click

import vaist_lab
from vaist_lab.cli.app import main, user_errors
from vaist_lab.errors import VaistError

# An editable install runs from the repository, where the notebooks, voila.json and the Voila template live.
REPOSITORY = Path(vaist_lab.__file__).resolve().parent.parent
NOTEBOOKS = REPOSITORY / "notebooks"
APP_NOTEBOOK = NOTEBOOKS / "app.ipynb"
JUPYTER_DATA = REPOSITORY / "share" / "jupyter"  # voila/templates/vaist: the lab template without CDN links
VOILA_TEMPLATE = "vaist"
VOILA_PORT = 8866
LAB_PORT = 8888
READY_TIMEOUT = 120.0
SOURCE_HINT = " (the app runs from a source checkout: pip install -e .)"


class ServerError(VaistError):
    """The server cannot start: a missing notebook, a port in use."""


def existing(path: Path, what: str, hint: str = "") -> Path:
    if not path.is_file():
        raise ServerError(f"{what} not found: {path}{hint}")
    return path


def bound_port(host: str, port: int) -> int:
    """The port a listener on (host, port) gets (port 0: any free one); OSError when it cannot bind."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado binds
        probe.bind((host, port))
        return probe.getsockname()[1]


def choose_port(host: str, requested: int | None, default: int) -> int:
    """The requested port, which must be free; without one the default, or any free port when it is taken."""
    try:
        return bound_port(host, default if requested is None else requested)
    except OSError as error:
        if requested is None and error.errno == errno.EADDRINUSE:
            return bound_port(host, 0)
        raise ServerError(f"cannot listen on {host}:{requested or default}: {error.strerror}") from None


def url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def graphical_session() -> bool:
    """Whether a browser can open a window here (without one, webbrowser would start a console browser)."""
    return sys.platform != "linux" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def announce_when_ready(probe_url: str, url: str, open_browser: bool) -> None:
    """Poll the server from a thread (the server's loop owns the main one); print the URL once it answers."""

    def poll() -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(probe_url, timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        else:
            click.echo(f"the server did not answer at {url} within {READY_TIMEOUT:.0f} s", err=True)
            return
        if open_browser and graphical_session():
            webbrowser.open(url)
        click.echo(url)

    threading.Thread(target=poll, name="announce-url", daemon=True).start()


host_option = click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
browser_option = click.option(
    "--open/--no-browser",
    "open_browser",
    default=True,
    show_default=True,
    help="Open the URL in a web browser (with a display).",
)


@main.command(
    help="Start the workbench (a Voila app, single-user: the local user's projects) and print its URL as the last "
    f"line once it answers; Ctrl-C stops it. Without --port: {VOILA_PORT}, or a free port when that one is taken. "
    "Settings come from voila.json; VOILA_OPTIONS after -- override them (e.g. -- --VoilaConfiguration.theme=dark)."
)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help=f"Port [{VOILA_PORT}, else a free one].")
@host_option
@browser_option
@click.option(
    "--notebook",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Serve this notebook with the app's settings instead of the workbench.",
)
@click.option(
    "--base-url",
    default="/",
    show_default=True,
    help="Path prefix the app is served under (a hub's single-user server: /user/NAME/).",
)
@click.argument("voila_options", nargs=-1, type=click.UNPROCESSED)
def serve(
    port: int | None,
    host: str,
    open_browser: bool,
    notebook: Path | None,
    base_url: str,
    voila_options: tuple[str, ...],
) -> None:
    base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    with user_errors():
        notebook = (
            existing(notebook.resolve(), "notebook")
            if notebook
            else existing(APP_NOTEBOOK, "app notebook", SOURCE_HINT)
        )
        existing(REPOSITORY / "voila.json", "Voila settings", SOURCE_HINT)
        port = choose_port(host, port, VOILA_PORT)
    from traitlets.config import Config
    from voila.app import Voila

    # Voila looks templates up on the Jupyter data path; its kernels inherit the variable (harmless there).
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")]))
    # A preheated kernel asks this address for its visitor's request (voila.utils.wait_for_request).
    os.environ["VOILA_APP_IP"] = url_host(host).strip("[]")
    url = f"http://{url_host(host)}:{port}{base_url}"
    # voila.json is read from the repository only, not from the working directory.
    app = Voila(config=Config({"Voila": {"config_file_paths": [str(REPOSITORY)]}}))
    app.initialize(
        [
            str(notebook),
            f"--Voila.root_dir={notebook.parent}",
            f"--Voila.port={port}",
            f"--Voila.ip={host}",
            f"--Voila.base_url={base_url}",
            "--Voila.port_retries=0",
            "--Voila.open_browser=False",
            f"--VoilaConfiguration.template={VOILA_TEMPLATE}",
            *voila_options,
        ]
    )
    announce_when_ready(f"{url}voila/static/voila.js", url, open_browser)
    app.start()  # returns on Ctrl-C or SIGTERM, after shutting the kernels down


@main.command(
    help="Start JupyterLab on the notebooks folder and print its URL (with its access token) as the last line once "
    f"it answers; Ctrl-C stops it. Without --port: {LAB_PORT}, or a free port when that one is taken."
)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help=f"Port [{LAB_PORT}, else a free one].")
@host_option
@browser_option
def lab(port: int | None, host: str, open_browser: bool) -> None:
    with user_errors():
        if not NOTEBOOKS.is_dir():
            raise ServerError(f"notebooks folder not found: {NOTEBOOKS}{SOURCE_HINT}")
        port = choose_port(host, port, LAB_PORT)
    from jupyterlab.labapp import LabApp

    token = secrets.token_urlsafe(24)
    base = f"http://{url_host(host)}:{port}/"
    announce_when_ready(f"{base}api/status?token={token}", f"{base}lab?token={token}", open_browser)
    LabApp.launch_instance(
        [
            f"--ServerApp.root_dir={NOTEBOOKS}",
            f"--ServerApp.port={port}",
            f"--ServerApp.ip={host}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            "--ServerApp.allow_root=True",  # containers run as root; the token guards the server either way
            f"--IdentityProvider.token={token}",
        ]
    )
