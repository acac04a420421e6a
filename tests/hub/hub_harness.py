"""A real JupyterHub on loopback for the hub tests: the hub with its configurable-http-proxy (npm's, pinned in
deploy/package-lock.json), the `vaist` service registered in c.JupyterHub.services and run by the harness
(`python -m vaist_lab.hub.service`, with the environment JupyterHub gives a service, so that a test can stop
and restart it at will), users who hold `access:services!service=vaist` (c.JupyterHub.extra_user_scopes,
and single-user servers' tokens through c.Spawner.server_token_scopes), and an admin token for the hub's API
(users, tokens, servers). Single-user servers are `server_stand_in.py`: what a kernel of the app does with
its server's environment, without Voila. Builds use the scripted builder (hub_builders.paced) through the
detached build workers' VAIST_BUILD_WORKER_BUILDER.

The end-to-end tests (Google sign-in, Chromium) and the load test can start one the same way; every file
(hub database, logs, the service's data) stays in the folder given.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2

ROOT = Path(__file__).resolve().parents[2]
PROXY = ROOT / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"
HERE = Path(__file__).resolve().parent
SERVICE_NAME = "vaist"
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
ALICE = "alice@example.com"  # hub users are named by their Google email
BOB = "bob@example.com"
HOLD_VARIABLE = "VAIST_TEST_BUILD_HOLD"  # hub_builders: builds wait half way while this file exists
STARTUP_TIMEOUT = 90.0  # seconds: the hub, the proxy and the service start together on a busy machine
SERVICE_TESTS = HERE.parent / "service"  # scripted_builder: the builder of the service's workers, and its bytes


def scripted_service_environment(build_workers: int = 4) -> dict[str, str]:
    """The service's settings in the hub tests (and the load benchmark): builds by the paced scripted builder
    (hub_builders) in the detached workers, unverified (the scripted plugin is no plugin), offline planning."""
    return {
        "PYTHONPATH": os.pathsep.join([str(HERE), str(SERVICE_TESTS)]),  # for the build workers
        "VAIST_BUILD_WORKER_BUILDER": "hub_builders:paced",
        "VAIST_VERIFY_BUILDS": "0",
        "VAIST_PLANNER_MODEL": "offline",
        "VAIST_BUILD_WORKERS": str(build_workers),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, logs: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout:.0f} s\n{logs()}")


def answers(url: str) -> bool:
    try:
        return httpx2.get(url, timeout=2.0).status_code == 200
    except httpx2.TransportError:
        return False


class Hub:
    """The hub at `url` (the proxy's public address), the vaist service behind it at `service_url`."""

    def __init__(self, folder: Path, users: tuple[str, ...], service_environment: Mapping[str, str]) -> None:
        self.folder = folder
        self.users = users
        self.port, self.hub_port, self.proxy_api_port, self.service_port = (free_port() for _ in range(4))
        self.url = f"http://127.0.0.1:{self.port}/"
        self.service_url = f"{self.url}services/{SERVICE_NAME}/"  # through the proxy, as kernels reach it
        self.direct_service_url = f"http://127.0.0.1:{self.service_port}/services/{SERVICE_NAME}/"
        self.service_token = secrets.token_hex(32)
        self.admin_token = secrets.token_hex(32)
        self.data = folder / "service-data"
        self.reports = folder / "server-reports"  # what each stand-in single-user server found
        self.hold = folder / "hold-builds"
        self.service_environment = {
            "JUPYTERHUB_API_TOKEN": self.service_token,
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{self.hub_port}/hub/api",
            "JUPYTERHUB_SERVICE_NAME": SERVICE_NAME,
            "JUPYTERHUB_SERVICE_PREFIX": f"/services/{SERVICE_NAME}/",
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{self.service_port}",
            "VAIST_DATA_DIR": str(self.data),
            "VAIST_CACHE_DIR": str(folder / "service-cache"),
            "VAIST_SECRET_KEY": secrets.token_urlsafe(32),
            HOLD_VARIABLE: str(self.hold),
            **service_environment,
        }
        self.hub_process: subprocess.Popen[bytes] | None = None
        self.service_process: subprocess.Popen[bytes] | None = None
        self.admin = httpx2.Client(
            base_url=f"{self.url}hub/api/", headers={"Authorization": f"token {self.admin_token}"}, timeout=30.0
        )

    # -- the processes --------------------------------------------------------------------------------------

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.reports.mkdir(exist_ok=True)
        config = self.folder / "jupyterhub_config.py"
        config.write_text(self.config())
        with open(self.folder / "hub.log", "ab") as log:
            self.hub_process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={key: value for key, value in os.environ.items() if not key.startswith(("VAIST_", "JUPYTERHUB_"))},
            )
        self.start_service()
        wait_for(lambda: answers(f"{self.url}hub/api/"), STARTUP_TIMEOUT, "the hub did not answer", self.logs)
        self.wait_for_service()  # the users exist: the hub adds its allowed users at its start

    def start_service(self) -> None:
        with open(self.folder / "service.log", "ab") as log:
            self.service_process = subprocess.Popen(
                [sys.executable, "-m", "vaist_lab.hub.service"],
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.service_environment},
            )

    def wait_for_service(self) -> None:
        wait_for(
            lambda: answers(f"{self.service_url}health"),
            STARTUP_TIMEOUT,
            "the vaist service did not answer through the proxy",
            self.logs,
        )

    def kill_service(self) -> None:
        """The service dies at once (SIGKILL: no goodbye); builds in their worker processes go on."""
        assert self.service_process is not None
        self.service_process.kill()
        self.service_process.wait(10)

    def restart_service(self) -> None:
        self.kill_service()
        self.start_service()
        self.wait_for_service()

    @contextmanager
    def builds_held(self) -> Iterator[None]:
        """Builds started meanwhile wait half way (hub_builders.paced) until the block ends."""
        self.hold.touch()
        try:
            yield
        finally:
            self.hold.unlink(missing_ok=True)

    def stop(self) -> None:
        for process in (self.service_process, self.hub_process):  # the hub stops its proxy and servers
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        self.admin.close()

    def logs(self, characters: int = 6000) -> str:
        parts = []
        for name in ("hub.log", "service.log"):
            path = self.folder / name
            text = path.read_text(errors="replace")[-characters:] if path.exists() else "(none)"
            parts.append(f"--- {name} ---\n{text}")
        return "\n".join(parts)

    # -- the hub's API ------------------------------------------------------------------------------------

    def token(self, user: str, scopes: tuple[str, ...] = (ACCESS_SCOPE,), expires_in: int | None = None) -> str:
        """A new API token of `user`'s with `scopes` (a subset of what the user holds), made by the admin."""
        body: dict[str, Any] = {"scopes": list(scopes), "note": "vaist hub tests"}
        if expires_in is not None:
            body["expires_in"] = expires_in
        response = self.admin.post(f"users/{quote(user, safe='')}/tokens", json=body)
        response.raise_for_status()
        return response.json()["token"]

    def spawn(self, user: str) -> dict[str, Any]:
        """Start `user`'s single-user server (the stand-in) and return what it found: who the service says it
        is, and where it found the service."""
        report = self.reports / f"{user}.json"
        report.unlink(missing_ok=True)
        self.admin.post(f"users/{quote(user, safe='')}/server").raise_for_status()
        wait_for(report.exists, STARTUP_TIMEOUT, f"{user}'s server reported nothing", self.logs)
        return json.loads(report.read_text())

    def stop_server(self, user: str) -> None:
        self.admin.delete(f"users/{quote(user, safe='')}/server").raise_for_status()

    def config(self) -> str:
        stand_in = HERE / "server_stand_in.py"
        settings: dict[str, Any] = {
            "JupyterHub.bind_url": self.url,
            "JupyterHub.public_url": self.url,  # single-user servers find the service below it
            "JupyterHub.hub_bind_url": f"http://127.0.0.1:{self.hub_port}",
            "JupyterHub.db_url": f"sqlite:///{self.folder / 'jupyterhub.sqlite'}",
            "JupyterHub.cookie_secret_file": str(self.folder / "jupyterhub_cookie_secret"),
            "ConfigurableHTTPProxy.command": [str(PROXY)],
            "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{self.proxy_api_port}",
            "ConfigurableHTTPProxy.pid_file": str(self.folder / "proxy.pid"),
            "JupyterHub.authenticator_class": "dummy",
            "Authenticator.allowed_users": list(self.users),
            "JupyterHub.extra_user_scopes": [ACCESS_SCOPE],
            "Spawner.server_token_scopes": ["access:servers!server", "users:activity!user", ACCESS_SCOPE],
            "JupyterHub.spawner_class": "simple",
            "SimpleLocalProcessSpawner.home_dir_template": str(self.folder / "homes" / "{username}"),
            "Spawner.cmd": [sys.executable, str(stand_in)],
            "Spawner.environment": {"VAIST_STAND_IN_REPORTS": str(self.reports)},
            "Spawner.start_timeout": 60,
            "Spawner.http_timeout": 60,
            "JupyterHub.services": [
                {
                    "name": SERVICE_NAME,
                    "url": f"http://127.0.0.1:{self.service_port}",
                    "api_token": self.service_token,
                    "display": False,
                },
                {"name": "vaist-tests", "api_token": self.admin_token},
            ],
            "JupyterHub.load_roles": [
                {
                    "name": "vaist-tests",
                    "description": "the tests' admin: makes users, their tokens and servers",
                    "scopes": ["admin:users", "tokens", "admin:servers"],
                    "services": ["vaist-tests"],
                }
            ],
        }
        lines = ["c = get_config()  # noqa: F821"]
        for name, value in settings.items():
            section, option = name.split(".")
            lines.append(f"c.{section}.{option} = {value!r}")
        return "\n".join(lines) + "\n"
