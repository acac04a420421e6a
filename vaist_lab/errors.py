"""The base of the errors a person can act on, kept free of imports so that naming it costs nothing."""

from __future__ import annotations


class VaistError(Exception):
    """A user error: its message names what was wrong. The CLI prints it as one line, without a traceback."""


__all__ = ["VaistError"]
