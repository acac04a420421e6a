"""The service listens where VAIST_SERVICE_BIND_HOST says when its URL names an address this machine does not
have, as in a Kubernetes pod whose URL is the pod's Service (http://hub:10101, deploy/z2jh-values.yaml)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from hub_harness import STARTUP_TIMEOUT, answers, free_port, wait_for

UNRESOLVABLE = "vaist-service.invalid"  # .invalid never resolves (RFC 2606)


def start_service(folder: Path, port: int, bind_host: str) -> subprocess.Popen[bytes]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("VAIST_", "JUPYTERHUB_"))}
    environment |= {
        "JUPYTERHUB_SERVICE_URL": f"http://{UNRESOLVABLE}:{port}",
        "JUPYTERHUB_SERVICE_PREFIX": "/services/vaist/",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",  # never asked: no API call is made
        "JUPYTERHUB_API_TOKEN": secrets.token_hex(16),
        "VAIST_DATA_DIR": str(folder / "data"),
        "VAIST_CACHE_DIR": str(folder / "cache"),
        "VAIST_SECRET_KEY": secrets.token_urlsafe(32),
        "VAIST_SERVICE_BIND_HOST": bind_host,
    }
    with open(folder / "service.log", "wb") as log:  # the process keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "vaist_lab.hub.service"], stdout=log, stderr=subprocess.STDOUT, env=environment
        )


def test_the_service_listens_on_the_bind_host_at_its_urls_port(tmp_path: Path) -> None:
    port = free_port()
    service = start_service(tmp_path, port, "127.0.0.1")  # its URL's host does not resolve: no listening there
    try:
        health = f"http://127.0.0.1:{port}/services/vaist/health"
        wait_for(
            lambda: answers(health),
            STARTUP_TIMEOUT,
            "the service did not answer on 127.0.0.1",
            lambda: (tmp_path / "service.log").read_text(errors="replace"),
        )
    finally:
        service.terminate()
        service.wait(30)
