"""The use cases of vAIst lab, always for an explicit current user.

`Lab.open()` opens (and migrates) the database, loads the secret keys, seeds the templates and recovers
builds that were interrupted; then every use case is a method taking the `CurrentUser` it acts for
first. A project id that does not exist and one that belongs to another user are refused alike with
ProjectNotFound: nothing of another user's project is ever read into an answer.

Transactions lock the project row they change (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every
transaction is BEGIN IMMEDIATE), so that several processes recording turns and builds on one project
lose nothing.

Typical flow: `reserve_generation` (rate limit) before asking the AI, `record_turn` with its answer,
`edit_parameters` as the user turns knobs, `approve`, `start_build` (runs in a background thread, or a
process of its own with the DetachedBuildExecutor; `follow_logs` follows it, `cancel_build` stops it;
`retry_build` after a failure, `rebuild` after a success), `build_report` for the plugin's verification
and window, `download_link` for the result. A build runs on this machine, or on GitHub Actions for Linux,
macOS and Windows (`remote="github"`, with the user's `github_settings`); `platform_builds` says how each
platform's latest build went.
"""

from __future__ import annotations

import copy
import getpass
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from vaist_lab.build.base import Builder
from vaist_lab.codegen import plugin_code
from vaist_lab.config import cache_dir, data_dir
from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.io import load_template, template_names
from vaist_lab.planner import Planner, PlanResult, Turn, resolve_backend
from vaist_lab.planner.keys import KeyCheckResult, check_key
from vaist_lab.planner.settings import PROVIDER_ALIASES, ProviderName
from vaist_lab.service.api import GITHUB, BuildReport, GitHubSettingsView
from vaist_lab.service.builds import (
    REMOTE_LOG_PLATFORM,
    BuildExecutor,
    BuildJob,
    BuildRunner,
    QueuedBuildExecutor,
    RemoteBuilderFactory,
    artifact_keys,
    default_work_root,
    github_builder,
    host_platform,
    log_written,
    orphan_reason,
    register_running,
    running_cancel_event,
    this_worker,
    unregister_running,
)
from vaist_lab.service.errors import (
    BuilderUnavailable,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ProjectNotFound,
    RateLimited,
    TooLarge,
)
from vaist_lab.service.inspection import build_report
from vaist_lab.service.maintenance import cleanup, fail_build, recover_builds
from vaist_lab.service.provider_models import ModelList, ModelLists
from vaist_lab.service.settings import LabSettings
from vaist_lab.service.status import APPROVED, BUILDING, DRAFT, FAILED, PLANNING, SUCCESS, check_transition
from vaist_lab.service.views import (
    ApiKeyInfo,
    ArtifactView,
    BuildHandle,
    CleanupReport,
    CurrentUser,
    LogLine,
    MessageView,
    PlanVersionView,
    PlatformBuildStatus,
    PlatformBuildView,
    ProjectDetail,
    ProjectView,
    RecoveredBuild,
    RotationReport,
    TemplateView,
)
from vaist_lab.store.artifacts import ArtifactStorage, DownloadLink, LocalArtifactStorage, artifact_storage
from vaist_lab.store.database import Database, database_url
from vaist_lab.store.errors import StoreError
from vaist_lab.store.models import (
    ApiKey,
    BuildLog,
    ChatMessage,
    Generation,
    PlanVersion,
    PlatformBuild,
    Project,
    ProjectStatus,
    Template,
    User,
    utc_now,
)
from vaist_lab.store.secrets import Keyring, generate_secret, load_keyring, mask, write_secret_file

if TYPE_CHECKING:  # the GitHub builder loads PyGithub: only once GitHub is asked for
    from vaist_lab.build.github import GitHubSettings

logger = logging.getLogger(__name__)

LOCAL_USER_EMAIL = "local@vaist-lab.invalid"  # .invalid: can never be a real address
PROVIDER_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
MAX_API_KEY_CHARS = 512
EDITABLE_PARAMETER_FIELDS = ("min", "max", "default", "displayName")
PlanInput = Plan | Mapping[str, Any] | str | bytes
_SEED_LOCK = 0x7661_6973_745F_7470  # "vaist_tp": serialises template seeding on PostgreSQL
MAX_FOLLOW_WAIT = 60.0  # seconds a log follower may wait for new lines in one call
GITHUB_TOKEN_PROVIDER = GITHUB  # a user's GitHub token is stored as their API key of this name
MAX_API_URL_CHARS = 300  # User.github_api_url's width


