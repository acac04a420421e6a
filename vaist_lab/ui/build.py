"""The build panel: build the approved plan on this machine or on GitHub Actions (Linux, macOS and Windows at
once), watch it (progress, a streaming log that can show one platform's lines, the first compiler error), then
see for each platform how it went, how closely its plugin matches the model, and download it.

One follower thread per panel reads the project's log through the service: the stored lines first, then
live ones as they are written (`follow_logs` long-polls), so a reopened page misses and repeats nothing. While
a build runs it also reads each platform's row (`platform_builds`), so a platform's result shows as soon as
that platform is done.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets

from vaist_lab.errors import VaistError
from vaist_lab.service.api import GITHUB, BuildReport, GitHubSettingsView
from vaist_lab.service.status import APPROVED, BUILDING, FAILED, SUCCESS
from vaist_lab.service.views import LogLine, PlatformBuildStatus, PlatformBuildView, ProjectView
from vaist_lab.ui.components import Download, LogView
from vaist_lab.ui.markup import escape, status_badge
from vaist_lab.ui.state import ProjectState

logger = logging.getLogger(__name__)
FOLLOW_WAIT_S = 2.0  # one long poll while a build runs
LOCAL = "local"  # the row and the choice of a build on this machine
PLATFORM_TITLES = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
# the platform table's columns: title and width (the last, what happened, takes the rest)
COLUMNS = (("Platform", "170px"), ("Status", "120px"), ("Time", "110px"), ("Fidelity", "150px"), ("Plugin", "130px"))
# a path on a runner (D:\a\repo\...\Source\File.cpp, /Users/runner/.../File.cpp): its file name says enough
_RUNNER_PATH = re.compile(r"(?:\b[A-Za-z]:|(?<![^\s'\"(]))[\\/](?:[^\\/\s:'\"]+[\\/])+(?=[^\\/\s:'\"]+)")


def log_dict(line: LogLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "level": line.level,
        "source": line.source,
        "platform": line.platform,
        "message": line.message,
        "file": line.file,
        "line": line.line,
        "column": line.column,
        "time": line.created_at.isoformat(),
    }


def fidelity_table(report: BuildReport) -> str:
    if not report.fidelity:
        return f"<div class='vaist-muted'>{escape(report.summary)}</div>"
    rows = "".join(
        f"<tr class='{'vaist-pass' if figure.passed else 'vaist-fail'}'><td>{figure.sample_rate / 1000:g} kHz</td>"
        f"<td>{'exact' if figure.worst_db == float('-inf') else f'{figure.worst_db:.1f} dB'}</td>"
        f"<td>{figure.limit_db:g} dB</td><td>{'✔' if figure.passed else '✘'}</td></tr>"
        for figure in report.fidelity
    )
    verdict = (
        "<span class='vaist-ok'>verified: the plugin matches the model</span>"
        if report.passed
        else f"<span class='vaist-error'>{escape(report.summary)}</span>"
    )
    return (
        f"<div class='vaist-fidelity'><div>{verdict}</div><table class='vaist-table'><thead><tr>"
        "<th>Sample rate</th><th>Worst error vs model</th><th>Needed</th><th></th></tr></thead>"
        f"<tbody>{rows}</tbody></table><div class='vaist-muted'>{escape(report.summary)}</div></div>"
    )


def row_key(view: PlatformBuildView) -> str:
    """A row's key: LOCAL for this machine's build, else the GitHub platform."""
    return LOCAL if view.remote is None else view.platform


def where_title(key: str, platform: str = "") -> tuple[str, str]:
    """A row's title and what it says under it: "This machine", "linux-x86_64"; "Windows", "GitHub Actions"."""
    if key == LOCAL:
        return "This machine", platform
    return PLATFORM_TITLES.get(key, key), "GitHub Actions"


def short_paths(text: str) -> str:
    """`text` with each absolute path cut to its file name: "compile error: PluginProcessor.cpp:42:17: ..."."""
    return _RUNNER_PATH.sub("", text)


def seconds_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def fidelity_text(view: PlatformBuildView) -> str:
    """The verdict in a few characters: "✔ -138.5 dB", "✘ -61.2 dB", "✔ exact", "not verified"."""
    if view.passed is None:
        return "not verified"
    mark = "✔" if view.passed else "✘"
    if view.worst_db is None or math.isnan(view.worst_db):
        return mark
    return f"{mark} exact" if view.worst_db == -math.inf else f"{mark} {view.worst_db:.1f} dB"


