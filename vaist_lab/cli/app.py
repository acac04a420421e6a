"""The `vaist-lab` command group and what its commands share. User errors print one line and exit 1;
no tracebacks for them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from vaist_lab.errors import VaistError

if TYPE_CHECKING:
    from vaist_lab.plan import Plan


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except VaistError as error:
        raise click.ClickException(str(error)) from None


def parse_settings(settings: tuple[str, ...]) -> dict[str, float]:
    values = {}
    for setting in settings:
        name, separator, text = setting.partition("=")
        try:
            if not separator:
                raise ValueError
            values[name.strip()] = float(text)
        except ValueError:
            raise click.BadParameter(f"'{setting}' is not name=number", param_hint="--set") from None
    return values


def plan_argument(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("plan_source", metavar="PLAN")(function)


set_option = click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter value (repeatable); defaults come from the plan.",
)


@click.group(
    help="vAIst lab: describe an audio effect, hear its reference model, build it as a VST3. "
    "PLAN is a plan JSON file or a built-in template name (see `vaist-lab templates`)."
)
def main() -> None:
    """The command group."""


def build_with_progress(
    project: Any,
    output_dir: Path,
    build_dir: Path | None,
    jobs: int | None,
    verbose: int,
    formats: Sequence[str] = ("VST3",),
    architectures: Sequence[str] = (),
    raw: bool = False,
) -> Path:
    """Build with the local builder, progress on stderr; the .vst3 path, or exit 1 with the first errors. `raw`
    prints the tools' own output instead of progress and parsed lines (the first errors are in it already)."""
    from vaist_lab.build import BuildFinished, Level, LocalBuilder, LogEvent, ProgressEvent

    echo = (lambda line: click.echo(line, err=True)) if raw else None
    builder = LocalBuilder(build_dir=build_dir, jobs=jobs, formats=formats, architectures=architectures, echo=echo)
    shown = {Level.ERROR, Level.WARNING, Level.INFO} if verbose and not raw else set()
    if verbose > 1 and not raw:
        shown.add(Level.DEBUG)
    warnings = 0
    result: BuildFinished | None = None
    for event in builder.build(project, output_dir):
        if isinstance(event, ProgressEvent):
            if not raw:
                click.echo(str(event), err=True)
        elif isinstance(event, LogEvent):
            warnings += event.level is Level.WARNING and event.file is not None
            if event.level in shown:
                click.echo(str(event), err=True)
        else:
            result = event
    if result is None or not result.success or result.artifact is None:
        message = result.message if result else "the build ended without a result"
        click.echo(f"build failed after {result.duration if result else 0:.0f} s: {message}", err=True)
        for error in result.errors if result and not raw else ():
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    click.echo(f"built in {result.duration:.0f} s ({warnings} compiler warning(s))", err=True)
    return result.artifact


def describe_plan(plan: Plan) -> None:
    click.echo(f"{plan.plugin_name} ({plan.category.value}): {plan.explanation}")
    chain = " -> ".join(block.type for block in plan.blocks)
    click.echo(f"chain: {chain}")


def peak_db(audio: np.ndarray) -> float:
    return float(20 * np.log10(max(np.max(np.abs(audio)), 1e-12)))
