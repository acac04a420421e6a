"""Building generated plugin projects into VST3 bundles, behind one interface (Builder) that yields
events as the build runs: LocalBuilder (with the shared JUCE module archive), the BuildQueue that runs
builds in the background, and the user's build cache. The GitHub Actions builder (Linux, macOS and Windows
on GitHub's runners) is vaist_lab.build.github, imported on its own: it brings PyGithub."""

from vaist_lab.build.archive import ArchiveKey, ArchiveMismatch, JuceArchive
from vaist_lab.build.base import Builder, BuildError, run_build
from vaist_lab.build.cache import cache_entries, clear_cache
from vaist_lab.build.diagnostics import OutputParser, describe_step, first_errors, parse_lines
from vaist_lab.build.events import (
    BuildEvent,
    BuildFinished,
    Level,
    LogEvent,
    PlatformFinished,
    ProgressEvent,
    Source,
)
from vaist_lab.build.local import LocalBuilder, Toolchain, find_juce, install_bundle
from vaist_lab.build.queue import BuildJob, BuildQueue, JobState, QueueFull, QueueUpdate

__all__ = [
    "ArchiveKey",
    "ArchiveMismatch",
    "BuildError",
    "BuildEvent",
    "BuildFinished",
    "BuildJob",
    "BuildQueue",
    "Builder",
    "JobState",
    "JuceArchive",
    "Level",
    "LocalBuilder",
    "LogEvent",
    "OutputParser",
    "PlatformFinished",
    "ProgressEvent",
    "QueueFull",
    "QueueUpdate",
    "Source",
    "Toolchain",
    "cache_entries",
    "clear_cache",
    "describe_step",
    "find_juce",
    "first_errors",
    "install_bundle",
    "parse_lines",
    "run_build",
]
