"""The plan chat: the conversation, what each turn changed in the plan and what it measures (the facts the
musician asked about, then those that moved), going back to any version, and a clear word when a turn fails
(the plan stays as it was)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from vaist_lab.plan import Plan, parse_plan
from vaist_lab.planner.measured import QUANTITIES, MeasuredFact, TurnCheck, check_turn
from vaist_lab.planner.negotiation import diff_plans
from vaist_lab.service.views import MessageView, ProjectDetail
from vaist_lab.ui.markup import ago, escape

SendMessage = Callable[[str], None]
Revert = Callable[[int], None]

MEASURED_TURNS = 12  # the latest turns shown with their measurements (older replies state theirs in words)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict | list):
        text = str(value)
        return text if len(text) <= 60 else text[:57] + "…"
    return str(value)


def diff_html(diff: dict[str, Any]) -> str:
    """A turn's plan diff (PlanDiff.to_json()) as a compact coloured list: + added, minus removed, ~ changed."""
    items: list[str] = []

    def add(kind: str, text: str) -> None:
        symbol = {"added": "+", "removed": "\u2212", "changed": "~"}[kind]
        items.append(f"<li class='vaist-diff-{kind}'><span>{symbol}</span> {escape(text)}</li>")

    for parameter in diff.get("parametersAdded", []):
        add(
            "added",
            f"knob {parameter.get('displayName', parameter['name'])} "
            f"({_show(parameter['min'])}..{_show(parameter['max'])} {parameter.get('unit', '')})".rstrip(),
        )
    for parameter in diff.get("parametersRemoved", []):
        add("removed", f"knob {parameter.get('displayName', parameter['name'])}")
    for change in diff.get("parametersChanged", []) + diff.get("fields", []):
        where = change["where"].removeprefix("parameters.")
        add("changed", f"{where}: {_show(change['old'])} → {_show(change['new'])}")
    for block in diff.get("blocksAdded", []):
        add("added", f"block {block}")
    for block in diff.get("blocksRemoved", []):
        add("removed", f"block {block}")
    for change in diff.get("blocksChanged", []):
        add("changed", f"{change['where']}: {_show(change['old'])} → {_show(change['new'])}")
    if not items:
        return "<div class='vaist-turn-diff vaist-muted'>no change to the plan</div>"
    return f"<ul class='vaist-turn-diff'>{''.join(items)}</ul>"


def turn_diffs(detail: ProjectDetail) -> dict[int, dict[str, Any]]:
    """For each plan version: what it changed against the version before it."""
    diffs: dict[int, dict[str, Any]] = {}
    previous = None
    for version in sorted(detail.plan_history, key=lambda item: item.version):
        plan = parse_plan(version.plan_json, f"plan version {version.version}")
        diffs[version.version] = diff_plans(previous, plan).to_json()
        previous = plan
    return diffs


def _value(fact: MeasuredFact) -> str:
    spec = QUANTITIES[fact.quantity]
    if fact.old is None:
        return spec.show(fact.new) if fact.new is not None else ""
    if fact.new is None:
        return f"{spec.show(fact.old)} → none"
    return f"{spec.show(fact.old)} → {spec.show(fact.new)}"


def measured_html(check: TurnCheck) -> str:
    """A turn's measurements, compact: each request with a tick or a cross and the fact it was judged by, then
    the other facts that moved, with an arrow up or down, old → new and units."""
    items: list[str] = []
    for request in check.requests:
        mark, kind = ("✓", "ok") if request.honoured else ("✗", "miss")
        asked = f"you asked “{escape(request.words)}”"
        if request.fact is None:
            items.append(f"<li class='vaist-measured-miss'><span>·</span> {asked}: not measured for this plan</li>")
            continue
        verdict = "" if request.honoured else f" ({request.verdict})"
        items.append(
            f"<li class='vaist-measured-{kind}'><span>{mark}</span> {asked}: "
            f"{escape(request.fact.label)} {escape(_value(request.fact))}{verdict}</li>"
        )
    for fact in check.facts:
        if fact.asked:
            continue
        arrow, kind = {1: ("↑", "up"), -1: ("↓", "down")}.get(fact.change, ("·", "new"))
        items.append(
            f"<li class='vaist-measured-{kind}'><span>{arrow}</span> {escape(fact.label)} {escape(_value(fact))}</li>"
        )
    if not items:
        return ""
    return (
        f"<ul class='vaist-turn-measured' title='measured on the reference model at the defaults'>{''.join(items)}</ul>"
    )


def turn_checks(detail: ProjectDetail, latest: int = MEASURED_TURNS) -> dict[int, TurnCheck]:
    """For the latest plan versions a chat message proposed: the plan measured against the version before it
    and the user's message (planner.measured.check_turn; a first plan shows its headline facts)."""
    plans: dict[int, Plan] = {}
    for item in detail.plan_history:
        plans[item.version] = parse_plan(item.plan_json, f"plan version {item.version}")
    asked: dict[int, str] = {}
    for before, message in zip([None, *detail.messages], detail.messages, strict=False):
        if message.role == "assistant" and message.plan_version in plans:
            asked[message.plan_version] = before.content if before is not None and before.role == "user" else ""
    checks: dict[int, TurnCheck] = {}
    for version in sorted(asked)[-latest:]:
        earlier = [number for number in plans if number < version]
        previous = plans[max(earlier)] if earlier else None
        checks[version] = check_turn(previous, plans[version], asked[version])
    return checks