class Lab:
    def __init__(
        self,
        database: Database,
        keyring: Keyring,
        storage: ArtifactStorage,
        *,
        settings: LabSettings | None = None,
        builder_factory: Callable[[], Builder] | None = None,
        remote_builder_factory: RemoteBuilderFactory = github_builder,
        executor: BuildExecutor | None = None,
        clock: Callable[[], datetime] = utc_now,
        work_root: Path | None = None,
        build_roots: Sequence[Path] | None = None,
        planner: Planner | None = None,
    ) -> None:
        self.database = database
        self.keyring = keyring
        self.storage = storage
        self.settings = settings or LabSettings()
        self.builder_factory = builder_factory or _local_builder
        self.remote_builder_factory = remote_builder_factory
        self.clock = clock
        self.work_root = work_root or default_work_root()
        # folders that cleanup may empty of old build folders: ours, and the local builder's
        self.build_roots = list(build_roots) if build_roots is not None else [self.work_root, cache_dir() / "builds"]
        self.runner = BuildRunner(database, storage, self.settings, clock, self.work_root)
        self.executor = executor or QueuedBuildExecutor(
            self.settings.build_workers, lambda job: self.runner.record(job, ()), self.settings.heartbeat_interval
        )
        self._builds: dict[uuid.UUID, BuildHandle] = {}  # started by this Lab, by project
        self._planner = planner
        self._model_lists = ModelLists()

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        data: Path | None = None,
        single_user: bool = True,
        settings: LabSettings | None = None,
        builder_factory: Callable[[], Builder] | None = None,
        remote_builder_factory: RemoteBuilderFactory = github_builder,
        executor: BuildExecutor | None = None,
        clock: Callable[[], datetime] = utc_now,
        work_root: Path | None = None,
        build_roots: Sequence[Path] | None = None,
        planner: Planner | None = None,
    ) -> Lab:
        """Open the database (`url`, else $VAIST_DATABASE_URL, else the SQLite file in the data folder),
        upgrade its schema, load the secrets (single-user mode creates the local secret file on first
        start; a server needs VAIST_SECRET_KEY), open the artifact storage (VAIST_ARTIFACT_STORE: local files
        in the data folder, or an S3 bucket), seed the templates and recover interrupted builds."""
        data = data or data_dir()
        settings = settings or LabSettings.from_environment()
        database = Database(url or database_url(data), settings.busy_timeout)
        try:
            database.upgrade()
            keyring = load_keyring(data, create=single_user)
            storage = artifact_storage(data / "artifacts", keyring.signing_key)
            lab = cls(
                database,
                keyring,
                storage,
                settings=settings,
                builder_factory=builder_factory,
                remote_builder_factory=remote_builder_factory,
                executor=executor,
                clock=clock,
                work_root=work_root,
                build_roots=build_roots,
                planner=planner,
            )
            lab.seed_templates()
            for recovered in lab.recover():
                logger.warning("project %s (%s): %s", recovered.project_id, recovered.name, recovered.reason)
        except BaseException:
            database.dispose()
            raise
        return lab

    def close(self, cancel_builds: bool = True) -> None:
        """Stop (or with cancel_builds=False, await) the builds this Lab started, then let the database go.
        Builds in processes of their own (DetachedBuildExecutor) go on."""
        if cancel_builds:
            for handle in list(self._builds.values()):
                event = running_cancel_event(handle.build_id)
                if event is not None:
                    event.set()
        self.executor.shutdown(wait=True)
        self.database.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- users ------------------------------------------------------------------------------------------

    def local_user(self) -> CurrentUser:
        """The one user of single-user mode (the CLI), created on first use."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "local"
        return self.ensure_user(LOCAL_USER_EMAIL, name=name)

    def ensure_user(self, email: str, name: str | None = None, image: str | None = None) -> CurrentUser:
        """The user with this email, created if new (a sign-in); name and image are updated when given."""
        email = email.strip().lower()
        if not 3 <= len(email) <= 320 or email.count("@") != 1 or email.startswith("@") or email.endswith("@"):
            raise InvalidInput(f"{email!r} is not an email address")
        _check_size("the name", name or "", 200)
        _check_size("the image address", image or "", 2000)
        try:
            return self._sign_in(email, name, image)
        except IntegrityError:  # another process created the same user just now: take theirs
            return self._sign_in(email, name, image)

    def _sign_in(self, email: str, name: str | None, image: str | None) -> CurrentUser:
        with self.database.session() as session:
            user = session.scalars(select(User).where(User.email == email)).one_or_none()
            if user is None:
                user = User(id=uuid.uuid4(), email=email, name=name, image=image, created_at=self.clock())
                session.add(user)
            else:
                user.name = name if name is not None else user.name
                user.image = image if image is not None else user.image
            session.flush()
            return CurrentUser(user.id, user.email, user.name)

    def set_preferred_model(self, user: CurrentUser, model: str | None) -> None:
        _check_size("the model name", model or "", 100)
        with self.database.session() as session:
            self._user_row(session, user).preferred_model = model or None

    def preferred_model(self, user: CurrentUser) -> str | None:
        with self.database.reading() as session:
            return self._user_row(session, user).preferred_model

    def set_api_key(self, user: CurrentUser, provider: str, key: str) -> ApiKeyInfo:
        """Store (or replace) the user's key for an AI provider, encrypted; only a masked hint comes back."""
        provider = _provider(provider)
        key = _checked_key(key)
        with self.database.session() as session:
            self._user_row(session, user, lock=True)
            info = self._store_key(session, user, provider, key)
        self._forget_model_list(user, provider)
        return info

    def _store_key(self, session: Session, user: CurrentUser, provider: str, key: str) -> ApiKeyInfo:
        now = self.clock()
        row = session.scalars(
            select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == provider)
        ).one_or_none()
        if row is None:
            row = ApiKey(user_id=user.id, provider=provider, created_at=now)
            session.add(row)
        row.ciphertext = self.keyring.encrypt(key, _api_key_context(user.id, provider))
        row.key_id = self.keyring.current_id
        row.hint = mask(key)
        row.updated_at = now
        return ApiKeyInfo(provider, row.hint, now)

    def api_keys(self, user: CurrentUser) -> list[ApiKeyInfo]:
        """The user's stored keys as masked hints (what a settings page shows)."""
        with self.database.reading() as session:
            rows = session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.provider))
            return [ApiKeyInfo(row.provider, row.hint, row.updated_at) for row in rows]

    def api_key(self, user: CurrentUser, provider: str) -> str:
        """The plaintext key, for calling the provider only: never show or log it."""
        provider = _provider(provider)
        with self.database.session() as session:
            row = session.scalars(
                select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == provider)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no {provider} API key stored")
            return self.keyring.decrypt(
                row.ciphertext, _api_key_context(user.id, provider), f"the stored {provider} API key"
            )

    def decrypted_api_keys(self, user: CurrentUser) -> dict[str, str]:
        """All of the user's keys by provider, in plaintext: what the planner needs to call the providers
        on the user's behalf (vaist_lab.planner's `api_keys`). Never show or log them."""
        with self.database.reading() as session:
            rows = session.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.provider))
            return {
                row.provider: self.keyring.decrypt(
                    row.ciphertext, _api_key_context(user.id, row.provider), f"the stored {row.provider} API key"
                )
                for row in rows
            }

    def delete_api_key(self, user: CurrentUser, provider: str) -> bool:
        provider = _provider(provider)
        with self.database.session() as session:
            result = session.execute(delete(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == provider))
        self._forget_model_list(user, provider)
        return result.rowcount > 0

    def provider_key(self, user: CurrentUser, provider: str) -> str | None:
        """The key the planner would use for `provider` (gemini, anthropic, openai or an alias): the user's,
        else the server's, else None. Plaintext: never show or log it."""
        name = _planner_provider(provider)
        users = {
            PROVIDER_ALIASES.get(stored): key for stored, key in self.decrypted_api_keys(user).items() if key.strip()
        }
        return users.get(name) or self.planner.settings.fallback_keys.get(name) or None

    def list_models(self, user: CurrentUser, provider: str) -> ModelList | None:
        """The models of `provider` that can plan, as the provider lists them for the user's key (else the
        server's), cached a few minutes; the configured model alone, with a note, when listing fails; None
        without any key."""
        name = _planner_provider(provider)
        key = self.provider_key(user, name)
        return self._model_lists.get(user.id, name, key, self.planner.settings) if key else None

    def test_api_key(self, user: CurrentUser, provider: str) -> KeyCheckResult | None:
        """One minimal real request with the key `provider` would use (see `provider_key`), on its configured
        model: what works and what does not, in one line. None without any key."""
        name = _planner_provider(provider)
        key = self.provider_key(user, name)
        return check_key(name, key, self.planner.settings) if key else None

    def github_settings(self, user: CurrentUser) -> GitHubSettings:
        """Where the user's builds on GitHub Actions run: their token, repository and API URL, each falling
        back on the server's configuration (VAIST_GITHUB_TOKEN, VAIST_GITHUB_REPOSITORY, VAIST_GITHUB_API_URL).
        The token is plaintext: never show or log it."""
        with self.database.reading() as session:
            self._user_row(session, user)
            return user_github_settings(session, self.keyring, user.id)

    def set_github_settings(
        self,
        user: CurrentUser,
        repository: str | None = None,
        *,
        token: str | None = None,
        api_url: str | None = None,
    ) -> GitHubSettingsView:
        """Save the user's builder repository (OWNER/REPO), token (encrypted, as their "github" key) and API URL
        (GitHub Enterprise: https://HOST/api/v3). None leaves a setting as it is; '' forgets the user's own
        (the server's applies again). Each is checked before anything is saved."""
        from vaist_lab.build.github import REPOSITORY_PATTERN

        changes: dict[str, str | None] = {}
        if repository is not None:
            repository = repository.strip()
            if repository and not REPOSITORY_PATTERN.match(repository):
                raise InvalidInput(f"{repository!r} is not a GitHub repository: write OWNER/REPO")
            changes["github_repository"] = repository or None
        if api_url is not None:
            api_url = api_url.strip().rstrip("/")
            if api_url and (not api_url.startswith(("https://", "http://")) or len(api_url) > MAX_API_URL_CHARS):
                raise InvalidInput(
                    f"{api_url[:80]!r} is not the address of GitHub's API: https://api.github.com, or "
                    "https://HOST/api/v3 for GitHub Enterprise"
                )
            changes["github_api_url"] = api_url or None
        key = _checked_key(token, "a GitHub token") if token else None
        with self.database.session() as session:
            row = self._user_row(session, user, lock=True)
            for name, value in changes.items():
                setattr(row, name, value)
            if key is not None:
                self._store_key(session, user, GITHUB_TOKEN_PROVIDER, key)
            elif token is not None:  # '': forget the user's token
                session.execute(
                    delete(ApiKey).where(ApiKey.user_id == user.id, ApiKey.provider == GITHUB_TOKEN_PROVIDER)
                )
        return self.github_settings_view(user)

    def github_settings_view(self, user: CurrentUser) -> GitHubSettingsView:
        """The user's GitHub settings as the settings page shows them (no token: its hint)."""
        from vaist_lab.build.github import PLATFORMS, GitHubSettings

        server = GitHubSettings.from_environment()
        with self.database.reading() as session:
            row = self._user_row(session, user)
            hint = session.scalar(
                select(ApiKey.hint).where(ApiKey.user_id == user.id, ApiKey.provider == GITHUB_TOKEN_PROVIDER)
            )
            settings = user_github_settings(session, self.keyring, user.id, server)
            own = bool(row.github_repository)
        return GitHubSettingsView(
            repository=settings.repository,
            api_url=settings.api_url,
            token_hint=hint,
            server_token=bool(server.token),
            own_repository=own,
            platforms=PLATFORMS,
            problem="; ".join(settings.problems()),
        )

    def set_up_github(self, user: CurrentUser) -> list[str]:
        """Make the user's repository a builder repository, as `vaist-lab remote init` does: create it (private)
        when it does not exist, commit this installation's source and workflow. What was done, a line each;
        RemoteBuildError says what went wrong."""
        from vaist_lab.build.github import PLATFORMS, GitHubBuilder, RemoteBuildError

        builder = self.remote_builder_factory(self.github_settings(user), PLATFORMS)
        if not isinstance(builder, GitHubBuilder):
            raise RemoteBuildError(f"this server builds remotely with {type(builder).__name__}: nothing to set up")
        done: list[str] = []
        builder.set_up_repository(done.append)
        return done

    def check_github(self, user: CurrentUser) -> list[str]:
        """Ask GitHub whether a build can start with the user's settings: token, its permissions, the repository
        and its workflow. The problems, one line each (empty when ready)."""
        from vaist_lab.build.github import PLATFORMS

        return self.remote_builder_factory(self.github_settings(user), PLATFORMS).check()

    def _forget_model_list(self, user: CurrentUser, provider: str) -> None:
        name = PROVIDER_ALIASES.get(provider)
        if name is not None:
            self._model_lists.forget(user.id, name)

    def rotate_secrets(self) -> RotationReport:
        """Re-encrypt every stored API key with the current secret. In single-user mode a new secret is
        generated first (the old one is kept in the file until every key is re-encrypted); a server rotates
        by setting VAIST_SECRET_KEY to the new secret and VAIST_SECRET_KEY_PREVIOUS to the old one, then
        calling this. If any key cannot be decrypted, nothing is changed."""
        origin = self.keyring.origin
        with self.database.session() as session:
            rows = list(session.scalars(select(ApiKey).order_by(ApiKey.id).with_for_update()))
            plaintexts = [
                self.keyring.decrypt(
                    row.ciphertext, _api_key_context(row.user_id, row.provider), f"the {row.provider} API key"
                )
                for row in rows
            ]
            keyring = self.keyring
            if origin is not None:
                new_secret = generate_secret()
                old_secrets = [line.strip() for line in origin.read_text(encoding="utf-8").splitlines() if line.strip()]
                write_secret_file(origin, [new_secret, *old_secrets])  # a crash from here on loses nothing
                keyring = self.keyring.rotated(new_secret, old_secrets)
            for row, plaintext in zip(rows, plaintexts, strict=True):
                row.ciphertext = keyring.encrypt(plaintext, _api_key_context(row.user_id, row.provider))
                row.key_id = keyring.current_id
        if origin is not None:
            write_secret_file(origin, [new_secret])
            keyring = Keyring(new_secret, origin=origin)
            self.keyring = keyring
            if isinstance(self.storage, LocalArtifactStorage):  # its links are signed with the secret too
                self.storage = LocalArtifactStorage(self.storage.root, keyring.signing_key)
                self.runner.storage = self.storage
        return RotationReport(keyring.current_id, len(rows), origin)

    # -- projects ---------------------------------------------------------------------------------------

    def create_project(
        self,
        user: CurrentUser,
        name: str,
        *,
        prompt: str = "",
        description: str = "",
        template: str | None = None,
    ) -> ProjectView:
        """A new project: DRAFT, or PLANNING with the template's plan as its first plan version."""
        name = self._name(name)
        _check_size("the prompt", prompt, self.settings.max_prompt_chars)
        _check_size("the description", description, self.settings.max_description_chars)
        now = self.clock()
        with self.database.session() as session:
            self._user_row(session, user)
            project = Project(
                id=uuid.uuid4(),
                user_id=user.id,
                name=name,
                description=description,
                prompt=prompt,
                status=DRAFT,
                artifacts={},
                created_at=now,
                updated_at=now,
            )
            project.plugin_code = _new_plugin_code(session, project.id)
            session.add(project)
            if template is not None:
                row = session.get(Template, template)
                if row is None:
                    raise NotFound(f"no template {template!r} (templates: {', '.join(template_names())})")
                session.execute(
                    update(Template).where(Template.name == template).values(usage_count=Template.usage_count + 1)
                )
                _add_plan_version(session, project, parse_plan(row.plan).to_json_dict(), "template", now)
                check_transition(project.status, PLANNING, "start planning")
                project.status = PLANNING
            session.flush()
            return _project_view(project)

    def rename_project(self, user: CurrentUser, project_id: uuid.UUID | str, name: str) -> ProjectView:
        name = self._name(name)
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            project.name = name
            project.updated_at = self.clock()
            return _project_view(project)

    def duplicate_project(self, user: CurrentUser, project_id: uuid.UUID | str, name: str | None = None) -> ProjectView:
        """A copy with its own id and plugin code, the same conversation and plan history, not approved and
        not built (PLANNING, or DRAFT if it has no plan)."""
        now = self.clock()
        with self.database.session() as session:
            source = self._owned(session, user, project_id)
            copy_name = self._name(
                name if name is not None else f"{source.name} (copy)"[: self.settings.max_name_chars]
            )
            project = Project(
                id=uuid.uuid4(),
                user_id=user.id,
                name=copy_name,
                description=source.description,
                prompt=source.prompt,
                category=source.category,
                plugin_name=source.plugin_name,
                status=PLANNING if source.current_plan is not None else DRAFT,
                current_plan=copy.deepcopy(source.current_plan),
                plan_version=source.plan_version,
                artifacts={},
                created_at=now,
                updated_at=now,
            )
            project.plugin_code = _new_plugin_code(session, project.id)
            session.add(project)
            versions = {}
            for version in source.plan_versions:
                versions[version.id] = PlanVersion(
                    version=version.version, source=version.source, plan=version.plan, created_at=version.created_at
                )
                project.plan_versions.append(versions[version.id])
            for message in source.messages:
                project.messages.append(
                    ChatMessage(
                        role=message.role,
                        content=message.content,
                        plan_version=versions.get(message.plan_version_id) if message.plan_version_id else None,
                        created_at=message.created_at,
                    )
                )
            session.flush()
            return _project_view(project)

    def delete_project(self, user: CurrentUser, project_id: uuid.UUID | str) -> None:
        """Gone for the user at once (a running build is cancelled); `cleanup` removes its rows later. Its
        artifacts are removed now (or by cleanup, if that fails)."""
        now = self.clock()
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            project.deleted_at = now
            project.updated_at = now
            keys = [key for info in project.artifacts.values() for key in artifact_keys(info)]
            project.artifacts = {}
            if project.status is BUILDING:
                project.cancel_requested = True
            build_id = project.build_id
        if build_id is not None and (event := running_cancel_event(build_id)) is not None:
            event.set()
        for key in keys:
            try:
                self.storage.delete(key)
            except (OSError, StoreError):
                logger.warning("could not remove artifact %s now; cleanup will", key)

    def list_projects(self, user: CurrentUser) -> list[ProjectView]:
        """The user's projects, most recently changed first."""
        with self.database.reading() as session:
            projects = session.scalars(
                select(Project)
                .where(Project.user_id == user.id, Project.deleted_at.is_(None))
                .order_by(Project.updated_at.desc(), Project.id)
            )
            return [_project_view(project) for project in projects]

    def open_project(self, user: CurrentUser, project_id: uuid.UUID | str) -> ProjectDetail:
        """A project with its conversation and plan history."""
        with self.database.reading() as session:
            project = self._owned(session, user, project_id)
            messages = session.scalars(
                select(ChatMessage)
                .where(ChatMessage.project_id == project.id)
                .options(selectinload(ChatMessage.plan_version))
                .order_by(ChatMessage.id)
            )
            return ProjectDetail(
                _project_view(project),
                [_message_view(message) for message in messages],
                [
                    PlanVersionView(version.version, version.source, version.plan, version.created_at)
                    for version in project.plan_versions
                ],
            )

    def find_project(self, user: CurrentUser, reference: str) -> ProjectView:
        """A project by id, by the start of its id (at least 4 characters), or by its exact name."""
        reference = reference.strip()
        with self.database.session() as session:
            candidates = session.execute(
                select(Project.id, Project.name).where(Project.user_id == user.id, Project.deleted_at.is_(None))
            ).all()
            wanted = reference.lower()
            matches = [row for row in candidates if str(row.id) == wanted]
            matches = matches or [row for row in candidates if row.name == reference]
            if not matches and len(wanted) >= 4:
                matches = [row for row in candidates if str(row.id).startswith(wanted)]
            if len(matches) > 1:
                listed = ", ".join(f"{row.id} ({row.name})" for row in matches[:5])
                raise InvalidInput(f"{reference!r} matches {len(matches)} projects: say which by id ({listed})")
            if not matches:
                raise ProjectNotFound(reference)
            return _project_view(self._owned(session, user, matches[0].id))

    # -- planning ---------------------------------------------------------------------------------------

    def reserve_generation(self, user: CurrentUser, project_id: uuid.UUID | str | None = None) -> None:
        """Count one AI generation against the user's limits, before calling the AI; RateLimited (with the
        time to wait) when a limit is reached."""
        now = self.clock()
        with self.database.session() as session:
            row = self._user_row(session, user, lock=True)  # serialises one user's reservations
            project = self._owned(session, user, project_id) if project_id is not None else None
            for label, window, limit in self.settings.generation_limits():
                if limit is None:
                    continue
                recent = list(
                    session.scalars(
                        select(Generation.created_at)
                        .where(Generation.user_id == user.id, Generation.created_at > now - window)
                        .order_by(Generation.created_at)
                    )
                )
                if len(recent) >= limit:
                    retry_after = recent[len(recent) - limit] + window - now
                    raise RateLimited(
                        f"generation limit reached ({limit} per {label}): try again in {_describe_wait(retry_after)}",
                        retry_after,
                    )
            session.add(Generation(user_id=user.id, project_id=project.id if project else None, created_at=now))
            row.generation_count += 1
            row.last_generation_at = now

    def record_turn(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        message: str,
        reply: str,
        plan: PlanInput | None = None,
    ) -> ProjectView:
        """A chat turn: the user's message, the assistant's reply and the plan it proposed (validated; a
        snapshot is kept in the plan history). The project goes (back) to PLANNING."""
        if not message.strip():
            raise InvalidInput("the message is empty")
        _check_size("the message", message, self.settings.max_prompt_chars)
        _check_size("the reply", reply, self.settings.max_reply_chars)
        plan_json = _validated(plan) if plan is not None else None
        now = self.clock()
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            check_transition(project.status, PLANNING, "record a plan turn")
            session.add(ChatMessage(project_id=project.id, role="user", content=message, created_at=now))
            version = _add_plan_version(session, project, plan_json, "turn", now) if plan_json else None
            session.add(
                ChatMessage(
                    project_id=project.id, role="assistant", content=reply, plan_version=version, created_at=now
                )
            )
            project.status = PLANNING
            project.prompt = project.prompt or message
            project.updated_at = now
            return _project_view(project)

    def edit_parameters(
        self, user: CurrentUser, project_id: uuid.UUID | str, changes: Mapping[str, Mapping[str, Any]]
    ) -> ProjectView:
        """Change parameters' min, max, default or displayName, e.g. {"feedback": {"default": 60}}: a new
        plan version, validated as a whole (a default above its max is refused with the field named)."""
        if not changes:
            raise InvalidInput("no parameter changes given")
        now = self.clock()
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            check_transition(project.status, PLANNING, "edit parameters")
            if project.current_plan is None:
                raise InvalidTransition(
                    f"cannot edit parameters: the project is {project.status.value} with no plan yet"
                )
            edited = copy.deepcopy(project.current_plan)
            parameters = {parameter["name"]: parameter for parameter in edited["parameters"]}
            for name, fields in changes.items():
                if name not in parameters:
                    raise InvalidInput(f"no parameter {name!r} (parameters: {', '.join(parameters)})")
                for field, value in fields.items():
                    if field not in EDITABLE_PARAMETER_FIELDS:
                        editable = ", ".join(EDITABLE_PARAMETER_FIELDS)
                        raise InvalidInput(f"parameter field {field!r} cannot be edited (editable: {editable})")
                    parameters[name][field] = value
            plan_json = parse_plan(edited, "edited plan").to_json_dict()
            if plan_json != project.current_plan:
                _add_plan_version(session, project, plan_json, "edit", now)
                project.status = PLANNING
                project.updated_at = now
            return _project_view(project)

    def approve(self, user: CurrentUser, project_id: uuid.UUID | str) -> ProjectView:
        """Approve the current plan: it is what the next build builds."""
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            check_transition(project.status, APPROVED, "approve the plan")
            if project.current_plan is None:
                raise InvalidTransition(
                    f"cannot approve the plan: the project is {project.status.value} with no plan yet"
                )
            project.approved_plan = project.current_plan
            project.approved_version = project.plan_version
            project.status = APPROVED
            project.updated_at = self.clock()
            return _project_view(project)

    def propose_plan(self, user: CurrentUser, prompt: str, *, model: str | None = None) -> PlanResult:
        """A first plan from words, outside any project: the user's model and keys (else the server's, else
        the offline planner); an AI turn counts against the user's generation limits."""
        keys = self.decrypted_api_keys(user)
        chosen = model or self.preferred_model(user)
        if resolve_backend(chosen, keys, self.planner.settings).provider is not None:
            self.reserve_generation(user)
        return self.planner.turn(prompt, model=chosen, api_keys=keys)

    def chat(
        self, user: CurrentUser, project_id: uuid.UUID | str, message: str, *, model: str | None = None
    ) -> tuple[ProjectView, PlanResult]:
        """One negotiation turn on a project: the planner revises the current plan (or makes the first) from
        the message and the chat so far; the turn is stored with its plan snapshot. A failed turn is stored
        too (the user sees why) but leaves the plan as it was."""
        detail = self.open_project(user, project_id)
        keys = self.decrypted_api_keys(user)
        chosen = model or self.preferred_model(user)
        if resolve_backend(chosen, keys, self.planner.settings).provider is not None:
            self.reserve_generation(user, detail.project.id)
        history = [Turn(item.role, item.content, item.plan_json) for item in detail.messages]
        result = self.planner.turn(message, current=detail.project.plan, history=history, model=chosen, api_keys=keys)
        view = self.record_turn(user, detail.project.id, message, result.reply, result.plan if result.ok else None)
        return view, result

    def revert_plan(self, user: CurrentUser, project_id: uuid.UUID | str, version: int) -> ProjectView:
        """Make an earlier plan version current again, as a new turn (the history keeps everything)."""
        detail = self.open_project(user, project_id)
        earlier = next((item for item in detail.plan_history if item.version == version), None)
        if earlier is None:
            known = ", ".join(str(item.version) for item in detail.plan_history) or "none"
            raise NotFound(f"project {detail.project.name!r} has no plan version {version} (versions: {known})")
        return self.record_turn(
            user, detail.project.id, f"/revert {version}", f"Back to plan version {version}.", earlier.plan_json
        )

    @property
    def planner(self) -> Planner:
        """The AI planner, configured from the environment on first use."""
        if self._planner is None:
            self._planner = Planner()
        return self._planner

    # -- builds -----------------------------------------------------------------------------------------

    def start_build(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        *,
        remote: str | None = None,
        platforms: Sequence[str] | None = None,
    ) -> BuildHandle:
        """Build the approved plan in the background (APPROVED -> BUILDING): on this machine, or with
        remote="github" on GitHub Actions for `platforms` (default: linux, macos and windows)."""
        return self._start(user, project_id, "start a build", APPROVED, remote, platforms)

    def retry_build(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        *,
        remote: str | None = None,
        platforms: Sequence[str] | None = None,
    ) -> BuildHandle:
        """Build a FAILED project's approved plan again."""
        return self._start(user, project_id, "retry the build", FAILED, remote, platforms)

    def rebuild(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        *,
        remote: str | None = None,
        platforms: Sequence[str] | None = None,
    ) -> BuildHandle:
        """Build a SUCCESS project's approved plan again (SUCCESS -> BUILDING); its plugins stay downloadable
        until new ones replace them (a build for some platforms keeps the others')."""
        return self._start(user, project_id, "rebuild", SUCCESS, remote, platforms)

    def _start(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        action: str,
        expected: ProjectStatus,
        remote: str | None,
        platforms: Sequence[str] | None,
    ) -> BuildHandle:
        chosen = _build_platforms(remote, platforms)
        self._check_startable(user, project_id, action, expected)
        if remote is None:
            builder = self.builder_factory()
        else:
            builder = self.remote_builder_factory(self.github_settings(user), chosen)
        problems = builder.check()
        if problems:
            raise BuilderUnavailable(f"cannot {action}: " + "; ".join(problems))
        local = host_platform()
        now = self.clock()
        build_id = uuid.uuid4()
        cancel = register_running(build_id)  # before the commit: recovery must never see it without a runner
        try:
            with self.database.session() as session:
                project = self._owned(session, user, project_id, lock=True)
                self._check_status(project, action, expected)
                project.status = BUILDING
                project.build_id = build_id
                project.build_attempts += 1
                project.build_worker = this_worker()
                project.build_started_at = now
                project.build_heartbeat_at = now
                project.build_finished_at = None
                project.build_progress_done = project.build_progress_total = None
                project.cancel_requested = False
                project.last_error = None
                project.updated_at = now
                for platform in chosen or (local,):
                    session.add(
                        PlatformBuild(
                            project_id=project.id,
                            build_id=build_id,
                            platform=platform,
                            remote=remote,
                            status=PlatformBuildStatus.BUILDING,
                            message="",
                            step="",
                            started_at=now,
                        )
                    )
                taken = session.scalars(select(Project.plugin_code).where(Project.id != project.id))
                job = BuildJob(
                    project.id,
                    build_id,
                    project.approved_plan or {},
                    project.plugin_code,
                    frozenset(taken),
                    REMOTE_LOG_PLATFORM if remote else local,
                    remote,
                    chosen,
                )
        except BaseException:
            unregister_running(build_id)
            raise
        try:
            future = self.executor.submit(job, lambda: self.runner.run(job, builder, cancel))
        except BaseException:  # no runner will ever record an outcome: say so now
            unregister_running(build_id)
            with self.database.session() as session:
                fail_build(
                    session, self._owned(session, user, job.project_id, lock=True), "the build could not start", now
                )
            raise
        handle = BuildHandle(job.project_id, build_id, future)
        self._builds[job.project_id] = handle
        return handle

    def _check_startable(
        self, user: CurrentUser, project_id: uuid.UUID | str, action: str, expected: ProjectStatus
    ) -> None:
        with self.database.session() as session:
            self._check_status(self._owned(session, user, project_id), action, expected)

    @staticmethod
    def _check_status(project: Project, action: str, expected: ProjectStatus) -> None:
        if project.status is not expected:  # APPROVED starts, FAILED retries, SUCCESS rebuilds
            check_transition(project.status, BUILDING, action)
            raise InvalidTransition(f"cannot {action}: the project is {project.status.value}")
        if project.approved_plan is None:
            raise InvalidTransition(f"cannot {action}: the project has no approved plan")

    def cancel_build(self, user: CurrentUser, project_id: uuid.UUID | str) -> ProjectView:
        """Ask the running build to stop (it ends FAILED, "cancelled"); works from any process. A build
        whose runner is gone is failed at once."""
        now = self.clock()
        with self.database.session() as session:
            project = self._owned(session, user, project_id, lock=True)
            if project.status is not BUILDING:
                raise InvalidTransition(f"cannot cancel the build: the project is {project.status.value}, not building")
            reason = orphan_reason(project, now, self.settings.stale_build_after)
            if reason is not None:
                fail_build(session, project, reason, now)
            else:
                project.cancel_requested = True
            build_id = project.build_id
            view = _project_view(project)
        if build_id is not None and (event := running_cancel_event(build_id)) is not None:
            event.set()
        return view

    def wait_for_build(
        self, user: CurrentUser, project_id: uuid.UUID | str, timeout: float | None = None, poll: float = 0.5
    ) -> ProjectView:
        """The project once its build has ended (or when `timeout` runs out: then possibly still BUILDING).
        Follows a build started by another process too."""
        deadline = None if timeout is None else time.monotonic() + timeout
        handle = self._builds.get(self.project(user, project_id).id)
        if handle is not None:
            with suppress(TimeoutError):
                handle.wait(timeout)
        while True:
            view = self.project(user, project_id)
            if view.status is not BUILDING or (deadline is not None and time.monotonic() >= deadline):
                return view
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))

    def get_logs(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        *,
        build_id: uuid.UUID | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[LogLine]:
        """Log lines of a build (default: the latest), oldest first; `after_id` (the last id seen) follows a
        running build."""
        with self.database.reading() as session:
            project = self._owned(session, user, project_id)
            return self._log_lines(session, project, build_id or project.build_id, after_id, limit)

    @staticmethod
    def _log_lines(
        session: Session, project: Project, build_id: uuid.UUID | None, after_id: int, limit: int
    ) -> list[LogLine]:
        if build_id is None:
            return []
        rows = session.scalars(
            select(BuildLog)
            .where(BuildLog.project_id == project.id, BuildLog.build_id == build_id, BuildLog.id > after_id)
            .order_by(BuildLog.id)
            .limit(limit)
        )
        return [_log_line(row) for row in rows]

    def follow_logs(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        after_id: int = 0,
        *,
        wait: float = 0.0,
        limit: int = 1000,
    ) -> list[LogLine]:
        """The latest build's log lines after `after_id` (the last id seen), oldest first; when there are none
        yet and the build is running, a long poll: waits up to `wait` seconds (at most MAX_FOLLOW_WAIT) for
        lines to be written. Lines written in this process wake it at once; another process's (a detached
        build worker's) are looked for every `settings.log_poll_interval` seconds. Returns at once, empty,
        when no build is running: no line will come. A build whose runner is gone (a killed worker process) is
        failed here, so that its followers see it end instead of waiting for the next recovery."""
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_FOLLOW_WAIT)
        while True:
            seen = log_written.generation()
            with self.database.reading() as session:
                project = self._owned(session, user, project_id)
                running = project.status is BUILDING  # read first: once it is over, its last line is there
                lines = self._log_lines(session, project, project.build_id, after_id, limit)
            orphaned = running and not lines and orphan_reason(project, self.clock(), self.settings.stale_build_after)
            if orphaned and self._fail_if_orphaned(project.id):  # checked again as it is written
                continue
            remaining = deadline - time.monotonic()
            if lines or not running or remaining <= 0:
                return lines
            log_written.wait(seen, min(remaining, self.settings.log_poll_interval))

    def _fail_if_orphaned(self, project_id: uuid.UUID) -> bool:
        """Fail the project's build if its runner is gone (see builds.orphan_reason); whether it did."""
        now = self.clock()
        with self.database.session() as session:
            project = session.get(Project, project_id, with_for_update=True)
            if project is None or project.status is not BUILDING:
                return False
            reason = orphan_reason(project, now, self.settings.stale_build_after)
            if reason is None:
                return False
            fail_build(session, project, reason, now)
        log_written.notify()
        return True

    def platform_builds(self, user: CurrentUser, project_id: uuid.UUID | str) -> list[PlatformBuildView]:
        """The latest build of the project on each platform it was built for: this machine's first, then
        linux, macos and windows on GitHub Actions."""
        with self.database.reading() as session:
            project = self._owned(session, user, project_id)
            latest = (
                select(func.max(PlatformBuild.id))
                .where(PlatformBuild.project_id == project.id)
                .group_by(PlatformBuild.platform)
            )
            rows = session.scalars(select(PlatformBuild).where(PlatformBuild.id.in_(latest)))
            views = [_platform_build_view(row, project.artifacts.get(row.platform)) for row in rows]
        return sorted(views, key=lambda view: (view.remote is not None, view.platform))

    def build_report(
        self, user: CurrentUser, project_id: uuid.UUID | str, platform: str | None = None
    ) -> BuildReport | None:
        """How the latest plugin built for `platform` (as in download_link) fared in verification, with the
        picture of its window; None before the project's first successful build."""
        with self.database.reading() as session:
            project = self._owned(session, user, project_id)
            if not project.artifacts:
                return None
            platform, info = _artifact(session, project, platform)
        picture = None
        if info.get("editor_png"):
            try:  # through a signed link, as a download goes
                key = info["editor_png"]
                link = self.storage.download_link(key, Path(key).name, self.clock() + self.settings.link_lifetime)
                picture = self.verify_download(link.url)
            except (OSError, StoreError):
                logger.warning("the picture %s of project %s is gone", info["editor_png"], project.id)
        return build_report(platform, info, picture)

    def download_link(
        self,
        user: CurrentUser,
        project_id: uuid.UUID | str,
        platform: str | None = None,
        expires_in: timedelta | None = None,
    ) -> DownloadLink:
        """An expiring link to the built plugin (of `platform`; default: the only one, else this machine's)."""
        with self.database.reading() as session:
            _, info = _artifact(session, self._owned(session, user, project_id), platform)
        expires_at = self.clock() + (expires_in or self.settings.link_lifetime)
        return self.storage.download_link(info["key"], info["filename"], expires_at)

    def verify_download(self, url: str) -> bytes:
        """The file behind a download link (its bytes, fetched from the storage), if the link is genuine and
        has not expired."""
        return self.storage.read(self.storage.verify_link(url, self.clock()))

    # -- templates --------------------------------------------------------------------------------------

    def list_templates(self) -> list[TemplateView]:
        """The built-in templates, most used first."""
        with self.database.session() as session:
            rows = session.scalars(select(Template).order_by(Template.usage_count.desc(), Template.name))
            return [
                TemplateView(row.name, row.plugin_name, row.category, row.explanation, row.usage_count) for row in rows
            ]

    def seed_templates(self) -> None:
        """Insert the built-in templates that are missing and refresh changed ones (usage counts stay)."""
        now = self.clock()
        with self.database.session() as session:
            if not self.database.is_sqlite:  # two processes starting at once would insert the same rows
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
            existing = {row.name: row for row in session.scalars(select(Template))}
            for name in template_names():
                plan = load_template(name)
                fields = {
                    "plugin_name": plan.plugin_name,
                    "category": plan.category.value,
                    "explanation": plan.explanation,
                    "plan": plan.to_json_dict(),
                }
                row = existing.get(name)
                if row is None:
                    session.add(Template(name=name, usage_count=0, updated_at=now, **fields))
                elif any(getattr(row, key) != value for key, value in fields.items()):
                    for key, value in fields.items():
                        setattr(row, key, value)
                    row.updated_at = now

    # -- maintenance ------------------------------------------------------------------------------------

    def recover(self) -> list[RecoveredBuild]:
        """Fail the BUILDING projects whose runner is gone (its process ended, or it went silent)."""
        with self.database.session() as session:
            return recover_builds(session, self.clock(), self.settings.stale_build_after)

    def cleanup(self, older_than: timedelta, dry_run: bool = True) -> CleanupReport:
        """Remove build folders untouched for `older_than`, deleted projects (with their messages, logs
        and artifacts), artifacts that no project refers to (older than `older_than`), and generation
        records past the rate-limit windows. A dry run (the default) only reports what it would remove."""
        return cleanup(self.database, self.storage, self.build_roots, self.clock(), older_than, dry_run)

    # -- helpers ----------------------------------------------------------------------------------------

    def _owned(self, session: Session, user: CurrentUser, project_id: uuid.UUID | str, lock: bool = False) -> Project:
        """The user's (undeleted) project, or ProjectNotFound: the same for a missing and a foreign one."""
        try:
            identifier = project_id if isinstance(project_id, uuid.UUID) else uuid.UUID(str(project_id))
        except ValueError:
            raise ProjectNotFound(project_id) from None
        query = select(Project).where(
            Project.id == identifier, Project.user_id == user.id, Project.deleted_at.is_(None)
        )
        project = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if project is None:
            raise ProjectNotFound(project_id)
        return project

    def project(self, user: CurrentUser, project_id: uuid.UUID | str) -> ProjectView:
        """One of the user's projects (without its conversation: see open_project)."""
        with self.database.reading() as session:
            return _project_view(self._owned(session, user, project_id))

    def _user_row(self, session: Session, user: CurrentUser, lock: bool = False) -> User:
        query = select(User).where(User.id == user.id)
        row = session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise NotFound(f"no user {user.email}")
        return row

    def _name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise InvalidInput("a project needs a name")
        _check_size("the name", name, self.settings.max_name_chars)
        if not name.isprintable():
            raise InvalidInput("a project name is printable characters only")
        return name


