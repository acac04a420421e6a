"""The `vaist` JupyterHub service: the use cases as a JSON API for the single-user servers' kernels.

    python -m vaist_lab.hub.service      (what c.JupyterHub.services runs; see tests/hub/conftest.py)

It alone holds the database URL, the server secret and the storage credentials (VAIST_DATABASE_URL,
VAIST_SECRET_KEY, VAIST_DATA_DIR and the storage's settings, from its own environment), runs the builds
(each in a worker process of its own, so that a restart of the service loses none) and keeps the per-user
limits (the Lab's). Under its prefix (JUPYTERHUB_SERVICE_PREFIX, e.g. /services/vaist/):

- `POST api/<call>`: one route per HubApi member (vaist_lab.hub.wire), a JSON object of named arguments in,
  the result as JSON out. The caller is ALWAYS the owner of the hub token in `Authorization: token ...`
  (its hub name, a Google email, is the Lab user); a body naming a user is refused like any unknown
  argument. No token, a forged, expired or revoked one: 401; a token without
  `access:services!service=vaist`: 403. Refusals are {"error": kind, "message": one line} with the status
  of their kind; another user's project answers exactly as a missing one (404). `follow_logs` is a long
  poll, its wait bounded by MAX_LONG_POLL.
- `GET artifacts/<key>?expires=...&signature=...`: a download link of the local storage, signed and expiring
  (the link is its own credential: no token); `download_link` hands them out (a bucket's presigned URL
  instead when the storage is S3).
- `GET health` (and the prefix itself, which the hub checks): {"ok": true} once the Lab is open.

It listens on the host and port of its URL (JUPYTERHUB_SERVICE_URL), or on VAIST_SERVICE_BIND_HOST and that
port: in a Kubernetes pod the URL names the pod's Service, which no interface has (0.0.0.0 there; see
deploy/README.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

from jupyterhub.services.auth import HubAuth, HubAuthenticated, UserNotAllowed
from tornado.httpserver import HTTPServer
from tornado.web import Application, HTTPError, RequestHandler

from vaist_lab.config import data_dir
from vaist_lab.errors import VaistError
from vaist_lab.hub.wire import (
    ROUTES,
    DownloadLinkView,
    LabServiceUnavailable,
    NotAllowed,
    NotSignedIn,
    Route,
    WireError,
    error_body,
    from_json,
    to_json,
)
from vaist_lab.plan.errors import PlanError
from vaist_lab.planner.settings import PlannerConfigError
from vaist_lab.service.api import ProjectId
from vaist_lab.service.builds import DetachedBuildExecutor
from vaist_lab.service.errors import (
    BuilderUnavailable,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RateLimited,
    TooLarge,
)
from vaist_lab.service.lab import Lab
from vaist_lab.service.settings import LabSettings
from vaist_lab.service.user_lab import UserLab
from vaist_lab.service.views import CurrentUser
from vaist_lab.store.artifacts import LINK_PREFIX
from vaist_lab.store.database import database_url
from vaist_lab.store.errors import ArtifactNotFound, InvalidDownloadLink, StoreError

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

SERVICE_NAME = "vaist"
DEFAULT_PREFIX = f"/services/{SERVICE_NAME}/"
DEFAULT_URL = "http://127.0.0.1:10101"
BIND_HOST_VARIABLE = "VAIST_SERVICE_BIND_HOST"  # where to listen when the URL's host is not this machine's address
MAX_LONG_POLL = 25.0  # seconds a follow_logs call may wait for lines (below proxies' idle timeouts)
MAX_BODY_BYTES = 4 * 1024 * 1024  # a request's arguments: a plan's JSON is a few kB
AUTH_CACHE_SECONDS = 30  # the hub's answer for a token is reused this long: a revoked token lasts at most this
CALL_THREADS = 16  # use cases at once (each holds a database connection while it runs)
LONG_POLL_THREADS = 64  # log followers waiting at once
HUB_USER_DOMAIN = "hub.invalid"  # a hub user whose name is not an email is <name>@hub.invalid in the Lab

# a refusal's HTTP status by its class (the first that matches, most specific first)
STATUSES: tuple[tuple[type[BaseException], int], ...] = (
    (NotSignedIn, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (TooLarge, 413),
    (InvalidInput, 400),
    (WireError, 400),
    (PlannerConfigError, 400),
    (PlanError, 400),
    (InvalidTransition, 409),
    (RateLimited, 429),
    (BuilderUnavailable, 503),
    (LabServiceUnavailable, 503),
    (InvalidDownloadLink, 403),
    (ArtifactNotFound, 404),
    (StoreError, 503),  # the database or the storage cannot be used now
    (VaistError, 400),
)
NOT_SIGNED_IN = "no valid hub token: sign in through the hub (a token that is forged, expired or revoked)"


def lab_email(hub_name: str) -> str:
    """The Lab user's email for a hub user: the name itself when it is an email (Google sign-in)."""
    return hub_name if "@" in hub_name else f"{hub_name}@{HUB_USER_DOMAIN}"


