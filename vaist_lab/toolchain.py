"""What the C++ compiler says it is, for cache keys: the parity harness (vaist_lab.codegen.harness) and the
JUCE module archive (vaist_lab.build.archive). Imports nothing of vaist_lab, so both layers can use it."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache


@cache
def _version_output(path: str, mtime: float) -> str:
    return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout


def compiler_version(path: str) -> str:
    """The whole output of `<compiler> --version`, cached per compiler file and its modification time (a bare
    name such as `c++` is looked up on PATH for that). OSError when the compiler cannot be run."""
    try:
        mtime = os.stat(shutil.which(path) or path).st_mtime
    except OSError:
        mtime = 0.0
    return _version_output(path, mtime)


def compiler_identity(path: str) -> str:
    """The first line of `<compiler> --version`; "unknown" when it cannot be run or says nothing."""
    try:
        output = compiler_version(path)
    except OSError:
        return "unknown"
    return output.strip().splitlines()[0] if output.strip() else "unknown"


__all__ = ["compiler_identity", "compiler_version"]
