"""Does the built plugin do what the plan says? (PLAN_SPEC, "What a built plugin must do" and "Fidelity")

- parameters: every plan parameter is a host parameter with the plan's name, range, default and unit;
- fidelity: impulse, noise and a sine sweep through the plugin and through the NumPy model, with the same
  values, sample rate and block size, agree within PLAN_SPEC's bound (90 dB below the signal for linear
  time-invariant chains, 60 dB otherwise), mono and stereo;
- fuzz: random and extreme values, block sizes and sample rates, hot and denormal-sized input: no NaN, inf
  or denormal output;
- state: a saved state restores every parameter in a fresh instance.

`FULL` (the CLI's default) runs every sample rate with block sizes 1, 64, 512 and 4096 (about 30 s for a
delay: the model runs block by block in Python, and block size 1 is most of the time); `WORKBENCH`, what
the service checks after each build, leaves out block sizes 1 and 4096 and runs fewer fuzz cases (about
3 s).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vaist_lab.dsp.chain import Chain, render
from vaist_lab.dsp.signals import impulse, noise
from vaist_lab.plan import Plan
from vaist_lab.verify.host import HostedPlugin

SAMPLE_RATES = (44100, 48000, 96000)
BLOCK_SIZES = (1, 64, 512, 4096)
LTI_BOUND_DB = -90.0
NONLINEAR_BOUND_DB = -60.0
SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)
SIGNAL_SECONDS = 0.25
BLOCK_SIZE_ONE_SAMPLES = 4096  # the model runs block by block in Python: keep its slowest case short


@dataclass(frozen=True)
class VerifyLevel:
    """How thoroughly verify_plugin drives the plugin."""

    name: str
    sample_rates: tuple[int, ...]
    block_sizes: tuple[int, ...]
    fuzz_cases: int


FULL = VerifyLevel("full", SAMPLE_RATES, BLOCK_SIZES, 16)
WORKBENCH = VerifyLevel("workbench", SAMPLE_RATES, (64, 512), 8)
LEVELS = {level.name: level for level in (FULL, WORKBENCH)}


@dataclass
class CheckResult:
    check: str
    case: str
    passed: bool
    figure_db: float | None = None
    bound_db: float | None = None
    detail: str = ""
    sample_rate: int | None = None  # fidelity: the rate the case ran at


@dataclass
class VerifyReport:
    plan: str
    plugin: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    def worst_db(self, check: str = "fidelity") -> float:
        figures = [r.figure_db for r in self.results if r.check == check and r.figure_db is not None]
        return max(figures, default=-math.inf)

    def to_json(self) -> str:
        def finite(value: float | None) -> float | str | None:
            return value if value is None or math.isfinite(value) else str(value)

        results = [asdict(result) | {"figure_db": finite(result.figure_db)} for result in self.results]
        return json.dumps(
            {
                "plan": self.plan,
                "plugin": self.plugin,
                "passed": self.passed,
                "worst_fidelity_db": finite(self.worst_db()),
                "results": results,
            },
            indent=2,
        )

    def table(self) -> str:
        lines = [f"{self.plan}: {self.plugin}"]
        for check in ("parameters", "state", "fuzz"):
            chosen = [result for result in self.results if result.check == check]
            failed = [result for result in chosen if not result.passed]
            lines.append(f"  {check:<11} {len(chosen) - len(failed)}/{len(chosen)} passed")
            lines += [f"    FAIL {result.case}: {result.detail}" for result in failed]
        fidelity = [result for result in self.results if result.check == "fidelity"]
        if fidelity:
            bound = fidelity[0].bound_db
            lines.append(f"  fidelity    worst error vs model, dB below the signal (bound {bound:g} dB)")
            lines.append("    sample rate " + "".join(f"{f'block {size}':>12}" for size in BLOCK_SIZES))
            for rate in SAMPLE_RATES:
                cells = []
                for size in BLOCK_SIZES:
                    figures = [r.figure_db for r in fidelity if r.case.startswith(f"{rate} Hz, block {size},")]
                    worst = max((f for f in figures if f is not None), default=None)
                    cells.append("-" if worst is None else "exact" if worst == -math.inf else f"{worst:.1f}")
                lines.append(f"    {rate:>8} Hz " + "".join(f"{cell:>12}" for cell in cells))
            lines += [f"    FAIL {r.case}: {r.figure_db:.1f} dB {r.detail}" for r in fidelity if not r.passed]
        lines.append("PASS" if self.passed else "FAIL")
        return "\n".join(lines)


Progress = Callable[[str], None]


def verify_plugin(
    plan: Plan,
    plugin_path: str | Path,
    *,
    seed: int = 0,
    fuzz_cases: int | None = None,
    level: VerifyLevel = FULL,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check the plugin at `plugin_path` against `plan` (see the module docstring); `fuzz_cases` overrides the
    level's. HostError when the host cannot load it."""
    say = progress or (lambda message: None)
    host = HostedPlugin(plugin_path)
    report = VerifyReport(plan.plugin_name, str(plugin_path))
    say("parameters")
    report.results += check_parameters(plan, host)
    if not report.passed:
        return report  # the rest drives parameters by position: pointless if they do not match
    rng = np.random.default_rng(seed)
    say("state save/restore")
    report.results.append(check_state(plan, plugin_path, rng))
    rates, sizes = level.sample_rates, level.block_sizes
    say(f"fidelity at {', '.join(map(str, rates))} Hz, block sizes {', '.join(map(str, sizes))}")
    report.results += check_fidelity(plan, host, rng, rates, sizes)
    say("fuzz")
    report.results += check_fuzz(plan, host, rng, level.fuzz_cases if fuzz_cases is None else fuzz_cases)
    return report


