"""The hub's settings (vaist_lab.hub.deployment), the Unix name of a Google account (vaist_lab.hub.accounts) and
`vaist-lab hub` refusing to start, each with one line naming what is wrong. No hub is started here: the whole
deployment runs in test_hub_signin_e2e.py."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from vaist_lab.cli import main
from vaist_lab.hub.accounts import unix_name
from vaist_lab.hub.deployment import SECRET_FILE, HubConfigError, HubSettings

GOOGLE = {
    "OAUTH_CLIENT_ID": "client.apps.googleusercontent.com",
    "OAUTH_CLIENT_SECRET": "client-secret",
    "OAUTH_CALLBACK_URL": "https://hub.example.com/hub/oauth_callback",
    "VAIST_HUB_ALLOWED_USERS": "Alice@Example.com, bob@example.com",
}
ADDUSER_NAME = re.compile(r"^[a-z][-a-z0-9_]*$")  # Debian's adduser NAME_REGEX


def settings(tmp_path: Path, **changes: str) -> HubSettings:
    environment = {**GOOGLE, "VAIST_HUB_STATE_DIR": str(tmp_path / "state"), "VAIST_HUB_PROXY": "/bin/true"}
    return HubSettings.from_environment({key: value for key, value in {**environment, **changes}.items() if value})


def test_a_google_email_maps_to_one_safe_unix_name() -> None:
    names = {
        email: unix_name(email)
        for email in (
            "alice@example.com",
            "alice@example.org",  # the same local part elsewhere
            "Alice.Smith+music@example.com",
            "9lives@example.com",
            "a-very-long-local-part-of-an-email-address@example.com",
            "@example.com",
        )
    }
    assert len(set(names.values())) == len(names), names
    for email, name in names.items():
        assert ADDUSER_NAME.match(name) and len(name) <= 32, (email, name)
    assert names["Alice.Smith+music@example.com"].startswith("alice-smith-music-")
    assert unix_name("ALICE@example.com ") == names["alice@example.com"]  # the same account, however written


def test_the_settings_come_from_the_environment(tmp_path: Path) -> None:
    hub = settings(
        tmp_path,
        VAIST_HUB_ADMINS="ada@example.com",
        VAIST_SECRET_KEY="s" * 40,
        VAIST_DATABASE_URL="postgresql://vaist@db/vaist",
        GEMINI_API_KEY="server-key",
        VAIST_HUB_CULL_IDLE_SECONDS="120",
    )
    assert hub.public_url == "https://hub.example.com/"
    assert hub.bind_url == "http://127.0.0.1:8000/"  # https is terminated in front of it
    assert hub.allowed_users == {"alice@example.com", "bob@example.com"}
    assert hub.admins == {"ada@example.com"}
    assert (hub.internal_port, hub.proxy_api_port, hub.service_port) == (8081, 8001, 10101)
    assert (hub.cull_idle_seconds, hub.activity_poll_seconds) == (120, 30)
    # the service's own settings go to it and only to it; the hub's and Google's stay out
    assert hub.service_settings == {
        "VAIST_SECRET_KEY": "s" * 40,
        "VAIST_DATABASE_URL": "postgresql://vaist@db/vaist",
        "GEMINI_API_KEY": "server-key",
    }
    local = settings(tmp_path, OAUTH_CALLBACK_URL="http://127.0.0.1:8123/jh/hub/oauth_callback")
    assert (local.public_url, local.bind_url) == ("http://127.0.0.1:8123/jh/", "http://127.0.0.1:8123/jh/")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"OAUTH_CLIENT_SECRET": ""}, "Google sign-in is not configured: set OAUTH_CLIENT_SECRET"),
        ({"VAIST_HUB_ALLOWED_USERS": ""}, "nobody may sign in: set VAIST_HUB_ALLOWED_USERS"),
        ({"VAIST_HUB_ALLOWED_USERS": "alice"}, "VAIST_HUB_ALLOWED_USERS: 'alice' is not an email address"),
        ({"VAIST_HUB_HOSTED_DOMAINS": "example"}, "VAIST_HUB_HOSTED_DOMAINS: 'example' is not a domain"),
        ({"OAUTH_CALLBACK_URL": "https://hub.example.com/callback"}, "OAUTH_CALLBACK_URL must be http(s)://HOST"),
        ({"VAIST_HUB_BIND_URL": "http://0.0.0.0:8000/other/"}, "VAIST_HUB_BIND_URL's path '/other/' differs"),
        ({"VAIST_HUB_SERVICE_PORT": "70000"}, "VAIST_HUB_SERVICE_PORT must be a port number"),
        ({"VAIST_HUB_CULL_IDLE_SECONDS": "soon"}, "VAIST_HUB_CULL_IDLE_SECONDS must be a whole number"),
        ({"VAIST_HUB_PROXY": "/nonexistent/chp"}, "the hub's proxy is missing: no configurable-http-proxy at"),
        ({"VAIST_HUB_GOOGLE_TOKEN_URL": "http://127.0.0.1:9/token"}, "needs all three endpoints"),
    ],
)
def test_a_wrong_setting_is_named(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    with pytest.raises(HubConfigError, match=re.escape(message)):
        settings(tmp_path, **changes)


def test_a_hosted_domain_alone_admits_its_accounts(tmp_path: Path) -> None:
    hub = settings(tmp_path, VAIST_HUB_ALLOWED_USERS="", VAIST_HUB_HOSTED_DOMAINS="Example.com")
    assert (hub.allowed_users, hub.hosted_domains) == (frozenset(), ("example.com",))


def test_the_service_gets_its_folder_and_a_secret_only_the_hub_can_read(tmp_path: Path) -> None:
    hub = settings(tmp_path)
    environment = hub.prepare_state()
    secret = hub.state_dir / SECRET_FILE
    assert environment["VAIST_SECRET_KEY"] == secret.read_text().strip() and len(environment["VAIST_SECRET_KEY"]) >= 32
    assert environment["VAIST_DATA_DIR"] == str(hub.state_dir / "service")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    for folder in (hub.state_dir, hub.service_data_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert hub.prepare_state()["VAIST_SECRET_KEY"] == environment["VAIST_SECRET_KEY"]  # kept, not made anew
    given = settings(tmp_path, VAIST_SECRET_KEY="g" * 40).prepare_state()
    assert given["VAIST_SECRET_KEY"] == "g" * 40


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "Error: Google sign-in is not configured: set OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_CALLBACK_URL"),
        ({**GOOGLE, "VAIST_HUB_PROXY": "/nonexistent/chp"}, "Error: the hub's proxy is missing"),
    ],
)
def test_vaist_lab_hub_refuses_to_start_without_google_or_the_proxy(environment: dict[str, str], message: str) -> None:
    cleared = dict.fromkeys(("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "OAUTH_CALLBACK_URL", "VAIST_HUB_PROXY"))
    result = CliRunner().invoke(main, ["hub", "--no-browser"], env={**cleared, **environment})
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(message), result.output
    assert "Traceback" not in result.output
