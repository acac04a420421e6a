"""`HubLab`: the workbench's LabApi over HTTP, calling the `vaist` hub service with the user's hub token.

A single-user server's kernel holds no database URL, secret or storage credentials: it has its user's
JUPYTERHUB_API_TOKEN, and the service answers for whoever that token belongs to. The widgets cannot tell
HubLab from the in-process UserLab: the same views come back (decoded into the same dataclasses) and
refusals are raised as the same error classes; a service that does not answer raises
LabServiceUnavailable (a ServiceError), so the widgets say so instead of failing.

HubLab's methods are generated from the protocol's routes (vaist_lab.hub.wire): each binds its arguments
against the protocol's signature and makes one generic call, and `inspect.signature` shows the protocol's
own. A method added to LabApi is callable here without a line of its own.

Importing this module loads no database library, store or builder (tests/hub/test_hub_client.py checks).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import httpx2

from vaist_lab.hub.wire import (
    ROUTES,
    HubApi,
    LabServiceUnavailable,
    Route,
    error_from_body,
    from_json,
    to_json,
)

SERVICE_URL_VARIABLE = "VAIST_SERVICE_URL"
SERVICE_NAME = "vaist"
DEFAULT_TIMEOUT = 120.0  # seconds for an answer: an AI turn may take a while (a long poll adds its wait)
CONNECT_TIMEOUT = 10.0
CONNECT_RETRIES = 2  # a connection refused (the service restarting) is tried again; a sent request never is


@dataclass(frozen=True)
class HubConnection:
    """Where the service answers (its URL, ending in its prefix) and the token to call it with."""

    service_url: str
    token: str

    def __repr__(self) -> str:  # never the token
        return f"HubConnection({self.service_url!r})"


def hub_connection(env: Mapping[str, str] | None = None) -> HubConnection | None:
    """The service and the token when this process runs in a hub's single-user server: the token from
    JUPYTERHUB_API_TOKEN; the URL from VAIST_SERVICE_URL (the service's own address, e.g.
    http://127.0.0.1:10101/services/vaist/), else the hub's public URL (JUPYTERHUB_PUBLIC_HUB_URL, then
    JUPYTERHUB_PUBLIC_URL: set when the hub's `public_url` is) with services/vaist/ below the hub's base URL.
    None outside a hub, or when neither says where the service is."""
    env = os.environ if env is None else env
    token = env.get("JUPYTERHUB_API_TOKEN", "").strip()
    if not token:
        return None
    explicit = env.get(SERVICE_URL_VARIABLE, "").strip()
    if explicit:
        return HubConnection(explicit.rstrip("/") + "/", token)
    public = env.get("JUPYTERHUB_PUBLIC_HUB_URL", "").strip() or env.get("JUPYTERHUB_PUBLIC_URL", "").strip()
    if not public:
        return None
    origin = urlsplit(public)
    base = "/" + env.get("JUPYTERHUB_BASE_URL", "/").strip("/")
    path = f"{base.rstrip('/')}/services/{SERVICE_NAME}/"
    return HubConnection(urlunsplit((origin.scheme, origin.netloc, path, "", "")), token)


class HubLab(HubApi):
    """The signed-in user's use cases, answered by the hub service at `service_url` for `token`'s owner."""

    def __init__(self, service_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.service_url = service_url.rstrip("/") + "/"
        self.timeout = timeout
        self._http = httpx2.Client(
            base_url=self.service_url,
            headers={"Authorization": f"token {token}"},
            timeout=httpx2.Timeout(timeout, connect=CONNECT_TIMEOUT),
            transport=httpx2.HTTPTransport(retries=CONNECT_RETRIES),
            follow_redirects=False,  # the API never redirects; a redirect to a login page is a refusal
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> HubLab:
        """HubLab for this single-user server's user (see `hub_connection`)."""
        connection = hub_connection(env)
        if connection is None:
            raise LabServiceUnavailable(
                f"not in a hub's single-user server: JUPYTERHUB_API_TOKEN and {SERVICE_URL_VARIABLE} "
                "(or the hub's public URL) say where the lab service is"
            )
        return cls(connection.service_url, connection.token)

    def __repr__(self) -> str:
        return f"HubLab({self.service_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, route: Route, arguments: Mapping[str, Any]) -> Any:
        """One call of `route`: the arguments as a JSON object, the answer read as the route's result."""
        body = json.dumps({name: to_json(value) for name, value in arguments.items()}, allow_nan=False)
        wait = arguments.get("wait")
        timeout = self.timeout + (float(wait) if isinstance(wait, int | float) else 0.0)  # a long poll's wait
        try:
            response = self._http.post(
                route.path,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=httpx2.Timeout(timeout, connect=CONNECT_TIMEOUT),
            )
        except httpx2.TransportError as error:
            raise LabServiceUnavailable(
                f"the lab service at {self.service_url} did not answer ({type(error).__name__}): try again shortly"
            ) from None
        if response.status_code >= 300:
            raise _refusal(response)
        try:
            answer = response.json()
        except ValueError:
            raise LabServiceUnavailable(f"the lab service's answer to {route.name} is not JSON") from None
        return from_json(answer, route.returns, route.name)


def _refusal(response: httpx2.Response) -> Exception:
    try:
        body = response.json()
    except ValueError:  # not the service's answer: the proxy's or the hub's error page (service not running)
        body = None
    return error_from_body(body, response.status_code)


def _remote(route: Route) -> Any:
    """HubLab's member for `route`: the protocol's signature and documentation, one generic call."""
    if route.signature is None:

        def get(self: HubLab) -> Any:
            return self._call(route, {})

        return property(functools.update_wrapper(get, route.declared.fget))
    signature = route.signature

    def call(self: HubLab, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        return self._call(route, dict(list(bound.arguments.items())[1:]))

    return functools.update_wrapper(call, route.declared)


def _generate_members() -> None:
    for route in ROUTES.values():
        member = _remote(route)
        (member.fget if isinstance(member, property) else member).__qualname__ = f"HubLab.{route.name}"
        setattr(HubLab, route.name, member)


_generate_members()


__all__ = ["SERVICE_URL_VARIABLE", "HubConnection", "HubLab", "hub_connection"]
