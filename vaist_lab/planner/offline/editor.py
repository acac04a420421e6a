"""Edits of a plan that keep it valid: move a knob's default or range inside what the blocks it drives accept,
add a knob with the block it needs, remove a knob, change a block's choice. The offline planner's design
and feedback steps are made of these; `build` validates the result.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from vaist_lab.plan import CATALOGUE, Category, ChoiceInput, NumericInput, Plan, parse_plan
from vaist_lab.plan.models import MAX_BLOCKS, MAX_PARAMETERS
from vaist_lab.planner.offline.words import ROLES, matches
from vaist_lab.planner.requests import normalise

Parameter = dict[str, Any]
Block = dict[str, Any]

# Blocks that mix or level the chain's end: new processing goes before them.
TRAILING_BLOCKS = ("Mix", "OutputGain")
# Multiplicative steps for knobs whose hearing is logarithmic; others move by a fifth of their range.
LOG_UNITS = ("Hz", "ms", "s", ":1")
STEP_FACTOR = 1.5  # a noticeable step of a knob in LOG_UNITS


class CannotApply(Exception):
    """A request understood but impossible for this plan (already at the maximum, no such knob, ...)."""


class PlanEditor:
    def __init__(self, plan: Plan) -> None:
        self.data: dict[str, Any] = copy.deepcopy(plan.to_json_dict())
        for block in self.data["dspBlocks"]:
            block.setdefault("inputs", {})

    @property
    def category(self) -> Category:
        return Category(self.data["category"])

    @property
    def parameters(self) -> list[Parameter]:
        return self.data["parameters"]

    @property
    def blocks(self) -> list[Block]:
        return self.data["dspBlocks"]

    def build(self) -> Plan:
        return parse_plan(self.data, "offline plan")

    # -- finding knobs -------------------------------------------------------------------------------------

    def parameter(self, name: str) -> Parameter | None:
        return next((item for item in self.parameters if item["name"] == name), None)

    def bindings(self, parameter: Parameter) -> list[tuple[Block, NumericInput]]:
        found = []
        for block in self.blocks:
            for input_name, value in block["inputs"].items():
                spec = CATALOGUE[block["type"]].input(input_name)
                if value == parameter["name"] and isinstance(spec, NumericInput):
                    found.append((block, spec))
        return found

    def playing(self, role_name: str) -> Parameter | None:
        """The first parameter (in chain order) driving an input of this role."""
        role = ROLES[role_name]
        for block in self.blocks:
            if not self._in_role_mode(block, role.modes):
                continue
            for block_type, input_name in role.targets:
                value = block["inputs"].get(input_name)
                if block["type"] == block_type and isinstance(value, str) and self.parameter(value):
                    return self.parameter(value)
        return None

    def named(self, word: str) -> Parameter | None:
        """A parameter the word names: its name or label, else a role it plays ("repeats" -> the feedback knob)."""
        word = normalise(word).replace(" ", "")
        for parameter in self.parameters:
            if word in (parameter["name"].lower(), normalise(parameter["displayName"]).replace(" ", "")):
                return parameter
        for role in ROLES.values():
            if any(matches(word, noun) for noun in role.nouns) and (found := self.playing(role.name)):
                return found
        return None

    @staticmethod
    def _in_role_mode(block: Block, modes: tuple[str, ...]) -> bool:
        spec = CATALOGUE[block["type"]].input("mode")
        if not modes or not isinstance(spec, ChoiceInput):
            return True
        return block["inputs"].get("mode", spec.default) in modes

    def limits(self, parameter: Parameter) -> tuple[float, float]:
        """The range the parameter may span: the intersection of the limits of the inputs it drives."""
        low, high = -math.inf, math.inf
        for _, spec in self.bindings(parameter):
            low, high = max(low, spec.limits[0]), min(high, spec.limits[1])
        return low, high

    # -- moving knobs --------------------------------------------------------------------------------------

    def set_default(self, parameter: Parameter, value: float) -> float:
        """Set the default, widening the range to hold it as far as the blocks allow; the value actually set."""
        low, high = self.limits(parameter)
        value = min(max(_tidy(value), low), high)
        parameter["min"] = min(parameter["min"], value)
        parameter["max"] = max(parameter["max"], value)
        parameter["default"] = value
        return value

    def set_range(self, parameter: Parameter, low: float, high: float) -> None:
        limit_low, limit_high = self.limits(parameter)
        low, high = max(min(low, high), limit_low), min(max(low, high), limit_high)
        if low >= high:
            raise CannotApply(f"{parameter['displayName']} can only span {limit_low:g}..{limit_high:g}")
        parameter["min"], parameter["max"] = _tidy(low), _tidy(high)
        parameter["default"] = _tidy(min(max(parameter["default"], low), high))

    def place(self, parameter: Parameter, fraction: float) -> float:
        """Put the default at a fraction of the range (geometric for Hz and times, as they are heard)."""
        low, high = parameter["min"], parameter["max"]
        if parameter["unit"] in LOG_UNITS and low > 0:
            value = low * (high / low) ** fraction
        else:
            value = low + (high - low) * fraction
        return self.set_default(parameter, value)

    def nudge(self, parameter: Parameter, direction: int, strength: float = 1.0) -> tuple[float, float]:
        """Move the default up (+1) or down (-1) by a noticeable step; the old and new value."""
        old = parameter["default"]
        step = direction * strength  # signed: a negative strength turns the move round
        if parameter["unit"] in LOG_UNITS and old > 0:
            target = old * STEP_FACTOR**step
        else:
            target = old + step * 0.2 * (parameter["max"] - parameter["min"])
        new = self.set_default(parameter, target)
        if new == old:
            bound = "maximum" if step > 0 else "minimum"
            raise CannotApply(f"{parameter['displayName']} is already at its {bound} ({show_value(parameter, old)})")
        return old, new

    def set_choice(self, block_type: str, input_name: str, value: str) -> bool:
        """Set a choice input on every block of a type; whether the plan has such a block."""
        found = [block for block in self.blocks if block["type"] == block_type]
        for block in found:
            block["inputs"][input_name] = value
        return bool(found)

    # -- adding and removing knobs -------------------------------------------------------------------------

    def add_parameter(
        self, base_name: str, display_name: str, unit: str, low: float, high: float, default: float
    ) -> Parameter:
        if len(self.parameters) >= MAX_PARAMETERS:
            raise CannotApply(f"a plan has at most {MAX_PARAMETERS} knobs; remove one first")
        name, number = base_name, 2
        while self.parameter(name):
            name, number = f"{base_name}{number}", number + 1
        parameter = {
            "name": name,
            "displayName": display_name,
            "min": low,
            "max": high,
            "default": default,
            "unit": unit,
        }
        self.parameters.append(parameter)
        return parameter

    def insert_block(self, block: Block, at_end: bool = False) -> Block:
        """Add a block before the trailing Mix/OutputGain (at the very end when `at_end`)."""
        if len(self.blocks) >= MAX_BLOCKS:
            raise CannotApply(f"a plan has at most {MAX_BLOCKS} blocks")
        position = len(self.blocks)
        while not at_end and position > 0 and self.blocks[position - 1]["type"] in TRAILING_BLOCKS:
            position -= 1
        if block["type"] == "Mix" and self.blocks and self.blocks[-1]["type"] == "OutputGain":
            position = len(self.blocks) - 1  # dry/wet before the final level
        self.blocks.insert(position, block)
        return block

    def free_input(self, block_type: str, input_name: str, mode: str | None = None) -> Block | None:
        """A block of that type (and mode) whose input no knob drives yet, to give it one."""
        for block in self.blocks:
            if block["type"] != block_type or isinstance(block["inputs"].get(input_name), str):
                continue
            if mode is None or self._in_role_mode(block, (mode,)):
                return block
        return None

    def remove_parameter(self, parameter: Parameter) -> str:
        """Remove a knob; what it drove stays at its current default (so the sound does not jump) and blocks
        left doing nothing go. A description of what happened."""
        if len(self.parameters) == 1:
            raise CannotApply("a plan needs at least one knob")
        bound = self.bindings(parameter)
        for block, spec in bound:
            block["inputs"][spec.name] = parameter["default"]
        self.parameters.remove(parameter)
        idle = [block for block, _ in bound if _does_nothing(block)]
        self.data["dspBlocks"] = [block for block in self.blocks if all(block is not other for other in idle)]
        fixed = f"fixed at {show_value(parameter, parameter['default'])}"
        return f"removed {parameter['displayName']} ({'and its ' + idle[0]['type'] + ' block' if idle else fixed})"

    # -- names and text ------------------------------------------------------------------------------------

    def describe(self, parameter: Parameter) -> str:
        return f"{parameter['displayName']} {show_value(parameter, parameter['default'])}"

    def describe_move(self, parameter: Parameter, old: float, new: float) -> str:
        return f"{parameter['displayName']} {show_value(parameter, old)} -> {show_value(parameter, new)}"

    def knob_list(self) -> str:
        return ", ".join(
            f"{item['displayName']} ({show_value(item, item['min'])} to {show_value(item, item['max'])})"
            for item in self.parameters
        )


def pascal_case(text: str) -> str:
    """A plugin name from words: "moon echo 2" -> MoonEcho2 (leading digits dropped, at most 32 characters)."""
    pascal = "".join(part[:1].upper() + part[1:] for part in re.findall(r"[A-Za-z0-9]+", text))
    return re.sub(r"^[^A-Za-z]+", "", pascal)[:32]


def _does_nothing(block: Block) -> bool:
    inputs = block["inputs"]
    match block["type"]:
        case "Mix":
            return inputs.get("mix", 100) == 100
        case "OutputGain" | "MakeupGain" | "DecibelGain":
            return inputs.get("gain", 0) == 0
        case "LinearGain":
            return inputs.get("gain", 1) == 1
        case "FeedbackLoop":
            return inputs.get("feedback", 0) == 0
        case "Diffuser":
            return inputs.get("width", 100) == 100
    return False


def _tidy(value: float) -> float:
    """A default a person would type: 3 significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 2 - math.floor(math.log10(abs(value)))
    return float(round(value, digits))


def show_value(parameter: Parameter, value: float) -> str:
    unit = parameter["unit"]
    return f"{value:g} {unit}".rstrip() if unit not in ("%", ":1") else f"{value:g}{unit}"
