"""Gemini through google-genai: generateContent with a JSON response constrained by `response_schema`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from google import genai
from google.genai import errors, types

from vaist_lab.planner.lifecycle import deprecation
from vaist_lab.planner.providers.base import (
    Conversation,
    FaultKind,
    ProviderFault,
    decode_json_object,
    fault_from_status,
)
from vaist_lab.planner.schemas import gemini_response_schema
from vaist_lab.planner.settings import PlannerSettings

# The Gemini API version, pinned. google-genai 3.x moved the Gemini Developer API's default from v1beta to v1
# (its README, "Major version 3 changes": "Default Gemini Developer API version is now v1 (was v1beta) ... pass
# types.HttpOptions(api_version='v1beta')" to keep the previous one). This provider's structured output is
# `responseSchema`, the OpenAPI-subset Schema with `propertyOrdering` and `nullable`: google-genai runs its own
# response_schema tests against v1beta (google/genai/tests/models/constants.py, MLDEV_HTTP_OPTIONS), its v1
# README shows JSON responses only through response_json_schema, and
# https://ai.google.dev/gemini-api/docs/api-versions keeps the schema parameters still being developed in
# v1beta. So v1beta, whatever the SDK's default or GOOGLE_GENAI_API_VERSION says.
API_VERSION = "v1beta"

# Finish reasons that mean the model would not (or may not) answer, rather than that it answered.
_DECLINED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "LANGUAGE",
    "MODEL_ARMOR",
}
# Models that generateContent serves but that do not write JSON text: speech, images, embeddings, live audio.
_NOT_TEXT = ("-tts", "-image", "embedding", "-live", "-audio", "-transcribe")
_PROBE_TOKENS = 16


class GeminiProvider:
    name = "gemini"

    def __init__(self, model: str, api_key: str, settings: PlannerSettings) -> None:
        self.model = model
        self._api_key = api_key
        self._max_output_tokens = settings.max_output_tokens
        self._client = genai.Client(
            vertexai=False,  # the Gemini API with a key, whatever GOOGLE_GENAI_USE_VERTEXAI says
            api_key=api_key,
            http_options=types.HttpOptions(
                api_version=API_VERSION,
                base_url=settings.base_urls.get("gemini"),
                timeout=round(settings.timeout * 1000),  # milliseconds
                retry_options=types.HttpRetryOptions(attempts=1),  # the planner's retry loop owns retries
            ),
        )

    def propose(self, conversation: Conversation) -> dict[str, Any]:
        contents = [
            types.Content(
                role="model" if message.role == "assistant" else "user",
                parts=[types.Part(text=json.dumps(message.plan_payload) if message.plan_payload else message.text)],
            )
            for message in conversation.messages
        ]
        config = types.GenerateContentConfig(
            system_instruction=conversation.system,
            response_mime_type="application/json",
            response_schema=types.Schema.model_validate(gemini_response_schema()),
            max_output_tokens=self._max_output_tokens,
            candidate_count=1,
        )
        with self._faults():
            response = self._client.models.generate_content(model=self.model, contents=contents, config=config)
        return _plan_payload(response)

    def list_models(self) -> list[str]:
        """Gemini models whose supported actions include generateContent (where response_schema applies)."""
        with self._faults():
            listed = list(self._client.models.list())
        names = [
            (model.name or "").removeprefix("models/")
            for model in listed
            if "generateContent" in (model.supported_actions or ())
        ]
        return [
            name
            for name in names
            if name.startswith("gemini-") and not any(part in name for part in _NOT_TEXT)
            if deprecation("gemini", name) is None
        ]

    def probe(self) -> None:
        config = types.GenerateContentConfig(max_output_tokens=_PROBE_TOKENS, candidate_count=1)
        with self._faults():
            self._client.models.generate_content(model=self.model, contents="Answer OK.", config=config)

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """The SDK's errors as ProviderFaults (without the key)."""
        try:
            yield
        except errors.APIError as error:
            headers = error.response.headers if error.response is not None else {}
            raise fault_from_status(
                error.code, headers, error.message or str(error), secret=self._api_key, kind=_error_kind(error)
            ) from None
        except httpx2.TimeoutException:
            raise ProviderFault("timeout", "no answer in time") from None
        except httpx2.TransportError as error:
            raise ProviderFault("connection", f"the connection failed ({type(error).__name__})") from None


def _error_kind(error: errors.APIError) -> FaultKind | None:
    """What Gemini's error details say beyond the status: an invalid key is a 400 with reason API_KEY_INVALID;
    a 429 whose quota is per day, or a limit of 0 (no free tier for this model), is used up, not a rate limit."""
    details = error.details.get("error", {}).get("details", []) if isinstance(error.details, dict) else []
    details = [detail for detail in details if isinstance(detail, dict)]
    if any(detail.get("reason") == "API_KEY_INVALID" for detail in details):
        return "auth"
    if error.code == 429:
        quotas = [str(item.get("quotaId", "")) for detail in details for item in detail.get("violations", [])]
        if any("PerDay" in quota for quota in quotas) or "limit: 0" in (error.message or ""):
            return "quota"
    return None


def _plan_payload(response: types.GenerateContentResponse) -> dict[str, Any]:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise ProviderFault("refusal", f"the request was blocked ({feedback.block_reason.value})")
    if not response.candidates:
        raise ProviderFault("refusal", "the model gave no answer")
    candidate = response.candidates[0]
    finish = candidate.finish_reason.value if candidate.finish_reason else "STOP"
    if finish in _DECLINED:
        raise ProviderFault("refusal", f"the model declined to answer ({finish})")
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(part.text for part in parts if part.text and not part.thought)
    if not text.strip() and finish != "MAX_TOKENS":
        raise ProviderFault("non_json", f"the answer is empty (finish reason {finish})")
    return decode_json_object(text, cut_short=finish == "MAX_TOKENS")
