"""The limits and timings of the use cases, each overridable from the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

from vaist_lab.service.errors import InvalidInput
from vaist_lab.store.database import DEFAULT_BUSY_TIMEOUT

UNLIMITED = ("unlimited", "none", "off")
GENERATION_WINDOWS = (("hour", timedelta(hours=1)), ("day", timedelta(days=1)))
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class LabSettings:
    generations_per_hour: int | None = 30  # None: no limit
    generations_per_day: int | None = 200
    max_prompt_chars: int = 4_000  # a user's chat message, and a project's prompt
    max_reply_chars: int = 20_000  # an assistant's reply
    max_name_chars: int = 100
    max_description_chars: int = 2_000
    max_log_message_chars: int = 4_000  # longer build log lines are cut (a compiler can print megabytes)
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    link_lifetime: timedelta = timedelta(hours=1)
    heartbeat_interval: float = 5.0  # how often a running (or queued) build says it is alive
    build_workers: int = 1  # builds at once; more wait their turn (a JUCE build wants both cores)
    stale_build_after: timedelta = timedelta(minutes=2)  # silent this long: its builder is gone
    verify_builds: bool = True  # check each plugin built for this machine against its plan, draw its window
    log_poll_interval: float = 0.5  # how often a log follower looks for lines written by another process

    def generation_limits(self) -> list[tuple[str, timedelta, int | None]]:
        """(window name, window, limit or None) for each rate limit window."""
        per_window = {"hour": self.generations_per_hour, "day": self.generations_per_day}
        return [(name, window, per_window[name]) for name, window in GENERATION_WINDOWS]

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> LabSettings:
        """Defaults, overridden by VAIST_GENERATIONS_PER_HOUR, VAIST_GENERATIONS_PER_DAY (a positive number,
        or 'unlimited'), VAIST_MAX_PROMPT_CHARS, VAIST_MAX_REPLY_CHARS, VAIST_BUILD_WORKERS, VAIST_BUSY_TIMEOUT
        (seconds), VAIST_VERIFY_BUILDS (1 or 0) and VAIST_DOWNLOAD_LINK_TTL (how long a download link works:
        seconds, or an age like 15m, 1h, 7d)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name in ("generations_per_hour", "generations_per_day"):
            text = env.get(f"VAIST_{name.upper()}")
            if text is not None:
                values[name] = _limit(f"VAIST_{name.upper()}", text)
        for name in ("max_prompt_chars", "max_reply_chars"):
            text = env.get(f"VAIST_{name.upper()}")
            if text is not None:
                values[name] = _limit(f"VAIST_{name.upper()}", text, allow_unlimited=False)
        if env.get("VAIST_BUILD_WORKERS") is not None:
            workers = _limit("VAIST_BUILD_WORKERS", env["VAIST_BUILD_WORKERS"], allow_unlimited=False)
            values["build_workers"] = max(1, workers or 1)
        if env.get("VAIST_BUSY_TIMEOUT") is not None:
            try:
                values["busy_timeout"] = float(env["VAIST_BUSY_TIMEOUT"])
            except ValueError:
                raise InvalidInput(f"VAIST_BUSY_TIMEOUT must be seconds, not {env['VAIST_BUSY_TIMEOUT']!r}") from None
        if env.get("VAIST_VERIFY_BUILDS") is not None:
            text = env["VAIST_VERIFY_BUILDS"].strip().lower()
            if text not in _TRUE + _FALSE:
                raise InvalidInput(f"VAIST_VERIFY_BUILDS must be 1 or 0, not {env['VAIST_VERIFY_BUILDS']!r}")
            values["verify_builds"] = text in _TRUE
        if env.get("VAIST_DOWNLOAD_LINK_TTL") is not None:
            values["link_lifetime"] = _lifetime("VAIST_DOWNLOAD_LINK_TTL", env["VAIST_DOWNLOAD_LINK_TTL"])
        return cls(**values)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON (durations in seconds), for a build worker process."""
        return {
            name: value.total_seconds() if isinstance(value, timedelta) else value
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LabSettings:
        durations = {item.name for item in fields(cls) if isinstance(item.default, timedelta)}
        return cls(**{name: timedelta(seconds=value) if name in durations else value for name, value in data.items()})


def _limit(variable: str, text: str, allow_unlimited: bool = True) -> int | None:
    if allow_unlimited and text.strip().lower() in UNLIMITED:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        also = " or 'unlimited'" if allow_unlimited else ""
        raise InvalidInput(f"{variable} must be a positive whole number{also}, not {text!r}")
    return value


def _lifetime(variable: str, text: str) -> timedelta:
    """Seconds ('3600') or an age ('1h'), above zero."""
    try:
        lifetime = timedelta(seconds=float(text))
    except (ValueError, OverflowError):
        lifetime = parse_age(text) if _AGE.match(text) else timedelta(0)
    if lifetime <= timedelta(0):
        raise InvalidInput(f"{variable} must be seconds or an age like 15m, 1h or 7d, above zero, not {text!r}")
    return lifetime


def parse_age(text: str) -> timedelta:
    """'30d', '12h', '90m', '2w', '45s' as a timedelta (for `cleanup --older-than`)."""
    match = _AGE.match(text)
    if not match:
        raise InvalidInput(f"{text!r} is not an age like 30d, 12h, 90m, 2w or 45s")
    return timedelta(**{_AGE_UNITS[match[2]]: float(match[1])})


__all__ = ["GENERATION_WINDOWS", "LabSettings", "parse_age"]
