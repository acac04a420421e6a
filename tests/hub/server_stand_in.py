"""A stand-in for a user's single-user server, started by the hub's spawner in the hub tests: it does what
the app's kernel does with its server's environment (JUPYTERHUB_API_TOKEN, the hub's public URL), without
Voila: `HubLab.from_environment()` calls the vaist service as the server's user, and the report says what
came back. Then it answers HTTP on its address until the hub stops it, so that the hub sees it running."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from vaist_lab.errors import VaistError
from vaist_lab.hub.client import HubLab, hub_connection


def report() -> dict[str, object]:
    connection = hub_connection()
    if connection is None:
        return {"error": "no hub connection in this environment"}
    try:
        with HubLab(connection.service_url, connection.token) as lab:
            return {
                "service_url": connection.service_url,
                "email": lab.user.email,
                "projects": [view.name for view in lab.list_projects()],
            }
    except VaistError as error:
        return {"service_url": connection.service_url, "error": f"{type(error).__name__}: {error}"}


class Alive(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"stand-in single-user server\n")

    def log_message(self, *_args: object) -> None:
        pass


def main() -> None:
    address = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    server = ThreadingHTTPServer((address.hostname or "127.0.0.1", address.port or 80), Alive)
    reports = Path(os.environ["VAIST_STAND_IN_REPORTS"])
    scratch = reports / f".{os.environ['JUPYTERHUB_USER']}.json"
    scratch.write_text(json.dumps(report()))
    scratch.rename(reports / f"{os.environ['JUPYTERHUB_USER']}.json")  # whole or not at all
    server.serve_forever()


if __name__ == "__main__":
    main()
