"""Settings: which model plans (offline, or one of the models Gemini, Claude and OpenAI list for the user's
keys) and the user's API keys, each with a Test button (one minimal real request, its verdict in one line).
A key goes in once and never comes back: only its masked hint is shown."""

from __future__ import annotations

import ipywidgets as widgets

from vaist_lab.service.api import PROVIDER_TITLES, KeyCheck, ModelChoice
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
        self.save = widgets.Button(
            description="Save key", icon="key", button_style="primary", layout=widgets.Layout(width="110px")
        )
        self.save.add_class("vaist-key-save")
        self.save.on_click(lambda _: self._save_key())
        self.key_list = widgets.VBox()
        self.key_list.add_class("vaist-keys")
        self.message = widgets.HTML()
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
            test = widgets.Button(description="Test", icon="plug", layout=widgets.Layout(width="90px"))
            test.add_class("vaist-key-test")
            test.on_click(lambda _, provider=info.provider: self._test(provider))
            remove = widgets.Button(description="Remove", icon="trash", layout=widgets.Layout(width="100px"))
            remove.add_class("vaist-key-remove")
            remove.on_click(lambda _, provider=info.provider: self._remove(provider))
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


__all__ = ["SettingsPanel"]
