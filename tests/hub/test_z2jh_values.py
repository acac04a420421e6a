"""deploy/z2jh-values.yaml (Zero to JupyterHub) against the code it configures: the service it starts exists and
listens where the values say, the roles grant the scope the service checks, the hub.extraConfig snippet hands
the service its settings and secrets and nothing else, kernels are pointed at the service, and no single-user
pod may reach anything but the hub and the proxy. (Its validity against the chart's own values schema was
checked when it was written: deploy/README.md says how to repeat it.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from vaist_lab.hub import service

VALUES = Path(__file__).resolve().parents[2] / "deploy" / "z2jh-values.yaml"
SCOPE = f"access:services!service={service.SERVICE_NAME}"


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load(VALUES.read_text())


def test_the_hub_starts_the_vaist_service_listening_on_its_port(values: dict[str, Any]) -> None:
    vaist = values["hub"]["services"][service.SERVICE_NAME]
    python, flag, module = vaist["command"]
    assert (flag, module) == ("-m", "vaist_lab.hub.service") and python.endswith("/python")
    assert importlib.util.find_spec(module) is not None
    assert vaist["environment"][service.BIND_HOST_VARIABLE] == "0.0.0.0"
    port = int(vaist["url"].rsplit(":", 1)[1])
    assert {"port": port, "targetPort": port, "name": "vaist"} in values["hub"]["service"]["extraPorts"]
    assert [rule["ports"] for rule in values["hub"]["networkPolicy"]["ingress"]] == [[{"port": port}]]
    assert values["proxy"]["chp"]["networkPolicy"]["egress"][0]["ports"] == [{"port": port}]


def test_users_and_their_servers_tokens_may_call_the_service(values: dict[str, Any]) -> None:
    roles = values["hub"]["loadRoles"]
    assert SCOPE in roles["user"]["scopes"] and "self" in roles["user"]["scopes"]
    assert SCOPE in roles["server"]["scopes"] and "access:servers!server" in roles["server"]["scopes"]
    google = values["hub"]["config"]["GoogleOAuthenticator"]
    assert google["strip_domain"] is False  # hub names stay emails: the service's Lab users
    assert google["oauth_callback_url"].endswith("/hub/oauth_callback")


def test_the_extra_config_hands_the_service_its_settings_and_secrets_only(
    values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAIST_DATABASE_URL", "postgresql://vaist:pw@db/vaist")
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-server-key")
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", "the hub's own")
    c = Config()
    culler = {"name": "jupyterhub-idle-culler", "command": ["python3", "-m", "jupyterhub_idle_culler"]}
    vaist = {"name": service.SERVICE_NAME, **values["hub"]["services"][service.SERVICE_NAME]}
    c.JupyterHub.services = [culler, vaist]
    exec(values["hub"]["extraConfig"]["vaist-service.py"], {"c": c})
    environment = c.JupyterHub.services[1]["environment"]
    assert environment["VAIST_DATABASE_URL"] == "postgresql://vaist:pw@db/vaist"
    assert environment["GEMINI_API_KEY"] == "AIza-server-key"
    assert environment[service.BIND_HOST_VARIABLE] == "0.0.0.0"
    assert "OAUTH_CLIENT_SECRET" not in environment and "environment" not in c.JupyterHub.services[0]
    secrets = {name for name, item in values["hub"]["extraEnv"].items() if isinstance(item, dict)}
    assert {"VAIST_SECRET_KEY", "VAIST_DATABASE_URL", "VAIST_S3_SECRET_ACCESS_KEY"} <= secrets


def test_kernels_reach_the_service_through_the_proxy_and_nothing_else(values: dict[str, Any]) -> None:
    singleuser = values["singleuser"]
    assert singleuser["extraEnv"]["VAIST_SERVICE_URL"].endswith(f"/services/{service.SERVICE_NAME}/")
    assert not any(name.startswith("VAIST_") and name != "VAIST_SERVICE_URL" for name in singleuser["extraEnv"])
    rules = singleuser["networkPolicy"]["egressAllowRules"]
    assert rules == {"cloudMetadataServer": False, "privateIPs": False, "nonPrivateIPs": False}
    command = singleuser["cmd"]
    assert command[0] == "jupyter-standaloneproxy" and command[command.index("--") + 1 :][:2] == ["vaist-lab", "serve"]
    assert values["cull"]["enabled"] is True and singleuser["storage"]["type"] == "none"
