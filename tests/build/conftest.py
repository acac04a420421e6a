"""Shared by the build tests: one build cache for the whole session (the user's, or VAIST_CACHE_DIR), so
the JUCE module archive is compiled at most once per session (and not at all when an earlier session
left it), and template plugins built at most once each. Test modules import their helpers from
build_helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from build_helpers import TemplateBuild, collect

from vaist_lab.build import LocalBuilder
from vaist_lab.codegen import generate_project
from vaist_lab.plan import load_plan


@pytest.fixture(scope="session")
def template_build(tmp_path_factory: pytest.TempPathFactory, shared_build_root: Path) -> Callable[[str], TemplateBuild]:
    """Build a template (once per session) in its kept folder under the shared build root."""
    built: dict[str, TemplateBuild] = {}

    def build(name: str) -> TemplateBuild:
        if name not in built:
            work = tmp_path_factory.mktemp(name)
            project = generate_project(load_plan(name), work / "project")
            build_dir = shared_build_root / project.plugin_name
            events, finished = collect(LocalBuilder(build_dir=build_dir).build(project, work / "out"))
            assert finished.success, "\n".join(map(str, finished.errors)) + f"\n{finished.message}"
            built[name] = TemplateBuild(project, events, finished, build_dir)
        return built[name]

    return build
