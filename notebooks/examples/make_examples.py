"""Write the example notebooks: one per plugin category, from words to a verified plugin.

Each is made by `vaist_lab.notebook.plan_notebook` from a prompt and one feedback message, run in a fresh
kernel (the plugin built with the build cache and verified in pedalboard), and stored without the outputs that
only live in a running kernel (the audio players).

    .venv/bin/python notebooks/examples/make_examples.py [NAME ...]    # all of them, or e.g. delay reverb

It needs the toolchain `.ci/install` sets up; each notebook takes a minute or more, mostly verification.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from vaist_lab.notebook import execute_notebook, for_storage, plan_notebook
from vaist_lab.plan import Category
from vaist_lab.planner import Planner

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Example:
    category: Category
    prompt: str
    feedback: str
    signal: str  # the test signal it is heard on

    @property
    def name(self) -> str:
        return self.category.value.lower()

    @property
    def path(self) -> Path:
        return HERE / f"{self.name}.ipynb"


EXAMPLES = (
    Example(
        Category.GAIN,
        "a clean volume trim for the end of a chain, smooth so automation never clicks",
        "louder",
        "voice",
    ),
    Example(Category.DELAY, "a warm tape delay that darkens its repeats", "more feedback", "pluck"),
    Example(Category.FILTER, "a resonant low-pass filter for synth sweeps", "darker, with more resonance", "drums"),
    Example(Category.DISTORTION, "a gritty tube overdrive for guitar", "darker", "pluck"),
    Example(Category.TREMOLO, "a vintage amp tremolo that throbs", "faster, with a square wave", "voice"),
    Example(Category.CHORUS, "a lush stereo chorus like an old Juno", "deeper and slower", "pluck"),
    Example(Category.REVERB, "a big dark hall reverb for vocals", "bigger", "voice"),
    Example(Category.COMPRESSOR, "a punchy drum bus compressor that glues the kit", "more intense", "drums"),
)


def example_notebook(example: Example) -> NotebookNode:
    """The example's notebook, before it runs."""
    planned = Planner().turn(example.prompt, model="offline")  # the prompt must say what the example is about
    if not planned.ok or planned.plan is None or planned.plan.category is not example.category:
        raise SystemExit(f"{example.name}: the offline planner reads {example.prompt!r} as {planned.reply}")
    return plan_notebook(
        example.prompt,
        title=f"{example.category.value.title()}: from words to a verified plugin",
        feedback=[example.feedback],
        signal=example.signal,
    )


def main() -> None:
    names = [example.name for example in EXAMPLES]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of {', '.join(names)} [all]")
    chosen = parser.parse_args().names or names
    if unknown := set(chosen) - set(names):
        parser.error(f"no example {', '.join(sorted(unknown))} (examples: {', '.join(names)})")
    for example in EXAMPLES:
        if example.name in chosen:
            started = time.monotonic()
            notebook = execute_notebook(example_notebook(example), HERE)
            nbformat.write(for_storage(notebook), example.path)
            print(f"{example.path.name}: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
