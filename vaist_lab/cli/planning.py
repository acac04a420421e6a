"""Talking a plan into shape: `vaist-lab plan "PROMPT"` and the terminal negotiation `vaist-lab chat PROJECT`.

Without an API key (yours via `vaist-lab keys set`, or the server's from the environment) the offline
planner answers; `--model` picks gemini, claude, openai, provider:model, or offline.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vaist_lab.cli.app import main
from vaist_lab.cli.projects import local_lab, show_project
from vaist_lab.plan import PlanError, parse_plan

if TYPE_CHECKING:
    from vaist_lab.planner import PlanResult
    from vaist_lab.service import CurrentUser, Lab

CHAT_HELP = "/diff  what the last turn changed · /revert N  back to plan version N · /approve · /show · /quit"


def _report(result: PlanResult) -> None:
    click.echo(result.reply, err=True)
    if result.diff is not None and not result.diff.empty:
        click.echo(result.diff.summary(), err=True)
    source = result.backend + (f" ({result.key_source} key)" if result.key_source else "")
    click.echo(f"[{source}]", err=True)


@main.command(help="Propose a plan from words. Prints the plan JSON (or writes it with -o).")
@click.argument("prompt")
@click.option("--model", default=None, help="auto (default), offline, gemini, claude, openai or provider:model.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Write the plan here.")
def plan(prompt: str, model: str | None, output: Path | None) -> None:
    with local_lab() as (lab, user):
        result = lab.propose_plan(user, prompt, model=model)
    _report(result)
    if not result.ok or result.plan is None:
        sys.exit(1)
    text = json.dumps(result.plan.to_json_dict(), indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(str(output))


@main.command(help="Negotiate a project's plan in the terminal, one message per line. " + CHAT_HELP)
@click.argument("reference", metavar="PROJECT")
@click.option("--model", default=None, help="auto (default), offline, gemini, claude, openai or provider:model.")
def chat(reference: str, model: str | None) -> None:
    from vaist_lab.service import ServiceError

    with local_lab() as (lab, user):
        project_id = lab.find_project(user, reference).id
        show_project(lab.open_project(user, project_id).project)
        click.echo(CHAT_HELP, err=True)
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                break
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            try:
                _chat_line(lab, user, project_id, line, model)
            except (ServiceError, PlanError) as error:  # say what was wrong and keep talking
                click.echo(f"error: {error}", err=True)


def _chat_line(lab: Lab, user: CurrentUser, project_id: uuid.UUID, line: str, model: str | None) -> None:
    if line == "/show":
        detail = lab.open_project(user, project_id)
        show_project(detail.project)
        if detail.project.plan_json is not None:
            click.echo(json.dumps(detail.project.plan_json, indent=2))
    elif line == "/diff":
        history = lab.open_project(user, project_id).plan_history
        if len(history) < 2:
            click.echo("no earlier plan to compare with")
            return
        from vaist_lab.planner import diff_plans

        old, new = (parse_plan(item.plan_json) for item in history[-2:])
        click.echo(diff_plans(old, new).summary())
    elif line.startswith("/revert"):
        words = line.split()
        if len(words) != 2 or not words[1].isdigit():
            click.echo("write /revert N with N a plan version (see /show)")
            return
        show_project(lab.revert_plan(user, project_id, int(words[1])))
    elif line == "/approve":
        show_project(lab.approve(user, project_id))
    else:
        view, result = lab.chat(user, project_id, line, model=model)
        _report(result)
        click.echo(f"plan version {view.plan_version} [{view.status.value}]")
