"""One real JupyterHub for all the hub tests (hub_harness.Hub), with the vaist service behind its proxy."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from hub_harness import ALICE, BOB, PROXY, SERVICE_TESTS, Hub, scripted_service_environment

sys.path.insert(0, str(SERVICE_TESTS))  # scripted_builder: the builder of the service's workers, and its bytes


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    if not PROXY.exists():
        pytest.skip(f"no {PROXY.relative_to(PROXY.parents[3])}: run `npm ci --prefix deploy` (.ci/install does)")
    hub = Hub(tmp_path_factory.mktemp("hub"), (ALICE, BOB), scripted_service_environment())
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
