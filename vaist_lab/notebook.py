"""Notebooks that take an effect from words (or a stored project) to a verified plugin, top to bottom: the plan,
negotiation turns, its responses, before/after audio, the build and the verification table.

`plan_notebook` writes one; the examples in notebooks/examples/ and `vaist-lab project export-notebook` are
both made by it. The code cells use the package's public API only, so a notebook runs wherever vaist-lab is
installed (the build needs the toolchain `.ci/install` sets up).

Cell tags: `nbval-ignore-output` on cells whose output differs from run to run (build times, temporary paths,
verification figures in the last digit), so that nbval compares every other output; `live-output` on cells
whose output only makes sense while the kernel runs, which is not stored (`for_storage`): audio players (they
would put megabytes of base64 WAV into the file) and widgets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vaist_lab.dsp.signals import TEST_SIGNALS
from vaist_lab.errors import VaistError
from vaist_lab.plan import Category, Plan

if TYPE_CHECKING:
    from vaist_lab.service import ProjectDetail

IGNORE_OUTPUT = "nbval-ignore-output"
LIVE_OUTPUT = "live-output"
SAMPLE_RATE = 48000
CELL_TIMEOUT_S = 1800  # a cold build compiles JUCE's modules first
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# The test signal each category is heard best on.
LISTEN_SIGNALS: dict[Category, str] = {
    Category.GAIN: "voice",
    Category.DELAY: "pluck",
    Category.FILTER: "drums",
    Category.DISTORTION: "pluck",
    Category.TREMOLO: "voice",
    Category.CHORUS: "pluck",
    Category.REVERB: "voice",
    Category.COMPRESSOR: "drums",
}


class NotebookError(VaistError, ValueError):
    """A notebook that cannot be made (a project without a plan, an unknown test signal)."""


def plan_notebook(
    source: Plan | str,
    *,
    title: str,
    description: str = "",
    chat_markdown: str = "",
    feedback: Sequence[str] = (),
    signal: str | None = None,
    build: bool = True,
    project_key: str | None = None,
) -> NotebookNode:
    """A notebook from `source`: a plan (embedded as JSON) or a prompt (planned by the offline planner when it
    runs); then one planner turn per `feedback` message, the plan's knobs and responses, `signal` (a test signal;
    by default the one the plan's category is heard best on, "pluck" for a prompt) before and after the model,
    and with `build` the VST3 built by the local builder (plugin code from `project_key`, default the plugin
    name) and verified in pedalboard."""
    chosen = signal or (LISTEN_SIGNALS[source.category] if isinstance(source, Plan) else "pluck")
    if chosen not in TEST_SIGNALS:
        raise NotebookError(f"unknown test signal {chosen!r} (signals: {', '.join(TEST_SIGNALS)})")
    cells = [
        new_markdown_cell("\n\n".join(filter(None, [f"# {title}", description, OUTLINE]))),
        new_code_cell(
            _imports(planner=isinstance(source, str) or bool(feedback), embedded=isinstance(source, Plan), build=build)
        ),
    ]
    if chat_markdown:
        cells.append(new_markdown_cell(f"## The conversation\n\n{chat_markdown}"))
    if isinstance(source, str):
        cells += [
            new_markdown_cell(PROMPT_TEXT.format(prompt=_quoted(source))),
            new_code_cell(PROMPT_CODE.format(prompt=_literal(source))),
        ]
    else:
        start = "planner = Planner()\nhistory = []\n" if feedback else ""
        plan_json = json.dumps(source.to_json_dict(), indent=2)
        cells += [new_markdown_cell(PLAN_TEXT), new_code_cell(start + PLAN_CODE.replace("{plan_json}", plan_json))]
    for message in feedback:
        cells += [
            new_markdown_cell(f"## Negotiate\n\n{_quoted(message)}"),
            new_code_cell(FEEDBACK_CODE.format(message=_literal(message))),
        ]
    cells += [
        new_markdown_cell("## Knobs and blocks"),
        new_code_cell(KNOBS_CODE),
        new_markdown_cell(RESPONSES_TEXT),
        new_code_cell("plan_figure(plan)"),
        new_markdown_cell(LISTEN_TEXT.format(signal=chosen, title=TEST_SIGNALS[chosen])),
        new_code_cell(RENDER_CODE.format(rate=SAMPLE_RATE, signal=chosen)),
        new_code_cell(PLAYERS_CODE, metadata={"tags": [IGNORE_OUTPUT, LIVE_OUTPUT]}),
    ]
    if build:
        key = f", project_key={_literal(project_key)}" if project_key else ""
        cells += [
            new_markdown_cell(BUILD_TEXT),
            new_code_cell(BUILD_CODE.format(key=key), metadata={"tags": [IGNORE_OUTPUT]}),
            new_markdown_cell(VERIFY_TEXT),
            new_code_cell(VERIFY_CODE, metadata={"tags": [IGNORE_OUTPUT]}),
            new_code_cell("report.passed"),
            new_markdown_cell(KEEP_TEXT),
        ]
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"  # not random: a notebook made again is the same file
    notebook = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return notebook


def _quoted(text: str) -> str:
    """`text` as a markdown quote."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