def _local_builder() -> Builder:
    from vaist_lab.build.local import LocalBuilder

    return LocalBuilder()


def _artifact(session: Session, project: Project, platform: str | None) -> tuple[str, dict[str, Any]]:
    """The platform and info of a project's artifact for `platform`: by default the only one, else this
    machine's. NotFound, saying why, when there is none."""
    artifacts: dict[str, dict[str, Any]] = dict(project.artifacts)
    if not artifacts and platform is None:
        raise NotFound(f"project {project.name!r} has no built plugin yet")
    if platform is None:
        platform = next(iter(artifacts)) if len(artifacts) == 1 else host_platform()
    info = artifacts.get(platform)
    if info is not None:
        return platform, info
    built = f" (built: {', '.join(sorted(artifacts))})" if artifacts else ""
    latest = session.scalars(
        select(PlatformBuild)
        .where(PlatformBuild.project_id == project.id, PlatformBuild.platform == platform)
        .order_by(PlatformBuild.id.desc())
        .limit(1)
    ).one_or_none()
    if latest is None:
        raise NotFound(f"no build for {platform}{built}")
    if latest.status == PlatformBuildStatus.BUILDING:
        raise NotFound(f"no plugin for {platform} yet: it is building{built}")
    raise NotFound(f"no plugin for {platform}: its build {latest.status} ({latest.message}){built}")