def remote_unavailable(settings: GitHubSettingsView) -> str:
    """Why a build on GitHub cannot start, in one line for a musician ('' when it can)."""
    missing = [
        what
        for what, absent in (
            ("a GitHub token", settings.token_hint is None and not settings.server_token),
            ("a builder repository", not settings.repository),
        )
        if absent
    ]
    if missing:
        return f"Builds on GitHub need {' and '.join(missing)}: add them under Settings → Builds on GitHub."
    return f"Builds on GitHub cannot start: {settings.problem}" if settings.problem else ""


class PlatformRow(widgets.HBox):
    """One platform's latest build: where, its status, its time, its fidelity verdict (a click shows the
    figures), a download of its plugin, and what happened in one line."""

    def __init__(self, key: str, report: Callable[[str], None], download: Callable[[str], None]) -> None:
        self.key = key
        widths = [width for _, width in COLUMNS]
        self.name = widgets.HTML(layout=widgets.Layout(width=widths[0]))
        self.name.add_class("vaist-platform-name")
        self.status = widgets.HTML(layout=widgets.Layout(width=widths[1]))
        self.status.add_class("vaist-platform-status")
        self.time = widgets.HTML(layout=widgets.Layout(width=widths[2]))
        self.time.add_class("vaist-platform-time")
        self.fidelity = widgets.Button(layout=widgets.Layout(width=widths[3]), tooltip="Show its fidelity figures")
        self.fidelity.add_class("vaist-platform-report")
        self.fidelity.on_click(lambda _: report(key))
        self.download = Download(label="Download", enabled=False, layout=widgets.Layout(width=widths[4]))
        self.download.add_class("vaist-download")
        self.download.on_request(lambda: download(key))
        self.message = widgets.HTML(layout=widgets.Layout(flex="1 1 200px", min_width="0"))
        self.message.add_class("vaist-platform-message")
        super().__init__(
            [self.name, self.status, self.time, self.fidelity, self.download, self.message],
            layout=widgets.Layout(align_items="center"),
        )
        self.add_class("vaist-platform-row")
        self.add_class(f"vaist-platform-{key}")
        self.view: PlatformBuildView | None = None

    def show(self, view: PlatformBuildView | None) -> None:
        """`view`'s build; None: this machine's row before any build here."""
        if view is None or self.view is None or view.build_id != self.view.build_id:
            self.download.reset()  # "saved X.zip" belongs to the build it was saved from
        self.view = view
        title, under = where_title(self.key, view.platform if view else "")
        self.name.value = f"<b>{escape(title)}</b><span>{escape(under)}</span>"
        if view is None:
            self.status.value = status_badge("not-built")
            self.time.value = ""
            self._fidelity("—", False)
            self.download.enabled = False
            self.message.value = "<span class='vaist-muted'>not built on this machine yet</span>"
            return
        self.status.value = status_badge(view.status.value)
        building = view.status is PlatformBuildStatus.BUILDING
        self.time.value = escape(self._time(view, building))
        self._fidelity(fidelity_text(view) if view.downloadable else "—", view.downloadable)
        self.download.enabled = view.downloadable and not building
        self.download.label = "Download earlier" if view.earlier_plugin else "Download"
        self.message.value = self._message(view, building)

    def _fidelity(self, text: str, enabled: bool) -> None:
        self.fidelity.description = text
        self.fidelity.disabled = not enabled

    @staticmethod
    def _time(view: PlatformBuildView, building: bool) -> str:
        if building:
            done, total = view.progress or (0, 0)
            running = seconds_text((datetime.now(UTC) - view.started_at).total_seconds())
            return f"step {done}/{total} · {running}" if total else running
        return seconds_text(view.duration_s) if view.duration_s is not None else ""

    @staticmethod
    def _message(view: PlatformBuildView, building: bool) -> str:
        text = escape(short_paths(view.step if building else view.message))
        if view.status in (PlatformBuildStatus.FAILED, PlatformBuildStatus.CANCELLED):
            note = " The download is an earlier build's." if view.earlier_plugin else ""
            return f"<span class='vaist-error' title='{text}'>{text}</span>{escape(note)}"
        return f"<span class='vaist-muted' title='{text}'>{text}</span>"


