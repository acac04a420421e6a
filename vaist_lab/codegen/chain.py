"""The plan's chain as C++ (cpp_templates/Chain.h.j2), laid out exactly as vaist_lab.dsp.chain runs it.

Only validated plan fields reach the C++: block types and choice words from the catalogue, numbers as
C++ double literals, parameter indexes. Strings a user wrote reach C++ only through `cpp_string`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from vaist_lab.dsp.chain import DEFAULT_RAMP_MS, block_settings, choices_of, numeric_bindings
from vaist_lab.errors import VaistError
from vaist_lab.plan import CATALOGUE, ChoiceInput, Plan

CPP_TEMPLATES = Path(__file__).resolve().parents[2] / "cpp_templates"


class CodegenError(VaistError, RuntimeError):
    """The generator cannot produce C++ (e.g. its templates are missing from this installation)."""


def cpp_double(value: float) -> str:
    """A C++ double literal that reads back as exactly the same double."""
    value = float(value)
    if not math.isfinite(value):
        raise CodegenError(f"{value} cannot be a C++ constant")
    text = repr(value)
    return text if any(char in text for char in ".e") else f"{text}.0"


def cpp_string(text: str) -> str:
    """A C++ narrow string literal holding `text` as UTF-8; anything but plain printable ASCII becomes an
    octal escape (never greedy, unlike \\x), so no input can end the literal or form a trigraph."""
    escaped = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\?':
            escaped.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            escaped.append(char)
        else:
            escaped.append(f"\\{byte:03o}")
    return '"' + "".join(escaped) + '"'


def cpp_identifier(name: str) -> str:
    """snake_case (Python) to camelCase (C++): the same names on both sides, each in its own style."""
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name)


@cache
def environment() -> jinja2.Environment:
    if not CPP_TEMPLATES.is_dir():
        raise CodegenError(f"C++ templates not found at {CPP_TEMPLATES}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CPP_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # C++ output; strings go through cpp_string
    )
    env.filters["cpp_double"] = cpp_double
    env.filters["cpp_string"] = cpp_string
    return env


# Blocks that read the chain input (ProcessContext::dry): without one, the Chain does not copy it.
DRY_READERS = frozenset({"Mix"})


@dataclass(frozen=True)
class InputLayout:
    name: str
    parameter: int | None = None
    constant: int | None = None


@dataclass
class BlockLayout:
    type: str
    member: str
    constructor: str
    inputs: list[InputLayout] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ChainLayout:
    blocks: list[BlockLayout]
    constants: list[float]
    ramp_parameter: int | None
    ramp_milliseconds: float

    @property
    def headers(self) -> list[str]:
        return sorted({block.type for block in self.blocks})


def chain_layout(plan: Plan) -> ChainLayout:
    parameter_index = {parameter.name: index for index, parameter in enumerate(plan.parameters)}
    constants: list[float] = []
    blocks: list[BlockLayout] = []
    ramp_parameter, ramp_milliseconds = None, DEFAULT_RAMP_MS
    for index, (instance, binding, choices) in enumerate(
        zip(plan.blocks, numeric_bindings(plan), choices_of(plan), strict=True)
    ):
        spec = CATALOGUE[instance.type]
        member = f"{instance.type[0].lower()}{instance.type[1:]}{index}"
        arguments = [
            f"vaist::{instance.type}::{item.name[0].upper()}{item.name[1:]}::{choices[item.name]}"
            for item in spec.inputs
            if isinstance(item, ChoiceInput)
        ]
        layout = BlockLayout(instance.type, member, f" {{ {', '.join(arguments)} }}" if arguments else "")
        for name, value in binding.items():
            if isinstance(value, str):
                layout.inputs.append(InputLayout(name, parameter=parameter_index[value]))
            else:
                layout.inputs.append(InputLayout(name, constant=len(constants)))
                constants.append(float(value))
        if instance.type == "SmoothRamp":
            time = binding["time"]
            ramp_parameter = parameter_index[time] if isinstance(time, str) else None
            ramp_milliseconds = DEFAULT_RAMP_MS if isinstance(time, str) else float(time)
        blocks.append(layout)
    for layout, settings in zip(blocks, block_settings(plan), strict=True):
        for setting in settings:
            value = f"&{blocks[setting.partner].member}" if setting.partner is not None else cpp_double(setting.value)
            layout.settings.append((cpp_identifier(setting.attribute), value))
    return ChainLayout(blocks, constants, ramp_parameter, ramp_milliseconds)


def chain_source(plan: Plan, namespace: str = "vaist_plan") -> str:
    """Chain.h for a plan: a class `<namespace>::Chain` with prepare/reset/process like the model's."""
    layout = chain_layout(plan)
    template = environment().get_template("Chain.h.j2")
    return template.render(
        plugin_name_comment=plan.plugin_name,  # validated PascalCase: safe inside a comment
        namespace=namespace,
        headers=layout.headers,
        parameters=plan.parameters,
        blocks=layout.blocks,
        constants=layout.constants,
        ramp={"parameter": layout.ramp_parameter, "milliseconds": layout.ramp_milliseconds},
        uses_dry=any(block.type in DRY_READERS for block in layout.blocks),
    )