def _close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(scale), 1.0)


def check_parameters(plan: Plan, host: HostedPlugin) -> list[CheckResult]:
    found = host.parameters()
    if len(found) != len(plan.parameters):
        return [
            CheckResult(
                "parameters",
                "count",
                False,
                detail=f"the host shows {len(found)} parameters, the plan has {len(plan.parameters)}",
            )
        ]
    results = []
    for parameter, hosted in zip(plan.parameters, found, strict=True):
        span = parameter.max - parameter.min
        problems = []
        if hosted.name != parameter.display_name:
            problems.append(f"name {hosted.name!r}, plan {parameter.display_name!r}")
        if not (_close(hosted.minimum, parameter.min, span) and _close(hosted.maximum, parameter.max, span)):
            problems.append(f"range {hosted.minimum:g}..{hosted.maximum:g}, plan {parameter.min:g}..{parameter.max:g}")
        if not _close(hosted.value, parameter.default, span):
            problems.append(f"default {hosted.value:g}, plan {parameter.default:g}")
        if hosted.unit != parameter.unit:
            problems.append(f"unit {hosted.unit!r}, plan {parameter.unit!r}")
        results.append(CheckResult("parameters", parameter.name, not problems, detail="; ".join(problems)))
    return results


def _apply(plan: Plan, host: HostedPlugin, values: dict[str, float]) -> dict[str, float]:
    """Set values on the plugin; return what it runs with, as the model's values (inside the plan ranges)."""
    running = {}
    for parameter, hosted in zip(plan.parameters, host.parameters(), strict=True):
        actual = host.set_value(hosted.key, values[parameter.name])
        running[parameter.name] = min(max(actual, parameter.min), parameter.max)
    return running


def _settings(plan: Plan, rng: np.random.Generator) -> Iterator[tuple[str, dict[str, float]]]:
    yield "default", {p.name: p.default for p in plan.parameters}
    yield "minimum", {p.name: p.min for p in plan.parameters}
    yield "maximum", {p.name: p.max for p in plan.parameters}
    yield "random", {p.name: float(rng.uniform(p.min, p.max)) for p in plan.parameters}


def _signals(sample_rate: int, samples: int, rng: np.random.Generator) -> Iterator[tuple[str, np.ndarray]]:
    yield "impulse", impulse(samples)
    yield "noise", noise(samples, level_db=-12, seed=int(rng.integers(1 << 30)))
    t = np.arange(samples) / sample_rate
    top = 0.45 * sample_rate
    duration = samples / sample_rate
    phase = 2 * np.pi * 20.0 * duration / np.log(top / 20.0) * (np.exp(t / duration * np.log(top / 20.0)) - 1)
    yield "sweep", np.tile(0.5 * np.sin(phase), (2, 1))


def _error_db(reference: np.ndarray, actual: np.ndarray) -> tuple[float, bool]:
    """The error's energy relative to the reference's in dB, and whether the reference carried a signal."""
    error = float(np.sum((actual - reference) ** 2))
    signal = float(np.sum(reference**2))
    if error == 0.0:
        return -math.inf, signal > 0.0
    if signal < 1e-20:
        return 10 * math.log10(error), False
    return 10 * math.log10(error / signal), True