class BuildPanel(widgets.VBox):
    def __init__(self, state: ProjectState) -> None:
        self.state = state
        self.where = widgets.RadioButtons(
            options=[("On this machine", LOCAL), ("On GitHub Actions:", GITHUB)], value=LOCAL
        )
        self.where.add_class("vaist-build-where")
        self.where.observe(lambda _: self._show_choice(), "value")
        self.platform_boxes = {
            name: widgets.Checkbox(value=True, description=title, indent=False, layout=widgets.Layout(width="90px"))
            for name, title in PLATFORM_TITLES.items()
        }
        for name, box in self.platform_boxes.items():
            box.add_class("vaist-build-platform")
            box.add_class(f"vaist-build-platform-{name}")
            box.observe(lambda _: self._show_choice(), "value")
        self.remote_note = widgets.HTML()
        self.remote_note.add_class("vaist-remote-note")
        self.start = widgets.Button(
            description="Build VST3", icon="hammer", button_style="primary", layout=widgets.Layout(width="190px")
        )
        self.start.add_class("vaist-build-start")
        self.start.on_click(lambda _: self._start())
        self.cancel = widgets.Button(description="Cancel", icon="stop", layout=widgets.Layout(width="100px"))
        self.cancel.add_class("vaist-build-cancel")
        self.cancel.on_click(lambda _: self._cancel())
        self.platforms = widgets.HTML()  # the build's verdict: why it failed, which platforms did not build
        self.platforms.add_class("vaist-platforms")
        self.progress = widgets.IntProgress(0, 0, 1, layout=widgets.Layout(width="260px"))
        self.progress.add_class("vaist-build-progress")
        self.progress_text = widgets.HTML()
        self.local_row = PlatformRow(LOCAL, self._show_report, self._download)
        self.remote_rows: dict[str, PlatformRow] = {}
        head = widgets.HBox(
            [widgets.HTML(title, layout=widgets.Layout(width=width)) for title, width in COLUMNS]
            + [widgets.HTML("What happened")]
        )
        head.add_class("vaist-platform-head")
        self.table = widgets.VBox([head, self.local_row])
        self.table.add_class("vaist-platform-table")
        self.log_view = LogView()
        self.log_view.add_class("vaist-log-widget")
        self.report = widgets.HTML()
        self.picture = widgets.Image(format="png", layout=widgets.Layout(max_width="480px", display="none"))
        self.picture.add_class("vaist-editor-picture")
        super().__init__(
            [
                widgets.HBox(
                    [self.where, *self.platform_boxes.values()],
                    layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.remote_note,
                widgets.HBox(
                    [self.start, self.cancel, self.progress, self.progress_text],
                    layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.platforms,
                self.table,
                widgets.HBox(
                    [widgets.VBox([self.report], layout=widgets.Layout(flex="1 1 55%")), self.picture],
                    layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
                ),
                self.log_view,
            ]
        )
        self.add_class("vaist-build")
        self._project_id: uuid.UUID | None = None
        self._view: ProjectView | None = None
        self._building = False
        self._generation = 0
        self._remote_problem = "Looking at the GitHub settings…"
        self._reported: str | None = None  # the row whose fidelity figures are shown
        self._wake = threading.Event()
        self._stopped = False
        self._show_choice()
        self._follower = threading.Thread(target=self._follow, name="vaist-build-follower", daemon=True)
        self._follower.start()

    @property
    def rows(self) -> dict[str, PlatformRow]:
        """The platform table's rows by key: LOCAL, then the GitHub platforms built for."""
        return {LOCAL: self.local_row, **self.remote_rows}

    # -- what the project says ----------------------------------------------------------------------------

    def show(self, view: ProjectView | None) -> None:
        if view is None:
            self._project_id = None
            self._view = None
            self._wake.set()
            return
        if view.id != self._project_id:  # another project: its own log, rows, report and picture
            self._project_id = view.id
            self._generation += 1
            self.log_view.clear()
            self._clear_report()
            self._reported = None
            self.show_rows([])
            self.refresh_remote()
            self._load_rows(view.id, then_report=True)
        was_building, self._building = self._building, view.status is BUILDING
        self._view = view
        if was_building and not self._building:
            self._load_rows(view.id, then_report=True)
        self._show_status(view)
        self._wake.set()

    def _show_status(self, view: ProjectView) -> None:
        status = view.status
        self.cancel.layout.display = "" if status is BUILDING else "none"
        done, total = view.build_progress or (0, 0)
        self.progress.max = max(total, 1)
        self.progress.value = min(done, self.progress.max)
        self.progress.layout.display = "" if status is BUILDING else "none"
        self.progress_text.value = (
            f"<span class='vaist-muted'>{done}/{total} steps done</span>" if status is BUILDING and total else ""
        )
        if status is FAILED and view.last_error:
            self.platforms.value = f"<div class='vaist-error'>Build failed: {escape(view.last_error)}</div>"
        elif status is SUCCESS and view.last_error:  # some platforms built, others did not
            self.platforms.value = (
                "<div class='vaist-warning'>Built, but not everywhere: "
                f"{escape(short_paths(view.last_error))}. The plugins that built can be downloaded below.</div>"
            )
        else:
            self.platforms.value = ""
        self._show_choice()

    def _show_choice(self) -> None:
        """The start button and the platform choices, as the project's status and the choice of where allow."""
        view = self._view
        remote = self.where.value == GITHUB
        for box in self.platform_boxes.values():
            box.disabled = not remote or bool(self._remote_problem)
        chosen = [name for name, box in self.platform_boxes.items() if box.value]
        startable = view is not None and view.status in (APPROVED, SUCCESS, FAILED)
        verb = {SUCCESS: "Rebuild", FAILED: "Retry build"}.get(view.status if view else APPROVED, "Build VST3")
        self.start.description = f"{verb} on GitHub" if remote else verb
        self.start.disabled = not startable or (remote and not chosen)
        if not startable:
            self.start.tooltip = "Approve the plan first"
        elif remote and not chosen:
            self.start.tooltip = "Choose at least one platform"
        else:
            self.start.tooltip = ""

    # -- GitHub ---------------------------------------------------------------------------------------------

    def refresh_remote(self) -> None:
        """Look again whether builds on GitHub can start (after the settings changed, say)."""
        self.state.run(self.state.api.github_settings, self._show_remote, quiet=True)

    def _show_remote(self, settings: GitHubSettingsView) -> None:
        self._remote_problem = remote_unavailable(settings)
        for name, box in self.platform_boxes.items():
            box.layout.display = "" if name in settings.platforms else "none"
        if self._remote_problem:
            self.where.value = LOCAL
            self.where.disabled = True
            self.remote_note.value = f"<span class='vaist-muted'>{escape(self._remote_problem)}</span>"
        else:
            self.where.disabled = False
            self.remote_note.value = (
                f"<span class='vaist-muted'>GitHub builds run in {escape(settings.repository or '')}; each "
                "platform's plugin is verified against the model on that platform.</span>"
            )
        self._show_choice()

    # -- the platform table -------------------------------------------------------------------------------

    def _load_rows(self, project_id: uuid.UUID, then_report: bool = False) -> None:
        def shown(views: list[PlatformBuildView]) -> None:
            if project_id != self._project_id:
                return
            self.show_rows(views)
            if then_report:
                self._report_default()

        self.state.run(lambda: self.state.api.platform_builds(project_id), shown, quiet=True)

    def show_rows(self, views: Sequence[PlatformBuildView]) -> None:
        """Show each platform's latest build: this machine's row first (the newest of its builds), then a row
        per GitHub platform built for."""
        local = [view for view in views if view.remote is None]
        self.local_row.show(max(local, key=lambda view: view.started_at) if local else None)
        remote = {view.platform: view for view in views if view.remote is not None}
        for platform in list(self.remote_rows):
            if platform not in remote:
                del self.remote_rows[platform]
        for platform, view in sorted(remote.items()):
            row = self.remote_rows.get(platform)
            if row is None:
                row = self.remote_rows[platform] = PlatformRow(platform, self._show_report, self._download)
            row.show(view)
        self.table.children = [self.table.children[0], *self.rows.values()]
        self._mark_reported()

    def _report_default(self) -> None:
        """After a build (or on opening a project): the figures of the row shown before, else of the first
        plugin of the newest build."""
        built = [(key, row.view) for key, row in self.rows.items() if row.view is not None and row.view.downloadable]
        if self._reported in dict(built):
            self._show_report(self._reported)
        elif built:
            newest = max(view.started_at for _, view in built)
            self._show_report(next(key for key, view in built if view.started_at == newest))

    def _show_report(self, key: str) -> None:
        row = self.rows.get(key)
        if row is None or row.view is None or self._project_id is None:
            return
        project_id, platform = self._project_id, row.view.platform
        title = f"this machine ({platform})" if key == LOCAL else "{} ({})".format(*where_title(key, platform))

        def shown(report: BuildReport | None) -> None:
            if report is None or project_id != self._project_id:
                return
            self._reported = key
            self._mark_reported()
            self.report.value = (
                f"<div class='vaist-report-title'>Fidelity of the plugin built on {escape(title)}</div>"
                + fidelity_table(report)
            )
            if report.editor_png:
                self.picture.value = report.editor_png
                self.picture.layout.display = ""
            else:
                self.picture.layout.display = "none"

        self.state.run(lambda: self.state.api.build_report(project_id, platform), shown, quiet=True)

    def _mark_reported(self) -> None:
        for key, row in self.rows.items():
            if key == self._reported:
                row.add_class("vaist-platform-selected")
            else:
                row.remove_class("vaist-platform-selected")

    def _clear_report(self) -> None:
        self.report.value = ""
        self.picture.layout.display = "none"

    # -- actions ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        view = self.state.project
        if view is None:
            return
        remote = GITHUB if self.where.value == GITHUB else None
        chosen = tuple(name for name, box in self.platform_boxes.items() if box.value) if remote else None
        self.start.disabled = True
        self.log_view.clear()
        self._clear_report()

        def started(started_view: ProjectView) -> None:
            self.state.update(started_view)
            self._load_rows(started_view.id)

        self.state.run(
            lambda: self.state.api.start_build(view.id, remote=remote, platforms=chosen),
            started,
            busy="Sending the build to GitHub…" if remote else "Starting the build…",
            failed=lambda _: self._show_choice(),
        )

    def _cancel(self) -> None:
        view = self.state.project
        if view is not None:
            self.state.run(lambda: self.state.api.cancel_build(view.id), self.state.update)

    def _download(self, key: str) -> None:
        row = self.rows.get(key)
        view = self.state.project
        if view is None or row is None or row.view is None:
            return
        platform = row.view.platform
        self.state.run(
            lambda: self.state.api.download(view.id, platform),
            lambda file: row.download.deliver(file.filename, file.data),
            busy="Preparing the download…",
        )

    # -- the follower -----------------------------------------------------------------------------------

    def _follow(self) -> None:
        after = 0
        generation = -1
        while not self._stopped:
            project_id = self._project_id
            if project_id is None:
                self._wake.wait()
                self._wake.clear()
                continue
            if generation != self._generation:
                generation, after = self._generation, 0
            building = self._building
            try:
                lines = self.state.api.follow_logs(project_id, after, wait=FOLLOW_WAIT_S if building else 0.0)
            except VaistError:  # e.g. the hub service is away: ask again later, not in a tight loop
                self._wake.wait(FOLLOW_WAIT_S)
                self._wake.clear()
                continue
            except Exception:
                logger.exception("following the build log failed")
                time.sleep(1.0)
                continue
            if generation != self._generation:
                continue  # the panel moved to another project meanwhile
            if lines:
                after = lines[-1].id
                self.log_view.append([log_dict(line) for line in lines])
            if building:
                self._refresh(project_id)
            elif not lines:
                self._wake.wait(5.0)
                self._wake.clear()

    def _refresh(self, project_id: uuid.UUID) -> None:
        """The project and its platforms while it builds: each platform's result as soon as it is in."""
        try:
            view = self.state.api.project(project_id)
            rows = self.state.api.platform_builds(project_id)
        except VaistError:
            return
        current: ProjectView | None = self.state.project
        if current is not None and current.id == view.id and project_id == self._project_id:
            self.show_rows(rows)
            self.state.update(view)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        super().close()


__all__ = ["BuildPanel", "PlatformRow", "fidelity_table", "log_dict", "remote_unavailable"]
