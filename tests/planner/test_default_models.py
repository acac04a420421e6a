"""The default models are current: none of them is in an installed SDK's deprecation data (anthropic's
deprecated_models table, the notes under openai's ChatModel) or in the cited Gemini table, and each is a name
the provider's SDK knows."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from vaist_lab.planner.lifecycle import RETIRED, anthropic_deprecated, deprecation, openai_deprecated
from vaist_lab.planner.settings import DEFAULT_MODELS, MODEL_PREFIXES, PROVIDERS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_default_model_is_deprecated(provider: str) -> None:
    model = DEFAULT_MODELS[provider]  # type: ignore[index]

    assert deprecation(provider, model) is None  # type: ignore[arg-type]


def test_the_deprecation_data_is_read_from_the_installed_sdks() -> None:
    # a parse that found nothing would pass the test above; the entries change with each SDK release, their form not
    anthropic, openai = anthropic_deprecated(), openai_deprecated()
    assert anthropic and all(
        re.fullmatch(r"end of life [A-Z][a-z]+ \d{1,2}[a-z]{2}, \d{4}", note) for note in anthropic.values()
    )
    assert len(openai) > 20 and any(re.fullmatch(r"shutdown \d{4}-\d{2}-\d{2}", note) for note in openai.values())


@pytest.mark.parametrize(
    ("provider", "model"),
    [("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-4.1-mini"), ("gemini", "gemini-2.5-flash")],
)
def test_the_models_issue_11_named_stay_retired_whatever_the_sdk_release(provider: str, model: str) -> None:
    assert deprecation(provider, model) == RETIRED[provider][model]  # type: ignore[arg-type,index]
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
