"""A Unix account per hub user on one machine, the hub user still named by its Google email.

The hub user's name stays the email (the Lab user is that email: vaist_lab.hub.service.lab_email), while
the account its server runs as is `unix_name(email)`, a name adduser accepts. JupyterHub's `username_map`
cannot do this: it renames the hub user itself. So the authenticator creates (and looks up) the mapped
account, and the spawner runs the server as it.

Imported by deploy/jupyterhub_config.py only (it needs oauthenticator: the `hub` extra).
"""

from __future__ import annotations

import hashlib
import pwd
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from oauthenticator.google import LocalGoogleOAuthenticator

STEM_CHARS = 20  # of the email's local part; with "-" and the digest, 31 characters (Linux allows 32)
DIGEST_CHARS = 10  # hex digits of the email's SHA-256: two emails sharing a local part still differ


def unix_name(hub_name: str) -> str:
    """The Unix account of a hub user: the email's local part in lower case with every run of other
    characters than a-z and 0-9 as one "-" (20 characters at most, starting with a letter), then "-" and 10 hex
    digits of the SHA-256 of the whole email in lower case. alice.smith@example.com -> alice-smith-<digest>.
    Matches Debian adduser's NAME_REGEX (^[a-z][-a-z0-9_]*$); the same email always gives the same name."""
    email = hub_name.strip().lower()
    stem = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0]).strip("-")
    if not stem[:1].isalpha():
        stem = f"u{stem}"
    digest = hashlib.sha256(email.encode()).hexdigest()[:DIGEST_CHARS]
    return f"{stem[:STEM_CHARS].rstrip('-')}-{digest}"


class UnixAccount(NamedTuple):
    """What LocalAuthenticator reads of a user when it looks an account up or creates one: its name."""

    name: str


class GoogleAccountsAuthenticator(LocalGoogleOAuthenticator):
    """Google sign-in; at a user's first sign-in (and at the hub's start, for the allowed users and admins)
    their Unix account unix_name(email) is created when `create_system_users` is set."""

    def system_user_exists(self, user: Any) -> bool:
        return super().system_user_exists(UnixAccount(unix_name(user.name)))

    def add_system_user(self, user: Any) -> None:
        super().add_system_user(UnixAccount(unix_name(user.name)))


class AccountSpawner(LocalProcessSpawner):
    """A user's server as a process of their Unix account (unix_name of the hub name), in its home."""

    def make_preexec_fn(self, name: str) -> Callable[[], None]:
        return set_user_setuid(unix_name(name))

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        account = pwd.getpwnam(unix_name(self.user.name))
        env.update(USER=account.pw_name, HOME=account.pw_dir, SHELL=account.pw_shell)
        return env


__all__ = ["AccountSpawner", "GoogleAccountsAuthenticator", "unix_name"]
