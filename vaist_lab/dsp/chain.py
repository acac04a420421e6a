"""A plan's signal chain, run the way the generated plugin runs it.

Per processed block: every parameter's smoother yields its per-sample values (a new value set between
blocks starts a linear ramp, like the plugin reading its host parameters at the top of processBlock);
each block gets the controls of its inputs (a bound parameter's values or a constant) and processes the
audio in place, in chain order. Audio is float64 shaped (channels, samples), as in pedalboard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from vaist_lab.dsp.block import Block, Control, ProcessContext, ProcessSpec
from vaist_lab.dsp.blocks import block_class
from vaist_lab.dsp.smoothing import LinearSmoothedValue
from vaist_lab.errors import VaistError
from vaist_lab.plan import CATALOGUE, ChoiceInput, NumericInput, Plan

SAMPLE_RATE_RANGE = (8000.0, 384000.0)
DEFAULT_RAMP_MS = 20.0
DEFAULT_MAX_BLOCK = 4096


class ChainError(VaistError, ValueError):
    """A value or a call the chain cannot take (unknown parameter, out of range, absurd sample rate)."""


def numeric_bindings(plan: Plan) -> list[dict[str, str | float]]:
    """Per block, each numeric input's parameter name or constant (its catalogue default if unbound)."""
    return [
        {
            item.name: instance.inputs.get(item.name, item.default)
            for item in CATALOGUE[instance.type].inputs
            if isinstance(item, NumericInput)
        }
        for instance in plan.blocks
    ]


def choices_of(plan: Plan) -> list[dict[str, str]]:
    """Per block, each choice input's word (its catalogue default if not given)."""
    return [
        {
            item.name: str(instance.inputs.get(item.name, item.default))
            for item in CATALOGUE[instance.type].inputs
            if isinstance(item, ChoiceInput)
        }
        for instance in plan.blocks
    ]


def largest_value(plan: Plan, binding: str | float) -> float:
    """The largest value an input can take: its parameter's max, or the constant."""
    return plan.parameter(binding).max if isinstance(binding, str) else float(binding)


@dataclass(frozen=True)
class BlockSetting:
    """Set on a block before prepare: a capacity, or a partner (by block index) it works with."""

    attribute: str
    value: float = 0.0
    partner: int | None = None


def block_settings(plan: Plan) -> list[list[BlockSetting]]:
    """Per block: delay capacities from the inputs' ranges, and each DelayLine's FeedbackLoop."""
    settings: list[list[BlockSetting]] = [[] for _ in plan.blocks]
    for index, (instance, binding) in enumerate(zip(plan.blocks, numeric_bindings(plan), strict=True)):
        if instance.type == "DelayLine":
            settings[index].append(BlockSetting("max_time_ms", largest_value(plan, binding["time"])))
        if instance.type == "ModulatedDelay":
            capacity = largest_value(plan, binding["centre"]) + largest_value(plan, binding["depth"])
            settings[index].append(BlockSetting("max_time_ms", capacity))
        if instance.type == "FeedbackLoop":
            delay = max(i for i in range(index) if plan.blocks[i].type == "DelayLine")
            settings[delay].append(BlockSetting("feedback_loop", partner=index))
    return settings


