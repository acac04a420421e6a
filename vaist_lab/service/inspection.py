"""What a build records about its plugin besides the plugin: the plugin checked against its plan in a real
host (vaist_lab.verify at the quick WORKBENCH level) and a picture of its window (the builder's
`snapshot_editor`), both made on the build's machine right after a successful build for it. The host runs
in a child process (vaist_lab.verify.process): JUCE lets only one thread of a process ever load plugins,
and builds run on many; a plugin that crashes the host then takes only the child with it.

A plugin that fails verification, or that the host cannot even load, is still a successful build (SUCCESS,
downloadable): the verification is recorded as failed (`passed` False) with a summary saying why, and the
build log says so. Only a cancel stops the build there (FAILED, "cancelled"). A plugin built for another
platform, or built with verification switched off, is recorded as not verified (`passed` None).

A plugin built on GitHub Actions is verified on its runner (`vaist-lab verify`, FULL level) and its
verification.json comes back with it: `verification_of_report` stores it in the same shape, so that the build
report of each platform reads alike.

Where it is kept (Project.artifacts is a JSON column, so no migration): the artifact's info holds

    "verification": {"passed", "summary", "level", "seconds",
                     "fidelity": [{"sample_rate", "worst_db", "limit_db", "passed"}],
                     "checks": [{"check", "case", "passed", "figure_db", "bound_db", "detail"}]}
    "editor_png": the storage key of the window's picture (absent when it could not be drawn)
    "editor_error": why it could not be drawn (absent when it was)

Infinite figures (an exact match is -inf dB) are stored as the strings "-inf"/"inf", which JSON can hold.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaist_lab.build.base import Builder, BuildError
from vaist_lab.build.events import Level
from vaist_lab.codegen.project import GeneratedProject
from vaist_lab.plan import Plan
from vaist_lab.service.api import BuildReport, FidelityFigure

if TYPE_CHECKING:  # vaist_lab.verify loads the host and SciPy: only once a build is verified
    from vaist_lab.verify.checks import CheckResult, VerifyReport

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
Verifier = Callable[[Plan, Path, Progress], "VerifyReport"]
Say = Callable[[Level, str], bool]  # writes a line of the build log; True when the build is to stop


class InspectionCancelled(Exception):
    """The build was cancelled while its plugin was being inspected."""


@dataclass(frozen=True)
class Inspection:
    verification: dict[str, Any]  # JSON: see the module docstring
    editor_png: Path | None = None
    editor_error: str | None = None


def workbench_verifier(plan: Plan, bundle: Path, progress: Progress) -> VerifyReport:
    from vaist_lab.verify import WORKBENCH
    from vaist_lab.verify.process import verify_in_subprocess

    return verify_in_subprocess(plan, bundle, level=WORKBENCH, progress=progress)


def not_verified(reason: str) -> Inspection:
    return Inspection({"passed": None, "summary": f"not verified: {reason}"})


def inspect_build(
    plan: Plan,
    bundle: Path,
    project: GeneratedProject,
    builder: Builder,
    scratch: Path,
    say: Say,
    verifier: Verifier = workbench_verifier,
) -> Inspection:
    """Verify the built `bundle` against `plan` and draw its window into `scratch`, telling the build log
    how it goes; InspectionCancelled as soon as `say` answers that the build is to stop."""
    from vaist_lab.verify import WORKBENCH, HostError

    def step(message: str) -> None:
        if say(Level.INFO, message):
            raise InspectionCancelled

    step(f"verifying the plugin against its plan ({WORKBENCH.name} level)")
    started = time.monotonic()
    try:
        verification = verification_json(verifier(plan, bundle, step))
    except InspectionCancelled:
        raise
    except HostError as error:  # its message starts with the bundle's path, in a workspace gone by now
        verification = {"passed": False, "summary": f"verification failed: {error}".replace(str(bundle), bundle.name)}
    except Exception as error:  # a fault in the verification must not lose the built plugin
        logger.exception("verifying %s crashed", bundle)
        verification = {"passed": False, "summary": f"verification failed: {type(error).__name__}: {error}"}
    verification |= {"level": WORKBENCH.name, "seconds": round(time.monotonic() - started, 1)}
    if say(Level.INFO if verification["passed"] else Level.WARNING, verification["summary"]):
        raise InspectionCancelled
    step("drawing the plugin's window")
    try:
        picture = builder.snapshot_editor(project, scratch / "editor.png")
    except BuildError as error:
        reason = str(error)
    except Exception as error:  # a fault in drawing must not lose the built plugin either
        logger.exception("drawing the window of %s crashed", bundle)
        reason = f"{type(error).__name__}: {error}"
    else:
        step("drew the plugin's window")
        return Inspection(verification, picture)
    if say(Level.WARNING, f"no picture of the plugin's window: {reason}"):
        raise InspectionCancelled
    return Inspection(verification, editor_error=reason)


def verification_json(report: VerifyReport) -> dict[str, Any]:
    """A verification report as stored with the artifact (see the module docstring)."""
    by_rate: dict[int, list[CheckResult]] = {}
    for result in report.results:
        if result.check == "fidelity" and result.sample_rate is not None:
            by_rate.setdefault(result.sample_rate, []).append(result)
    # one bound for the whole chain; a case that failed before its comparison has none
    bounds = [result.bound_db for cases in by_rate.values() for result in cases if result.bound_db is not None]
    limit = bounds[0] if bounds else math.nan
    fidelity = []
    for rate, results in sorted(by_rate.items()):
        figures = [result.figure_db for result in results if result.figure_db is not None]
        worst = max(figures) if len(figures) == len(results) else math.inf  # a case without a figure failed
        fidelity.append(
            {
                "sample_rate": rate,
                "worst_db": _number(worst),
                "limit_db": _number(limit),
                "passed": all(result.passed for result in results),
            }
        )
    checks = [
        {
            "check": result.check,
            "case": result.case,
            "passed": result.passed,
            "figure_db": _number(result.figure_db),
            "bound_db": _number(result.bound_db),
            "detail": result.detail,
        }
        for result in report.results
    ]
    return {"passed": report.passed, "summary": _summary(report), "fidelity": fidelity, "checks": checks}


def verification_of_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """A verification.json (what `vaist-lab verify --json` writes, made where the plugin was built) as stored
    with the artifact; ValueError when it is no such report."""
    from vaist_lab.verify.checks import FULL, CheckResult, VerifyReport

    try:
        results = [
            CheckResult(
                check=str(item["check"]),
                case=str(item["case"]),
                passed=item["passed"] is True,
                figure_db=_float(item.get("figure_db")),
                bound_db=_float(item.get("bound_db")),
                detail=str(item.get("detail") or ""),
                sample_rate=int(item["sample_rate"]) if item.get("sample_rate") is not None else None,
            )
            for item in report["results"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"it is not a verification report ({type(error).__name__}: {error})") from None
    verified = VerifyReport(str(report.get("plan", "")), str(report.get("plugin", "")), results)
    return verification_json(verified) | {"level": FULL.name}


def verification_verdict(verification: Mapping[str, Any] | None) -> tuple[bool | None, float | None]:
    """A stored verification's verdict and its worst fidelity figure (None when there is none)."""
    if not verification:
        return None, None
    figures = [float(item["worst_db"]) for item in verification.get("fidelity", ())]
    worst = max(figures, default=None)
    return verification.get("passed"), None if worst is None or math.isnan(worst) else worst


