"""One negotiation turn: choose a planner (an AI provider with a key, or the offline planner), ask it for a
whole plan, validate it, send an invalid one back with its field-level errors, and return a `PlanResult`.

A failing turn never changes the plan: its result carries the error and the untouched previous plan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from vaist_lab.plan import Plan, PlanError, parse_plan
from vaist_lab.planner import prompts
from vaist_lab.planner.keys import key_mismatch
from vaist_lab.planner.measured import TurnCheck, check_turn
from vaist_lab.planner.negotiation import PlanDiff, Turn, diff_plans
from vaist_lab.planner.offline import NotUnderstood, OfflinePlanner
from vaist_lab.planner.providers import Conversation, ProviderFault, make_provider
from vaist_lab.planner.retry import call_with_retries
from vaist_lab.planner.settings import (
    AUTO,
    MODEL_PREFIXES,
    OFFLINE,
    PROVIDER_ALIASES,
    PROVIDER_TITLES,
    PlannerConfigError,
    PlannerSettings,
    ProviderName,
)

log = logging.getLogger(__name__)

KeySource = Literal["user", "server"]

_FAULT_TEXT = {
    "timeout": "{provider} did not answer within {timeout:g} s",
    "rate_limit": "{provider} is rate-limiting requests",
    "server_error": "{provider} failed with a server error",
    "connection": "the connection to {provider} failed",
    "truncated": "{provider}'s answer was cut off before the plan was complete",
    "non_json": "{provider} did not answer with a JSON plan",
    "refusal": "{provider} declined to answer",
    "auth": "{provider} refused {key} API key",
    "not_found": "{provider} has no model {model!r} for {key} key (or it is retired): pick another in the settings",
    "quota": "{provider} says the account of {key} key has no quota or credit left",
    "bad_request": "{provider} refused the request",
}


@dataclass(frozen=True)
class Backend:
    """Who answers a turn: a provider's model with a key, or the offline planner (provider None)."""

    provider: ProviderName | None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    key_source: KeySource | None = None
    notice: str = ""  # why the offline planner answers instead of the model asked for

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}" if self.provider else OFFLINE


def parse_model(name: str, settings: PlannerSettings) -> tuple[ProviderName, str]:
    """A provider and model from what a user may type: gemini | claude | openai (the configured model),
    provider:model, or a model name whose prefix names its provider (gemini-..., claude-..., gpt-...)."""
    text = name.strip()
    lowered = text.lower()
    if lowered in PROVIDER_ALIASES:
        provider = PROVIDER_ALIASES[lowered]
        return provider, settings.model_for(provider)
    prefix, colon, rest = text.partition(":")
    if colon and prefix.lower() in PROVIDER_ALIASES and rest.strip():
        return PROVIDER_ALIASES[prefix.lower()], rest.strip()
    for provider, prefixes in MODEL_PREFIXES.items():
        if lowered.startswith(prefixes):
            return provider, text
    raise PlannerConfigError(
        f"unknown model {name!r}: use {AUTO}, {OFFLINE}, gemini, claude, openai, provider:model, or a model name "
        "starting with " + ", ".join(prefix for prefixes in MODEL_PREFIXES.values() for prefix in prefixes)
    )


def resolve_backend(model: str | None, api_keys: Mapping[str, str] | None, settings: PlannerSettings) -> Backend:
    """The backend for a turn: `model` (else the settings' default), with the user's own key for its provider,
    else the server's fallback key, else the offline planner. `auto` takes the first provider (in the settings'
    order) with a user key, then with a server key. PlannerConfigError for a model name that names nothing."""
    requested = (model or settings.default_model).strip()
    user_keys: dict[ProviderName, str] = {}
    for provider_name, key in (api_keys or {}).items():
        provider = PROVIDER_ALIASES.get(provider_name.strip().lower())
        if provider and key and key.strip():
            user_keys.setdefault(provider, key.strip())
    if requested.lower() == OFFLINE:
        return Backend(None)
    if requested.lower() == AUTO:
        for keys, source in ((user_keys, "user"), (settings.fallback_keys, "server")):
            for provider in settings.provider_order:
                if keys.get(provider):
                    return Backend(provider, settings.model_for(provider), keys[provider], source)  # type: ignore[arg-type]
        return Backend(None)
    provider, model_name = parse_model(requested, settings)
    if user_keys.get(provider):
        return Backend(provider, model_name, user_keys[provider], "user")
    if settings.fallback_keys.get(provider):
        return Backend(provider, model_name, settings.fallback_keys[provider], "server")
    title = PROVIDER_TITLES[provider]
    return Backend(None, notice=f"No {title} API key (yours or the server's), so the offline planner answered.")


