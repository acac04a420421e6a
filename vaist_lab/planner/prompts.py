"""What the AI is told: a system prompt carrying PLAN_SPEC's rules and the block catalogue (generated from
`catalogue.py`, so it cannot drift from validation), and the messages of a first turn, a revision turn and a
repair."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from vaist_lab.plan import CATALOGUE, BlockSpec, Category, ChoiceInput, Plan
from vaist_lab.plan.catalogue import UNITS
from vaist_lab.plan.models import MAX_BLOCKS, MAX_PARAMETERS
from vaist_lab.planner.measured import provider_notes
from vaist_lab.planner.negotiation import Turn
from vaist_lab.planner.providers.base import Conversation, Message
from vaist_lab.planner.templates import templates_by_category

log = logging.getLogger(__name__)

# Earlier chat turns sent with a revision: enough for context, bounded so a long chat stays affordable.
HISTORY_TURNS = 12

_RULES = f"""\
You design audio effect plugins for vAIst lab. A musician describes an effect; you answer with a plan: the
plugin's name, category, parameters (its knobs) and DSP blocks (its signal chain). A NumPy model and a JUCE
VST3 are generated from the plan exactly as written, so it must follow every rule below.

Rules of a plan:
- pluginName: PascalCase, 2-32 letters or digits, starting with a capital (^[A-Z][A-Za-z0-9]{{1,31}}$).
- explanation: 50-500 characters of plain text telling the musician what the effect does and what each knob does.
- category: one of {", ".join(category.value for category in Category)}.
- parameters: 1-{MAX_PARAMETERS} knobs. Each has name (camelCase, ^[a-z][A-Za-z0-9]{{0,31}}$, unique), displayName
  (1-32 printable characters), min < max, min <= default <= max, all finite numbers, and unit, one of
  {", ".join(repr(unit) for unit in UNITS)}.
- dspBlocks: the signal chain in processing order, 1-{MAX_BLOCKS} blocks, each {{"type": ..., "inputs": {{...}}}}.
  A numeric input takes a parameter name (the knob drives it and is automatable) or a constant number inside
  the input's limits; a choice input takes one of its listed words; an input left out takes its default.
- Every parameter drives at least one block input (no dead knobs).
- A parameter bound to an input has exactly the input's unit, and its whole min..max range lies inside the
  input's limits.
- Blocks that work with a partner need it earlier in the chain: FeedbackLoop after a DelayLine (at most one per
  DelayLine), Modulator and SmoothGain after an LFO (and a Modulator after a SmoothGain), GainReduction after an
  Envelope. At most one SmoothRamp.
- uiLayout: horizontal, vertical or grid.

Good plans: musical ranges and defaults (a delay of 20-1500 ms, not 0-5000), few knobs that matter, clear
display names, a Mix knob where blending dry and wet makes sense, a level knob where the effect changes
loudness. Keep parameter names stable between revisions so the musician's settings carry over.
Answer with the plan only, as the structured output you are given."""


def _numeric_range(low: float, high: float, unit: str) -> str:
    unit_text = f" {unit}" if unit else ""
    return f"{low:g}..{high:g}{unit_text}"


def describe_block(spec: BlockSpec) -> str:
    """One catalogue line: inputs with units, defaults, limits or choices, then the behaviour."""
    inputs = []
    for item in spec.inputs:
        if isinstance(item, ChoiceInput):
            inputs.append(f"{item.name} (one of {' | '.join(item.choices)}; default {item.default})")
        else:
            unit = f"'{item.unit}'" if item.unit else "no unit"
            inputs.append(
                f"{item.name} ({unit}, default {item.default:g}, limits {_numeric_range(*item.limits, item.unit)})"
            )
    needs = f" Needs a {spec.requires_preceding} before it." if spec.requires_preceding else ""
    return f"- {spec.type}: inputs {', '.join(inputs) or 'none'}. {spec.behaviour}.{needs}"


@cache
def system_prompt() -> str:
    sections = [_RULES, "", "Block catalogue (inputs with unit, default and limits; then what the block does):"]
    for category in [*Category, None]:
        specs = [spec for spec in CATALOGUE.values() if spec.category == category]
        sections.append(f"{category.value if category else 'Any category'}:")
        sections += [describe_block(spec) for spec in specs]
    example = templates_by_category()[Category.DELAY].to_json_dict()
    sections += ["", "An example plan:", json.dumps(example, indent=1)]
    return "\n".join(sections)


def first_turn(prompt: str) -> str:
    return f"Design a plugin for this request:\n{prompt.strip()}\n\nAnswer with the whole plan."


def revision_turn(current: Plan, feedback: str, measured: str = "") -> str:
    """The current plan, what its reference model measures (and what the last plan failed to do), the feedback."""
    sections = [
        f"The current plan:\n{json.dumps(current.to_json_dict(), indent=1)}",
        measured.strip(),
        f"The musician's feedback:\n{feedback.strip()}",
        "Revise the plan to follow the feedback. Answer with the whole revised plan, every field, not a patch; "
        "keep what the feedback does not ask to change.",
    ]
    return "\n\n".join(section for section in sections if section)


def repair_turn(problems: Sequence[str]) -> str:
    listed = "\n".join(f"- {problem}" for problem in problems)
    return (
        f"That plan breaks these rules:\n{listed}\n\nFix every problem listed and answer with the whole corrected plan."
    )


def conversation(message: str, current: Plan | None, history: Sequence[Turn] = ()) -> Conversation:
    """The conversation for one turn: the recent chat (text only; the current plan travels in full in the
    last message, with its measurements) and the request, a first design or a revision."""
    messages = [Message(turn.role, turn.content) for turn in history[-HISTORY_TURNS:] if turn.content.strip()]
    request = first_turn(message) if current is None else revision_turn(current, message, _measured(current, history))
    return Conversation(system_prompt(), _alternating([*messages, Message("user", request)]))


def _measured(current: Plan, history: Sequence[Turn]) -> str:
    try:
        return provider_notes(current, history)
    except Exception:  # the request goes without its measurements rather than not at all
        log.exception("measuring %s for the provider failed", current.plugin_name)
        return ""


def with_repair(previous: Conversation, payload: dict[str, Any], problems: Sequence[str]) -> Conversation:
    """`previous` followed by the invalid plan the model gave and the problems found in it."""
    answer = Message("assistant", json.dumps(payload), plan_payload=payload)
    return Conversation(previous.system, (*previous.messages, answer, Message("user", repair_turn(problems))))


def _alternating(messages: list[Message]) -> tuple[Message, ...]:
    """Messages starting with the user's and alternating roles (consecutive ones of a role merged), as every
    provider accepts."""
    merged: list[Message] = []
    for message in messages:
        if not merged and message.role == "assistant":
            continue
        if merged and merged[-1].role == message.role:
            merged[-1] = Message(message.role, f"{merged[-1].text}\n\n{message.text}")
        else:
            merged.append(message)
    return tuple(merged)