def _platform_build_view(row: PlatformBuild, artifact: Mapping[str, Any] | None) -> PlatformBuildView:
    progress = None
    if row.progress_done is not None and row.progress_total is not None:
        progress = (row.progress_done, row.progress_total)
    earlier = (
        artifact is not None
        and row.status != PlatformBuildStatus.SUCCEEDED
        and artifact.get("build") != str(row.build_id)
    )
    return PlatformBuildView(
        platform=row.platform,
        remote=row.remote,
        build_id=row.build_id,
        status=PlatformBuildStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_s=row.duration_s,
        message=row.message,
        progress=progress,
        step=row.step,
        passed=row.passed,
        worst_db=row.worst_db,
        downloadable=artifact is not None,
        earlier_plugin=earlier,
    )


def _build_platforms(remote: str | None, platforms: Sequence[str] | None) -> tuple[str, ...]:
    """The platforms a build on GitHub is asked for, checked (empty for a build on this machine)."""
    if remote is None:
        if platforms is not None:
            raise InvalidInput("platforms are chosen for a build on GitHub Actions only (remote='github')")
        return ()
    if remote != GITHUB:
        raise InvalidInput(f"{remote!r} is not a remote builder: the one there is is {GITHUB!r} (GitHub Actions)")
    from vaist_lab.build.github import PLATFORMS

    chosen = tuple(dict.fromkeys(name.strip().lower() for name in (PLATFORMS if platforms is None else platforms)))
    unknown = [name for name in chosen if name not in PLATFORMS]
    if unknown or not chosen:
        given = ", ".join(repr(name) for name in unknown) or "none"
        raise InvalidInput(f"platforms to build on: {given} given; choose from {', '.join(PLATFORMS)}")
    return chosen


