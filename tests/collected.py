"""The test modules this session collected, before -k or -m deselect any: test_collection.py compares them with
the ones on disk. The hook is registered by tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

COLLECTED_MODULES = pytest.StashKey[set[Path]]()


def pytest_itemcollected(item: pytest.Item) -> None:
    item.config.stash.setdefault(COLLECTED_MODULES, set()).add(item.path)
