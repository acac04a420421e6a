"""Speed of the workbench's test signals (vaist_lab.dsp.signals.test_signal).

    python benchmarks/bench_signals.py [--repeats 7] [--seconds 4] [--sample-rate 48000]

Per signal: the median wall time of `repeats` calls (after one warm-up call) and its ratio to the goal of
50 ms for 4 s (above 1: slower than the goal). Nothing is asserted: this is a report.
"""

from __future__ import annotations

import argparse
import statistics
import time

from vaist_lab.dsp.signals import TEST_SIGNALS, test_signal

GOAL_S = 0.050


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--sample-rate", type=int, default=48000)
    args = parser.parse_args()
    print(
        f"{args.seconds:g} s stereo at {args.sample_rate / 1000:g} kHz, median of {args.repeats}; "
        f"goal {GOAL_S * 1000:g} ms"
    )
    for name, title in TEST_SIGNALS.items():
        test_signal(name, args.sample_rate, args.seconds)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            test_signal(name, args.sample_rate, args.seconds)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{name:<6} {median * 1000:6.1f} ms  {median / GOAL_S:4.2f}  {title}")


if __name__ == "__main__":
    main()