@dataclass(frozen=True)
class PlanResult:
    """The outcome of one turn. `ok`: `plan` is the new plan. Otherwise `error` says why and `previous` is
    still the plan (untouched; None before the first plan). `reply` is the assistant's chat message either way."""

    ok: bool
    reply: str
    previous: Plan | None
    plan: Plan | None = None
    error: str | None = None
    diff: PlanDiff | None = None
    backend: str = OFFLINE  # "offline" or "provider:model"
    key_source: KeySource | None = None
    attempts: int = 0  # provider calls made (retries and repairs included)
    repairs: int = 0  # invalid plans sent back with their errors
    problems: tuple[str, ...] = ()  # the last invalid plan's problems, when that is why the turn failed
    check: TurnCheck | None = None  # a new plan measured against the one before and the request

    @property
    def current(self) -> Plan | None:
        """The plan after this turn: the new one, or the untouched previous one."""
        return self.plan if self.ok else self.previous

    def turns(self, message: str) -> tuple[Turn, Turn]:
        """The user's message and the assistant's reply as turns to store (the reply with its plan snapshot
        when the turn succeeded)."""
        snapshot = self.plan.to_json_dict() if self.ok and self.plan is not None else None
        return Turn("user", message), Turn("assistant", self.reply, snapshot)


