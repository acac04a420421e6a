"""`vaist-lab remote ...`: the GitHub repository that remote builds run in (a "builder repository", see
vaist_lab.build.github) and its token; and the remote side of `vaist-lab build --remote github`.

They are the local user's settings, the same the workbench's settings show (`Lab.github_settings`): the token
stored like the AI providers' keys (encrypted, under the provider name "github"), the repository and the API's
URL with the user's other settings in the database; each falls back on the server's configuration:
VAIST_GITHUB_TOKEN, VAIST_GITHUB_REPOSITORY, VAIST_GITHUB_API_URL."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vaist_lab.cli.app import main
from vaist_lab.cli.projects import local_lab

if TYPE_CHECKING:
    from vaist_lab.build.github import GitHubSettings
    from vaist_lab.codegen import GeneratedProject
    from vaist_lab.service import CurrentUser, Lab


def github_settings(lab: Lab, user: CurrentUser) -> GitHubSettings:
    """The user's GitHub settings, each falling back on the server's configuration."""
    return lab.github_settings(user)


def _save(lab: Lab, user: CurrentUser, settings: GitHubSettings) -> None:
    """The token encrypted with the user's keys; the repository and API URL with the user's settings."""
    lab.set_github_settings(user, settings.repository, token=settings.token or None, api_url=settings.api_url)


@main.group(help="Remote builds on GitHub Actions: the builder repository and its token.")
def remote() -> None:
    """The remote command group."""


@remote.command(
    "init",
    help="Make OWNER/REPO a builder repository: create it (private) if it does not exist, commit this "
    "checkout's source and .github/workflows/build-plugin.yml on its default branch, and store the repository "
    "and the token (encrypted) for `vaist-lab build --remote github`. The token needs, classic: the repo and "
    "workflow scopes; fine-grained: contents, actions and workflows, read and write.",
)
@click.argument("repository", metavar="OWNER/REPO")
@click.option("--token", default=None, help="A GitHub token (asked for when not given and none is stored).")
@click.option("--api-url", default=None, help="GitHub's API; GitHub Enterprise: https://HOST/api/v3.")
def remote_init(repository: str, token: str | None, api_url: str | None) -> None:
    from vaist_lab.build.github import GitHubBuilder, GitHubSettings, RemoteBuildError, prepare_repository

    with local_lab() as (lab, user):
        current = github_settings(lab, user)
        token = token or current.token or click.prompt("GitHub token", hide_input=True)
        settings = GitHubSettings(token, repository.strip(), api_url or current.api_url)
        try:
            url = prepare_repository(settings, report=lambda line: click.echo(line, err=True))
        except RemoteBuildError as error:
            raise click.ClickException(str(error)) from None
        _save(lab, user, settings)
        for problem in GitHubBuilder(settings).check():  # e.g. a token that may push but not dispatch
            click.echo(f"warning: {problem}", err=True)
    click.echo(url)


@remote.command("check", help="Say whether a remote build can start: settings, token, repository, workflow.")
def remote_check() -> None:
    from vaist_lab.build.github import GitHubBuilder

    with local_lab() as (lab, user):
        settings = github_settings(lab, user)
    problems = GitHubBuilder(settings).check()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"ready: {settings.repository} on {settings.api_url}")


def build_remotely(project: GeneratedProject, output_dir: Path, platforms: Sequence[str], verbose: int) -> Path:
    """Build on GitHub Actions, progress and each platform's verdict on stderr; the output folder (one folder
    per platform), or exit 1 with the first errors. Ctrl-C cancels the run on GitHub."""
    from vaist_lab.build import BuildFinished, Level, LogEvent, PlatformFinished, ProgressEvent, Source
    from vaist_lab.build.github import GitHubBuilder, RemoteBuildError

    with local_lab() as (lab, user):
        settings = github_settings(lab, user)
    try:
        builder = GitHubBuilder(settings, platforms)
    except RemoteBuildError as error:
        raise click.BadParameter(str(error), param_hint="--platforms") from None
    shown = {Level.ERROR, Level.WARNING, Level.INFO} if verbose else set()
    if verbose > 1:
        shown.add(Level.DEBUG)
    result: BuildFinished | None = None
    events = builder.build(project, output_dir)
    try:
        for event in events:
            if isinstance(event, ProgressEvent):
                click.echo(str(event), err=True)
            elif isinstance(event, LogEvent):
                # the builder's own warnings (rate-limit waits, retries) are always said
                if event.level in shown or (event.source is Source.GITHUB and event.level is Level.WARNING):
                    click.echo(f"[{event.platform}] {event}" if event.platform else str(event), err=True)
            elif isinstance(event, PlatformFinished):
                where = f" -> {event.artifact}" if event.artifact else ""
                click.echo(f"{event.platform}: {event.message}{where}", err=True)
            else:
                result = event
    except KeyboardInterrupt:
        events.close()  # cancels the run on GitHub and deletes the build branch
        click.echo("cancelled (the run on GitHub too)", err=True)
        sys.exit(130)
    if result is None or not result.success or result.artifact is None:
        message = result.message if result else "the build ended without a result"
        click.echo(f"remote build failed after {result.duration if result else 0:.0f} s: {message}", err=True)
        for error in result.errors if result else ():
            click.echo(f"  [{error.platform}] {error}" if error.platform else f"  {error}", err=True)
        sys.exit(1)
    click.echo(f"built on GitHub Actions in {result.duration:.0f} s: {result.message}", err=True)
    return result.artifact


__all__ = ["build_remotely", "github_settings", "remote"]