class Chain:
    def __init__(self, plan: Plan, values: Mapping[str, float] | None = None) -> None:
        self.plan = plan
        self.smoothers = {parameter.name: LinearSmoothedValue(parameter.default) for parameter in plan.parameters}
        self.bindings = numeric_bindings(plan)  # numeric input -> parameter name or constant
        self.blocks: list[Block] = [
            block_class(instance.type)(**choices)
            for instance, choices in zip(plan.blocks, choices_of(plan), strict=True)
        ]
        self._link_partners()
        self.spec = ProcessSpec(48000.0, DEFAULT_MAX_BLOCK, 2)
        for name, value in (values or {}).items():
            self.smoothers[self._checked(name, value)].set_current_and_target(value)

    # -- set-up -------------------------------------------------------------------------------------

    def _link_partners(self) -> None:
        for block, settings in zip(self.blocks, block_settings(self.plan), strict=True):
            for setting in settings:
                value = self.blocks[setting.partner] if setting.partner is not None else setting.value
                setattr(block, setting.attribute, value)

    def _checked(self, name: str, value: float) -> str:
        if name not in self.smoothers:
            raise ChainError(f"unknown parameter '{name}' (parameters: {', '.join(self.smoothers)})")
        parameter = self.plan.parameter(name)
        if not math.isfinite(value) or not parameter.min <= value <= parameter.max:
            unit = f" {parameter.unit}" if parameter.unit else ""
            raise ChainError(f"{name}: {value:g} is outside {parameter.min:g}..{parameter.max:g}{unit}")
        return name

    def ramp_seconds(self) -> float:
        for block, binding in zip(self.blocks, self.bindings, strict=True):
            if block.type == "SmoothRamp":
                time = binding["time"]
                return (self.smoothers[time].target if isinstance(time, str) else float(time)) / 1000.0
        return DEFAULT_RAMP_MS / 1000.0

    # -- juce_dsp shape -----------------------------------------------------------------------------

    def prepare(self, sample_rate: float, max_block: int = DEFAULT_MAX_BLOCK, channels: int = 2) -> None:
        low, high = SAMPLE_RATE_RANGE
        if not low <= sample_rate <= high:
            raise ChainError(f"sample rate {sample_rate:g} Hz is outside {low:g}..{high:g} Hz")
        if channels not in (1, 2):
            raise ChainError(f"{channels} channels: a plugin is mono or stereo")
        self.spec = ProcessSpec(float(sample_rate), int(max_block), int(channels))
        for block in self.blocks:
            block.prepare(self.spec)
        self.reset()

    def reset(self) -> None:
        for smoother in self.smoothers.values():
            smoother.reset(self.spec.sample_rate, self.ramp_seconds())
        for block in self.blocks:
            block.reset()

    def set_parameter(self, name: str, value: float) -> None:
        """A new value: the next processed block ramps to it, as a host automating the plugin would."""
        self.smoothers[self._checked(name, value)].set_target(value)
        steps = math.floor(self.ramp_seconds() * self.spec.sample_rate)
        for smoother in self.smoothers.values():
            smoother.steps_to_target = steps

    def process(self, audio: np.ndarray) -> np.ndarray:
        """Process (channels, samples) float64 audio in place, in pieces of at most max_block."""
        for start in range(0, audio.shape[1], self.spec.max_block):
            self._process_block(audio[:, start : start + self.spec.max_block])
        return audio

    def _process_block(self, audio: np.ndarray) -> ProcessContext:
        num_samples = audio.shape[1]
        parameter_controls = {name: smoother.next_block(num_samples) for name, smoother in self.smoothers.items()}
        for block, binding in zip(self.blocks, self.bindings, strict=True):
            block.controls = {
                name: parameter_controls[value] if isinstance(value, str) else Control.constant(value, num_samples)
                for name, value in binding.items()
            }
        context = ProcessContext(dry=audio.copy())
        for block in self.blocks:
            block.process(audio, context)
        return context

    def process_traced(self, audio: np.ndarray) -> dict[str, np.ndarray]:
        """Process in place and return the control signals (LFO, envelope, gain) of the whole signal."""
        traces: dict[str, list[np.ndarray]] = {}
        for start in range(0, audio.shape[1], self.spec.max_block):
            context = self._process_block(audio[:, start : start + self.spec.max_block])
            for name, trace in context.traces.items():
                traces.setdefault(name, []).append(trace)
        return {name: np.concatenate(parts) for name, parts in traces.items()}

    # -- analysis -----------------------------------------------------------------------------------

    @property
    def is_linear_time_invariant(self) -> bool:
        return all(block.is_linear_time_invariant for block in self.blocks)

    def tail_seconds(self) -> float:
        """How long the output rings after the input stops, at the current values."""
        self._load_current_values()
        return sum(block.tail_seconds() for block in self.blocks)

    def _load_current_values(self) -> None:
        """Give every block one-sample controls at the parameters' current targets, for analysis."""
        for block, binding in zip(self.blocks, self.bindings, strict=True):
            block.controls = {
                name: Control.constant(self.smoothers[value].target if isinstance(value, str) else value, 1)
                for name, value in binding.items()
            }

    def response(self, frequencies_hz: np.ndarray) -> np.ndarray | None:
        """The exact transfer function at the current values, or None if the chain is not LTI."""
        if not self.is_linear_time_invariant:
            return None
        z = np.exp(2j * np.pi * np.asarray(frequencies_hz) / self.spec.sample_rate)
        self._load_current_values()
        transfer = np.ones_like(z)
        for block in self.blocks:
            result = block.response(transfer, z)
            if result is None:
                return None
            transfer = result
        return transfer


@dataclass(frozen=True)
class ParameterEvent:
    """A parameter change a host makes before the processed block that starts at or after `sample`."""

    sample: int
    name: str
    value: float


def render(
    plan: Plan,
    audio: np.ndarray,
    sample_rate: float,
    values: Mapping[str, float] | None = None,
    block_size: int = 512,
    events: Sequence[ParameterEvent] = (),
) -> np.ndarray:
    """Run `audio` (channels, samples) through a fresh chain, `block_size` samples per call as a host would,
    applying `events` (sorted by sample) between calls."""
    if block_size < 1:
        raise ChainError(f"block size {block_size} must be at least 1")
    chain = Chain(plan, values)
    chain.prepare(sample_rate, max_block=block_size, channels=audio.shape[0])
    output = np.array(audio, dtype=np.float64)
    pending = list(events)
    for start in range(0, output.shape[1], block_size):
        while pending and pending[0].sample <= start:
            event = pending.pop(0)
            chain.set_parameter(event.name, event.value)
        chain.process(output[:, start : start + block_size])
    return output
