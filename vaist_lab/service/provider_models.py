"""The models a user may pick per provider: the provider's own list for the user's key (else the server's),
cached per user and provider for a few minutes, or, when listing fails, the configured model with a note
saying why."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from vaist_lab.planner.providers import ProviderFault, make_provider
from vaist_lab.planner.settings import PROVIDER_TITLES, PlannerSettings, ProviderName

LIST_TTL = 300.0  # seconds a provider's list is reused
FAILURE_TTL = 30.0  # seconds a failed listing is, so that a provider that is down is not asked on every refresh
LIST_TIMEOUT = 10.0  # seconds: a settings page waits on this


@dataclass(frozen=True)
class ModelList:
    provider: ProviderName
    models: tuple[str, ...]  # the configured model first
    note: str = ""  # why only the configured model is offered


class ModelLists:
    """Model lists by (user, provider), reused for `ttl` seconds (`failure_ttl` after a failed listing)."""

    def __init__(
        self, ttl: float = LIST_TTL, failure_ttl: float = FAILURE_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._failure_ttl, self._clock = ttl, failure_ttl, clock
        self._lists: dict[tuple[uuid.UUID, ProviderName], tuple[float, ModelList]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: uuid.UUID, provider: ProviderName, api_key: str, settings: PlannerSettings) -> ModelList:
        with self._lock:
            cached = self._lists.get((user_id, provider))
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        listed = _list(provider, api_key, settings)
        lifetime = self._failure_ttl if listed.note else self._ttl
        with self._lock:
            self._lists[(user_id, provider)] = (self._clock() + lifetime, listed)
        return listed

    def forget(self, user_id: uuid.UUID, provider: ProviderName) -> None:
        """Drop a cached list (the user's key for it changed)."""
        with self._lock:
            self._lists.pop((user_id, provider), None)


def _list(provider: ProviderName, api_key: str, settings: PlannerSettings) -> ModelList:
    configured = settings.model_for(provider)
    quick = replace(settings, timeout=min(settings.timeout, LIST_TIMEOUT))
    try:
        models = make_provider(provider, configured, api_key, quick).list_models()
    except ProviderFault as fault:
        note = f"{PROVIDER_TITLES[provider]}'s models could not be listed ({fault.message}); offering {configured}"
        return ModelList(provider, (configured,), note)
    return ModelList(provider, (configured, *(model for model in models if model != configured)))


__all__ = ["LIST_TTL", "ModelList", "ModelLists"]
