"""The planner's configuration: which model each provider uses, where its API lives, how long to wait and
how often to retry. Defaults here, each overridable from the environment (`PlannerSettings.from_environment`).

Model names live only in this table and in the environment: code paths never name a model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from vaist_lab.errors import VaistError

ProviderName = Literal["gemini", "anthropic", "openai"]
PROVIDERS: tuple[ProviderName, ...] = ("gemini", "anthropic", "openai")
OFFLINE = "offline"
AUTO = "auto"

PROVIDER_TITLES: dict[ProviderName, str] = {"gemini": "Gemini", "anthropic": "Claude", "openai": "OpenAI"}

# What a user or the CLI may call a provider, besides its own name.
PROVIDER_ALIASES: dict[str, ProviderName] = {
    "gemini": "gemini",
    "google": "gemini",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "openai": "openai",
    "gpt": "openai",
}

# Current models as of 2026-12, chosen from what the installed SDKs name and do not list as deprecated (the
# test_default_models checks that against anthropic's deprecated_models, openai's ChatModel notes and the
# Gemini deprecations table in vaist_lab.planner.lifecycle):
# - gemini-3.8-flash: the model google-genai 3.x's own examples use, "our most intelligent Flash model", no
#   shutdown announced (https://ai.google.dev/gemini-api/docs/deprecations);
# - claude-sonnet-5-5: the current Sonnet (claude-sonnet-5 is legacy; claude-sonnet-4-5 reached end of life
#   2026-11-30), "the best combination of speed and intelligence";
# - gpt-6.1-sol: OpenAI's balanced GPT-6 tier (gpt-6-astra is restricted to some accounts); it takes Chat
#   Completions with a strict json_schema response format (tools only through Responses, which we do not use).
DEFAULT_MODELS: dict[ProviderName, str] = {
    "gemini": "gemini-3.8-flash",
    "anthropic": "claude-sonnet-5-5",
    "openai": "gpt-6.1-sol",
}

# A bare model name picks its provider by prefix ("claude-opus-5-5" -> anthropic); "provider:model" always works.
# OpenAI's o1/o3/o4 reasoning lines and chatgpt-4o-latest are retired or shut down in the installed SDK's
# notes, so their names no longer pick a provider on their own ("openai:o3" still does).
MODEL_PREFIXES: dict[ProviderName, tuple[str, ...]] = {
    "gemini": ("gemini", "gemma"),
    "anthropic": ("claude",),
    "openai": ("gpt",),
}

# The server's own keys, used when the user has none: the VAIST_ name first, so a server can keep a key
# apart from the one the provider's SDK would pick up by itself.
FALLBACK_KEY_VARIABLES: dict[ProviderName, tuple[str, ...]] = {
    "gemini": ("VAIST_GEMINI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "anthropic": ("VAIST_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),
    "openai": ("VAIST_OPENAI_API_KEY", "OPENAI_API_KEY"),
}


class PlannerConfigError(VaistError, ValueError):
    """A setting or a model name the planner cannot use."""


@dataclass(frozen=True)
class PlannerSettings:
    default_model: str = AUTO  # "auto": the first provider with a key (user's, then server's), else offline
    models: Mapping[ProviderName, str] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    base_urls: Mapping[ProviderName, str] = field(default_factory=dict)  # unset: the SDK's own default
    fallback_keys: Mapping[ProviderName, str] = field(default_factory=dict, repr=False)
    provider_order: tuple[ProviderName, ...] = PROVIDERS  # "auto" tries them in this order
    timeout: float = 60.0  # seconds, one HTTP request
    attempts: int = 3  # per request, the first included: timeouts, 429, 5xx, resets, bad output, refusals
    backoff_initial: float = 1.0  # seconds before the first retry, doubling (with jitter) up to backoff_max
    backoff_max: float = 20.0
    max_retry_after: float = 60.0  # a 429 asking to wait longer than this ends the turn with a clear message
    repairs: int = 2  # rounds sending an invalid plan back with its field-level errors
    max_output_tokens: int = 8192

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PlannerConfigError(f"attempts must be at least 1, not {self.attempts}")
        if not 0 <= self.repairs <= 2:
            raise PlannerConfigError(f"repairs must be 0, 1 or 2, not {self.repairs}")
        if min(self.timeout, self.backoff_max, self.max_retry_after) <= 0 or self.backoff_initial < 0:
            raise PlannerConfigError("timeout, backoff and max_retry_after must be positive seconds")

    def model_for(self, provider: ProviderName) -> str:
        return self.models.get(provider) or DEFAULT_MODELS[provider]

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> PlannerSettings:
        """Defaults, overridden by:

        - VAIST_PLANNER_MODEL: the model used when none is asked for (auto, offline, gemini, claude, openai,
          a model name or provider:model);
        - VAIST_GEMINI_MODEL, VAIST_ANTHROPIC_MODEL, VAIST_OPENAI_MODEL: each provider's model;
        - VAIST_GEMINI_BASE_URL, VAIST_ANTHROPIC_BASE_URL, VAIST_OPENAI_BASE_URL: each provider's API address;
        - the server's fallback keys: VAIST_GEMINI_API_KEY or GEMINI_API_KEY or GOOGLE_API_KEY,
          VAIST_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY, VAIST_OPENAI_API_KEY or OPENAI_API_KEY;
        - VAIST_PLANNER_TIMEOUT, VAIST_PLANNER_BACKOFF, VAIST_PLANNER_BACKOFF_MAX, VAIST_PLANNER_MAX_RETRY_AFTER
          (seconds), VAIST_PLANNER_ATTEMPTS, VAIST_PLANNER_REPAIRS, VAIST_PLANNER_MAX_TOKENS (whole numbers).
        """
        env = os.environ if env is None else env
        models = dict(DEFAULT_MODELS)
        base_urls: dict[ProviderName, str] = {}
        fallback_keys: dict[ProviderName, str] = {}
        for provider in PROVIDERS:
            prefix = f"VAIST_{provider.upper()}"
            if env.get(f"{prefix}_MODEL", "").strip():
                models[provider] = env[f"{prefix}_MODEL"].strip()
            if env.get(f"{prefix}_BASE_URL", "").strip():
                base_urls[provider] = env[f"{prefix}_BASE_URL"].strip()
            key = next(
                (env[name].strip() for name in FALLBACK_KEY_VARIABLES[provider] if env.get(name, "").strip()), ""
            )
            if key:
                fallback_keys[provider] = key
        values: dict[str, object] = {"models": models, "base_urls": base_urls, "fallback_keys": fallback_keys}
        if env.get("VAIST_PLANNER_MODEL", "").strip():
            values["default_model"] = env["VAIST_PLANNER_MODEL"].strip()
        for name, kind in (
            ("timeout", float),
            ("backoff_initial", float),
            ("backoff_max", float),
            ("max_retry_after", float),
            ("attempts", int),
            ("repairs", int),
            ("max_output_tokens", int),
        ):
            variable = "VAIST_PLANNER_" + {"backoff_initial": "BACKOFF", "max_output_tokens": "MAX_TOKENS"}.get(
                name, name.upper()
            )
            text = env.get(variable)
            if text is not None and text.strip():
                try:
                    values[name] = kind(text)
                except ValueError:
                    unit = "seconds" if kind is float else "a whole number"
                    raise PlannerConfigError(f"{variable} must be {unit}, not {text!r}") from None
        return cls(**values)  # type: ignore[arg-type]