class HubUserLab(UserLab):
    """One user's use cases as the service answers them: UserLab and the service's extras (HubApi)."""

    def __init__(self, lab: Lab, user: CurrentUser, link_base: str) -> None:
        super().__init__(lab, user)
        self.link_base = link_base  # where the service's own links are served: scheme, host and prefix

    def download_link(self, project_id: ProjectId, platform: str | None = None) -> DownloadLinkView:
        link = self.lab.download_link(self.user, project_id, platform)
        url = link.url if urlsplit(link.url).scheme else self.link_base + link.url.removeprefix("/")
        return DownloadLinkView(url, link.filename, link.size, link.expires_at)


class VaistService:
    """The Lab, the hub's token checks and the threads the use cases run on."""

    def __init__(self, lab: Lab, hub_auth: HubAuth, prefix: str = DEFAULT_PREFIX) -> None:
        self.lab = lab
        self.hub_auth = hub_auth
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self._calls = ThreadPoolExecutor(CALL_THREADS, thread_name_prefix="vaist-call")
        self._long_polls = ThreadPoolExecutor(LONG_POLL_THREADS, thread_name_prefix="vaist-follow")
        self._users: dict[str, CurrentUser] = {}  # by hub name; only the event loop's thread touches it

    @classmethod
    def from_environment(cls) -> VaistService:
        """The Lab on VAIST_DATABASE_URL (else the SQLite file in VAIST_DATA_DIR) with the server secret
        (VAIST_SECRET_KEY, or the secret file in the data folder: never created here), builds in worker
        processes; the hub's API and this service's token and prefix from JupyterHub's variables."""
        data = data_dir()
        url = os.environ.get("VAIST_DATABASE_URL") or database_url(data)
        settings = LabSettings.from_environment()
        executor = DetachedBuildExecutor(url, data, settings)
        lab = Lab.open(url, data=data, single_user=False, settings=settings, executor=executor)
        hub_auth = HubAuth(cache_max_age=AUTH_CACHE_SECONDS)  # token, hub API URL and scopes from the environment
        if not hub_auth.access_scopes:  # outside a hub's environment: still only tokens that may use this service
            hub_auth.access_scopes = {f"access:services!service={SERVICE_NAME}"}
        return cls(lab, hub_auth, os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX))

    def close(self) -> None:
        """Stop answering; the builds go on in their worker processes (the next start follows them)."""
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._long_polls.shutdown(wait=False, cancel_futures=True)
        self.lab.close(cancel_builds=False)

    async def run(self, call: Callable[[], Result], long_poll: bool = False) -> Result:
        pool = self._long_polls if long_poll else self._calls
        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def lab_user(self, hub_name: str) -> CurrentUser:
        """The Lab user of a hub user, created at their first call."""
        if hub_name not in self._users:
            self._users[hub_name] = await self.run(lambda: self.lab.ensure_user(lab_email(hub_name)))
        return self._users[hub_name]

    def call(self, user: CurrentUser, route: Route, arguments: Mapping[str, Any], link_base: str) -> Any:
        member = getattr(HubUserLab(self.lab, user, link_base), route.name)
        return member if route.signature is None else member(**arguments)

    def application(self) -> Application:
        prefix = re.escape(self.prefix)
        return Application(
            [
                (rf"{prefix}api/(?P<name>[A-Za-z_]\w*)", ApiHandler, {"service": self}),
                (rf"{prefix}artifacts/.+", ArtifactHandler, {"service": self}),
                (rf"{prefix}(?:health)?", HealthHandler, {"service": self}),  # the hub checks the prefix
            ],
            default_handler_class=NotFoundHandler,
            default_handler_args={"service": self},
            log_function=log_request,
        )


