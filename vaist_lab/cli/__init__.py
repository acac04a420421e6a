"""`vaist-lab`: the command line. Each module registers its commands on the one group in `app`."""

from vaist_lab.cli import cache, hub, planning, plans, projects, remote, server  # noqa: F401 - registers the commands
from vaist_lab.cli.app import main

__all__ = ["main"]
