"""The default models are current: none of them is in an installed SDK's deprecation data (anthropic's
deprecated_models table, the notes under openai's ChatModel) or in the cited Gemini table, and each is a name
the provider's SDK knows."""

from __future__ import annotations

from typing import get_args

import pytest

from vaist_lab.planner.lifecycle import GEMINI_DEPRECATED, anthropic_deprecated, deprecation, openai_deprecated
from vaist_lab.planner.settings import DEFAULT_MODELS, MODEL_PREFIXES, PROVIDERS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_default_model_is_deprecated(provider: str) -> None:
    model = DEFAULT_MODELS[provider]  # type: ignore[index]

    assert deprecation(provider, model) is None  # type: ignore[arg-type]


def test_the_deprecation_data_is_read_from_the_installed_sdks() -> None:
    # the entries issue 11 named, as the SDKs carry them: a parse that found nothing would pass the test above
    assert anthropic_deprecated()["claude-sonnet-4-5"] == "end of life November 30th, 2026"
    assert openai_deprecated()["gpt-4.1-mini"] == "shutdown 2027-01-14"
    assert openai_deprecated()["o1"].startswith("shutdown ")
    assert openai_deprecated()["gpt-5.1-mini"] == "Not a supported model ID. Retained for SDK compatibility"
    assert len(openai_deprecated()) > 50
    assert deprecation("gemini", "gemini-2.5-flash") == GEMINI_DEPRECATED["gemini-2.5-flash"]
    assert deprecation("gemini", "gemini-1.5-pro") is not None


def test_the_defaults_are_names_the_sdks_know() -> None:
    from anthropic.types import ModelParam
    from google.genai._gaos.types.interactions.model import Model as GeminiModel
    from openai.types.shared import ChatModel

    anthropic_models = get_args(get_args(ModelParam)[0])
    gemini_models = get_args(get_args(GeminiModel)[0])

    assert DEFAULT_MODELS["anthropic"] in anthropic_models
    assert DEFAULT_MODELS["openai"] in get_args(ChatModel)
    assert DEFAULT_MODELS["gemini"] in gemini_models


def test_retired_openai_lines_no_longer_pick_a_provider_by_name() -> None:
    prefixes = [prefix for group in MODEL_PREFIXES.values() for prefix in group]

    assert not {"o1", "o3", "o4", "chatgpt"} & set(prefixes)
    assert all(DEFAULT_MODELS[provider].startswith(MODEL_PREFIXES[provider]) for provider in PROVIDERS)