def user_github_settings(
    session: Session, keyring: Keyring, user_id: uuid.UUID, server: GitHubSettings | None = None
) -> GitHubSettings:
    """A user's GitHub settings, each falling back on the server's (`server`, by default its environment): the
    token stored encrypted as their "github" key, the repository and API URL of their settings. For the Lab,
    and for a build worker making the builder of the user's build."""
    from vaist_lab.build.github import GitHubSettings

    server = server or GitHubSettings.from_environment()
    user = session.get(User, user_id)
    row = session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.provider == GITHUB_TOKEN_PROVIDER)
    ).one_or_none()
    token = None
    if row is not None:
        context = _api_key_context(user_id, GITHUB_TOKEN_PROVIDER)
        token = keyring.decrypt(row.ciphertext, context, "the stored GitHub token")
    return GitHubSettings(
        token=token or server.token,
        repository=(user.github_repository if user else None) or server.repository,
        api_url=(user.github_api_url if user else None) or server.api_url,
    )


def _checked_key(key: str, what: str = "an API key") -> str:
    """A key or token as it is stored: stripped, one word; the messages describe it, never quote it."""
    key = key.strip()
    if not 8 <= len(key) <= MAX_API_KEY_CHARS:
        raise InvalidInput(f"{what} is 8 to {MAX_API_KEY_CHARS} characters long; this one is {len(key)}")
    if not key.isprintable() or any(char.isspace() for char in key):
        raise InvalidInput(f"{what} is one word of printable characters; this one has spaces or controls")
    return key