class ChatPanel(widgets.VBox):
    def __init__(self, on_send: SendMessage, on_revert: Revert) -> None:
        self._on_send = on_send
        self._on_revert = on_revert
        self.turns = widgets.VBox()
        self.turns.add_class("vaist-chat-turns")
        # scrolls from the bottom (column-reverse around the turns), so the newest turn is the one in view
        self.history = widgets.Box(
            [self.turns], layout=widgets.Layout(max_height="520px", overflow="auto", padding="4px")
        )
        self.history.add_class("vaist-chat-history")
        self.input = widgets.Textarea(
            placeholder="Say what to change: darker repeats, a longer tail, less fizz, slower wobble…",
            layout=widgets.Layout(width="100%", height="64px"),
        )
        self.input.add_class("vaist-chat-input")
        self.send_button = widgets.Button(
            description="Send",
            icon="paper-plane",
            button_style="primary",
            layout=widgets.Layout(width="110px", height="64px"),
        )
        self.send_button.add_class("vaist-chat-send")
        self.send_button.on_click(lambda _: self._submit())
        self.error = widgets.HTML()
        self.error.add_class("vaist-chat-error")
        self.thinking = widgets.HTML()
        super().__init__(
            [
                self.history,
                self.thinking,
                self.error,
                widgets.HBox([self.input, self.send_button], layout=widgets.Layout(align_items="stretch")),
            ]
        )
        self.add_class("vaist-chat")
        self._shown: tuple[Any, ...] | None = None

    def show(self, detail: ProjectDetail | None) -> None:
        if detail is None:
            self.turns.children = []
            self._shown = None
            return
        key = (detail.project.id, len(detail.messages), detail.project.plan_version)
        if key == self._shown:
            return
        self._shown = key
        diffs = turn_diffs(detail)
        checks = turn_checks(detail)
        current = detail.project.plan_version
        rows: list[widgets.Widget] = []
        if not detail.messages:
            rows.append(
                widgets.HTML(
                    "<div class='vaist-muted'>This project started from a template. Tell the lab what to change.</div>"
                )
            )
        for message in detail.messages:
            rows.append(self._turn(message, diffs, checks, current))
        self.turns.children = rows

    def _turn(
        self,
        message: MessageView,
        diffs: dict[int, dict[str, Any]],
        checks: dict[int, TurnCheck],
        current: int,
    ) -> widgets.Widget:
        when = ago(message.created_at)
        if message.role == "user":
            html = (
                f"<div class='vaist-bubble vaist-bubble-user'>{escape(message.content)}"
                f"<div class='vaist-when'>{when}</div></div>"
            )
            box = widgets.HBox([widgets.HTML(html)], layout=widgets.Layout(justify_content="flex-end"))
            box.add_class("vaist-chat-turn")
            return box
        version = message.plan_version
        tag = f"<span class='vaist-version'>v{version}</span>" if version else ""
        diff = diff_html(diffs[version]) if version in diffs else ""
        content, measured = message.content, ""
        if version in checks:  # the facts as a list, instead of the reply's sentences that state them
            stated = set(checks[version].lines())
            content = "\n".join(line for line in content.splitlines() if line not in stated)
            measured = measured_html(checks[version])
        failed = " vaist-bubble-failed" if version is None else ""
        html = (
            f"<div class='vaist-bubble vaist-bubble-lab{failed}'>{tag}{escape(content)}{diff}{measured}"
            f"<div class='vaist-when'>{when}</div></div>"
        )
        children: list[widgets.Widget] = [widgets.HTML(html, layout=widgets.Layout(max_width="85%"))]
        if version is not None and version != current:
            revert = widgets.Button(
                description=f"Back to v{version}",
                icon="undo",
                layout=widgets.Layout(width="auto"),
                tooltip=f"Make plan version {version} current",
            )
            revert.add_class("vaist-revert")
            revert.on_click(lambda _, number=version: self._on_revert(number))
            children.append(revert)
        box = widgets.HBox(children, layout=widgets.Layout(align_items="flex-start"))
        box.add_class("vaist-chat-turn")
        return box

    def _submit(self) -> None:
        text = self.input.value.strip()
        if not text:
            self.failed("Type what to change first.")
            return
        self.error.value = ""
        self.working(True)
        self._on_send(text)

    def working(self, busy: bool) -> None:
        self.send_button.disabled = busy
        self.thinking.value = "<div class='vaist-thinking'>The lab is thinking…</div>" if busy else ""

    def sent(self, reply_backend: str) -> None:
        self.working(False)
        self.input.value = ""
        self.error.value = ""
        self.thinking.value = f"<div class='vaist-muted'>answered by {escape(reply_backend)}</div>"

    def not_applied(self) -> None:
        """The turn was answered without a new plan, and its bubble in the history says why: keep the message
        typed, to send again."""
        self.working(False)
        self.error.value = ""

    def failed(self, message: str) -> None:
        """The turn failed before it reached the history: say why, keep the message typed, the plan is untouched."""
        self.working(False)
        self.error.value = (
            f"<div class='vaist-error'>{escape(message)}<br><span class='vaist-muted'>"
            "The plan is unchanged.</span></div>"
        )


__all__ = ["ChatPanel", "diff_html", "measured_html", "turn_checks", "turn_diffs"]
