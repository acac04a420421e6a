"""`vaist-lab hub`: the workbench for many users on this machine (JupyterHub with Google sign-in, per-user Unix
accounts, the vaist service, idle culling: deploy/jupyterhub_config.py). Checks the settings first (one line
naming what is missing), runs the hub in this process, prints its URL on stdout once it answers (the logs, the
proxy's included, go to stderr), and stops it (users' servers and the services with it) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import sys
import webbrowser
from typing import TYPE_CHECKING

import click

from vaist_lab.cli.app import main, user_errors
from vaist_lab.cli.server import browser_option, graphical_session
from vaist_lab.hub.deployment import CONFIG_FILE, HubConfigError, HubSettings, check_host

if TYPE_CHECKING:
    from vaist_lab.hub.dev_provider import DevProvider

DEV_CLIENT_ID = "vaist-dev-oidc"
DEV_CALLBACK_URL = "http://127.0.0.1:8000/hub/oauth_callback"
BANNER = "!" * 100


def start_dev_provider() -> DevProvider:
    """The local test provider, offering the allowed users and admins as verified Google accounts (with `hd`
    when hosted domains are set); the hub's settings pointed at it, the OAuth client's unless given."""
    from vaist_lab.hub.dev_provider import DevProvider, google_claims

    os.environ.setdefault("OAUTH_CLIENT_ID", DEV_CLIENT_ID)
    os.environ.setdefault("OAUTH_CLIENT_SECRET", DEV_CLIENT_ID)
    os.environ.setdefault("OAUTH_CALLBACK_URL", DEV_CALLBACK_URL)
    settings = HubSettings.from_environment()
    emails = sorted(settings.allowed_users | settings.admins)
    if not emails:
        raise HubConfigError(
            "--dev-oidc offers the accounts of VAIST_HUB_ALLOWED_USERS and VAIST_HUB_ADMINS: set one of them"
        )
    accounts = []
    for email in emails:
        domain = email.rpartition("@")[2]
        accounts.append(google_claims(email, hosted_domain=domain if domain in settings.hosted_domains else None))
    provider = DevProvider.start(accounts, settings.state_dir / "dev-oidc.log")
    os.environ.update(provider.endpoints())
    click.echo(
        f"{BANNER}\n"
        f"--dev-oidc: sign-in does NOT go to Google but to a local test provider at {provider.url}\n"
        f"where anyone who reaches this hub signs in as any of: {', '.join(emails)}.\n"
        "For trying the hub on this machine only. Real sign-in: OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, "
        "OAUTH_CALLBACK_URL of a Google OAuth client (deploy/README.md), without --dev-oidc.\n"
        f"{BANNER}",
        err=True,
    )
    return provider


@main.command(
    help="Start JupyterHub with Google sign-in on this machine (deploy/jupyterhub_config.py: a Unix account per "
    "user, each user's server the workbench alone, the vaist service, idle culling) and print its URL on stdout "
    "once it answers (the logs go to stderr); Ctrl-C stops it. Runs as root. Settings from the environment: "
    "OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_CALLBACK_URL, VAIST_HUB_ALLOWED_USERS and/or "
    "VAIST_HUB_HOSTED_DOMAINS, VAIST_HUB_ADMINS (the rest: vaist_lab/hub/deployment.py)."
)
@click.option(
    "--dev-oidc",
    is_flag=True,
    help="Sign in through a local test provider instead of Google, offering the allowed users and admins "
    "(no Google client needed). Never where others can reach the hub.",
)
@browser_option
def hub(dev_oidc: bool, open_browser: bool) -> None:
    provider: DevProvider | None = None
    try:
        with user_errors():
            if dev_oidc:
                provider = start_dev_provider()
            settings = HubSettings.from_environment()
            check_host()
        from jupyterhub.app import JupyterHub

        # stdout carries the URL alone: every log goes to stderr, the proxy's too (it logs each request to stdout)
        sys.stdout.flush()
        announcements = os.fdopen(os.dup(sys.stdout.fileno()), "w")
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

        class AnnouncedHub(JupyterHub):
            async def start(self) -> None:
                await super().start()  # returns once the proxy routes to the hub and the services answer
                if open_browser and graphical_session():
                    webbrowser.open(settings.public_url)
                click.echo(settings.public_url, file=announcements)

        # JupyterHub stops services and users' servers with SIGINT first: started from a script in the background
        # this process would ignore SIGINT, and its children with it (they would wait out every stop's timeout).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        AnnouncedHub.launch_instance(["-f", str(CONFIG_FILE)])
    finally:
        if provider is not None:
            provider.stop()
