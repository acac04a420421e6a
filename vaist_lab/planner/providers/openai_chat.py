"""OpenAI through openai: Chat Completions with a strict `json_schema` response format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from vaist_lab.planner.lifecycle import deprecation
from vaist_lab.planner.providers.base import (
    Conversation,
    FaultKind,
    ProviderFault,
    decode_json_object,
    fault_from_status,
)
from vaist_lab.planner.schemas import drop_nulls, openai_strict_schema
from vaist_lab.planner.settings import PlannerSettings

# Structured Outputs "is available in our latest large language models, starting with GPT-4o"
# (https://developers.openai.com/api/docs/guides/structured-outputs): the gpt-4o, gpt-4.1 and gpt-5 and later
# lines. Their variants that Chat Completions does not serve with a JSON answer (audio, realtime, speech,
# search, images, the Responses-only pro/codex/deep-research/computer-use models, fine-tunes) are left out.
_STRUCTURED_OUTPUT_LINES = re.compile(r"^gpt-(?:4o|4\.1|[5-9]|\d{2,})(?:[.-]|$)")
_NOT_CHAT = ("audio", "realtime", "transcribe", "tts", "search", "image", "codex", "-pro", "deep-research", "computer")
_PROBE_TOKENS = 16


class OpenAIProvider:
    name = "openai"

    def __init__(self, model: str, api_key: str, settings: PlannerSettings) -> None:
        self.model = model
        self._api_key = api_key
        self._max_output_tokens = settings.max_output_tokens
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=settings.base_urls.get("openai"),
            timeout=settings.timeout,
            max_retries=0,  # the planner's retry loop owns retries
        )

    def propose(self, conversation: Conversation) -> dict[str, Any]:
        messages: list[Any] = [{"role": "system", "content": conversation.system}]
        messages += [
            {
                "role": message.role,
                "content": json.dumps(message.plan_payload) if message.plan_payload else message.text,
            }
            for message in conversation.messages
        ]
        with self._faults():
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "vaist_plan", "schema": openai_strict_schema(), "strict": True},
                },
                max_completion_tokens=self._max_output_tokens,
            )
        return _plan_payload(completion)

    def list_models(self) -> list[str]:
        """The key's chat models that take a strict json_schema response format, newest first."""
        with self._faults():
            listed = list(self._client.models.list())
        listed.sort(key=lambda model: model.created, reverse=True)
        return [
            model.id
            for model in listed
            if _STRUCTURED_OUTPUT_LINES.match(model.id) and not any(part in model.id for part in _NOT_CHAT)
            if deprecation("openai", model.id) is None
        ]

    def probe(self) -> None:
        with self._faults():
            self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "user", "content": "Answer OK."}],
                max_completion_tokens=_PROBE_TOKENS,
            )

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """The SDK's errors as ProviderFaults (without the key)."""
        try:
            yield
        except openai.APITimeoutError:
            raise ProviderFault("timeout", "no answer in time") from None
        except openai.APIConnectionError as error:
            raise ProviderFault("connection", f"the connection failed ({error.message})") from None
        except openai.APIStatusError as error:
            detail = str(error.body.get("message")) if isinstance(error.body, dict) else error.message
            raise fault_from_status(
                error.status_code, error.response.headers, detail, secret=self._api_key, kind=_error_kind(error)
            ) from None


def _error_kind(error: openai.APIStatusError) -> FaultKind | None:
    """A 429 with code insufficient_quota is a spent balance ("You exceeded your current quota, please check
    your plan and billing details"), which waiting does not fix."""
    return "quota" if "insufficient_quota" in (error.code, error.type) else None


def _plan_payload(completion: ChatCompletion) -> dict[str, Any]:
    if not completion.choices:
        raise ProviderFault("non_json", "the answer holds no choice")
    choice = completion.choices[0]
    if choice.message.refusal:
        raise ProviderFault("refusal", f"the model declined: {choice.message.refusal}")
    if choice.finish_reason == "content_filter":
        raise ProviderFault("refusal", "the answer was withheld by the content filter")
    payload = decode_json_object(choice.message.content or "", cut_short=choice.finish_reason == "length")
    return drop_nulls(payload)
