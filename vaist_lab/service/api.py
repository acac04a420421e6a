"""The interface the workbench speaks to: the use cases of one signed-in user, as plain data views.

`LabApi` is the protocol; `UserLab` implements it in process over a `Lab` (single-user mode, notebooks).
A client of the hub service implements it over HTTP, with the caller identified by the hub token; the
widgets cannot tell the two apart. Nothing here hands out an ORM object, a storage or a builder.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from vaist_lab.planner.measured import MeasuredFact
from vaist_lab.planner.settings import DEFAULT_MODELS, PROVIDERS
from vaist_lab.planner.settings import PROVIDER_TITLES as AI_PROVIDER_TITLES
from vaist_lab.service.views import (
    ApiKeyInfo,
    CurrentUser,
    LogLine,
    PlatformBuildView,
    ProjectDetail,
    ProjectView,
    TemplateView,
)

ProjectId = uuid.UUID | str
GITHUB = "github"  # the one remote builder: GitHub Actions (start_build's `remote`)

# What the model picker offers: the offline planner, then each provider (the configured model first).
PROVIDER_TITLES = {"offline": "Offline (no key)", **AI_PROVIDER_TITLES}


@dataclass(frozen=True)
class TurnView:
    """One negotiation turn as the chat shows it. `ok`: the plan changed to `project.plan_json`; otherwise
    `error` says why in one line and the plan is untouched."""

    project: ProjectView
    ok: bool
    reply: str
    error: str | None = None
    diff: dict[str, Any] | None = None  # PlanDiff.to_json(): parametersAdded, blocksChanged, summary...
    backend: str = "offline"
    # the new plan measured against the one before: the facts the musician's words asked about, then those
    # that moved (a first plan: its headline facts)
    measurements: tuple[MeasuredFact, ...] = ()


@dataclass(frozen=True)
class ModelChoice:
    """A model the user may pick: `value` is what `set_preferred_model` takes ("offline", "gemini:NAME")."""

    value: str
    provider: str
    title: str
    has_key: bool  # a key (the user's or the server's) is there for its provider
    note: str = ""  # e.g. why only the configured model is offered (the provider's list could not be had)


@dataclass(frozen=True)
class KeyCheck:
    """What testing a provider's key found, in one line. `kind`: ok, deprecated (works, on a deprecated model),
    wrong_provider (another provider's key, not sent), auth, not_found (no such model), quota, rate_limit,
    unreachable, failed, or no_key."""

    provider: str
    model: str
    ok: bool
    kind: str
    message: str


@dataclass(frozen=True)
class FidelityFigure:
    sample_rate: int
    worst_db: float  # error below the signal, dB (more negative is better)
    limit_db: float  # what PLAN_SPEC asks for this chain
    passed: bool


@dataclass(frozen=True)
class BuildReport:
    """What the build panel shows of a finished build on one platform."""

    platform: str
    passed: bool | None  # the verification's verdict; None when it could not run here
    summary: str
    fidelity: tuple[FidelityFigure, ...] = ()
    checks: tuple[
        dict[str, Any], ...
    ] = ()  # every check: {"check", "case", "passed", "figure_db", "bound_db", "detail"}
    editor_png: bytes | None = field(default=None, repr=False)  # the plugin's window, when it could be drawn
    editor_error: str | None = None  # why the window could not be drawn


@dataclass(frozen=True)
class GitHubSettingsView:
    """Where the user's builds on GitHub Actions run, as the settings show it: each setting the user's own,
    else the server's. The token is never shown, only its masked hint."""

    repository: str | None  # OWNER/REPO of the builder repository
    api_url: str
    token_hint: str | None  # the user's saved token, masked; None: none saved
    server_token: bool  # the server has a token of its own (used when the user saved none)
    own_repository: bool  # `repository` and `api_url` are the user's settings, not the server's
    platforms: tuple[str, ...]  # what a build on GitHub can build for
    problem: str  # why a build on GitHub cannot start, as far as the settings tell; '' when they look ready


@dataclass(frozen=True)
class RemoteCheck:
    """What asking GitHub found, in one line: whether a build can start there with these settings, else why."""

    ok: bool
    message: str


@dataclass(frozen=True)
class DownloadedFile:
    filename: str
    data: bytes = field(repr=False)


@runtime_checkable
class LabApi(Protocol):
    """The signed-in user's use cases. Errors are vaist_lab.service.errors (each a one-line message)."""

    @property
    def user(self) -> CurrentUser: ...

    # projects
    def list_projects(self) -> list[ProjectView]: ...
    def project(self, project_id: ProjectId) -> ProjectView: ...
    def open_project(self, project_id: ProjectId) -> ProjectDetail: ...
    def create_project(self, name: str, *, prompt: str = "", template: str | None = None) -> ProjectView: ...
    def rename_project(self, project_id: ProjectId, name: str) -> ProjectView: ...
    def duplicate_project(self, project_id: ProjectId, name: str | None = None) -> ProjectView: ...
    def delete_project(self, project_id: ProjectId) -> None: ...
    def list_templates(self) -> list[TemplateView]: ...

    # planning
    def chat(self, project_id: ProjectId, message: str, *, model: str | None = None) -> TurnView: ...
    def revert_plan(self, project_id: ProjectId, version: int) -> ProjectView: ...
    def edit_parameters(self, project_id: ProjectId, changes: Mapping[str, Mapping[str, Any]]) -> ProjectView: ...
    def save_plan(self, project_id: ProjectId, plan_json: Mapping[str, Any]) -> ProjectView: ...
    def approve(self, project_id: ProjectId) -> ProjectView: ...

    # builds
    def start_build(
        self, project_id: ProjectId, *, remote: str | None = None, platforms: tuple[str, ...] | None = None
    ) -> ProjectView: ...
    def platform_builds(self, project_id: ProjectId) -> list[PlatformBuildView]: ...
    def cancel_build(self, project_id: ProjectId) -> ProjectView: ...
    def follow_logs(
        self, project_id: ProjectId, after_id: int = 0, *, wait: float = 0.0, limit: int = 1000
    ) -> list[LogLine]: ...
    def build_report(self, project_id: ProjectId, platform: str | None = None) -> BuildReport | None: ...
    def download(self, project_id: ProjectId, platform: str | None = None) -> DownloadedFile: ...

    # settings
    def models(self) -> list[ModelChoice]: ...
    def preferred_model(self) -> str | None: ...
    def set_preferred_model(self, model: str | None) -> None: ...
    def api_keys(self) -> list[ApiKeyInfo]: ...
    def set_api_key(self, provider: str, key: str) -> ApiKeyInfo: ...
    def delete_api_key(self, provider: str) -> bool: ...
    def test_api_key(self, provider: str) -> KeyCheck: ...
    def github_settings(self) -> GitHubSettingsView: ...
    def set_github_settings(
        self, repository: str | None = None, *, token: str | None = None, api_url: str | None = None
    ) -> GitHubSettingsView: ...
    def test_github(self) -> RemoteCheck: ...
    def set_up_github(self) -> RemoteCheck: ...


def model_choices(
    has_key: Mapping[str, bool],
    configured: Mapping[str, str] | None = None,
    listed: Mapping[str, Sequence[str]] | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[ModelChoice]:
    """The offline planner, then per provider its configured model and the others `listed` for it (the models
    the provider listed for the user's key), marked by whether a key exists; `notes` by provider."""
    configured = configured or DEFAULT_MODELS
    choices = [ModelChoice("offline", "offline", PROVIDER_TITLES["offline"], True)]
    for provider in PROVIDERS:
        default = configured.get(provider) or DEFAULT_MODELS[provider]
        models = dict.fromkeys([default, *(listed or {}).get(provider, ())])
        keyed, note = bool(has_key.get(provider)), (notes or {}).get(provider, "")
        title = PROVIDER_TITLES[provider]
        choices += [ModelChoice(f"{provider}:{model}", provider, f"{title} · {model}", keyed, note) for model in models]
    return choices


__all__ = [
    "GITHUB",
    "PROVIDER_TITLES",
    "BuildReport",
    "DownloadedFile",
    "FidelityFigure",
    "GitHubSettingsView",
    "KeyCheck",
    "LabApi",
    "ModelChoice",
    "ProjectId",
    "RemoteCheck",
    "TurnView",
    "model_choices",
]
