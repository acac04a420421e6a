"""Commands on plans, templates and plugin files: validate, render, plot, generate, build, verify, demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from vaist_lab.audio import read_wav, write_wav
from vaist_lab.cli.app import (
    build_with_progress,
    describe_plan,
    main,
    parse_settings,
    peak_db,
    plan_argument,
    set_option,
    user_errors,
)
from vaist_lab.dsp.chain import render
from vaist_lab.plan import PlanError, load_plan, plan_json_schema
from vaist_lab.plan.io import load_template, template_names


@main.command(help="List the built-in template plans.")
def templates() -> None:
    for name in template_names():
        plan = load_template(name)
        knobs = ", ".join(parameter.display_name for parameter in plan.parameters)
        click.echo(f"{name:<16} {plan.category.value:<11} {plan.plugin_name:<15} {knobs}")


@main.command(help="Check a plan against PLAN_SPEC; print every problem, one per line.")
@plan_argument
@click.option("--json", "as_json", is_flag=True, help="Print the normalised plan (block-object form).")
def validate(plan_source: str, as_json: bool) -> None:
    try:
        plan = load_plan(plan_source)
    except PlanError as error:
        for problem in error.problems:
            click.echo(f"{error.source}: {problem}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(plan.to_json_dict(), indent=2))
    else:
        click.echo(
            f"{plan_source}: valid {plan.category.value} plan '{plan.plugin_name}' with "
            f"{len(plan.parameters)} parameters and {len(plan.blocks)} blocks"
        )


@main.command(help="Print the plan's JSON Schema (what the AI planner asks the providers for).")
def schema() -> None:
    click.echo(json.dumps(plan_json_schema(), indent=2))


@main.command("render", help="Run a 32-bit float WAV (mono or stereo, any rate) through a plan's model.")
@plan_argument
@click.argument("input_wav", type=click.Path(path_type=Path))
@click.argument("output_wav", type=click.Path(path_type=Path))
@set_option
@click.option(
    "--block-size",
    default=512,
    show_default=True,
    type=click.IntRange(1, 65536),
    help="Samples per processing call, as a host would use.",
)
def render_command(
    plan_source: str, input_wav: Path, output_wav: Path, settings: tuple[str, ...], block_size: int
) -> None:
    with user_errors():
        plan = load_plan(plan_source)
        audio, sample_rate = read_wav(input_wav)
        output = render(plan, audio, sample_rate, parse_settings(settings), block_size)
        write_wav(output_wav, output, sample_rate)
    click.echo(
        f"{output_wav}: {output.shape[1] / sample_rate:.2f} s, {sample_rate} Hz, "
        f"{output.shape[0]} channel(s), peak {peak_db(output):.1f} dBFS"
    )


@main.command(help="Plot a plan's responses (frequency, impulse, transfer curve, traces) to an image.")
@plan_argument
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Image file (PNG, SVG, PDF).")
@set_option
@click.option("--sample-rate", default=48000, show_default=True, type=float)
def plot(plan_source: str, output: Path, settings: tuple[str, ...], sample_rate: float) -> None:
    from vaist_lab.dsp.plots import save_plan_figure  # matplotlib is slow to import; only here

    with user_errors():
        plan = load_plan(plan_source)
        save_plan_figure(plan, output, parse_settings(settings), sample_rate)
    click.echo(str(output))


@main.command(
    help="The main job on embedded defaults: render a demo phrase through a template's model and plot it, then "
    "build the plugin and verify it in a real host. The last line is the path of the verified .vst3."
)
@click.argument("template", default="tape-echo")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("vaist-demo"), show_default=True)
@click.option("--sample-rate", default=48000, show_default=True, type=int)
@click.option("--build/--no-build", default=True, show_default=True, help="Build and verify the VST3 too.")
def demo(template: str, output_dir: Path, sample_rate: int, build: bool) -> None:
    from vaist_lab.codegen.project import generate_project
    from vaist_lab.dsp.plots import save_plan_figure
    from vaist_lab.dsp.signals import demo_phrase

    with user_errors():
        plan = load_plan(template)
        output_dir.mkdir(parents=True, exist_ok=True)
        dry = demo_phrase(sample_rate)
        wet = render(plan, dry, sample_rate)
        write_wav(output_dir / "dry.wav", dry, sample_rate)
        write_wav(output_dir / f"{template}.wav", wet, sample_rate)
        save_plan_figure(plan, output_dir / f"{template}.png", None, sample_rate)
    describe_plan(plan)
    click.echo(f"dry:  {output_dir / 'dry.wav'} (peak {peak_db(dry):.1f} dBFS)")
    click.echo(f"wet:  {output_dir / f'{template}.wav'} (peak {peak_db(wet):.1f} dBFS)")
    click.echo(f"plot: {output_dir / f'{template}.png'}")
    if not build:
        return
    from vaist_lab.build import BuildError, LocalBuilder
    from vaist_lab.verify import HostError, verify_plugin

    with user_errors():
        project = generate_project(plan, output_dir / "project")
    artifact = build_with_progress(project, output_dir, None, None, 0)
    try:
        report = verify_plugin(plan, artifact, progress=lambda step: click.echo(f"verify: {step}", err=True))
    except HostError as error:
        raise click.ClickException(str(error)) from None
    click.echo(report.table())
    if not report.passed:
        sys.exit(1)
    try:
        window = LocalBuilder().snapshot_editor(project, output_dir / f"{template}-window.png")
        click.echo(f"window: {window}")
    except BuildError as error:  # the plugin is built and verified: a missing picture does not undo that
        click.echo(f"window: not drawn: {error}", err=True)
    click.echo(str(artifact))


@main.command(help="Write the plan's JUCE plugin project (CMake, sources, DSP headers) into DIR.")
@plan_argument
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path), required=True, help="Project folder.")
@click.option("--key", "project_key", default=None, help="Project key the plugin code derives from [pluginName].")
def generate(plan_source: str, output_dir: Path, project_key: str | None) -> None:
    from vaist_lab.codegen.project import generate_project

    with user_errors():
        plan = load_plan(plan_source)
        project = generate_project(plan, output_dir, project_key)
    click.echo(f"{project.path} ({project.plugin_name}, plugin code {project.plugin_code})")


@main.command(
    help="Build the plan (or a folder made by `generate`) into a VST3 with CMake and the system compiler. "
    "Progress goes to stderr; the last line printed is the path of the .vst3."
)
@plan_argument
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where the .vst3 goes.",
)
@click.option("--build-dir", type=click.Path(path_type=Path), default=None, help="Build folder (kept for rebuilds).")
@click.option("--key", "project_key", default=None, help="Project key the plugin code derives from [pluginName].")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None, help="Parallel compile jobs [CPU count + 1].")
@click.option("-v", "--verbose", count=True, help="Show the build output (-vv: also command lines).")
@click.option(
    "--editor-png",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also draw the plugin's window into this PNG (no host or display needed).",
)
@click.option(
    "--formats",
    default="vst3",
    show_default=True,
    metavar="LIST",
    help="Plugin formats, comma-separated: vst3, and au on macOS (the .component lands beside the .vst3).",
)
@click.option("--universal", is_flag=True, help="macOS: one binary for arm64 and x86_64.")
@click.option("--raw", is_flag=True, help="Print the tools' own output (CMake, compiler, linker) as it comes.")
@click.option(
    "--remote",
    type=click.Choice(["github"]),
    default=None,
    help="Build on GitHub Actions instead (set up by `vaist-lab remote init`): each platform's zip (plugin, "
    "verification.json, pluginval.txt) lands in OUTPUT/<platform>/, and the last line printed is OUTPUT.",
)
@click.option(
    "--platforms",
    default="linux,macos,windows",
    show_default=True,
    metavar="LIST",
    help="With --remote: the platforms to build on, comma-separated.",
)
def build(
    plan_source: str,
    output_dir: Path,
    build_dir: Path | None,
    project_key: str | None,
    jobs: int | None,
    verbose: int,
    editor_png: Path | None,
    formats: str,
    universal: bool,
    raw: bool,
    remote: str | None,
    platforms: str,
) -> None:
    import tempfile

    from vaist_lab.build import BuildError, LocalBuilder
    from vaist_lab.build.local import UNIVERSAL_ARCHITECTURES
    from vaist_lab.codegen.project import MANIFEST, GeneratedProject, generate_project

    with user_errors(), tempfile.TemporaryDirectory(prefix="vaist-project-") as scratch:
        if (Path(plan_source) / MANIFEST).is_file():
            project = GeneratedProject.load(plan_source)
        else:
            project = generate_project(load_plan(plan_source), Path(scratch) / "project", project_key)
        if remote is not None:
            from vaist_lab.cli.remote import build_remotely

            if editor_png is not None:
                raise click.BadParameter("a remote build cannot draw the plugin's window", param_hint="--editor-png")
            chosen = [name.strip() for name in platforms.split(",") if name.strip()]
            click.echo(str(build_remotely(project, output_dir, chosen, verbose)))
            return
        artifact = build_with_progress(
            project,
            output_dir,
            build_dir,
            jobs,
            verbose,
            formats=[name.strip() for name in formats.split(",") if name.strip()],
            architectures=UNIVERSAL_ARCHITECTURES if universal else (),
            raw=raw,
        )
        if editor_png is not None:
            try:
                picture = LocalBuilder(build_dir=build_dir, jobs=jobs).snapshot_editor(project, editor_png)
            except BuildError as error:
                raise click.ClickException(str(error)) from None
            click.echo(f"editor drawn into {picture}", err=True)
    click.echo(str(artifact))


@main.command(
    help="Load a built VST3 in a real host (pedalboard) and check it against the plan and its NumPy model: "
    "parameters, fidelity at 44.1/48/96 kHz and block sizes 1-4096, fuzzing, state save/restore."
)
@plan_argument
@click.argument("plugin_path", metavar="PLUGIN.vst3", type=click.Path(path_type=Path))
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Also write the report here.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random settings and fuzz cases.")
@click.option(
    "--level",
    type=click.Choice(["full", "workbench"]),
    default="full",
    show_default=True,
    help="workbench: the quicker check the workbench runs after each build (block sizes 64 and 512, 8 fuzz cases).",
)
def verify(plan_source: str, plugin_path: Path, json_path: Path | None, seed: int, level: str) -> None:
    from vaist_lab.verify import LEVELS, HostError, verify_plugin

    try:
        plan = load_plan(plan_source)
        report = verify_plugin(
            plan, plugin_path, seed=seed, level=LEVELS[level], progress=lambda step: click.echo(step, err=True)
        )
    except (PlanError, HostError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(report.table())
    if json_path is not None:
        json_path.write_text(report.to_json(), encoding="utf-8")
    if not report.passed:
        sys.exit(1)