def _check_size(what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise TooLarge(what, len(value), limit)


def _provider(provider: str) -> str:
    provider = provider.strip().lower()
    if not PROVIDER_PATTERN.match(provider):
        raise InvalidInput(f"{provider!r} is not a provider name (lowercase letters, digits, - and _)")
    return provider


def _planner_provider(provider: str) -> ProviderName:
    name = PROVIDER_ALIASES.get(provider.strip().lower())
    if name is None:
        raise InvalidInput(f"{provider!r} is not a provider: use gemini, claude (anthropic) or openai")
    return name


def _api_key_context(user_id: uuid.UUID, provider: str) -> str:
    """The associated data of an API key's ciphertext: it opens for this user and provider only."""
    return f"vaist-lab api key\0user={user_id}\0provider={provider}"


def _validated(plan: PlanInput) -> dict[str, Any]:
    """The plan as normalised JSON, validated even when given as a Plan (it could have been constructed
    without validation)."""
    data = plan.to_json_dict() if isinstance(plan, Plan) else plan
    return parse_plan(data if isinstance(data, str | bytes) else dict(data)).to_json_dict()


def _new_plugin_code(session: Session, project_id: uuid.UUID) -> str:
    taken = set(session.scalars(select(Project.plugin_code)))
    return plugin_code(str(project_id), taken)


def _add_plan_version(
    session: Session, project: Project, plan_json: dict[str, Any], source: str, now: datetime
) -> PlanVersion:
    project.plan_version += 1
    version = PlanVersion(
        project_id=project.id, version=project.plan_version, source=source, plan=plan_json, created_at=now
    )
    session.add(version)
    project.current_plan = plan_json
    project.category = plan_json["category"]
    project.plugin_name = plan_json["pluginName"]
    return version


def _describe_wait(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def _project_view(project: Project) -> ProjectView:
    progress = None
    if project.build_progress_done is not None and project.build_progress_total is not None:
        progress = (project.build_progress_done, project.build_progress_total)
    return ProjectView(
        id=project.id,
        name=project.name,
        description=project.description,
        prompt=project.prompt,
        status=project.status,
        category=project.category,
        plugin_name=project.plugin_name,
        plugin_code=project.plugin_code,
        plan_version=project.plan_version,
        plan_json=project.current_plan,
        approved_plan_json=project.approved_plan,
        approved_version=project.approved_version,
        build_attempts=project.build_attempts,
        last_error=project.last_error,
        build_progress=progress,
        artifacts={
            platform: ArtifactView(
                platform, info["filename"], info["size"], info["sha256"], datetime.fromisoformat(info["built_at"])
            )
            for platform, info in project.artifacts.items()
        },
        created_at=project.created_at,
        updated_at=project.updated_at,
        build_started_at=project.build_started_at,
        build_finished_at=project.build_finished_at,
    )


def _message_view(message: ChatMessage) -> MessageView:
    version = message.plan_version
    return MessageView(
        id=message.id,
        role=message.role,
        content=message.content,
        plan_version=version.version if version else None,
        plan_json=version.plan if version else None,
        created_at=message.created_at,
    )


def _log_line(row: BuildLog) -> LogLine:
    return LogLine(
        id=row.id,
        build_id=row.build_id,
        level=row.level,
        source=row.source,
        platform=row.platform,
        message=row.message,
        file=row.file,
        line=row.line,
        column=row.column,
        created_at=row.created_at,
    )


__all__ = ["GITHUB_TOKEN_PROVIDER", "LOCAL_USER_EMAIL", "Lab", "user_github_settings"]