def check_fidelity(
    plan: Plan,
    host: HostedPlugin,
    rng: np.random.Generator,
    sample_rates: tuple[int, ...] = SAMPLE_RATES,
    block_sizes: tuple[int, ...] = BLOCK_SIZES,
) -> Iterator[CheckResult]:
    bound = LTI_BOUND_DB if Chain(plan).is_linear_time_invariant else NONLINEAR_BOUND_DB
    for setting, wanted in _settings(plan, rng):
        values = _apply(plan, host, wanted)
        for rate in sample_rates:
            for size in block_sizes:
                samples = BLOCK_SIZE_ONE_SAMPLES if size == 1 else int(SIGNAL_SECONDS * rate)
                for name, signal in _signals(rate, samples, rng):
                    yield _compare(
                        plan, host, values, signal, rate, size, f"{rate} Hz, block {size}, {setting}, {name}", bound
                    )
    values = _apply(plan, host, {p.name: p.default for p in plan.parameters})
    yield _compare(plan, host, values, noise(12000, channels=1), 48000, 512, "mono 48000 Hz, block 512, noise", bound)


def _compare(
    plan: Plan,
    host: HostedPlugin,
    values: dict[str, float],
    signal: np.ndarray,
    rate: int,
    size: int,
    case: str,
    bound: float,
) -> CheckResult:
    signal = signal.astype(np.float32).astype(np.float64)  # the host hands the plugin float32
    expected = render(plan, signal, rate, values, block_size=size)
    actual = host.process(signal, rate, size)
    if actual.shape != expected.shape:
        detail = f"output shape {actual.shape}, model {expected.shape}"
        return CheckResult("fidelity", case, False, detail=detail, sample_rate=rate)
    figure, has_signal = _error_db(expected, actual)
    if not has_signal:  # silence expected: the plugin must be silent too (absolute, not relative)
        peak = float(np.max(np.abs(actual)))
        return CheckResult(
            "fidelity",
            case,
            peak < 1e-6,
            -math.inf if peak == 0 else figure,
            bound,
            "" if peak < 1e-6 else f"expected silence, got peak {peak:g}",
            rate,
        )
    return CheckResult("fidelity", case, figure <= bound, figure, bound, sample_rate=rate)


def check_fuzz(plan: Plan, host: HostedPlugin, rng: np.random.Generator, cases: int) -> list[CheckResult]:
    results = []
    for index in range(cases):
        wanted = {}
        for p in plan.parameters:
            pick = rng.random()
            wanted[p.name] = p.min if pick < 0.3 else p.max if pick < 0.6 else float(rng.uniform(p.min, p.max))
        _apply(plan, host, wanted)
        rate = int(rng.choice([22050, 44100, 48000, 96000, 192000]))
        size = int(rng.choice([1, 7, 64, 333, 1024, 4096]))
        samples = int(0.1 * rate) if size > 1 else 2048
        hot = noise(samples, level_db=12, seed=index)
        tiny = noise(samples, level_db=-760, seed=index)  # around 1e-38: denormal territory in float32
        signal = np.concatenate([hot, np.zeros_like(hot), tiny], axis=1)
        output = host.process(signal, rate, size)
        finite = bool(np.isfinite(output).all())
        magnitudes = np.abs(output)
        denormals = int(np.count_nonzero((magnitudes > 0) & (magnitudes < SMALLEST_NORMAL)))
        setting = ", ".join(f"{name}={value:g}" for name, value in wanted.items())
        detail = ("" if finite else "NaN/inf in the output; ") + (f"{denormals} denormal samples" if denormals else "")
        results.append(
            CheckResult(
                "fuzz", f"{rate} Hz, block {size}: {setting}", finite and not denormals, detail=detail.strip("; ")
            )
        )
    return results


def check_state(plan: Plan, plugin_path: str | Path, rng: np.random.Generator) -> CheckResult:
    first = HostedPlugin(plugin_path)
    wanted = {p.name: float(rng.uniform(p.min, p.max)) for p in plan.parameters}
    saved = _apply(plan, first, wanted)
    state = first.state
    second = HostedPlugin(plugin_path)
    second.state = state
    restored = {p.name: second.value(h.key) for p, h in zip(plan.parameters, second.parameters(), strict=True)}
    wrong = [
        f"{name}: {restored[name]:g} instead of {saved[name]:g}"
        for name in saved
        if not _close(restored[name], saved[name], 0.0)
    ]
    return CheckResult("state", "save in one instance, restore in a fresh one", not wrong, detail="; ".join(wrong))
