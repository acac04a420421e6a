"""The settings of a hub on one machine (deploy/jupyterhub_config.py, `vaist-lab hub`), read from the
environment and checked before anything starts: each problem is one line naming the variable.

Google sign-in (oauthenticator's own variable names):
    OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET   the OAuth client of the Google Cloud project
    OAUTH_CALLBACK_URL                     https://HOST/hub/oauth_callback, as registered with the client;
                                           the hub's public URL is what comes before hub/oauth_callback
Who may sign in (nobody unless one of the first two is set):
    VAIST_HUB_ALLOWED_USERS                Google emails, separated by commas or spaces
    VAIST_HUB_HOSTED_DOMAINS               Google Workspace domains: everyone whose account the domain
                                           manages (with VAIST_HUB_ALLOWED_USERS too: only those listed,
                                           signing in with an account of the domain)
    VAIST_HUB_ADMINS                       emails of the hub's admins (allowed too; the admin page)
Where and how:
    VAIST_HUB_STATE_DIR                    the hub's database, cookie secret and the service's secret
                                           (default ~/.local/share/vaist-lab-hub; kept 0700)
    VAIST_DATA_DIR                         the service's database and artifacts (default STATE_DIR/service)
    VAIST_HUB_BIND_URL                     where the proxy listens (default: the public URL when it is http,
                                           else http://127.0.0.1:8000 behind your TLS proxy)
    VAIST_HUB_INTERNAL_PORT, VAIST_HUB_PROXY_API_PORT, VAIST_HUB_SERVICE_PORT
                                           loopback ports of the hub (8081), the proxy's API (8001) and
                                           the vaist service (10101)
    VAIST_HUB_CULL_IDLE_SECONDS            a server without traffic this long is stopped (3600); its
                                           user's projects and builds go on
    VAIST_HUB_PROXY                        configurable-http-proxy (default deploy/node_modules/.bin/...)
    VAIST_HUB_GOOGLE_AUTHORIZE_URL, VAIST_HUB_GOOGLE_TOKEN_URL, VAIST_HUB_GOOGLE_USERINFO_URL
                                           a provider that stands in for Google (tests, --dev-oidc): all
                                           three or none
The service's own settings: every other VAIST_ variable (VAIST_SECRET_KEY, VAIST_DATABASE_URL, storage,
limits, the server's AI keys) and GEMINI_/GOOGLE_/ANTHROPIC_/OPENAI_API_KEY go to the `vaist` service's
environment only. Without VAIST_SECRET_KEY the secret is kept in STATE_DIR/vaist-secret-key (0600).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import vaist_lab
from vaist_lab.errors import VaistError

REPOSITORY = Path(vaist_lab.__file__).resolve().parent.parent  # a source checkout: deploy/ beside the package
CONFIG_FILE = REPOSITORY / "deploy" / "jupyterhub_config.py"
DEFAULT_PROXY = REPOSITORY / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"
CALLBACK_PATH = "hub/oauth_callback"
SECRET_FILE = "vaist-secret-key"
DEFAULT_CULL_IDLE_SECONDS = 3600
MAX_ACTIVITY_POLL_SECONDS = 300  # JupyterHub's default for reading the proxy's activity
ENDPOINT_VARIABLES = ("VAIST_HUB_GOOGLE_AUTHORIZE_URL", "VAIST_HUB_GOOGLE_TOKEN_URL", "VAIST_HUB_GOOGLE_USERINFO_URL")
SERVICE_KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class HubConfigError(VaistError):
    """The hub cannot start as configured: a missing or malformed setting."""


@dataclass(frozen=True)
class GoogleEndpoints:
    """Where sign-in goes when a provider stands in for Google."""

    authorize_url: str
    token_url: str
    userinfo_url: str


@dataclass(frozen=True)
class HubSettings:
    client_id: str
    client_secret: str
    callback_url: str
    public_url: str  # ends in "/"
    bind_url: str
    allowed_users: frozenset[str]
    hosted_domains: tuple[str, ...]
    admins: frozenset[str]
    state_dir: Path
    service_data_dir: Path
    internal_port: int
    proxy_api_port: int
    service_port: int
    cull_idle_seconds: int
    proxy: Path
    endpoints: GoogleEndpoints | None
    service_settings: Mapping[str, str] = field(repr=False)  # the service's VAIST_ settings and AI keys

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> HubSettings:
        env = os.environ if env is None else env
        missing = [
            name for name in ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "OAUTH_CALLBACK_URL") if not _get(env, name)
        ]
        if missing:
            raise HubConfigError(
                f"Google sign-in is not configured: set {', '.join(missing)} (the OAuth client of your Google Cloud "
                "project and its redirect URI https://HOST/hub/oauth_callback; see deploy/README.md)"
            )
        callback_url = _get(env, "OAUTH_CALLBACK_URL")
        public_url = _public_url(callback_url)
        allowed_users = frozenset(_emails(env, "VAIST_HUB_ALLOWED_USERS"))
        admins = frozenset(_emails(env, "VAIST_HUB_ADMINS"))
        hosted_domains = tuple(_domains(env, "VAIST_HUB_HOSTED_DOMAINS"))
        if not allowed_users and not hosted_domains:
            raise HubConfigError(
                "nobody may sign in: set VAIST_HUB_ALLOWED_USERS (Google emails) and/or VAIST_HUB_HOSTED_DOMAINS "
                "(Google Workspace domains)"
            )
        state_dir = Path(_get(env, "VAIST_HUB_STATE_DIR") or Path.home() / ".local" / "share" / "vaist-lab-hub")
        service_settings = {
            name: value
            for name, value in env.items()
            if (name.startswith("VAIST_") and not name.startswith("VAIST_HUB_")) or name in SERVICE_KEY_VARIABLES
        }
        return cls(
            client_id=_get(env, "OAUTH_CLIENT_ID"),
            client_secret=_get(env, "OAUTH_CLIENT_SECRET"),
            callback_url=callback_url,
            public_url=public_url,
            bind_url=_bind_url(env, public_url),
            allowed_users=allowed_users,
            hosted_domains=hosted_domains,
            admins=admins,
            state_dir=state_dir,
            service_data_dir=Path(_get(env, "VAIST_DATA_DIR") or state_dir / "service"),
            internal_port=_port(env, "VAIST_HUB_INTERNAL_PORT", 8081),
            proxy_api_port=_port(env, "VAIST_HUB_PROXY_API_PORT", 8001),
            service_port=_port(env, "VAIST_HUB_SERVICE_PORT", 10101),
            cull_idle_seconds=_seconds(env, "VAIST_HUB_CULL_IDLE_SECONDS", DEFAULT_CULL_IDLE_SECONDS),
            proxy=_proxy(env),
            endpoints=_endpoints(env),
            service_settings=service_settings,
        )

    @property
    def activity_poll_seconds(self) -> int:
        """How often the hub reads the proxy's traffic and the culler looks: often enough for the cull time."""
        return max(1, min(MAX_ACTIVITY_POLL_SECONDS, self.cull_idle_seconds // 4))

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.service_port}"

    def prepare_state(self) -> dict[str, str]:
        """Make the state and service data folders (0700: only the hub's account enters them) and return the
        service's environment: its settings, its data folder and the secret (VAIST_SECRET_KEY, else the
        secret file of the state folder, made once, 0600)."""
        for folder in (self.state_dir, self.service_data_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
        from vaist_lab.store.secrets import SECRET_ENV  # the store loads the database stack: not for the CLI's start

        environment = {**self.service_settings, "VAIST_DATA_DIR": str(self.service_data_dir)}
        if not environment.get(SECRET_ENV, "").strip():
            environment[SECRET_ENV] = self._stored_secret()
        return environment

    def _stored_secret(self) -> str:
        from vaist_lab.store.secrets import generate_secret

        path = self.state_dir / SECRET_FILE
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(generate_secret())
        path.chmod(0o600)
        return path.read_text().strip()


def check_host() -> None:
    """What running the hub needs of this machine and install: root (it creates the users' accounts and runs
    their servers as them) and the `hub` extra (oauthenticator, jupyter-server-proxy's standalone proxy, the
    idle culler) in the environment that runs it."""
    if os.geteuid() != 0:
        raise HubConfigError(
            "the hub creates a Unix account per user and runs each user's server as it: run it as root "
            "(e.g. sudo -E vaist-lab hub)"
        )
    scripts = Path(sys.executable).parent
    missing = [name for name in ("jupyter-standaloneproxy", "vaist-lab") if not (scripts / name).exists()]
    for module in ("oauthenticator", "jupyterhub_idle_culler"):
        if importlib.util.find_spec(module) is None:
            missing.append(module)
    if missing:
        raise HubConfigError(
            f"the hub's packages are missing from {sys.prefix}: {', '.join(missing)} (pip install -e '.[hub]')"
        )


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _items(env: Mapping[str, str], name: str) -> list[str]:
    return [item for item in re.split(r"[,\s]+", _get(env, name).lower()) if item]


def _emails(env: Mapping[str, str], name: str) -> list[str]:
    items = _items(env, name)
    wrong = [item for item in items if not EMAIL.match(item)]
    if wrong:
        raise HubConfigError(f"{name}: {wrong[0]!r} is not an email address (Google accounts are named by email)")
    return items


def _domains(env: Mapping[str, str], name: str) -> list[str]:
    items = _items(env, name)
    wrong = [item for item in items if "@" in item or "." not in item]
    if wrong:
        raise HubConfigError(f"{name}: {wrong[0]!r} is not a domain such as example.com")
    return items


def _public_url(callback_url: str) -> str:
    parts = urlsplit(callback_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.endswith(f"/{CALLBACK_PATH}"):
        raise HubConfigError(
            f"OAUTH_CALLBACK_URL must be http(s)://HOST[/PREFIX]/{CALLBACK_PATH}, as registered with the Google OAuth "
            f"client; it is {callback_url!r}"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.removesuffix(CALLBACK_PATH), "", ""))


def _bind_url(env: Mapping[str, str], public_url: str) -> str:
    explicit = _get(env, "VAIST_HUB_BIND_URL")
    public = urlsplit(public_url)
    if not explicit:
        return public_url if public.scheme == "http" else f"http://127.0.0.1:8000{public.path}"
    bind = urlsplit(explicit)
    if bind.scheme != "http" or not bind.netloc:
        raise HubConfigError(f"VAIST_HUB_BIND_URL must be http://ADDRESS:PORT/; it is {explicit!r}")
    if bind.path.rstrip("/") != public.path.rstrip("/"):
        raise HubConfigError(
            f"VAIST_HUB_BIND_URL's path {bind.path or '/'!r} differs from the public URL's {public.path!r} "
            "(OAUTH_CALLBACK_URL): the hub serves one prefix"
        )
    return urlunsplit(("http", bind.netloc, public.path, "", ""))


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    text = _get(env, name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise HubConfigError(f"{name} must be a port number from 1 to 65535; it is {text!r}")
    return int(text)


def _seconds(env: Mapping[str, str], name: str, default: int) -> int:
    text = _get(env, name)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise HubConfigError(f"{name} must be a whole number of seconds, at least 1; it is {text!r}")
    return int(text)


def _proxy(env: Mapping[str, str]) -> Path:
    proxy = Path(_get(env, "VAIST_HUB_PROXY") or DEFAULT_PROXY)
    if not os.access(proxy, os.X_OK):
        raise HubConfigError(
            f"the hub's proxy is missing: no configurable-http-proxy at {proxy} (`npm ci --prefix deploy` installs "
            "the pinned one; .ci/install does)"
        )
    return proxy


def _endpoints(env: Mapping[str, str]) -> GoogleEndpoints | None:
    given = {name: _get(env, name) for name in ENDPOINT_VARIABLES}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise HubConfigError(f"a provider standing in for Google needs all three endpoints: {', '.join(missing)} unset")
    return GoogleEndpoints(*given.values())


__all__ = ["CONFIG_FILE", "GoogleEndpoints", "HubConfigError", "HubSettings", "check_host"]
