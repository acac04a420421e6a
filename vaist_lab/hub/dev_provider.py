"""A local OpenID/OAuth provider that answers the way Google does, for tests and `vaist-lab hub --dev-oidc`.

It is oidc-provider-mock (a real authorization server: authorize form, code grant, bearer-token userinfo) on
loopback, run in a process of its own. GoogleOAuthenticator trusts no id_token: it reads the userinfo answer,
which must carry `email` and `verified_email` (Google's name; OIDC's `email_verified` is not read), and `hd`
(the Workspace domain) when hosted domains are configured. Each account is registered with those claims; the
authorize page offers them as buttons (and a field for a subject, i.e. an email). Anyone who reaches it signs in
as anyone it knows: never where other people can reach the hub.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx2

START_TIMEOUT = 60.0


def google_claims(email: str, verified: bool = True, hosted_domain: str | None = None) -> dict[str, object]:
    """What Google's userinfo endpoint says of an account (the part GoogleOAuthenticator reads)."""
    return {"email": email, "verified_email": verified, **({"hd": hosted_domain} if hosted_domain else {})}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class DevProvider:
    """The provider at `url` (ends in "/"), running until stop()."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, accounts: Iterable[dict[str, object]] = (), log: Path | None = None) -> DevProvider:
        """Start it on a free loopback port with `accounts` (google_claims each) offered on its sign-in page."""
        port = free_port()
        command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
        for claims in accounts:
            command += ["--user-claims", json.dumps({"sub": claims["email"], **claims})]
        if log:
            log.parent.mkdir(parents=True, exist_ok=True)
        with open(log or os.devnull, "ab") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        provider = cls(process, f"http://127.0.0.1:{port}/")
        deadline = time.monotonic() + START_TIMEOUT
        while not provider.answers():
            if process.poll() is not None or time.monotonic() > deadline:
                provider.stop()
                raise RuntimeError(f"the local OpenID provider did not start on {provider.url} (see {log})")
            time.sleep(0.1)
        return provider

    def answers(self) -> bool:
        try:
            return httpx2.get(f"{self.url}.well-known/openid-configuration", timeout=2.0).status_code == 200
        except httpx2.TransportError:
            return False

    def add(self, claims: dict[str, object]) -> None:
        """Register (or replace) an account: its email is its subject, what one types on the sign-in page."""
        httpx2.put(f"{self.url}users/{claims['email']}", json=claims, timeout=10.0).raise_for_status()

    def endpoints(self) -> dict[str, str]:
        """The hub's settings that send sign-in here instead of Google (vaist_lab.hub.deployment)."""
        return {
            "VAIST_HUB_GOOGLE_AUTHORIZE_URL": f"{self.url}oauth2/authorize",
            "VAIST_HUB_GOOGLE_TOKEN_URL": f"{self.url}oauth2/token",
            "VAIST_HUB_GOOGLE_USERINFO_URL": f"{self.url}userinfo",
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


__all__ = ["DevProvider", "google_claims"]
