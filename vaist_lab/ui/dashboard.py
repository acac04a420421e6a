"""The projects dashboard: a card per project (name, category, status, last change, a thumbnail of its
response) with open, rename, duplicate, delete (confirmed) and rebuild; a new project from words or from
a template."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import ipywidgets as widgets

from vaist_lab.dsp.responses import analyse
from vaist_lab.errors import VaistError
from vaist_lab.plan import Plan
from vaist_lab.service.status import FAILED, SUCCESS
from vaist_lab.service.views import ProjectView, TemplateView
from vaist_lab.ui.markup import ago, escape, sparkline_svg, status_badge
from vaist_lab.ui.state import ProjectState

logger = logging.getLogger(__name__)
OpenProject = Callable[[uuid.UUID], None]
FROM_WORDS = ""


def thumbnail(plan: Plan) -> str:
    """A sparkline of what the plan does: its magnitude response, else its static curve, else its first
    control signal."""
    analysis = analyse(plan, None, 48000.0)
    if analysis.frequency is not None:
        frequency = analysis.frequency
        shown = frequency.frequency_hz >= 20.0
        return sparkline_svg(frequency.frequency_hz[shown], frequency.magnitude_max_db[shown], log_x=True)
    if analysis.transfer is not None:
        return sparkline_svg(analysis.transfer.input, analysis.transfer.output, log_x=False)
    if analysis.controls is not None and analysis.controls.traces:
        trace = next(iter(analysis.controls.traces.values()))
        return sparkline_svg(analysis.controls.time_s, trace, log_x=False)
    return ""


def name_from_prompt(prompt: str) -> str:
    words = prompt.split()
    name = " ".join(words[:6])
    return (name[:60].rstrip() + ("…" if len(words) > 6 or len(name) > 60 else "")) or "New effect"


class ProjectCard(widgets.VBox):
    def __init__(self, view: ProjectView, dashboard: Dashboard) -> None:
        self.view = view
        self.dashboard = dashboard
        self.thumb = widgets.HTML("<div class='vaist-thumb-empty'></div>")
        self.thumb.add_class("vaist-card-thumb")
        category = f"<span class='vaist-chip'>{escape(view.category)}</span>" if view.category else ""
        self.info = widgets.HTML(
            f"<div class='vaist-card-name'>{escape(view.name)}</div>"
            f"<div class='vaist-card-meta'>{category}{status_badge(view.status.value)}</div>"
            f"<div class='vaist-muted'>{escape(view.plugin_name or 'no plan yet')} · changed {ago(view.updated_at)}"
            "</div>"
        )
        self.open_button = self._button("Open", "folder-open", "vaist-card-open", lambda: dashboard.on_open(view.id))
        self.open_button.button_style = "primary"
        buttons = [
            self.open_button,
            self._button("Rename", "pen", "vaist-card-rename", self._ask_rename),
            self._button("Duplicate", "copy", "vaist-card-duplicate", lambda: dashboard.duplicate(view)),
            self._button("Delete", "trash", "vaist-card-delete", self._ask_delete),
        ]
        if view.status in (SUCCESS, FAILED):
            buttons.append(self._button("Rebuild", "hammer", "vaist-card-rebuild", lambda: dashboard.rebuild(view)))
        self.buttons = widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))
        self.question = widgets.VBox()
        super().__init__(
            [self.thumb, self.info, self.buttons, self.question],
            layout=widgets.Layout(width="300px", margin="0 12px 12px 0"),
        )
        self.add_class("vaist-card")

    @staticmethod
    def _button(label: str, icon: str, css: str, action: Callable[[], None]) -> widgets.Button:
        button = widgets.Button(description=label, icon=icon, layout=widgets.Layout(width="auto"))
        button.add_class(css)
        button.on_click(lambda _: action())
        return button

    def _ask_rename(self) -> None:
        name = widgets.Text(self.view.name, layout=widgets.Layout(width="180px"))
        name.add_class("vaist-rename-input")
        ok = self._button("Rename", "check", "vaist-rename-ok", lambda: self.dashboard.rename(self.view, name.value))
        cancel = self._button("Cancel", "times", "vaist-rename-cancel", self._clear_question)
        self.question.children = [widgets.HBox([name, ok, cancel])]

    def _ask_delete(self) -> None:
        text = widgets.HTML(
            f"<div class='vaist-error'>Delete <b>{escape(self.view.name)}</b> with its chat, plans and builds?</div>"
        )
        yes = self._button("Delete", "trash", "vaist-confirm-yes", lambda: self.dashboard.delete(self.view))
        yes.button_style = "danger"
        no = self._button("Keep it", "times", "vaist-confirm-no", self._clear_question)
        self.question.children = [text, widgets.HBox([yes, no])]

    def _clear_question(self) -> None:
        self.question.children = []


class Dashboard(widgets.VBox):
    def __init__(self, state: ProjectState, on_open: OpenProject) -> None:
        self.state = state
        self.on_open = on_open
        self.name = widgets.Text(placeholder="Name (optional)", layout=widgets.Layout(width="220px"))
        self.name.add_class("vaist-new-name")
        self.prompt = widgets.Textarea(
            placeholder="Describe an effect in words, e.g. a warm tape delay that darkens its repeats",
            layout=widgets.Layout(width="100%", height="70px"),
        )
        self.prompt.add_class("vaist-new-prompt")
        self.template = widgets.Dropdown(
            options=[("from my words", FROM_WORDS)],
            value=FROM_WORDS,
            description="Start",
            style={"description_width": "40px"},
            layout=widgets.Layout(width="300px"),
        )
        self.template.add_class("vaist-new-template")
        self.create = widgets.Button(
            description="Create", icon="magic", button_style="primary", layout=widgets.Layout(width="120px")
        )
        self.create.add_class("vaist-create")
        self.create.on_click(lambda _: self._create())
        self.cards = widgets.Box(layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.cards.add_class("vaist-cards")
        self.empty = widgets.HTML()
        super().__init__(
            [
                widgets.HTML("<h2 class='vaist-heading'>New effect</h2>"),
                self.prompt,
                widgets.HBox(
                    [self.name, self.template, self.create],
                    layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
                ),
                widgets.HTML("<h2 class='vaist-heading'>Your effects</h2>"),
                self.empty,
                self.cards,
            ]
        )
        self.add_class("vaist-dashboard")
        self._thumbnails = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vaist-thumbnails")
        self._thumbnail_cache: dict[tuple[uuid.UUID, int], str] = {}
        self._templates: list[TemplateView] = []

    def refresh(self) -> None:
        self.state.run(
            lambda: (self.state.api.list_projects(), self._templates or self.state.api.list_templates()),
            self._show,
            quiet=True,
        )

    def _show(self, loaded: tuple[list[ProjectView], list[TemplateView]]) -> None:
        projects, templates = loaded
        if templates != self._templates:
            self._templates = templates
            self.template.options = [("from my words", FROM_WORDS)] + [
                (f"template: {item.plugin_name} ({item.category.lower()})", item.name) for item in templates
            ]
        cards = [ProjectCard(view, self) for view in projects]
        self.cards.children = cards
        self.empty.value = (
            ("<div class='vaist-muted'>No effects yet: describe one above, or start from a template.</div>")
            if not projects
            else ""
        )
        for card in cards:
            self._thumbnail(card)

    def _thumbnail(self, card: ProjectCard) -> None:
        view = card.view
        if view.plan_json is None:
            return
        key = (view.id, view.plan_version)
        if key in self._thumbnail_cache:
            card.thumb.value = self._thumbnail_cache[key]
            return

        def draw() -> None:
            try:
                plan = view.plan
                svg = thumbnail(plan) if plan is not None else ""
            except Exception:
                logger.exception("no thumbnail for project %s", view.id)
                return
            self._thumbnail_cache[key] = svg
            card.thumb.value = svg

        self._thumbnails.submit(draw)

    # -- actions ----------------------------------------------------------------------------------------

    def _create(self) -> None:
        prompt = self.prompt.value.strip()
        template = self.template.value or None
        if not prompt and not template:
            self.state.say("Describe the effect in words, or pick a template.", "error")
            return
        given_name = self.name.value.strip()
        name = given_name or (name_from_prompt(prompt) if prompt else self._template_title(template))
        api = self.state.api

        def create() -> uuid.UUID:
            view = api.create_project(name, prompt=prompt, template=template)
            if prompt:  # the first turn: a refusal still opens the project, with the reason in the banner
                try:
                    turn = api.chat(view.id, prompt)
                except VaistError as error:
                    self.state.say(str(error), "error")
                    return view.id
                if not turn.ok:
                    self.state.say(turn.error or turn.reply, "error")
                elif not given_name and turn.project.plugin_name:  # the plan's own name beats the prompt's words
                    api.rename_project(view.id, turn.project.plugin_name)
            return view.id

        def created(project_id: uuid.UUID) -> None:
            self.prompt.value = ""
            self.name.value = ""
            self.create.disabled = False
            self.on_open(project_id)

        self.create.disabled = True
        self.state.run(
            create, created, busy="Planning your effect…", failed=lambda _: setattr(self.create, "disabled", False)
        )

    def _template_title(self, template: str | None) -> str:
        found = next((item for item in self._templates if item.name == template), None)
        return found.plugin_name if found else (template or "New effect")

    def rename(self, view: ProjectView, name: str) -> None:
        self.state.run(lambda: self.state.api.rename_project(view.id, name), lambda _: self.refresh())

    def duplicate(self, view: ProjectView) -> None:
        self.state.run(lambda: self.state.api.duplicate_project(view.id), lambda _: self.refresh())

    def delete(self, view: ProjectView) -> None:
        self.state.run(
            lambda: self.state.api.delete_project(view.id),
            lambda _: (self.state.say(f"Deleted {view.name}."), self.refresh()),
        )

    def rebuild(self, view: ProjectView) -> None:
        self.state.run(
            lambda: self.state.api.start_build(view.id),
            lambda _: (self.state.say(f"Building {view.name}…"), self.refresh()),
        )


__all__ = ["Dashboard", "ProjectCard", "name_from_prompt", "thumbnail"]
