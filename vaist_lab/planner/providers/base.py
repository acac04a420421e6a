"""The one interface every AI provider implements, and the faults a call can end in.

A provider turns a conversation (system prompt and messages) into the decoded JSON object of a plan, using
its native structured-output mode; it does not validate the plan (the planner does, and repairs). It also
lists the provider's models that can answer with a plan (`list_models`) and makes the smallest real request
on its model (`probe`, for `keys test`). Every failure is a `ProviderFault` whose `kind` says what happened and
whether trying again can help; its message never holds the API key (`fault_from_status` takes it out of
whatever the provider wrote). The providers' SDKs are told not to retry: the planner's retry loop owns
retries, so the policy is the same for every provider and visible in one place.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

from vaist_lab.planner.settings import ProviderName

FaultKind = Literal[
    "timeout",
    "rate_limit",
    "server_error",
    "connection",
    "truncated",
    "non_json",
    "refusal",
    "auth",
    "not_found",  # no such model (or not for this key), or a retired one
    "quota",  # no credit or quota left: billing, not waiting, fixes it
    "bad_request",
]
RETRYABLE: frozenset[FaultKind] = frozenset(
    {"timeout", "rate_limit", "server_error", "connection", "truncated", "non_json", "refusal"}
)


class ProviderFault(Exception):
    """A provider call that gave no plan. `retry_after` is the wait the provider asked for (429), in seconds."""

    def __init__(self, kind: FaultKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    text: str
    # An assistant message that proposed a plan, as decoded: providers that answer with a tool call replay it
    # as one, so that the next user message can answer it (Anthropic requires tool_use to meet a tool_result).
    plan_payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class Conversation:
    system: str
    messages: tuple[Message, ...]


class Provider(Protocol):
    name: ProviderName
    model: str

    def propose(self, conversation: Conversation) -> dict[str, Any]:
        """The plan the model answers with, as a decoded JSON object; ProviderFault when there is none."""
        ...

    def list_models(self) -> list[str]:
        """The provider's models this key may use that can answer in the structured-output mode `propose`
        uses, newest first where the provider says, without deprecated ones; ProviderFault on failure."""
        ...

    def probe(self) -> None:
        """The smallest real request on `model` (a few tokens of generation): it returns when the key, the model
        and the account's quota all work, else raises the ProviderFault saying which does not."""
        ...


def decode_json_object(text: str, cut_short: bool) -> dict[str, Any]:
    """The JSON object a model wrote; `cut_short` when the provider said it hit its output limit."""
    stripped = text.strip()
    if cut_short:
        raise ProviderFault("truncated", "the answer was cut off at the model's output limit")
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as error:
        if stripped.startswith(("{", "[")) and _unclosed(stripped):
            raise ProviderFault("truncated", "the answer ends in the middle of its JSON") from None
        raise ProviderFault("non_json", f"the answer is not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(value, dict):
        raise ProviderFault("non_json", f"the answer is JSON but not an object ({type(value).__name__})")
    return value


def _unclosed(text: str) -> bool:
    """Whether JSON text stops inside a string or before closing every bracket it opened."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def fault_from_status(
    status: int, headers: Mapping[str, str], detail: str, *, secret: str, kind: FaultKind | None = None
) -> ProviderFault:
    """The fault an HTTP error status stands for (`kind` when the provider's error body says more than its
    status), with `secret` (the API key) taken out of the provider's words."""
    detail = " ".join(redact(detail, secret).split())[:300]
    if kind == "quota":
        return ProviderFault("quota", f"no quota or credit left ({status}): {detail}")
    if kind == "auth" or status in (401, 403):
        return ProviderFault("auth", f"the API key was refused ({status}): {detail}")
    if status == 404:
        return ProviderFault("not_found", f"no such model for this key ({status}): {detail}")
    if status == 429:
        return ProviderFault("rate_limit", f"rate limited (429): {detail}", retry_after_seconds(headers))
    if status in (408, 409) or status >= 500:
        return ProviderFault("server_error", f"the provider failed ({status}): {detail}", retry_after_seconds(headers))
    return ProviderFault("bad_request", f"the request was refused ({status}): {detail}")


def redact(text: str, secret: str) -> str:
    """`text` without `secret` in it: some providers and proxies quote the key they refused. Strings shorter
    than a stored key can be (8 characters) are left alone: they would match ordinary words."""
    return text.replace(secret, "[the key]") if len(secret) >= 8 else text


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for: `retry-after-ms` (OpenAI, Anthropic), else `retry-after` in seconds or as
    an HTTP date."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        text = headers.get(name)
        if not text:
            continue
        try:
            seconds = float(text) * scale
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    return None
