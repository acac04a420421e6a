"""How long a user waits for a plugin, measured side by side in one run with the local builder:

    python benchmarks/bench_build.py [--plugins 3] [--plain]

- cold: an empty build cache: the shared JUCE module archive (once per toolchain), then the first plugin
  (tape-echo). Goal: <= 100 s in all.
- new plugin: each further template into a fresh build folder, linking the archive. Goal <= 15 s; the
  floor is the one translation unit every plugin compiles on its own, JUCE's VST3 wrapper (at -O1, on a
  core of its own: its compile time is shown; the plugin's own sources compile beside it).
- rebuild: the tape-echo project again after a parameter-range edit, in its kept build folder. Goal <= 5 s.
- plain (with --plain): a cold build that compiles JUCE's modules itself, as a CI runner without an
  installed JUCE does (about 100 s on two cores).

Wall seconds, and the CPU seconds of the build processes (user + system): the machine's other work shows
as the difference. Nothing is asserted: this is a report. Uses a temporary cache, not the user's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vaist_lab.build import BuildFinished, LocalBuilder
from vaist_lab.codegen import GeneratedProject, generate_project
from vaist_lab.plan import load_plan, parse_plan

COLD_GOAL_S = 100.0
NEW_GOAL_S = 15.0
REBUILD_GOAL_S = 5.0
WRAPPER = "juce_audio_plugin_client_VST3.cpp.o"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(builder: LocalBuilder, project: GeneratedProject, output: Path) -> tuple[float, float, BuildFinished]:
    cpu = children_cpu()
    started = time.monotonic()
    finished: BuildFinished | None = None
    for event in builder.build(project, output):
        if isinstance(event, BuildFinished):
            finished = event
    wall = time.monotonic() - started
    if finished is None or not finished.success:
        sys.exit(f"{project.plugin_name}: build failed: {finished.message if finished else 'no result'}")
    return wall, children_cpu() - cpu, finished


def unit_seconds(build_dir: Path, suffix: str) -> float | None:
    """How long one build step took, from Ninja's log."""
    log = build_dir / "cmake" / ".ninja_log"
    if not log.is_file():
        return None
    seconds = None
    for line in log.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 4 and parts[3].endswith(suffix):
            seconds = (int(parts[1]) - int(parts[0])) / 1000
    return seconds


def row(label: str, wall: float, cpu: float, goal: float | None, note: str = "") -> None:
    ratio = f"{wall / goal:5.2f}" if goal else "     "
    goal_text = f"{goal:5.0f} s" if goal else "       "
    print(f"{label:<34} {wall:7.1f} s {cpu:7.1f} s  {goal_text} {ratio}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugins", type=int, default=3, help="new plugins to build after the first")
    parser.add_argument("--plain", action="store_true", help="also a cold build without the archive")
    parser.add_argument("-j", "--jobs", type=int, default=None)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="vaist-bench-") as scratch:
        root = Path(scratch)
        builder = LocalBuilder(cache=root / "cache", jobs=args.jobs)
        tools = builder.toolchain()
        archive = builder.archive(tools)
        print(f"{os.cpu_count()} cores, load {load:.1f} at the start; {tools.describe()}")
        header = f"{'':<34} {'wall':>9} {'CPU':>9}  {'goal':>7} {'/goal':>5}"
        print(header)
        print("-" * (len(header) + 30))
        if archive is None:
            print("no installed JUCE (or VAIST_JUCE_ARCHIVE=0): every build compiles JUCE's modules")

        first = generate_project(load_plan("tape-echo"), root / "projects" / "tape-echo")
        wall, cpu, _ = build(builder, first, root / "out")
        archive_s = None
        if archive is not None:
            archive_s = json.loads(archive.marker.read_text())["seconds"]
        note = f"archive {archive_s:.0f} s + plugin {wall - archive_s:.0f} s" if archive_s else ""
        row("cold: archive + first plugin", wall, cpu, COLD_GOAL_S, note)

        names = ["velvet-trim", "warm-drive", "glue-bus", "resonant-sweep", "silk-chorus", "classic-room"]
        walls, floors = [], []
        for name in names[: args.plugins]:
            project = generate_project(load_plan(name), root / "projects" / name)
            wall, cpu, _ = build(builder, project, root / "out")
            floor = unit_seconds(builder.build_folder(project), WRAPPER)
            walls.append(wall)
            if floor:
                floors.append(floor)
            row(f"new plugin: {name}", wall, cpu, NEW_GOAL_S, f"VST3 wrapper unit {floor:.1f} s" if floor else "")
        if walls:
            floor_text = f"; floor (VST3 wrapper unit) {statistics.median(floors):.1f} s" if floors else ""
            print(f"{'  median new plugin':<34} {statistics.median(walls):7.1f} s{floor_text}")

        plan = first.plan.to_json_dict()
        plan["parameters"][0]["max"] = plan["parameters"][0]["max"] * 2  # tape-echo's delay time range
        edited = generate_project(parse_plan(plan), root / "projects" / "tape-echo-edited")
        wall, cpu, _ = build(builder, edited, root / "out")
        row("rebuild after a range edit", wall, cpu, REBUILD_GOAL_S, "tape-echo, same build folder")

        if args.plain:
            plain = LocalBuilder(cache=root / "plain-cache", jobs=args.jobs, use_archive=False)
            wall, cpu, _ = build(plain, first, root / "plain-out")
            row("cold, no archive (CI path)", wall, cpu, None, "compiles JUCE's modules in the plugin")


if __name__ == "__main__":
    main()
