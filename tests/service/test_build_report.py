"""What a build records about its plugin (vaist_lab.service.inspection) and `Lab.build_report`: the
verification's verdict, figures and checks, and the picture of the plugin's window, kept with the artifact
and replaced, kept by cleanup and removed with it. A plugin that fails verification, or cannot even be
loaded, is still built and downloadable; a cancel during verification ends the build. One real build of a
template checks the real figures and picture."""

from __future__ import annotations

import math
import struct
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from lab_states import project_in
from scripted_builder import PICTURE, ScriptedBuilder

from vaist_lab.build import LocalBuilder
from vaist_lab.dsp.chain import Chain
from vaist_lab.plan import Plan, load_plan
from vaist_lab.service import CurrentUser, Lab, LabSettings, NotFound
from vaist_lab.service.inspection import Progress
from vaist_lab.store import Project, ProjectStatus
from vaist_lab.verify import CheckResult, VerifyReport

VERIFYING = LabSettings(heartbeat_interval=0.05, build_workers=4, verify_builds=True)


@pytest.fixture
def verifying_lab(make_lab) -> Lab:
    return make_lab(VERIFYING)


@pytest.fixture
def carol(verifying_lab: Lab) -> CurrentUser:
    return verifying_lab.ensure_user("carol@example.com")


def build(lab: Lab, user: CurrentUser, builder: ScriptedBuilder, project=None):
    """Build (or rebuild) a tape-echo project with `builder` to its end; the project's id."""
    lab.builder_factory = lambda: builder
    if project is None:
        project = project_in(lab, user, ProjectStatus.APPROVED)
        lab.start_build(user, project).wait(30)
    else:
        lab.rebuild(user, project).wait(30)
    return project


def sample_report(plan: Plan, bundle: Path, progress: Progress) -> VerifyReport:
    """A verification with an exact case, a failing one and one without a figure, as verify_plugin makes them."""
    progress("fidelity")
    return VerifyReport(
        plan.plugin_name,
        str(bundle),
        [
            CheckResult("parameters", "time", True),
            CheckResult("fidelity", "44100 Hz, block 64, default, impulse", True, -math.inf, -90.0, sample_rate=44100),
            CheckResult("fidelity", "48000 Hz, block 64, default, noise", True, -120.5, -90.0, sample_rate=48000),
            CheckResult("fidelity", "48000 Hz, block 512, maximum, sweep", False, -42.25, -90.0, sample_rate=48000),
            CheckResult("fidelity", "96000 Hz, block 64, default, noise", False, None, None, "output shape", 96000),
            CheckResult("fuzz", "96000 Hz, block 7: time=0", True),
        ],
    )


@pytest.mark.parametrize("backend", ["sqlite"])  # the host runs (in a process of its own), not the database
def test_an_unloadable_plugin_is_built_and_recorded_as_failing_verification(verifying_lab: Lab, carol) -> None:
    project = build(verifying_lab, carol, ScriptedBuilder(picture=PICTURE))  # its "plugin" is not one
    view = verifying_lab.project(carol, project)
    assert view.status is ProjectStatus.SUCCESS and view.last_error is None
    report = verifying_lab.build_report(carol, project)
    assert report is not None and report.passed is False
    assert report.summary.startswith("verification failed: TapeEcho.vst3: the host could not load it")
    assert report.fidelity == () and report.checks == ()
    assert report.editor_png == PICTURE and report.editor_error is None
    lines = verifying_lab.get_logs(carol, project)
    assert [(line.level, line.message) for line in lines if line.source == "verify"] == [
        ("info", "verifying the plugin against its plan (workbench level)"),
        ("warning", report.summary),
        ("info", "drawing the plugin's window"),
        ("info", "drew the plugin's window"),
    ]
    assert lines[-1].message == "built TapeEcho.vst3"
    assert verifying_lab.download_link(carol, project).filename == "TapeEcho.vst3.zip", "still downloadable"


def test_the_figures_are_stored_and_reported(verifying_lab: Lab, carol) -> None:
    verifying_lab.runner.verifier = sample_report
    project = build(verifying_lab, carol, ScriptedBuilder())
    report = verifying_lab.build_report(carol, project)
    assert report is not None and report.passed is False
    assert report.summary == (
        "verification failed: 2 of 6 checks failed "
        "(first: fidelity, 48000 Hz, block 512, maximum, sweep: -42.2 dB, limit -90 dB)"
    )
    assert [(f.sample_rate, f.worst_db, f.limit_db, f.passed) for f in report.fidelity] == [
        (44100, -math.inf, -90.0, True),
        (48000, -42.25, -90.0, False),
        (96000, math.inf, -90.0, False),  # no figure: no agreement
    ]
    assert len(report.checks) == 6 and report.checks[1]["figure_db"] == -math.inf
    assert report.checks[4] == {
        "check": "fidelity",
        "case": "96000 Hz, block 64, default, noise",
        "passed": False,
        "figure_db": None,
        "bound_db": None,
        "detail": "output shape",
    }
    assert report.editor_png is None and report.editor_error == "the scripted builder cannot draw a plugin's window"


def test_a_crashing_verification_loses_nothing(verifying_lab: Lab, carol) -> None:
    def crash(plan: Plan, bundle: Path, progress: Progress) -> VerifyReport:
        raise ZeroDivisionError("division by zero")

    verifying_lab.runner.verifier = crash
    project = build(verifying_lab, carol, ScriptedBuilder(picture=PICTURE))
    assert verifying_lab.project(carol, project).status is ProjectStatus.SUCCESS
    report = verifying_lab.build_report(carol, project)
    assert report.passed is False and report.summary == "verification failed: ZeroDivisionError: division by zero"
    assert report.editor_png == PICTURE