class Planner:
    """Runs negotiation turns with the given settings (default: from the environment)."""

    def __init__(self, settings: PlannerSettings | None = None) -> None:
        self.settings = settings or PlannerSettings.from_environment()
        self._offline = OfflinePlanner()

    def turn(
        self,
        message: str,
        *,
        current: Plan | None = None,
        history: Sequence[Turn] = (),
        model: str | None = None,
        api_keys: Mapping[str, str] | None = None,
    ) -> PlanResult:
        """A first plan from a prompt (no `current`), or a revision of `current` from the user's feedback, with
        `history` the chat before this message. `model`: see `resolve_backend`. `api_keys`: the user's own keys by
        provider (gemini, anthropic, openai; google and claude also accepted), decrypted.
        Raises PlannerConfigError for an unknown model name; every other failure is a failed PlanResult."""
        backend = resolve_backend(model, api_keys, self.settings)
        if not message.strip():
            return _failed(current, "The message is empty.", backend)
        if backend.provider is None:
            return self._offline_turn(message, current, backend)
        return self._ai_turn(message, current, history, backend)

    def _offline_turn(self, message: str, current: Plan | None, backend: Backend) -> PlanResult:
        try:
            if current is None:
                plan, notes = self._offline.create(message)
            else:
                plan, notes = self._offline.revise(current, message)
        except NotUnderstood as error:
            return _failed(current, " ".join(filter(None, [backend.notice, str(error)])), backend)
        return _succeeded(current, plan, backend, message, notes=[backend.notice, *notes])

    def _ai_turn(self, message: str, current: Plan | None, history: Sequence[Turn], backend: Backend) -> PlanResult:
        assert backend.provider and backend.model and backend.api_key
        mismatch = key_mismatch(backend.provider, backend.api_key)
        if mismatch:  # sending it would only leak one provider's key to another
            whose = "your" if backend.key_source == "user" else "the server's"
            return _failed(current, f"Not sent: {whose} {mismatch}.", backend)
        provider = make_provider(backend.provider, backend.model, backend.api_key, self.settings)
        talk = prompts.conversation(message, current, history)
        attempts = 0

        def propose(conversation: Conversation) -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            try:
                return provider.propose(conversation)
            except ProviderFault:
                raise
            except Exception as error:  # an SDK surprise must not end the turn without an answer
                log.exception("unexpected failure calling %s", backend.label)
                raise ProviderFault("server_error", f"unexpected failure ({type(error).__name__})") from error

        problems: tuple[str, ...] = ()
        for repairs in range(self.settings.repairs + 1):
            try:
                payload = call_with_retries(partial(propose, talk), self.settings)
            except ProviderFault as fault:
                return _failed(current, self._fault_text(fault, backend, attempts), backend, attempts, repairs)
            try:
                plan = parse_plan(payload, "the model's plan")
            except PlanError as error:
                problems = tuple(error.problems)
                talk = prompts.with_repair(talk, payload, problems)
                continue
            return _succeeded(current, plan, backend, message, attempts=attempts, repairs=repairs)
        listed = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
        error_text = (
            f"{PROVIDER_TITLES[backend.provider]}'s plan was still invalid after {self.settings.repairs} "
            f"correction(s): {listed}."
        )
        return _failed(current, error_text, backend, attempts, self.settings.repairs, problems)

    def _fault_text(self, fault: ProviderFault, backend: Backend, attempts: int) -> str:
        assert backend.provider
        key = "your" if backend.key_source == "user" else "the server's"
        what = _FAULT_TEXT[fault.kind].format(
            provider=PROVIDER_TITLES[backend.provider], timeout=self.settings.timeout, key=key, model=backend.model
        )
        tries = f" ({attempts} {'try' if attempts == 1 else 'tries'})"
        if fault.kind == "rate_limit" and fault.retry_after and fault.retry_after > self.settings.max_retry_after:
            tries = f"; it asks to wait {fault.retry_after:.0f} s, try again later"
        return f"{what}{tries}: {fault.message.rstrip('.')}."


def _succeeded(
    previous: Plan | None,
    plan: Plan,
    backend: Backend,
    message: str,
    *,
    notes: Sequence[str] = (),
    attempts: int = 0,
    repairs: int = 0,
) -> PlanResult:
    difference = diff_plans(previous, plan)
    try:
        check: TurnCheck | None = check_turn(previous, plan, message)
    except Exception as error:  # a measurement that fails must not lose the turn's plan
        log.exception("measuring %s failed", plan.plugin_name)
        check, measured = None, [f"The plan could not be measured ({type(error).__name__})."]
    else:
        measured = check.lines()
    if previous is None:
        knobs = ", ".join(parameter.display_name for parameter in plan.parameters)
        body = f"{plan.plugin_name} ({plan.category.value}): {plan.explanation}\nKnobs: {knobs}."
    elif difference.empty:
        body = f"{plan.plugin_name}: no changes."
    else:
        body = f"{plan.plugin_name}, changed:\n" + "\n".join(f"- {line}" for line in difference.lines)
    reply = "\n".join([*(note for note in notes if note), body, *measured])
    return PlanResult(
        True, reply, previous, plan, None, difference, backend.label, backend.key_source, attempts, repairs, check=check
    )


def _failed(
    previous: Plan | None,
    error: str,
    backend: Backend,
    attempts: int = 0,
    repairs: int = 0,
    problems: tuple[str, ...] = (),
) -> PlanResult:
    state = "The plan is unchanged." if previous is not None else "There is no plan yet."
    return PlanResult(
        False,
        f"{error} {state}",
        previous,
        error=error,
        backend=backend.label,
        key_source=backend.key_source,
        attempts=attempts,
        repairs=repairs,
        problems=problems,
    )


__all__ = ["Backend", "PlanResult", "Planner", "parse_model", "resolve_backend"]
