"""Settings: which model plans (offline, or one of the models Gemini, Claude and OpenAI list for the user's
keys) and the user's API keys, each with a Test button (one minimal real request, its verdict in one line);
and where builds on GitHub Actions run: the builder repository, the GitHub token and (GitHub Enterprise) the
API's address, with a Test button asking GitHub whether a build can start. A key or token goes in once and
never comes back: only its masked hint is shown."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from vaist_lab.service.api import GITHUB, PROVIDER_TITLES, GitHubSettingsView, KeyCheck, ModelChoice, RemoteCheck
from vaist_lab.service.views import ApiKeyInfo
from vaist_lab.ui.markup import escape
from vaist_lab.ui.state import ProjectState

AUTO = "auto"


class SettingsPanel(widgets.VBox):
    def __init__(self, state: ProjectState) -> None:
        self.state = state
        self.model = widgets.Dropdown(
            description="Planner", style={"description_width": "70px"}, layout=widgets.Layout(width="420px")
        )
        self.model.add_class("vaist-model")
        self.model_note = widgets.HTML()
        self.provider = widgets.Dropdown(
            options=[(title, name) for name, title in PROVIDER_TITLES.items() if name != "offline"],
            description="Provider",
            style={"description_width": "70px"},
            layout=widgets.Layout(width="240px"),
        )
        self.provider.add_class("vaist-key-provider")
        self.key = widgets.Password(placeholder="paste your API key", layout=widgets.Layout(width="320px"))
        self.key.add_class("vaist-key-input")
        self.save = _button("Save key", "key", "vaist-key-save", self._save_key, "110px", button_style="primary")
        self.key_list = widgets.VBox()
        self.key_list.add_class("vaist-keys")
        self.message = widgets.HTML()
        self.github = GitHubSection(state)
        super().__init__(
            [
                widgets.HTML("<h3>Planner</h3>"),
                widgets.HBox([self.model, self.model_note], layout=widgets.Layout(align_items="center")),
                widgets.HTML(
                    "<h3>API keys</h3><div class='vaist-muted'>Stored encrypted. Once saved, a key is "
                    "never shown again: only its first and last characters.</div>"
                ),
                widgets.HBox([self.provider, self.key, self.save], layout=widgets.Layout(align_items="center")),
                self.message,
                self.key_list,
                self.github,
            ]
        )
        self.add_class("vaist-settings")
        self._loading = False
        self.model.observe(self._choose_model, "value")

    def refresh(self) -> None:
        self.state.run(
            lambda: (self.state.api.models(), self.state.api.preferred_model(), self.state.api.api_keys()),
            self._show,
            quiet=True,
        )
        self.github.refresh()

    def _show(self, loaded: tuple[list[ModelChoice], str | None, list[ApiKeyInfo]]) -> None:
        choices, preferred, keys = loaded
        self._loading = True
        try:
            options = [("Automatic (your key, else offline)", AUTO)] + [
                (choice.title + ("" if choice.has_key else " — no key"), choice.value) for choice in choices
            ]
            self.model.options = options
            values = [value for _, value in options]
            self.model.value = preferred if preferred in values else AUTO
        finally:
            self._loading = False
        notes = dict.fromkeys(choice.note for choice in choices if choice.note)
        self.model_note.value = "".join(
            f"<div class='vaist-muted vaist-model-list-note'>{escape(note)}</div>" for note in notes
        )
        self._show_keys(keys)

    def _show_keys(self, keys: list[ApiKeyInfo]) -> None:
        rows: list[widgets.Widget] = []
        for info in keys:
            if info.provider == GITHUB:  # the GitHub token has its own section
                continue
            test = _button(
                "Test", "plug", "vaist-key-test", lambda provider=info.provider: self._test(provider), "90px"
            )
            remove = _button(
                "Remove", "trash", "vaist-key-remove", lambda provider=info.provider: self._remove(provider), "100px"
            )
            hint = widgets.HTML(
                f"<span class='vaist-key-hint'><b>{escape(PROVIDER_TITLES.get(info.provider, info.provider))}</b> "
                f"<code>{escape(info.hint)}</code> <span class='vaist-muted'>saved "
                f"{info.updated_at:%Y-%m-%d %H:%M}</span></span>"
            )
            rows.append(widgets.HBox([hint, remove, test], layout=widgets.Layout(align_items="center")))
        self.key_list.children = rows or [
            widgets.HTML("<div class='vaist-muted'>No keys saved: the offline planner answers.</div>")
        ]

    def _choose_model(self, change: object) -> None:
        if self._loading or self.model.value is None:
            return
        chosen = None if self.model.value == AUTO else self.model.value
        self.state.run(
            lambda: self.state.api.set_preferred_model(chosen),
            lambda _: setattr(self.model_note, "value", "<span class='vaist-ok'>saved</span>"),
        )

    def _save_key(self) -> None:
        key, provider = self.key.value, self.provider.value
        self.key.value = ""  # never kept in the page, whatever happens next
        if not key.strip():
            self.message.value = "<div class='vaist-error'>Paste a key first.</div>"
            return

        def saved(info: ApiKeyInfo) -> None:
            self.message.value = (
                f"<div class='vaist-ok'>Saved your {escape(PROVIDER_TITLES[provider])} key "
                f"<code>{escape(info.hint)}</code>.</div>"
            )
            self.refresh()

        self.state.run(
            lambda: self.state.api.set_api_key(provider, key),
            saved,
            failed=lambda error: setattr(self.message, "value", f"<div class='vaist-error'>{escape(str(error))}</div>"),
        )

    def _test(self, provider: str) -> None:
        title = escape(PROVIDER_TITLES.get(provider, provider))
        self.message.value = f"<div class='vaist-muted'>Testing your {title} key…</div>"

        def tested(check: KeyCheck) -> None:
            style = "vaist-ok" if check.ok else "vaist-error"
            self.message.value = f"<div class='{style} vaist-key-check'>{title}: {escape(check.message)}</div>"

        self.state.run(
            lambda: self.state.api.test_api_key(provider),
            tested,
            failed=lambda error: setattr(self.message, "value", f"<div class='vaist-error'>{escape(str(error))}</div>"),
        )

    def _remove(self, provider: str) -> None:
        self.state.run(lambda: self.state.api.delete_api_key(provider), lambda _: self.refresh())


def _button(
    description: str, icon: str, css_class: str, action: Callable[[], None], width: str, **options: str
) -> widgets.Button:
    button = widgets.Button(description=description, icon=icon, layout=widgets.Layout(width=width), **options)
    button.add_class(css_class)
    button.on_click(lambda _: action())
    return button


def _field(kind: type[widgets.Text], description: str, placeholder: str, css_class: str) -> widgets.Text:
    """One labelled input of the GitHub settings, aligned with the others."""
    field = kind(
        description=description,
        placeholder=placeholder,
        style={"description_width": "90px"},
        layout=widgets.Layout(width="360px"),
    )
    field.add_class(css_class)
    return field


class GitHubSection(widgets.VBox):
    """Where builds on GitHub Actions run: the user's own builder repository, token and API address, each
    falling back on the server's."""

    def __init__(self, state: ProjectState) -> None:
        self.state = state
        self.repository = _field(widgets.Text, "Repository", "OWNER/REPO", "vaist-github-repository")
        self.token = _field(widgets.Password, "Token", "paste a GitHub token", "vaist-github-token")
        self.api_url = _field(widgets.Text, "API address", "https://api.github.com", "vaist-github-api-url")
        self.save = _button("Save", "save", "vaist-github-save", self._save, "90px", button_style="primary")
        self.test = _button("Test", "plug", "vaist-github-test", self._test, "90px")
        self.set_up = _button(
            "Set up",
            "wrench",
            "vaist-github-set-up",
            self._set_up,
            "100px",
            tooltip="Create the repository (private) if it does not exist and commit the build workflow to it",
        )
        self.forget = _button("Forget token", "trash", "vaist-github-forget", self._forget, "130px")
        self.status = widgets.HTML()
        self.status.add_class("vaist-github-status")
        self.message = widgets.HTML()
        self.message.add_class("vaist-github-message")
        super().__init__(
            [
                widgets.HTML(
                    "<h3>Builds on GitHub</h3><div class='vaist-muted'>Builds for Linux, macOS and Windows run on "
                    "GitHub Actions in a builder repository of yours: save its name and a token, then <b>Set up</b> "
                    "creates it (private) if it does not exist and commits the build workflow to it. The token "
                    "needs, fine-grained: contents, actions and workflows, read and write; classic: the repo and "
                    "workflow scopes. It is stored encrypted and never shown again.</div>"
                ),
                self.repository,
                self.token,
                self.api_url,
                widgets.HBox(
                    [self.save, self.test, self.set_up, self.forget], layout=widgets.Layout(align_items="center")
                ),
                self.status,
                self.message,
            ]
        )
        self.add_class("vaist-github")
        self._offered: dict[widgets.Text, str] = {}  # what `show` last put into each field

    def refresh(self) -> None:
        self.state.run(self.state.api.github_settings, self.show, quiet=True)

    def _offer(self, field: widgets.Text, value: str) -> None:
        """Put `value` into `field` unless the user has typed there since it was last offered: a refresh that
        lands while they type must not undo their typing."""
        if field.value == self._offered.get(field, ""):
            field.value = value
        self._offered[field] = value

    def show(self, settings: GitHubSettingsView) -> None:
        self._offer(self.repository, (settings.repository or "") if settings.own_repository else "")
        self.repository.placeholder = (
            f"{settings.repository} (the server's)"
            if settings.repository and not settings.own_repository
            else "OWNER/REPO"
        )
        self._offer(self.api_url, settings.api_url if settings.own_repository else "")
        if settings.token_hint:
            token = f"your token <code>{escape(settings.token_hint)}</code>"
        else:
            token = "the server's token" if settings.server_token else "no token"
        where = escape(settings.repository) if settings.repository else "no repository"
        self.forget.disabled = settings.token_hint is None
        problem = f"<div class='vaist-error'>{escape(settings.problem)}</div>" if settings.problem else ""
        self.status.value = f"<div class='vaist-muted'>Builds use {token} and run in {where}.</div>{problem}"

    def _save(self) -> None:
        token = self.token.value
        self.token.value = ""  # never kept in the page, whatever happens next

        def saved(settings: GitHubSettingsView) -> None:
            self.show(settings)
            self.message.value = "<div class='vaist-ok'>Saved.</div>"

        self.state.run(
            lambda: self.state.api.set_github_settings(
                self.repository.value, token=token.strip() or None, api_url=self.api_url.value
            ),
            saved,
            failed=self._failed,
        )

    def _test(self) -> None:
        self._ask(self.state.api.test_github, "Asking GitHub…")

    def _set_up(self) -> None:
        self._ask(self.state.api.set_up_github, "Setting the repository up on GitHub (up to a minute)…")

    def _ask(self, call: Callable[[], RemoteCheck], waiting: str) -> None:
        self.message.value = f"<div class='vaist-muted'>{escape(waiting)}</div>"
        self.test.disabled = self.set_up.disabled = True

        def answered(check: RemoteCheck) -> None:
            self.test.disabled = self.set_up.disabled = False
            style = "vaist-ok" if check.ok else "vaist-error"
            self.message.value = f"<div class='{style} vaist-github-check'>{escape(check.message)}</div>"

        def failed(error: BaseException) -> None:
            self.test.disabled = self.set_up.disabled = False
            self._failed(error)

        self.state.run(call, answered, failed=failed)

    def _forget(self) -> None:
        self.state.run(lambda: self.state.api.set_github_settings(token=""), self.show, failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        self.message.value = f"<div class='vaist-error'>{escape(str(error))}</div>"


__all__ = ["GitHubSection", "SettingsPanel"]