def _literal(text: str) -> str:
    """`text` as a Python string literal, double-quoted as ruff formats it."""
    return json.dumps(text, ensure_ascii=False)


def _imports(*, planner: bool, embedded: bool, build: bool) -> str:
    """The first cell: the imports the notebook uses, grouped and sorted as isort (ruff) wants them."""
    standard = ["import json"] if embedded else []
    ours = [
        "from vaist_lab.dsp.chain import render",
        "from vaist_lab.dsp.plots import plan_figure",
        "from vaist_lab.dsp.signals import test_signal",
    ]
    if embedded:
        ours.append("from vaist_lab.plan import parse_plan")
    if planner:
        ours.append("from vaist_lab.planner import Planner")
    if build:
        standard += ["import tempfile", "from pathlib import Path"]
        ours += [
            "from vaist_lab.build import LocalBuilder, run_build",
            "from vaist_lab.codegen import generate_project",
            "from vaist_lab.verify import WORKBENCH, verify_plugin",
        ]
    third_party = ["import numpy as np", "from IPython.display import Audio, Markdown, display"]
    groups = [standard, third_party, sorted(ours)]
    return "%matplotlib inline\n" + "\n\n".join("\n".join(group) for group in groups if group)


# -- the cells (str.format fields in braces; the notebook's own braces doubled) -------------------------------

OUTLINE = (
    "From a plan to a verified plugin: the plan and its knobs, what its NumPy reference model does (responses, "
    "and a test signal before and after), then the JUCE plugin built from it and checked against the model in a "
    "real host. Run it top to bottom; every cell uses vaist-lab's public API."
)

PROMPT_TEXT = """\
## In words

{prompt}

The offline planner (no API key needed) proposes a plan; `model="gemini"`, `"claude"` or `"openai"` asks an AI \
instead, with your key."""

PROMPT_CODE = """\
planner = Planner()
PROMPT = {prompt}
turn = planner.turn(PROMPT, model="offline")
assert turn.ok, turn.reply
print(turn.reply)
history = list(turn.turns(PROMPT))
plan = turn.plan"""

PLAN_TEXT = "## The plan\n\nThe plan as JSON (its format: PLAN_SPEC), checked by `parse_plan`."

PLAN_CODE = '''\
PLAN_JSON = r"""{plan_json}"""
plan = parse_plan(json.loads(PLAN_JSON))
print(f"{plan.plugin_name} ({plan.category.value}): {plan.explanation}")'''  # filled with str.replace

FEEDBACK_CODE = """\
FEEDBACK = {message}
turn = planner.turn(FEEDBACK, current=plan, history=history, model="offline")
assert turn.ok, turn.reply
print(turn.reply)
history += turn.turns(FEEDBACK)
plan = turn.plan"""

KNOBS_CODE = """\
for parameter in plan.parameters:
    unit = f" {parameter.unit}" if parameter.unit else ""
    print(
        f"{parameter.display_name:<12} {parameter.min:g}..{parameter.max:g}{unit}, default {parameter.default:g}{unit}"
    )
print("chain:", " -> ".join(block.type for block in plan.blocks))"""

RESPONSES_TEXT = """\
## Responses

What the reference model does at the default values: frequency and impulse response for linear chains, static \
curve and harmonics for nonlinear ones, control signals for modulated ones."""

LISTEN_TEXT = """\
## Listen

The `{signal}` test signal ({title}) before and after the model, at one scale, so that their loudness compares."""