def build_report(platform: str, info: Mapping[str, Any], editor_png: bytes | None) -> BuildReport:
    """The api's BuildReport of an artifact's stored info (and its window's picture, read by the caller)."""
    verification = info.get("verification") or not_verified("built before builds were verified").verification
    return BuildReport(
        platform=platform,
        passed=verification["passed"],
        summary=verification["summary"],
        fidelity=tuple(
            FidelityFigure(item["sample_rate"], float(item["worst_db"]), float(item["limit_db"]), item["passed"])
            for item in verification.get("fidelity", ())
        ),
        checks=tuple(
            {**check, "figure_db": _float(check["figure_db"]), "bound_db": _float(check["bound_db"])}
            for check in verification.get("checks", ())
        ),
        editor_png=editor_png,
        editor_error=info.get("editor_error"),
    )


def _summary(report: VerifyReport) -> str:
    results = report.results
    failed = [result for result in results if not result.passed]
    if failed:
        first = failed[0]
        why = [first.detail] if first.detail else []
        if first.figure_db is not None and first.bound_db is not None:
            why.insert(0, f"{first.figure_db:.1f} dB, limit {first.bound_db:g} dB")
        first_failure = f"{first.check}, {first.case}" + (f": {'; '.join(why)}" if why else "")
        return f"verification failed: {len(failed)} of {len(results)} checks failed (first: {first_failure})"
    fidelity = [result for result in results if result.check == "fidelity"]
    if not fidelity:
        return f"verified: all {len(results)} checks passed"
    worst = report.worst_db()
    closeness = "the same samples as the model" if worst == -math.inf else f"at worst {worst:.1f} dB from the model"
    return (
        f"verified: all {len(results)} checks passed; the plugin plays {closeness} (limit {fidelity[0].bound_db:g} dB)"
    )


def _number(value: float | None) -> float | str | None:
    return value if value is None or math.isfinite(value) else str(value)


def _float(value: float | str | None) -> float | None:
    return None if value is None else float(value)


__all__ = [
    "Inspection",
    "InspectionCancelled",
    "Verifier",
    "build_report",
    "inspect_build",
    "not_verified",
    "verification_json",
    "verification_of_report",
    "verification_verdict",
    "workbench_verifier",
]
