"""One real JupyterHub for all the hub tests (hub_harness.Hub), with the vaist service behind its proxy."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_harness import ALICE, BOB, PROXY, Hub

SERVICE_TESTS = Path(__file__).resolve().parent.parent / "service"
sys.path.insert(0, str(SERVICE_TESTS))  # scripted_builder: the builder of the service's workers, and its bytes


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    if not PROXY.exists():
        pytest.skip(f"no {PROXY.relative_to(PROXY.parents[3])}: run `npm ci --prefix deploy` (.ci/install does)")
    here = Path(__file__).resolve().parent
    environment = {
        "PYTHONPATH": os.pathsep.join([str(here), str(SERVICE_TESTS)]),  # for the build workers
        "VAIST_BUILD_WORKER_BUILDER": "hub_builders:paced",
        "VAIST_VERIFY_BUILDS": "0",  # the scripted plugin is no plugin
        "VAIST_PLANNER_MODEL": "offline",
        "VAIST_BUILD_WORKERS": "4",
    }
    hub = Hub(tmp_path_factory.mktemp("hub"), (ALICE, BOB), environment)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
