"""The plan checked against the request, in figures: the feedback corpus of tests/planner/test_feedback_corpus.py
applied by the offline planner, and the time the measurements take.

    python benchmarks/bench_feedback_corpus.py [--repeats 5] [--sample-rate 48000]

Prints, per corpus case, the measured quantity before and after and whether it moved the asked way (or that
the planner refused with its reason), then the count; then per template the median time of `measure` (every
section that applies, one impulse response shared) and of each section alone, against the goal of 150 ms for
the whole set at 48 kHz. Nothing is asserted: this is a report (the test asserts).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from vaist_lab.dsp.measure import applicable_sections, measure
from vaist_lab.plan.io import load_template, template_names

GOAL_S = 0.150
CORPUS_MODULE = Path(__file__).resolve().parents[1] / "tests" / "planner" / "test_feedback_corpus.py"


def corpus_module() -> ModuleType:
    """The test module that holds the corpus (tests are not a package: loaded from its path)."""
    spec = importlib.util.spec_from_file_location("feedback_corpus", CORPUS_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample-rate", type=float, default=48000.0)
    args = parser.parse_args()

    corpus = corpus_module()
    start = time.perf_counter()
    outcomes = [corpus.run_case(case) for case in corpus.CORPUS]
    elapsed = time.perf_counter() - start
    print(corpus.summary(outcomes))
    print(f"corpus applied and measured in {elapsed:.1f} s ({1000 * elapsed / len(outcomes):.0f} ms a case)\n")

    fs = args.sample_rate
    print(f"measure() at {fs / 1000:g} kHz, median of {args.repeats}; goal {GOAL_S * 1000:g} ms for the whole set")
    print(f"{'template':<16} {'all':>8} {'/goal':>6}  sections alone")
    print("-" * 78)
    for name in template_names():
        plan = load_template(name)
        measure(plan, sample_rate=fs)  # first call: imports and caches warmed
        whole = median_seconds(lambda plan=plan: measure(plan, sample_rate=fs), args.repeats)
        parts = []
        for section in applicable_sections(plan):
            alone = median_seconds(lambda s=section, p=plan: measure(p, sample_rate=fs, sections=(s,)), args.repeats)
            parts.append(f"{section} {1000 * alone:.1f} ms")
        print(f"{name:<16} {1000 * whole:6.1f}ms {whole / GOAL_S:6.2f}  {', '.join(parts)}")


if __name__ == "__main__":
    main()
