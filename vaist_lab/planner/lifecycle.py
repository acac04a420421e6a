"""Which models each provider has deprecated or shut down: the model picker leaves them out, `keys test` says
so, and a test keeps the default models off these lists.

Taken from the installed SDKs where they carry it (anthropic's `_data/deprecated_models.py`, the deprecation
notes under openai's `ChatModel` in `types/shared/chat_model.py`), and from the tables below: google-genai carries
no such data, and the other SDKs drop a model from theirs once it is shut down (anthropic 2.15 no longer lists
claude-sonnet-4-5, shut down on 2026-11-30), which would make a retired model look current again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from vaist_lab.planner.settings import ProviderName

# https://ai.google.dev/gemini-api/docs/deprecations (read 2026-12-01): shutdown dates, or the earliest
# announced ones. Every Gemini 1.x, 2.0 and 2.5 model is deprecated or shut down ("General Gemini 2.5 models
# support this feature but are all deprecated", https://firebase.google.com/docs/ai-logic/generate-structured-output).
GEMINI_DEPRECATED: dict[str, str] = {
    "gemini-2.5-pro": "shutdown 2026-12-01",
    "gemini-2.5-flash": "shutdown 2026-12-01",
    "gemini-2.5-flash-lite": "deprecated, shutdown earliest 2026-07",
    "gemini-2.5-flash-image": "deprecated, shutdown earliest 2026-10",
    "gemini-2.5-pro-preview-06-05": "shut down 2025-12-02",
    "gemini-2.5-pro-preview-05-06": "shut down 2025-12-02",
    "gemini-2.5-pro-preview-03-25": "shut down 2025-12-02",
    "gemini-2.0-flash": "shut down 2026-02",
    "gemini-2.0-flash-001": "shut down 2026-02",
    "gemini-2.0-flash-lite": "shut down 2026-02",
    "gemini-2.0-flash-lite-001": "shut down 2026-02",
    "gemini-3-pro-preview": "shut down 2026-03-09",
}
_GEMINI_DEPRECATED_FAMILIES = ("gemini-1.", "gemini-2.0-", "gemini-2.5-")

# Shutdowns the SDKs announced (anthropic 2.14.0's deprecated_models.py; openai 3.57.0's ChatModel notes) and
# may drop from their data once the date has passed.
RETIRED: dict[ProviderName, dict[str, str]] = {
    "anthropic": {
        "claude-sonnet-4-5": "end of life November 30th, 2026",
        "claude-sonnet-4-5-20250929": "end of life November 30th, 2026",
        "claude-opus-4-5": "end of life January 22nd, 2027",
        "claude-opus-4-5-20251101": "end of life January 22nd, 2027",
    },
    "openai": {
        "gpt-4.1-mini": "shutdown 2027-01-14",
        "gpt-4.1-mini-2025-04-14": "shutdown 2027-01-14",
    },
    "gemini": GEMINI_DEPRECATED,
}

# One entry of openai's notes: `- "name", "name": Announced shutdown date: 2027-01-14. See ...` (or "Not a
# supported model ID").
_OPENAI_NOTE = re.compile(r'^- ((?:"[^"]+",?\s*)+):\s*(.*?)(?=^- |^"""|\Z)', re.MULTILINE | re.DOTALL)
_OPENAI_SHUTDOWN = re.compile(r"Announced shutdown date:\s*(\d{4}-\d{2}-\d{2})")


@cache
def anthropic_deprecated() -> Mapping[str, str]:
    """anthropic's own table: model -> the end-of-life date the SDK warns with."""
    from anthropic._data import DEPRECATED_MODELS  # the SDK's warning table; no public name exports it

    return {model: f"end of life {date}" for model, date in DEPRECATED_MODELS.items()}


@cache
def openai_deprecated() -> Mapping[str, str]:
    """The notes under openai's `ChatModel` literal: model -> "shutdown YYYY-MM-DD" (or why it is unusable)."""
    source = files("openai.types.shared").joinpath("chat_model.py").read_text(encoding="utf-8")
    notes_start = source.index('"""Deprecated values:')
    deprecated: dict[str, str] = {}
    for names, note in _OPENAI_NOTE.findall(source[notes_start:]):
        shutdown = _OPENAI_SHUTDOWN.search(note)
        reason = f"shutdown {shutdown[1]}" if shutdown else " ".join(note.split()).rstrip(".")
        deprecated.update(dict.fromkeys(re.findall(r'"([^"]+)"', names), reason))
    return deprecated


def deprecation(provider: ProviderName, model: str) -> str | None:
    """Why `model` should not be used ("shutdown 2027-01-14", "end of life November 30th, 2026"), or None when
    no deprecation is known."""
    sdk_data = {"anthropic": anthropic_deprecated, "openai": openai_deprecated}.get(provider)
    known = (sdk_data() if sdk_data else {}).get(model) or RETIRED[provider].get(model)
    if known or provider != "gemini":
        return known
    return "deprecated (Gemini 1.x, 2.0 and 2.5)" if model.startswith(_GEMINI_DEPRECATED_FAMILIES) else None


__all__ = ["GEMINI_DEPRECATED", "RETIRED", "anthropic_deprecated", "deprecation", "openai_deprecated"]
