"""HubLab and the wire format without a hub: the client is the protocol (every member, the protocol's own
signature), generated from the routes so that nothing is written per call; it imports no database library,
store or builder (the single-user server has none of the service's secrets or parts); the views travel as
JSON and come back equal; refusals come back as their own classes; the service's URL is found in a
single-user server's environment; and a call the service never answers is a ServiceError, not a crash."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vaist_lab.hub.client import HubLab, hub_connection
from vaist_lab.hub.wire import (
    ROUTES,
    DownloadLinkView,
    HubApi,
    LabServiceUnavailable,
    WireError,
    error_body,
    error_from_body,
    from_json,
    to_json,
)
from vaist_lab.plan.io import load_template
from vaist_lab.planner.settings import PlannerConfigError
from vaist_lab.service.api import BuildReport, FidelityFigure, GitHubSettingsView, LabApi, TurnView
from vaist_lab.service.errors import ProjectNotFound, RateLimited, ServiceError
from vaist_lab.service.views import ArtifactView, LogLine, PlatformBuildStatus, PlatformBuildView, ProjectView
from vaist_lab.status import ProjectStatus

NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
PLATFORMS = ("linux", "macos", "windows")


def protocol_members() -> list[str]:
    return [name for name in vars(LabApi) if not name.startswith("_")]


def test_hub_lab_is_the_protocol_with_the_same_parameters() -> None:
    members = protocol_members()
    assert {"user", "chat", "start_build", "follow_logs", "download", "models"} <= set(members)
    assert set(ROUTES) == {*members, *(name for name in vars(HubApi) if not name.startswith("_"))}
    client = HubLab("http://127.0.0.1:9/services/vaist/", "token")  # (isinstance would read `user`: a call)
    for name in members:
        assert name in vars(HubLab), f"{name} is generated on HubLab itself"
        declared, implemented = getattr(LabApi, name), getattr(HubLab, name)
        if isinstance(declared, property):
            assert isinstance(implemented, property), name
            continue
        assert inspect.signature(implemented) == inspect.signature(declared), name
        assert implemented.__doc__ == declared.__doc__ and implemented.__qualname__ == f"HubLab.{name}"
    with pytest.raises(TypeError, match="unexpected keyword argument 'user'"):
        client.list_projects(user="bob@example.com")  # bound against the protocol's signature before any call


def test_the_client_imports_no_database_library_store_or_builder() -> None:
    probe = (
        "import sys, vaist_lab.hub.client, vaist_lab.ui; "
        "print(sorted(name for name in sys.modules if name == 'sqlalchemy' or name.startswith("
        "('sqlalchemy.', 'vaist_lab.store', 'vaist_lab.build', 'vaist_lab.service.lab', 'jupyterhub', 'alembic'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def project_view(**changes: object) -> ProjectView:
    plan = load_template("tape-echo").to_json_dict()
    fields = {
        "id": uuid.uuid4(),
        "name": "Echo",
        "description": "",
        "prompt": "a dark echo",
        "status": ProjectStatus.SUCCESS,
        "category": "delay",
        "plugin_name": "TapeEcho",
        "plugin_code": "Tp01",
        "plan_version": 2,
        "plan_json": plan,
        "approved_plan_json": plan,
        "approved_version": 2,
        "build_attempts": 1,
        "last_error": None,
        "build_progress": (2, 2),
        "artifacts": {"linux-x86_64": ArtifactView("linux-x86_64", "TapeEcho.vst3.zip", 10, "ab" * 32, NOW)},
        "created_at": NOW,
        "updated_at": NOW,
        "build_started_at": NOW - timedelta(seconds=30),
        "build_finished_at": None,
    }
    return ProjectView(**{**fields, **changes})


def roundtrip(value: object, hint: object) -> object:
    return from_json(json.loads(json.dumps(to_json(value), allow_nan=False)), hint)  # strict JSON, as browsers read


def test_views_travel_as_json_and_come_back_equal() -> None:
    view = project_view()
    assert roundtrip(view, ProjectView) == view
    turn = TurnView(view, True, "darker", diff={"summary": "tone down"})
    assert roundtrip(turn, TurnView) == turn
    report = BuildReport(
        "linux-x86_64",
        True,
        "verified",
        (FidelityFigure(44100, float("-inf"), -80.0, True), FidelityFigure(96000, -91.5, -80.0, True)),
        ({"check": "fidelity", "passed": True, "figure_db": -91.5},),
        editor_png=b"\x89PNG\r\n\x1a\n window",
    )
    assert roundtrip(report, BuildReport | None) == report and roundtrip(None, BuildReport | None) is None
    line = LogLine(7, uuid.uuid4(), "error", "compiler", "linux-x86_64", "boom", "Source/Chain.h", 3, None, NOW)
    assert roundtrip([line], list[LogLine]) == [line]
    link = DownloadLinkView("/services/vaist/artifacts/x?expires=1", "TapeEcho.vst3.zip", 10, NOW)
    assert roundtrip(link, DownloadLinkView) == link
    computed = FidelityFigure(np.int64(48000), np.float32(-90.5), -80.0, np.bool_(True))  # NumPy's own scalars
    assert roundtrip(computed, FidelityFigure) == FidelityFigure(48000, -90.5, -80.0, True)
    platforms = [
        PlatformBuildView(
            "windows",
            "github",
            uuid.uuid4(),
            PlatformBuildStatus.BUILDING,
            NOW,
            None,
            None,
            "",
            (3, 12),
            "Build",
            None,
            None,
            False,
            False,
        ),
        PlatformBuildView(
            "linux",
            "github",
            uuid.uuid4(),
            PlatformBuildStatus.SUCCEEDED,
            NOW,
            NOW,
            42.5,
            "built",
            (12, 12),
            "",
            True,
            float("-inf"),
            True,
            False,
        ),
    ]
    assert roundtrip(platforms, list[PlatformBuildView]) == platforms
    settings = GitHubSettingsView("octo/builds", "https://api.github.com", "ghp_…k9", False, True, PLATFORMS, "")
    assert roundtrip(settings, GitHubSettingsView) == settings


def test_values_that_do_not_read_as_their_type_name_where_and_what() -> None:
    with pytest.raises(WireError, match=r"^version: expected an integer, got 'one'$"):
        from_json("one", int, "version")
    with pytest.raises(WireError, match=r"^wait: expected a number, got True$"):
        from_json(True, float, "wait")
    with pytest.raises(WireError, match=r"^wait: expected a number, got '2.5'$"):
        from_json("2.5", float, "wait")  # only inf, -inf and nan travel as strings
    assert math.isnan(roundtrip(float("nan"), float))
    with pytest.raises(WireError, match=r"^project\.status: expected 'DRAFT' or .* got 'LOST'$"):
        from_json({**to_json(project_view()), "status": "LOST"}, ProjectView, "project")
    with pytest.raises(WireError, match=r"missing 1 required positional argument: 'name'"):
        from_json({key: value for key, value in to_json(project_view()).items() if key != "name"}, ProjectView)
    assert from_json("not-a-uuid", uuid.UUID | str) == "not-a-uuid"  # a project id may be a name-like text
    newer = {**to_json(project_view()), "added_by_a_newer_service": 1}
    assert isinstance(from_json(newer, ProjectView), ProjectView)  # unknown fields are ignored


def test_refusals_come_back_as_their_own_classes() -> None:
    missing = error_from_body(error_body("ProjectNotFound", "no project 42"), 404)
    assert type(missing) is ProjectNotFound and str(missing) == "no project 42"
    limited = error_from_body(error_body("RateLimited", "generation limit reached", timedelta(minutes=5)), 429)
    assert isinstance(limited, RateLimited) and limited.retry_after == timedelta(minutes=5)
    assert type(error_from_body(error_body("PlannerConfigError", "unknown model"), 400)) is PlannerConfigError
    unknown = error_from_body(error_body("SomethingNewer", "a newer service's refusal"), 409)
    assert type(unknown) is ServiceError and str(unknown) == "a newer service's refusal"
    assert isinstance(error_from_body("<html>proxy error</html>", 503), LabServiceUnavailable)
    assert error_body("InvalidInput", "first line\nsecond line")["message"] == "first line"


def test_the_service_is_found_in_a_single_user_servers_environment() -> None:
    assert hub_connection({}) is None  # not in a hub: the workbench opens the local lab
    assert hub_connection({"VAIST_SERVICE_URL": "http://vaist:10101/services/vaist"}) is None  # no token
    explicit = hub_connection({"JUPYTERHUB_API_TOKEN": "t0k", "VAIST_SERVICE_URL": "http://vaist:10101/services/vaist"})
    assert explicit is not None and explicit.service_url == "http://vaist:10101/services/vaist/"
    assert "t0k" not in repr(explicit)
    derived = hub_connection(
        {
            "JUPYTERHUB_API_TOKEN": "t0k",
            "JUPYTERHUB_PUBLIC_HUB_URL": "https://lab.example.com/jhub/hub/",
            "JUPYTERHUB_BASE_URL": "/jhub/",
        }
    )
    assert derived is not None and derived.service_url == "https://lab.example.com/jhub/services/vaist/"
    assert hub_connection({"JUPYTERHUB_API_TOKEN": "t0k"}) is None  # nowhere to go: local, not a broken client


def test_a_service_that_does_not_answer_is_a_service_error() -> None:
    lab = HubLab("http://127.0.0.1:9/services/vaist/", "token", timeout=2.0)  # nothing listens on port 9
    with pytest.raises(LabServiceUnavailable, match="did not answer"):
        lab.list_projects()
    with pytest.raises(LabServiceUnavailable, match="not in a hub's single-user server"):
        HubLab.from_environment({})
