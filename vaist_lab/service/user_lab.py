"""`LabApi` in process: the use cases of one user over a `Lab`, for the single-user app and notebooks.

Every method is a Lab use case for `user`; errors are the Lab's (ServiceError, and PlannerConfigError for a
model name that names nothing) and pass through unchanged. `UserLab.local()` is the single-user app: the
local database and user, with builds in processes of their own (DetachedBuildExecutor) so that a build
goes on when the page (and its kernel) that started it closes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from vaist_lab.config import data_dir
from vaist_lab.planner.settings import PROVIDER_ALIASES, PROVIDER_TITLES, PROVIDERS
from vaist_lab.service.api import (
    BuildReport,
    DownloadedFile,
    GitHubSettingsView,
    KeyCheck,
    ModelChoice,
    ProjectId,
    RemoteCheck,
    TurnView,
    model_choices,
)
from vaist_lab.service.builds import DetachedBuildExecutor
from vaist_lab.service.lab import Lab
from vaist_lab.service.settings import LabSettings
from vaist_lab.service.status import FAILED, SUCCESS
from vaist_lab.service.views import (
    ApiKeyInfo,
    CurrentUser,
    LogLine,
    PlatformBuildView,
    ProjectDetail,
    ProjectView,
    TemplateView,
)
from vaist_lab.store.database import database_url

HAND_EDIT = "/edit (the plan's JSON, by hand)"


class UserLab:
    """The signed-in `user`'s use cases on `lab`. `owns_lab`: `close` closes the lab too."""

    def __init__(self, lab: Lab, user: CurrentUser, *, owns_lab: bool = False) -> None:
        self.lab = lab
        self._user = user
        self._owns_lab = owns_lab

    @classmethod
    def local(cls, data: Path | None = None, url: str | None = None) -> UserLab:
        """The single-user app's: `Lab.open()` on the local data folder (or `url`) as its local user, builds
        in detached worker processes."""
        data = data or data_dir()
        url = url or database_url(data)
        settings = LabSettings.from_environment()
        lab = Lab.open(url, data=data, settings=settings, executor=DetachedBuildExecutor(url, data, settings))
        try:
            return cls(lab, lab.local_user(), owns_lab=True)
        except BaseException:
            lab.close()
            raise

    def close(self) -> None:
        """Close the lab if this opened it; detached builds go on."""
        if self._owns_lab:
            self.lab.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def user(self) -> CurrentUser:
        return self._user

    # projects

    def list_projects(self) -> list[ProjectView]:
        return self.lab.list_projects(self._user)

    def project(self, project_id: ProjectId) -> ProjectView:
        return self.lab.project(self._user, project_id)

    def open_project(self, project_id: ProjectId) -> ProjectDetail:
        return self.lab.open_project(self._user, project_id)

    def create_project(self, name: str, *, prompt: str = "", template: str | None = None) -> ProjectView:
        return self.lab.create_project(self._user, name, prompt=prompt, template=template)

    def rename_project(self, project_id: ProjectId, name: str) -> ProjectView:
        return self.lab.rename_project(self._user, project_id, name)

    def duplicate_project(self, project_id: ProjectId, name: str | None = None) -> ProjectView:
        return self.lab.duplicate_project(self._user, project_id, name)

    def delete_project(self, project_id: ProjectId) -> None:
        self.lab.delete_project(self._user, project_id)

    def list_templates(self) -> list[TemplateView]:
        return self.lab.list_templates()

    # planning

    def chat(self, project_id: ProjectId, message: str, *, model: str | None = None) -> TurnView:
        view, result = self.lab.chat(self._user, project_id, message, model=model)
        return TurnView(
            project=view,
            ok=result.ok,
            reply=result.reply,
            error=result.error,
            diff=result.diff.to_json() if result.diff is not None else None,
            backend=result.backend,
            measurements=result.check.facts if result.check is not None else (),
        )

    def revert_plan(self, project_id: ProjectId, version: int) -> ProjectView:
        return self.lab.revert_plan(self._user, project_id, version)

    def edit_parameters(self, project_id: ProjectId, changes: Mapping[str, Mapping[str, Any]]) -> ProjectView:
        return self.lab.edit_parameters(self._user, project_id, changes)

    def save_plan(self, project_id: ProjectId, plan_json: Mapping[str, Any]) -> ProjectView:
        """A plan edited by hand (its JSON) as the project's next version, recorded in the chat as a turn."""
        return self.lab.record_turn(self._user, project_id, HAND_EDIT, "Saved your edit of the plan.", plan_json)

    def approve(self, project_id: ProjectId) -> ProjectView:
        return self.lab.approve(self._user, project_id)

    # builds

    def start_build(
        self, project_id: ProjectId, *, remote: str | None = None, platforms: tuple[str, ...] | None = None
    ) -> ProjectView:
        """Build the approved plan: a first build when APPROVED, a retry when FAILED, a rebuild when SUCCESS
        (any other status is refused by the Lab with what to do instead); on this machine, or with
        remote="github" on GitHub Actions for `platforms` (default: linux, macos, windows)."""
        start = {FAILED: self.lab.retry_build, SUCCESS: self.lab.rebuild}.get(
            self.lab.project(self._user, project_id).status, self.lab.start_build
        )
        handle = start(self._user, project_id, remote=remote, platforms=platforms)
        return self.lab.project(self._user, handle.project_id)

    def platform_builds(self, project_id: ProjectId) -> list[PlatformBuildView]:
        return self.lab.platform_builds(self._user, project_id)

    def cancel_build(self, project_id: ProjectId) -> ProjectView:
        return self.lab.cancel_build(self._user, project_id)

    def follow_logs(
        self, project_id: ProjectId, after_id: int = 0, *, wait: float = 0.0, limit: int = 1000
    ) -> list[LogLine]:
        return self.lab.follow_logs(self._user, project_id, after_id, wait=wait, limit=limit)

    def build_report(self, project_id: ProjectId, platform: str | None = None) -> BuildReport | None:
        return self.lab.build_report(self._user, project_id, platform)

    def download(self, project_id: ProjectId, platform: str | None = None) -> DownloadedFile:
        """The built plugin's file, fetched through its signed download link."""
        link = self.lab.download_link(self._user, project_id, platform)
        return DownloadedFile(link.filename, self.lab.verify_download(link.url))

    # settings

    def models(self) -> list[ModelChoice]:
        """The offline planner, then each provider's configured model and, where a key (the user's or the
        server's) is there, the other models the provider lists for it that can plan (cached a few minutes;
        when listing fails, the configured model with a note saying why)."""
        settings = self.lab.planner.settings
        users = [PROVIDER_ALIASES.get(info.provider) for info in self.lab.api_keys(self._user)]
        servers = [provider for provider, key in settings.fallback_keys.items() if key]
        has_key = dict.fromkeys([*users, *servers], True)
        lists = [self.lab.list_models(self._user, provider) for provider in PROVIDERS if has_key.get(provider)]
        listed = {item.provider: item.models for item in lists if item is not None}
        notes = {item.provider: item.note for item in lists if item is not None and item.note}
        return model_choices(has_key, settings.models, listed, notes)

    def preferred_model(self) -> str | None:
        return self.lab.preferred_model(self._user)

    def set_preferred_model(self, model: str | None) -> None:
        self.lab.set_preferred_model(self._user, model)

    def api_keys(self) -> list[ApiKeyInfo]:
        return self.lab.api_keys(self._user)

    def set_api_key(self, provider: str, key: str) -> ApiKeyInfo:
        return self.lab.set_api_key(self._user, provider, key)

    def delete_api_key(self, provider: str) -> bool:
        return self.lab.delete_api_key(self._user, provider)

    def test_api_key(self, provider: str) -> KeyCheck:
        found = self.lab.test_api_key(self._user, provider)
        if found is None:
            name = PROVIDER_ALIASES[provider.strip().lower()]  # test_api_key refused any other name
            model = self.lab.planner.settings.model_for(name)
            message = f"no key: no {PROVIDER_TITLES[name]} key is saved (nor set on the server); save one first"
            return KeyCheck(name, model, False, "no_key", message)
        return KeyCheck(found.provider, found.model, found.ok, found.kind, found.message)

    def github_settings(self) -> GitHubSettingsView:
        return self.lab.github_settings_view(self._user)

    def set_github_settings(
        self, repository: str | None = None, *, token: str | None = None, api_url: str | None = None
    ) -> GitHubSettingsView:
        return self.lab.set_github_settings(self._user, repository, token=token, api_url=api_url)

    def test_github(self) -> RemoteCheck:
        """Ask GitHub whether a build can start with these settings (token and its permissions, repository,
        workflow); one line either way."""
        problems = self.lab.check_github(self._user)
        if problems:
            return RemoteCheck(False, "; ".join(problems))
        settings = self.lab.github_settings(self._user)
        return RemoteCheck(True, f"ready: builds run in {settings.repository} on {settings.api_url}")

    def set_up_github(self) -> RemoteCheck:
        """Make the saved repository a builder repository (created, private, when it does not exist), then test
        it: what was done and what the test found, on one line."""
        from vaist_lab.build.github import RemoteBuildError

        try:
            done = self.lab.set_up_github(self._user)
        except RemoteBuildError as error:
            return RemoteCheck(False, str(error))
        tested = self.test_github()
        return RemoteCheck(tested.ok, "; ".join([*done, tested.message]))


__all__ = ["UserLab"]
