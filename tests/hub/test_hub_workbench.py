"""The workbench, unchanged, on HubLab: in a single-user server's environment (a hub token and the service's
URL) `Workbench()` talks to the vaist service behind the real hub's proxy instead of opening a local lab,
and the loop a user clicks through works as over UserLab (tests/ui/test_workbench.py): words become a
plan, a negotiated change, approval, a build whose log streams into the build panel by long polls, and the
download delivered through the widget."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hub_harness import ALICE, Hub

from vaist_lab.hub.client import HubLab
from vaist_lab.status import ProjectStatus
from vaist_lab.ui import Workbench
from vaist_lab.ui.components._common import human_size

TIMEOUT = 90.0  # the build runs in a worker process of the service's


def settle(bench: Workbench, until: Callable[[], bool] = lambda: True, timeout: float = TIMEOUT) -> None:
    """Wait until every background action, plot and render has landed, and `until()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bench.state.actions.wait_idle(timeout)
        if bench.responses.wait_idle(timeout) and bench.listen.wait_idle(timeout) and until():
            return
        time.sleep(0.05)
    raise AssertionError(f"the workbench did not settle: {bench.state.notice}")


@pytest.fixture
def bench(hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Workbench]:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.token(ALICE))
    monkeypatch.setenv("VAIST_SERVICE_URL", hub.service_url)
    monkeypatch.setenv("VAIST_DATA_DIR", str(tmp_path / "local-data"))  # where a local lab would go
    workbench = Workbench()
    settle(workbench)
    yield workbench
    workbench.build.close()  # its log follower first: it calls the service until stopped
    workbench.state.api.close()  # type: ignore[attr-defined]
    assert not (tmp_path / "local-data").exists(), "no local lab was opened"


def test_the_workbench_negotiates_builds_and_downloads_through_the_service(bench: Workbench) -> None:
    assert isinstance(bench.state.api, HubLab) and ALICE in bench.header.children[-1].value
    bench.dashboard.prompt.value = "a warm tape delay that darkens its repeats"
    bench.dashboard.create.click()
    settle(bench, lambda: bench.state.detail is not None and bench.state.plan is not None)
    assert [row.parameter.name for row in bench.editor.rows.values()] == ["delayTime", "feedback", "tone", "mix"]

    bench.chat.input.value = "darker please"
    bench.chat.send_button.click()
    settle(bench, lambda: bench.state.project.plan_version == 2 and len(bench.chat.turns.children) == 4)
    assert "tone.default" in bench.chat.turns.children[-1].children[0].value

    bench.approve.click()
    settle(bench, lambda: bench.state.project.status is ProjectStatus.APPROVED)
    bench.build.start.click()
    download = bench.build.local_row.download
    settle(bench, lambda: bench.state.project.status is ProjectStatus.SUCCESS and download.enabled)
    settle(bench, lambda: any("built" in line["message"] for line in bench.build.log_view.lines))
    ids = [int(line["id"]) for line in bench.build.log_view.lines]
    assert ids == sorted(set(ids)) and sum("compiling unit" in line["message"] for line in bench.build.log_view.lines)
    assert "title='SUCCEEDED'" in bench.build.local_row.status.value

    download._handle_message(download, {"type": "request"}, [])  # the button's click
    project = bench.state.project
    size = len(bench.state.api.download(project.id).data)
    settle(bench, lambda: download.status.startswith("saving"))
    assert download.status == f"saving {project.plugin_name}.vst3.zip ({human_size(size)})"
    assert download.error == ""
