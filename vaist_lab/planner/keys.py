"""API keys against their providers: a key saved under the wrong provider, found by its prefix before anything
is sent, and `check_key`, the one minimal real request behind `vaist-lab keys test` and the settings' Test
button, which tells apart a refused key, a missing or retired model, no quota, a provider out of reach and a
working key, in one line each. No message here ever holds the key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

from vaist_lab.planner.lifecycle import deprecation
from vaist_lab.planner.providers import ProviderFault, make_provider
from vaist_lab.planner.settings import PROVIDER_TITLES, PlannerSettings, ProviderName

# Documented key prefixes, most specific first: Anthropic's keys begin "sk-ant-" (its API reference's
# examples, "sk-ant-api03-..."); OpenAI's "sk-" ("sk-proj-..." for project keys,
# https://platform.openai.com/docs/api-reference/authentication); Google's API keys "AIza", and the newer
# Gemini authentication keys "AQ." (https://ai.google.dev/gemini-api/docs/api-key,
# https://discuss.ai.google.dev/t/account-only-generates-aq-prefix-api-keys-aiza-keys-not-available-in-any-project/170415).
# A key that matches none of them is let through: proxies and gateways issue keys of their own.
KEY_PREFIXES: tuple[tuple[str, ProviderName], ...] = (
    ("sk-ant-", "anthropic"),
    ("sk-", "openai"),
    ("AIza", "gemini"),
    ("AQ.", "gemini"),
)
# Deliberately short: a test needs a few tokens, not an answer.
PROBE_TIMEOUT = 20.0

KeyCheckKind = Literal[
    "ok", "deprecated", "wrong_provider", "auth", "not_found", "quota", "rate_limit", "unreachable", "failed"
]


def key_owner(api_key: str) -> ProviderName | None:
    """The provider whose documented prefix `api_key` carries, if any."""
    return next((provider for prefix, provider in KEY_PREFIXES if api_key.startswith(prefix)), None)


def key_mismatch(provider: ProviderName, api_key: str) -> str | None:
    """Why `api_key` cannot be `provider`'s (it carries another provider's prefix), or None."""
    owner = key_owner(api_key.strip())
    if owner is None or owner == provider:
        return None
    title, owner_title = PROVIDER_TITLES[provider], PROVIDER_TITLES[owner]
    return (
        f"{title} key looks like {_article(owner_title)} {owner_title} key (by its first characters): "
        f"keep it under {owner_title} and give {title} {_article(title)} {title} key"
    )


def _article(word: str) -> str:
    return "an" if word[0] in "AEIOU" else "a"


@dataclass(frozen=True)
class KeyCheckResult:
    """What one key test found, in one line (`message`)."""

    provider: ProviderName
    model: str
    kind: KeyCheckKind
    message: str
    seconds: float | None = None  # how long the provider took to answer, when it did

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


_FAULT_KINDS: dict[str, KeyCheckKind] = {
    "auth": "auth",
    "not_found": "not_found",
    "quota": "quota",
    "rate_limit": "rate_limit",
    "timeout": "unreachable",
    "connection": "unreachable",
    "server_error": "unreachable",
}


def check_key(
    provider: ProviderName, api_key: str, settings: PlannerSettings, model: str | None = None
) -> KeyCheckResult:
    """Test `api_key` with the smallest real request on `model` (else the configured one): a few tokens of
    generation, so that a refused key, a missing model, a spent balance and an outage each show."""
    model = model or settings.model_for(provider)
    title = PROVIDER_TITLES[provider]
    result = KeyCheckResult(provider, model, "failed", "")
    mismatch = key_mismatch(provider, api_key)
    if mismatch:
        return replace(result, kind="wrong_provider", message=f"wrong provider: the {mismatch}; nothing was sent")
    quick = replace(settings, timeout=min(settings.timeout, PROBE_TIMEOUT))
    started = time.monotonic()
    try:
        make_provider(provider, model, api_key, quick).probe()
    except ProviderFault as fault:
        kind = _FAULT_KINDS.get(fault.kind, "failed")
        return replace(result, kind=kind, message=_fault_line(kind, title, model, fault))
    seconds = time.monotonic() - started
    retired = deprecation(provider, model)
    if retired:
        line = f"deprecated model: {model} answered, but it is deprecated ({retired}); pick a current {title} model"
        return replace(result, kind="deprecated", message=line, seconds=seconds)
    return replace(result, kind="ok", message=f"ok: {model} answered in {seconds:.1f} s", seconds=seconds)


def _fault_line(kind: KeyCheckKind, title: str, model: str, fault: ProviderFault) -> str:
    what = {
        "auth": f"wrong key: {title} refused it",
        "not_found": f"unknown model: {title} has no model {model!r} for this key (or it is retired)",
        "quota": f"no quota: the {title} account has no credit or quota left; check its plan and billing",
        "rate_limit": f"rate-limited: {title} took the key but asks to slow down; try again in a minute",
        "unreachable": f"{title} is down or out of reach",
        "failed": f"{title} refused the test",
    }[kind]
    return f"{what} ({fault.message.rstrip('.')})"


__all__ = ["KEY_PREFIXES", "KeyCheckResult", "check_key", "key_mismatch", "key_owner"]
