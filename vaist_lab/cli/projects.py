"""Commands on stored projects, for the local user of single-user mode, all through the service (`Lab`):
`vaist-lab project ...`, `vaist-lab keys ...`, `vaist-lab secrets rotate`, `vaist-lab cleanup`."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import wait
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vaist_lab.cli.app import main, user_errors

if TYPE_CHECKING:
    from vaist_lab.service import CurrentUser, Lab, PlatformBuildView, ProjectView


@contextmanager
def local_lab() -> Iterator[tuple[Lab, CurrentUser]]:
    """The service on the embedded defaults (or $VAIST_DATABASE_URL), as the local user. The service, the store
    and the builder are imported here, so that the commands that do without them start fast."""
    from vaist_lab.build import LocalBuilder
    from vaist_lab.service import Lab

    with user_errors(), Lab.open(builder_factory=LocalBuilder) as lab:
        yield lab, lab.local_user()


def show_project(view: ProjectView) -> None:
    plugin = f"{view.plugin_name} ({view.category}), plugin code {view.plugin_code}" if view.plugin_name else "no plan"
    click.echo(f"{view.name}  [{view.status.value}]  {plugin}  id {view.id}")
    if view.last_error:
        click.echo(f"  last error: {view.last_error}")
    for artifact in view.artifacts.values():
        click.echo(f"  built for {artifact.platform}: {artifact.filename} ({artifact.size} bytes)")


project_argument = click.argument("reference", metavar="PROJECT")


@main.group(help="Stored projects: PROJECT is a project's name, its id, or 4+ leading characters of its id.")
def project() -> None:
    """The project command group."""


@project.command("new", help="Create a project, empty or from a template.")
@click.argument("name")
@click.option("--template", default=None, help="Start from this template (see `vaist-lab templates`).")
@click.option("--prompt", default="", help="What the effect should do, in words.")
def project_new(name: str, template: str | None, prompt: str) -> None:
    with local_lab() as (lab, user):
        show_project(lab.create_project(user, name, prompt=prompt, template=template))


@project.command("list", help="Your projects, newest first.")
def project_list() -> None:
    with local_lab() as (lab, user):
        for view in lab.list_projects(user):
            show_project(view)


@project.command("show", help="A project with its chat and plan history.")
@project_argument
def project_show(reference: str) -> None:
    with local_lab() as (lab, user):
        detail = lab.open_project(user, lab.find_project(user, reference).id)
        show_project(detail.project)
        for message in detail.messages:
            version = f" [plan v{message.plan_version}]" if message.plan_version else ""
            click.echo(f"  {message.role}{version}: {message.content}")


@project.command("rename", help="Give a project a new name.")
@project_argument
@click.argument("name")
def project_rename(reference: str, name: str) -> None:
    with local_lab() as (lab, user):
        show_project(lab.rename_project(user, lab.find_project(user, reference).id, name))


@project.command("duplicate", help="Copy a project (plan and history) under a new name.")
@project_argument
@click.option("--name", default=None, help="The copy's name [the original's name + copy].")
def project_duplicate(reference: str, name: str | None) -> None:
    with local_lab() as (lab, user):
        show_project(lab.duplicate_project(user, lab.find_project(user, reference).id, name))


@project.command("delete", help="Delete a project (its plugins at once, its history at the next cleanup).")
@project_argument
@click.confirmation_option(prompt="Delete this project?")
def project_delete(reference: str) -> None:
    with local_lab() as (lab, user):
        view = lab.find_project(user, reference)
        lab.delete_project(user, view.id)
        click.echo(f"deleted {view.name}")


@project.command("set", help="Edit parameters: NAME=VALUE sets a default; --range NAME=MIN:MAX a range.")
@project_argument
@click.argument("values", nargs=-1, metavar="NAME=VALUE...")
@click.option("--range", "ranges", multiple=True, metavar="NAME=MIN:MAX")
def project_set(reference: str, values: tuple[str, ...], ranges: tuple[str, ...]) -> None:
    edits: dict[str, dict[str, float]] = {}
    try:
        for item in values:
            name, _, text = item.partition("=")
            edits.setdefault(name, {})["default"] = float(text)
        for item in ranges:
            name, _, text = item.partition("=")
            low, _, high = text.partition(":")
            edits.setdefault(name, {}).update(min=float(low), max=float(high))
    except ValueError:
        raise click.BadParameter("write NAME=VALUE and NAME=MIN:MAX with numbers") from None
    with local_lab() as (lab, user):
        show_project(lab.edit_parameters(user, lab.find_project(user, reference).id, edits))


@project.command("approve", help="Freeze the current plan for building.")
@project_argument
def project_approve(reference: str) -> None:
    with local_lab() as (lab, user):
        show_project(lab.approve(user, lab.find_project(user, reference).id))


@project.command(
    "build",
    help="Build the approved plan (--retry after a failure); logs stream as they come. With --remote github it "
    "builds on GitHub Actions (set up by `vaist-lab remote init`), each platform's progress and result printed "
    "as it comes; each platform's plugin is kept with the project (`project download --platform`).",
)
@project_argument
@click.option("--retry", is_flag=True, help="Build again after a failed or cancelled build.")
@click.option("--remote", type=click.Choice(["github"]), default=None, help="Build on GitHub Actions.")
@click.option(
    "--platforms",
    default=None,
    metavar="LIST",
    help="With --remote: the platforms to build on, comma-separated [linux,macos,windows].",
)
def project_build(reference: str, retry: bool, remote: str | None, platforms: str | None) -> None:
    if platforms is not None and remote is None:
        raise click.BadParameter("platforms are chosen for --remote github only", param_hint="--platforms")
    chosen = tuple(name.strip() for name in platforms.split(",") if name.strip()) if platforms is not None else None
    with local_lab() as (lab, user):
        project_id = lab.find_project(user, reference).id
        start = lab.retry_build if retry else lab.start_build
        handle = start(user, project_id, remote=remote, platforms=chosen)
        seen = 0
        said: dict[str, str] = {}  # platform -> the last line said of it
        try:
            while True:
                finished = bool(wait([handle.future], timeout=0.5).done)
                for line in lab.get_logs(user, project_id, build_id=handle.build_id, after_id=seen):
                    seen = line.id
                    click.echo(f"[{line.platform}] {line}" if remote else str(line), err=True)
                if remote:
                    for news in platform_news(lab.platform_builds(user, project_id), handle.build_id, said):
                        click.echo(news, err=True)
                if finished:
                    break
        except KeyboardInterrupt:
            lab.cancel_build(user, project_id)
            click.echo("cancelled", err=True)
            sys.exit(130)
        view = lab.wait_for_build(user, project_id)
        show_project(view)
        if view.last_error or not view.artifacts:
            sys.exit(1)


def platform_news(views: Sequence[PlatformBuildView], build_id: uuid.UUID, said: dict[str, str]) -> list[str]:
    """What changed in the platforms of build `build_id` since `said` (updated): "[linux 3/12] Build" while it
    builds, then "linux: built and verified (...)", or "windows failed: compile error: ..."."""
    news = []
    for view in views:
        if view.build_id != build_id:
            continue
        if view.status == "building":
            done, total = view.progress or (0, 0)
            line = f"[{view.platform} {done:>{len(str(total))}}/{total}] {view.step}".rstrip() if total else ""
        elif view.status == "succeeded":
            line = f"{view.platform}: {view.message} ({view.duration_s or 0:.0f} s)"
        else:
            line = f"{view.platform} {view.status}: {view.message}"
        if line and said.get(view.platform) != line:
            said[view.platform] = line
            news.append(line)
    return news


@project.command("cancel", help="Cancel a running build (also one started by another process).")
@project_argument
def project_cancel(reference: str) -> None:
    with local_lab() as (lab, user):
        show_project(lab.cancel_build(user, lab.find_project(user, reference).id))


@project.command("logs", help="The log of the latest build.")
@project_argument
def project_logs(reference: str) -> None:
    with local_lab() as (lab, user):
        for line in lab.get_logs(user, lab.find_project(user, reference).id, limit=1_000_000):
            click.echo(str(line))


@project.command("download", help="Copy the built plugin (zipped .vst3) into DIR.")
@project_argument
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option(
    "--platform", default=None, help="Which build: linux, macos, windows (GitHub) [the only one, else this machine's]."
)
def project_download(reference: str, output_dir: Path, platform: str | None) -> None:
    with local_lab() as (lab, user):
        link = lab.download_link(user, lab.find_project(user, reference).id, platform)
        data = lab.verify_download(link.url)
        output_dir.mkdir(parents=True, exist_ok=True)
        target = output_dir / link.filename
        target.write_bytes(data)
        click.echo(str(target))


@project.command(
    "export-notebook",
    help="Write a Jupyter notebook of the project that runs top to bottom wherever vaist-lab is installed: its "
    "approved plan (else its current plan), its chat, responses, before/after audio, then the plugin built and "
    "verified. The notebook's path is printed.",
)
@project_argument
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The notebook file [the project's name.ipynb].",
)
@click.option("--build/--no-build", default=True, show_default=True, help="Include the build and verification.")
def project_export_notebook(reference: str, output: Path | None, build: bool) -> None:
    import nbformat

    from vaist_lab.notebook import project_notebook

    with local_lab() as (lab, user):
        detail = lab.open_project(user, lab.find_project(user, reference).id)
        notebook = project_notebook(detail, build=build)
    target = output or Path((re.sub(r"[^\w.-]+", "-", detail.project.name).strip("-.") or "project") + ".ipynb")
    try:
        nbformat.write(notebook, target)
    except OSError as error:
        raise click.ClickException(f"{target}: cannot write ({error.strerror})") from None
    click.echo(str(target))


@main.group(help="Your AI providers' API keys, stored encrypted; only a masked hint is ever shown.")
def keys() -> None:
    """The keys command group."""


@keys.command("set", help="Store a key for PROVIDER (gemini, anthropic, openai); it is asked for, not echoed.")
@click.argument("provider")
@click.option("--key", prompt=True, hide_input=True, help="The key (asked for when not given).")
def keys_set(provider: str, key: str) -> None:
    with local_lab() as (lab, user):
        info = lab.set_api_key(user, provider, key)
        click.echo(f"{info.provider}: {info.hint}")


@keys.command("list", help="Which providers have a key, with a masked hint.")
def keys_list() -> None:
    with local_lab() as (lab, user):
        for info in lab.api_keys(user):
            click.echo(f"{info.provider}: {info.hint} (set {info.updated_at:%Y-%m-%d})")


@keys.command(
    "test",
    help="Try the key of PROVIDER (yours, else the server's) with one minimal real request on its configured "
    "model; without PROVIDER, every provider that has a key. One line each: ok, wrong key, unknown or retired "
    "model, no quota, or the provider out of reach. Exits 1 unless every key works.",
)
@click.argument("provider", required=False)
def keys_test(provider: str | None) -> None:
    from vaist_lab.planner.settings import PROVIDERS
    from vaist_lab.service.user_lab import UserLab

    with local_lab() as (lab, user):
        providers = [provider] if provider else [name for name in PROVIDERS if lab.provider_key(user, name)]
        if not providers:
            raise click.ClickException("no API keys to test: save one with `vaist-lab keys set PROVIDER`")
        checks = [UserLab(lab, user).test_api_key(name) for name in providers]
    for check in checks:
        click.echo(f"{check.provider}: {check.message}")
    if not all(check.ok for check in checks):
        sys.exit(1)


@keys.command("delete", help="Forget the key of PROVIDER.")
@click.argument("provider")
def keys_delete(provider: str) -> None:
    with local_lab() as (lab, user):
        click.echo(f"{provider}: {'deleted' if lab.delete_api_key(user, provider) else 'no key stored'}")


@main.group(help="The secret that encrypts stored API keys.")
def secrets() -> None:
    """The secrets command group."""


@secrets.command("rotate", help="Make a new secret and re-encrypt every stored key with it.")
def secrets_rotate() -> None:
    with local_lab() as (lab, _user):
        report = lab.rotate_secrets()
        where = f", written to {report.secret_file}" if report.secret_file else ""
        click.echo(f"now encrypting with key {report.key_id}{where}; {report.reencrypted} key(s) re-encrypted")


@main.command(
    help="Remove old build folders, orphaned artifacts and the history of deleted projects. "
    "Prints what it would remove unless --yes."
)
@click.option("--older-than", default="30d", show_default=True, help="Age such as 30d, 12h, 2w.")
@click.option("--yes", is_flag=True, help="Really remove.")
def cleanup(older_than: str, yes: bool) -> None:
    from vaist_lab.service import parse_age

    with local_lab() as (lab, _user):
        report = lab.cleanup(parse_age(older_than), dry_run=not yes)
        verb = "removed" if yes else "would remove"
        click.echo(
            f"{verb}: {len(report.build_folders)} build folder(s), {len(report.artifacts)} artifact(s), "
            f"{len(report.deleted_projects)} deleted project(s), {report.log_lines} log line(s), "
            f"{report.bytes} bytes"
        )
        for path in report.build_folders:
            click.echo(f"  {path}")
        for key in report.artifacts:
            click.echo(f"  {key}")
