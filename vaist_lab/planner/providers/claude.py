"""Claude through anthropic: a Messages call whose only allowed answer is a call of the `submit_plan` tool, with
the plan's JSON Schema as the tool's input schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
from anthropic.types import Message as AnthropicMessage

from vaist_lab.planner.lifecycle import deprecation
from vaist_lab.planner.providers.base import (
    Conversation,
    FaultKind,
    ProviderFault,
    decode_json_object,
    fault_from_status,
)
from vaist_lab.planner.schemas import anthropic_input_schema
from vaist_lab.planner.settings import PlannerSettings

TOOL_NAME = "submit_plan"
_PROBE_TOKENS = 16


class ClaudeProvider:
    name = "anthropic"

    def __init__(self, model: str, api_key: str, settings: PlannerSettings) -> None:
        self.model = model
        self._api_key = api_key
        self._max_output_tokens = settings.max_output_tokens
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=settings.base_urls.get("anthropic"),
            timeout=settings.timeout,
            max_retries=0,  # the planner's retry loop owns retries
        )

    def propose(self, conversation: Conversation) -> dict[str, Any]:
        tool = {
            "name": TOOL_NAME,
            "description": "Submit the whole plugin plan.",
            "input_schema": anthropic_input_schema(),
        }
        with self._faults():
            response = self._client.messages.create(
                model=self.model,
                max_tokens=self._max_output_tokens,
                system=conversation.system,
                messages=_wire_messages(conversation),
                tools=[tool],
                tool_choice={"type": "tool", "name": TOOL_NAME},
            )
        return _plan_payload(response)

    def list_models(self) -> list[str]:
        """The active Claude models (every current one does tool use, which `propose` relies on), newest first
        as the API lists them."""
        with self._faults():
            listed = list(self._client.models.list(lifecycle=["active"], limit=100))
        return [
            model.id
            for model in listed
            if model.id.startswith("claude")
            and model.lifecycle == "active"
            and deprecation("anthropic", model.id) is None
        ]

    def probe(self) -> None:
        with self._faults():
            self._client.messages.create(
                model=self.model, max_tokens=_PROBE_TOKENS, messages=[{"role": "user", "content": "Answer OK."}]
            )

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """The SDK's errors as ProviderFaults (without the key)."""
        try:
            yield
        except anthropic.APITimeoutError:
            raise ProviderFault("timeout", "no answer in time") from None
        except anthropic.APIConnectionError as error:
            raise ProviderFault("connection", f"the connection failed ({error.message})") from None
        except anthropic.APIStatusError as error:
            detail, kind = _error_detail(error)
            raise fault_from_status(
                error.status_code, error.response.headers, detail, secret=self._api_key, kind=kind
            ) from None


def _error_detail(error: anthropic.APIStatusError) -> tuple[str, FaultKind | None]:
    """The message in Anthropic's error body, and what it says beyond the status: a spent balance is a 400
    ("Your credit balance is too low to access the Anthropic API"), not a bad request."""
    body = error.body.get("error", {}) if isinstance(error.body, dict) else {}
    message = str(body.get("message") or error.message)
    return message, "quota" if "credit balance" in message.lower() else None


def _wire_messages(conversation: Conversation) -> list[dict[str, Any]]:
    """Earlier plans proposed in this turn are replayed as the tool calls they were, and the user's next message
    answers them as a tool result (the API wants every tool_use answered)."""
    messages: list[dict[str, Any]] = []
    pending_call: str | None = None
    for index, message in enumerate(conversation.messages):
        if message.role == "assistant" and message.plan_payload is not None:
            pending_call = f"plan_{index}"
            content: list[dict[str, Any]] = [
                {"type": "tool_use", "id": pending_call, "name": TOOL_NAME, "input": message.plan_payload}
            ]
        elif message.role == "user" and pending_call is not None:
            content = [{"type": "tool_result", "tool_use_id": pending_call, "is_error": True, "content": message.text}]
            pending_call = None
        else:
            content = [{"type": "text", "text": message.text}]
        messages.append({"role": message.role, "content": content})
    return messages


def _plan_payload(response: AnthropicMessage) -> dict[str, Any]:
    if response.stop_reason == "refusal":
        raise ProviderFault("refusal", "the model declined to answer")
    if response.stop_reason == "max_tokens":
        raise ProviderFault("truncated", "the answer was cut off at the model's output limit")
    for block in response.content:
        if block.type == "tool_use" and block.name == TOOL_NAME:
            if not isinstance(block.input, dict):
                raise ProviderFault("non_json", "the tool call's input is not a JSON object")
            return block.input
    text = "".join(block.text for block in response.content if block.type == "text")
    if not text.strip():
        raise ProviderFault("non_json", f"the answer holds no plan (stop reason {response.stop_reason})")
    return decode_json_object(text, cut_short=False)
