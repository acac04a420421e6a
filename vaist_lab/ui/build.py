"""The build panel: build the approved plan, watch it (progress, a streaming log, the first compiler
error), then see how closely the plugin matches the model, its window, and download it.

One follower thread per panel reads the project's log through the service: the stored lines first, then
live ones as they are written (`follow_logs` long-polls), so a reopened page misses and repeats nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets

from vaist_lab.errors import VaistError
from vaist_lab.service.api import BuildReport
from vaist_lab.service.status import APPROVED, BUILDING, FAILED, SUCCESS
from vaist_lab.service.views import LogLine, ProjectView
from vaist_lab.ui.components import Download, LogView
from vaist_lab.ui.markup import escape, status_badge
from vaist_lab.ui.state import ProjectState

logger = logging.getLogger(__name__)
FOLLOW_WAIT_S = 2.0  # one long poll while a build runs
REMOTE_PLATFORMS = ("Windows", "macOS (universal)")


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


def _duration(view: ProjectView) -> str:
    if view.build_started_at is None:
        return ""
    end = view.build_finished_at or datetime.now(UTC)
    return f"{(end - view.build_started_at).total_seconds():.0f} s"


class BuildPanel(widgets.VBox):
    def __init__(self, state: ProjectState) -> None:
        self.state = state
        self.start = widgets.Button(
            description="Build VST3", icon="hammer", button_style="primary", layout=widgets.Layout(width="150px")
        )
        self.start.add_class("vaist-build-start")
        self.start.on_click(lambda _: self._start())
        self.cancel = widgets.Button(description="Cancel", icon="stop", layout=widgets.Layout(width="100px"))
        self.cancel.add_class("vaist-build-cancel")
        self.cancel.on_click(lambda _: self._cancel())
        self.platforms = widgets.HTML()
        self.platforms.add_class("vaist-platforms")
        self.progress = widgets.IntProgress(0, 0, 1, layout=widgets.Layout(width="260px"))
        self.progress.add_class("vaist-build-progress")
        self.progress_text = widgets.HTML()
        self.log_view = LogView()
        self.log_view.add_class("vaist-log-widget")
        self.report = widgets.HTML()
        self.picture = widgets.Image(format="png", layout=widgets.Layout(max_width="480px", display="none"))
        self.picture.add_class("vaist-editor-picture")
        self.download = Download(label="Download VST3 (.zip)", enabled=False)
        self.download.add_class("vaist-download")
        self.download.on_request(self._download)
        super().__init__(
            [
                widgets.HBox(
                    [self.start, self.cancel, self.progress, self.progress_text],
                    layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
                ),
                self.platforms,
                self.log_view,
                widgets.HBox(
                    [widgets.VBox([self.report, self.download], layout=widgets.Layout(flex="1 1 55%")), self.picture],
                    layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
                ),
            ]
        )
        self.add_class("vaist-build")
        self._project_id: uuid.UUID | None = None
        self._building = False
        self._generation = 0
        self._wake = threading.Event()
        self._stopped = False
        self._follower = threading.Thread(target=self._follow, name="vaist-build-follower", daemon=True)
        self._follower.start()

    # -- what the project says ----------------------------------------------------------------------------

    def show(self, view: ProjectView | None) -> None:
        if view is None:
            self._project_id = None
            self._wake.set()
            return
        if view.id != self._project_id:  # another project: its own log, report and picture
            self._project_id = view.id
            self._generation += 1
            self.log_view.clear()
            self.report.value = ""
            self.picture.layout.display = "none"
            self._load_report(view)
        was_building, self._building = self._building, view.status is BUILDING
        if was_building and not self._building:
            self._load_report(view)
        self._show_status(view)
        self._wake.set()

    def _show_status(self, view: ProjectView) -> None:
        status = view.status
        self.start.description = {SUCCESS: "Rebuild", FAILED: "Retry build"}.get(status, "Build VST3")
        self.start.disabled = status not in (APPROVED, SUCCESS, FAILED)
        self.start.tooltip = "" if not self.start.disabled else "Approve the plan first"
        self.cancel.layout.display = "" if status is BUILDING else "none"
        self.download.enabled = bool(view.artifacts) and status is not BUILDING
        done, total = view.build_progress or (0, 0)
        self.progress.max = max(total, 1)
        self.progress.value = min(done, self.progress.max)
        self.progress.layout.display = "" if status is BUILDING else "none"
        self.progress_text.value = (
            f"<span class='vaist-muted'>{done}/{total} units compiled</span>" if status is BUILDING and total else ""
        )
        error = (
            f"<div class='vaist-error'>Build failed: {escape(view.last_error)}</div>"
            if status is FAILED and view.last_error
            else ""
        )
        rows = [
            f"<tr><td>This machine</td><td>{status_badge(status.value)}</td><td>{escape(_duration(view))}</td>"
            f"<td>{escape(', '.join(sorted(view.artifacts)) or '—')}</td></tr>"
        ]
        rows += [
            f"<tr class='vaist-muted'><td>{name}</td><td>remote builds: not set up</td><td></td><td></td></tr>"
            for name in REMOTE_PLATFORMS
        ]
        self.platforms.value = (
            f"{error}<table class='vaist-table vaist-platform-table'><thead><tr><th>Platform</th><th>Status</th>"
            f"<th>Time</th><th>Built</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _load_report(self, view: ProjectView) -> None:
        if not view.artifacts:
            return
        project_id = view.id

        def shown(report: BuildReport | None) -> None:
            if report is None or project_id != self._project_id:
                return
            self.report.value = fidelity_table(report)
            if report.editor_png:
                self.picture.value = report.editor_png
                self.picture.layout.display = ""

        self.state.run(lambda: self.state.api.build_report(project_id), shown, quiet=True)

    # -- actions ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        view = self.state.project
        if view is None:
            return
        self.start.disabled = True
        self.log_view.clear()
        self.report.value = ""
        self.picture.layout.display = "none"
        self.state.run(
            lambda: self.state.api.start_build(view.id),
            self.state.update,
            busy="Starting the build…",
            failed=lambda _: setattr(self.start, "disabled", False),
        )

    def _cancel(self) -> None:
        view = self.state.project
        if view is not None:
            self.state.run(lambda: self.state.api.cancel_build(view.id), self.state.update)

    def _download(self) -> None:
        view = self.state.project
        if view is None:
            return
        self.state.run(
            lambda: self.state.api.download(view.id),
            lambda file: self.download.deliver(file.filename, file.data),
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
            except VaistError:
                lines = []
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
        try:
            view = self.state.api.project(project_id)
        except VaistError:
            return
        current: ProjectView | None = self.state.project
        if current is not None and current.id == view.id:
            self.state.update(view)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        super().close()


__all__ = ["BuildPanel", "fidelity_table", "log_dict"]