RENDER_CODE = """\
RATE = {rate}
dry = test_signal("{signal}", RATE)
wet = render(plan, dry, RATE)
for name, audio in [("before", dry), ("after", wet)]:
    print(f"{{name}}: peak {{20 * np.log10(np.max(np.abs(audio))):.1f}} dBFS")"""

PLAYERS_CODE = """\
scale = max(1.0, np.max(np.abs(wet)))  # nothing clips, and both keep their level
display(Markdown("**Before**"), Audio(dry / scale, rate=RATE, normalize=False))
display(Markdown("**After**"), Audio(wet / scale, rate=RATE, normalize=False))"""

BUILD_TEXT = """\
## Build

The JUCE project generated from the plan, built into a VST3 with CMake and the system compiler. JUCE's modules \
come from the build cache, so after the first build a plugin takes seconds."""

BUILD_CODE = """\
scratch = tempfile.TemporaryDirectory(prefix="vaist-notebook-")  # removed with the kernel
project = generate_project(plan, Path(scratch.name) / "project"{key})
finished = run_build(LocalBuilder(), project, Path(scratch.name) / "out")
assert finished.success, "\\n".join([finished.message, *map(str, finished.errors)])
print(f"built {{finished.artifact.name}} in {{finished.duration:.0f}} s")"""

VERIFY_TEXT = """\
## Verify

The plugin in a real host (pedalboard) against the plan and the model: its parameters, fidelity at three sample \
rates and block sizes 64 and 512, fuzzing, and state save/restore (the workbench's check, a few seconds; \
`level=FULL` adds block sizes 1 and 4096, as `vaist-lab verify` does, in about a minute)."""

KEEP_TEXT = """\
The plugin lives in a temporary folder that goes with the kernel. To keep it, copy it into your VST3 folder:
`vaist_lab.build.install_bundle(finished.artifact, Path.home() / ".vst3")` (on Linux; macOS: \
`~/Library/Audio/Plug-Ins/VST3`)."""

VERIFY_CODE = """\
report = verify_plugin(plan, finished.artifact, level=WORKBENCH)
print(report.table())"""


# -- projects ---------------------------------------------------------------------------------------------------


def project_notebook(detail: ProjectDetail, *, build: bool = True) -> NotebookNode:
    """A stored project's notebook: its approved plan (else its current plan) embedded, its chat as markdown,
    its plugin code kept (the project's id is the key). NotebookError for a project without a plan."""
    project = detail.project
    approved = project.approved_plan_json is not None
    plan = project.approved_plan if approved else project.plan
    if plan is None:
        raise NotebookError(f"project {project.name} has no plan yet: nothing to export")
    which = f"approved plan (version {project.approved_version})" if approved else "current plan (not approved)"
    return plan_notebook(
        plan,
        title=f"{project.name}: {plan.plugin_name}",
        description=f"Exported from the vaist-lab project *{project.name}*: its {which}.",
        chat_markdown=chat_markdown(detail),
        build=build,
        project_key=str(project.id),
    )


def chat_markdown(detail: ProjectDetail) -> str:
    """The project's chat: who said it, then the message quoted."""
    paragraphs = []
    for message in detail.messages:
        who = "You" if message.role == "user" else "vaist-lab"
        version = f" (plan v{message.plan_version})" if message.plan_version else ""
        paragraphs.append(f"**{who}**{version}:\n\n{_quoted(message.content)}")
    return "\n\n".join(paragraphs)


# -- running and storing ----------------------------------------------------------------------------------------


def execute_notebook(notebook: NotebookNode, cwd: Path, timeout: int = CELL_TIMEOUT_S) -> NotebookNode:
    """Run every cell in a fresh kernel (the notebook's kernelspec) in `cwd`, in place; CellExecutionError at
    the first cell that fails."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook, timeout=timeout, resources={"metadata": {"path": str(cwd)}}, store_widget_state=False
    )
    client.execute()
    return notebook


def for_storage(notebook: NotebookNode) -> NotebookNode:
    """A copy to store: without the outputs of the cells tagged `live-output`."""
    stored = nbformat.from_dict(notebook)
    for cell in stored.cells:
        if LIVE_OUTPUT in cell.metadata.get("tags", []):
            cell.outputs = []
    return stored