def arguments_of(route: Route, body: bytes) -> dict[str, Any]:
    """The request body's named arguments for `route`, each read as the protocol's type; InvalidInput for
    what is not JSON, an unknown argument (a user's name among them: the caller is the token's owner), a
    missing or mistyped one."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise InvalidInput("the request body is not JSON: send an object of named arguments") from None
    if not isinstance(payload, dict):
        raise InvalidInput("the request body must be a JSON object of named arguments")
    unknown = sorted(set(payload) - set(route.parameters))
    if unknown:
        raise InvalidInput(f"{route.name} takes no argument {unknown[0]!r} (the caller is always the hub token's user)")
    arguments = {name: from_json(value, route.parameters[name], name) for name, value in payload.items()}
    if route.signature is not None:
        try:
            route.signature.bind(None, **arguments)
        except TypeError as error:
            raise InvalidInput(f"{route.name}: {error}") from None
    if "wait" in arguments:
        arguments["wait"] = min(max(arguments["wait"], 0.0), MAX_LONG_POLL)
    return arguments


def log_request(handler: RequestHandler) -> None:
    """Tornado's access log without query strings: a download link's signature is a credential."""
    status = handler.get_status()
    log = logging.getLogger("tornado.access")
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    request = handler.request
    log.log(level, "%d %s %s %.1f ms", status, request.method, request.path, 1000 * request.request_time())


def status_of(error: BaseException) -> int:
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 500)


class JsonHandler(RequestHandler):
    """Every answer JSON, refusals too (tornado's own: unknown paths, wrong methods)."""

    def initialize(self, service: VaistService) -> None:
        self.service = service

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value, allow_nan=False))  # strict JSON: to_json spells inf and nan

    def refuse(self, error: BaseException) -> None:
        if isinstance(error, HTTPError):  # the hub could not be asked about the token
            logger.warning("checking a token with the hub failed: %s", error)
            error = LabServiceUnavailable("the hub cannot check tokens now: try again shortly")
        status = status_of(error)
        if status == 500:
            logger.error("%s %s failed", self.request.method, self.request.path, exc_info=error)
            self.write_json(error_body("InternalError", "the lab service failed: it is logged"), 500)
            return
        if status == 401:
            self.set_header("WWW-Authenticate", 'token realm="jupyterhub"')
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            self.set_header("Retry-After", str(max(1, round(retry_after.total_seconds()))))
        self.write_json(error_body(type(error).__name__, str(error), retry_after), status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = {404: "no such address on the lab service", 405: "use POST for the lab service's API"}
        text = message.get(status_code, self._reason)
        self.write_json(error_body("NotFound" if status_code == 404 else "HTTPError", text), status_code)


class NotFoundHandler(JsonHandler):
    def prepare(self) -> None:
        raise HTTPError(404)


class ApiHandler(HubAuthenticated, JsonHandler):
    """`POST api/<name>`: the HubApi member `name` for the hub token's owner."""

    async def prepare(self) -> None:  # type: ignore[override]
        self.hub_auth = self.service.hub_auth
        try:
            self.caller = await self._caller()
        except Exception as error:  # answered here: post() does not run
            self.refuse(error)

    async def _caller(self) -> CurrentUser:
        """The Lab user who owns the request's token (the Authorization header; never a cookie or the body)."""
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            raise NotSignedIn(NOT_SIGNED_IN)
        try:
            self.check_hub_user(model)  # the token's scopes must include access to this service
        except UserNotAllowed:
            raise NotAllowed(
                f"this token may not use the lab service (it needs {sorted(self.hub_scopes)[0]})"
            ) from None
        if model.get("kind", "user") != "user":
            raise NotAllowed("only the hub's users use the lab service")
        return await self.service.lab_user(model["name"])

    async def post(self, name: str) -> None:
        route = ROUTES.get(name)
        if route is None:
            self.write_json(error_body("NotFound", f"the lab service has no call {name!r}"), 404)
            return
        try:
            arguments = arguments_of(route, self.request.body)
            link_base = f"{self.request.protocol}://{self.request.host}{self.service.prefix}"
            user = self.caller
            result = await self.service.run(
                lambda: self.service.call(user, route, arguments, link_base), long_poll=bool(arguments.get("wait"))
            )
            self.write_json(to_json(result))
        except Exception as error:
            self.refuse(error)


class ArtifactHandler(JsonHandler):
    """`GET artifacts/<key>?expires=...&signature=...`: the file behind one of the local storage's links."""

    def prepare(self) -> None:
        pass

    async def get(self) -> None:
        link = LINK_PREFIX + self.request.path.removeprefix(self.service.prefix + "artifacts/")
        link += f"?{self.request.query}"
        try:
            data = await self.service.run(lambda: self.service.lab.verify_download(link))
        except Exception as error:
            self.refuse(error)
            return
        filename = PurePosixPath(urlsplit(link).path).name
        self.set_header("Content-Type", mimetypes.guess_type(filename)[0] or "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.set_header("Cache-Control", "private, no-store")
        self.finish(data)


class HealthHandler(JsonHandler):
    def prepare(self) -> None:
        pass

    def get(self) -> None:
        self.write_json({"ok": True})


async def serve(service: VaistService, host: str, port: int) -> None:
    """Answer on host:port until SIGTERM or SIGINT."""
    server = HTTPServer(service.application(), xheaders=True, max_body_size=MAX_BODY_BYTES)
    server.listen(port, host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logger.info("the vaist service answers on http://%s:%d%s", host, port, service.prefix)
    try:
        await stop.wait()
    finally:
        server.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    address = urlsplit(os.environ.get("JUPYTERHUB_SERVICE_URL") or DEFAULT_URL)
    # in a Kubernetes pod the URL names the pod's Service (http://hub:10101), an address no interface has
    host = os.environ.get(BIND_HOST_VARIABLE, "").strip() or address.hostname or "127.0.0.1"
    try:
        service = VaistService.from_environment()
    except VaistError as error:
        print(f"vaist service: {error}", file=sys.stderr)
        sys.exit(1)
    try:
        asyncio.run(serve(service, host, address.port or 80))
    finally:
        service.close()


if __name__ == "__main__":
    main()