def test_a_cancel_during_verification_ends_the_build(verifying_lab: Lab, carol) -> None:
    started = threading.Event()

    def endless(plan: Plan, bundle: Path, progress: Progress) -> VerifyReport:
        started.set()
        while True:
            progress("fuzz")
            time.sleep(0.01)

    verifying_lab.runner.verifier = endless
    verifying_lab.builder_factory = ScriptedBuilder
    project = project_in(verifying_lab, carol, ProjectStatus.APPROVED)
    handle = verifying_lab.start_build(carol, project)
    assert started.wait(10)
    verifying_lab.cancel_build(carol, project)
    handle.wait(10)
    view = verifying_lab.project(carol, project)
    assert view.status is ProjectStatus.FAILED and view.last_error == "cancelled" and view.artifacts == {}


def test_unverified_builds_say_why(lab: Lab, alice: CurrentUser) -> None:
    assert lab.build_report(alice, project_in(lab, alice, ProjectStatus.APPROVED)) is None, "never built"
    project = project_in(lab, alice, ProjectStatus.SUCCESS, name="built")  # the fixture's lab does not verify
    report = lab.build_report(alice, project)
    assert report.passed is None and report.fidelity == () and report.editor_png is None
    assert report.summary == "not verified: verification is switched off (VAIST_VERIFY_BUILDS=0)"
    with pytest.raises(NotFound, match="no build for macos-arm64"):
        lab.build_report(alice, project, "macos-arm64")
    with lab.database.session() as session:  # as stored before builds were verified
        row = session.get(Project, project)
        row.artifacts = {
            platform: {k: v for k, v in info.items() if k != "verification"} for platform, info in row.artifacts.items()
        }
    assert lab.build_report(alice, project).summary == "not verified: built before builds were verified"


def test_the_picture_is_replaced_kept_and_removed_with_its_plugin(verifying_lab: Lab, carol) -> None:
    verifying_lab.runner.verifier = sample_report
    project = build(verifying_lab, carol, ScriptedBuilder(picture=PICTURE))
    stored = {item.key for item in verifying_lab.storage.objects()}
    assert {Path(key).name for key in stored} == {"TapeEcho.vst3.zip", "TapeEcho-window.png"}
    cleanup = verifying_lab.cleanup(older_than=timedelta(0), dry_run=True)
    assert cleanup.artifacts == [], "a live plugin's picture is not an orphan"
    build(verifying_lab, carol, ScriptedBuilder(), project)  # rebuilt: no picture this time
    assert verifying_lab.project(carol, project).build_attempts == 2
    assert {Path(item.key).name for item in verifying_lab.storage.objects()} == {"TapeEcho.vst3.zip"}
    assert verifying_lab.build_report(carol, project).editor_png is None
    build(verifying_lab, carol, ScriptedBuilder(picture=PICTURE), project)
    assert verifying_lab.build_report(carol, project).editor_png == PICTURE
    verifying_lab.delete_project(carol, project)
    assert list(verifying_lab.storage.objects()) == []


def local_builds_missing() -> str:
    builder = LocalBuilder()
    problems = builder.check()
    if not problems and builder.archive() is None:
        problems = ["no installed JUCE (or VAIST_JUCE_ARCHIVE=0): the window cannot be drawn"]
    return "; ".join(problems)


@pytest.mark.skipif(local_builds_missing() != "", reason=f"no real builds here: {local_builds_missing()}")
@pytest.mark.parametrize("backend", ["sqlite"])  # one real build is enough: the database is not what is tested
def test_a_real_build_records_its_verification_and_its_window(
    make_lab, shared_build_root: Path, user_cache: Path
) -> None:
    lab = make_lab(LabSettings(heartbeat_interval=1.0, verify_builds=True))
    # the shared JUCE module archive and a kept build folder: the plugin's own sources are all that compile
    lab.builder_factory = lambda: LocalBuilder(build_dir=shared_build_root / "service-ClassicRoom", cache=user_cache)
    user = lab.ensure_user("dana@example.com")
    project = lab.create_project(user, "Room", template="classic-room").id
    lab.approve(user, project)
    # The build's runner is a thread: the plugin is checked in a child process (a thread of this one loading a
    # plugin would make JUCE refuse plugins on every other thread, the suite's main thread included).
    lab.start_build(user, project).wait(900)
    view = lab.project(user, project)
    assert view.status is ProjectStatus.SUCCESS, view.last_error
    report = lab.build_report(user, project)
    assert report is not None and report.passed, report.summary
    plan = load_plan("classic-room")
    limit = -90.0 if Chain(plan).is_linear_time_invariant else -60.0
    assert [figure.sample_rate for figure in report.fidelity] == [44100, 48000, 96000]
    for figure in report.fidelity:
        assert figure.passed and figure.limit_db == limit and figure.worst_db <= limit
    assert {check["check"] for check in report.checks} == {"parameters", "state", "fidelity", "fuzz"}
    assert report.summary.startswith(f"verified: all {len(report.checks)} checks passed")
    png = report.editor_png
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert width >= 200 and height >= 100
    verify_lines = [line.message for line in lab.get_logs(user, project) if line.source == "verify"]
    assert verify_lines[0] == "verifying the plugin against its plan (workbench level)"
    assert verify_lines[-1] == "drew the plugin's window"
    assert not (lab.work_root / str(project)).exists()
