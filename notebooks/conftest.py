"""The notebooks under nbval (see [tool.pytest.ini_options]).

Each notebook's kernel starts while its first cell is set up, and inherits this process's environment then.
For the session, VAIST_DATA_DIR and TMPDIR point into a temporary folder removed at the end: no notebook reaches
the user's projects, keys or artifacts, and nothing a notebook leaves in its temporary folders outlives the run
(nbval stops kernels without letting them clean up). VAIST_CACHE_DIR stays as the rest of the suite has it, so
the examples' builds share the JUCE module archive (and keep their build folders) with the suite and with
earlier runs.

The Voila app (app.ipynb) is a page, not a script: the browser tests in tests/ui cover it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

collect_ignore = ["app.ipynb"]

SESSION_FOLDER = pytest.StashKey[Path]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    config = item.config
    if SESSION_FOLDER not in config.stash:
        folder = Path(tempfile.mkdtemp(prefix="vaist-notebooks-"))
        (folder / "data").mkdir()
        (folder / "tmp").mkdir()
        config.stash[SESSION_FOLDER] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    folder = config.stash[SESSION_FOLDER]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAIST_DATA_DIR", str(folder / "data"))
        patch.setenv("TMPDIR", str(folder / "tmp"))
        yield
