"""The parity harness: the generated C++ chains of several plans in one small program (no JUCE), built in
seconds, so every change can compare each C++ block with its NumPy twin over many settings.

Built once per content (sources, headers, compiler) into the cache folder; safe when tests race to build
it (each builds to a temporary name and renames).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from vaist_lab.codegen.chain import CPP_TEMPLATES, CodegenError, chain_source, environment
from vaist_lab.config import cache_dir
from vaist_lab.dsp.chain import ParameterEvent
from vaist_lab.plan import Plan
from vaist_lab.toolchain import compiler_version

# -ffp-contract=off: no fused multiply-adds, so the C++ rounds exactly like NumPy does.
COMPILE_FLAGS = ("-std=c++17", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror")


class HarnessError(RuntimeError):
    """The harness could not be built or run; the message carries the compiler's or program's words."""


def compiler() -> str:
    for candidate in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if candidate and shutil.which(candidate):
            return candidate
    raise HarnessError("no C++ compiler found (install g++, or set CXX)")


@cache
def vector_math_flags(cxx: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(compile flags, link flags) that give the chain glibc's vector math (dsp/vecmath.h), as the plugin's
    CMakeLists does where libmvec links; nothing elsewhere (the headers then use std:: functions)."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return (), ()
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "probe.cpp"
        source.write_text("#include <cmath>\nint main() { return (int) std::exp (0.0) - 1; }\n")
        probe = subprocess.run(
            [cxx, str(source), "-o", str(Path(scratch) / "probe"), "-lmvec"], capture_output=True, check=False
        )
    return (("-DVAIST_USE_LIBMVEC=1",), ("-lmvec",)) if probe.returncode == 0 else ((), ())


@dataclass(frozen=True)
class Harness:
    executable: Path
    plans: tuple[Plan, ...]

    def render(
        self,
        plan_index: int,
        audio: np.ndarray,
        sample_rate: float,
        values: dict[str, float] | None = None,
        block_size: int = 512,
        events: Sequence[ParameterEvent] = (),
    ) -> tuple[np.ndarray, float]:
        """The C++ chain's output for (channels, samples) audio, and its reported tail in seconds."""
        plan = self.plans[plan_index]
        names = [parameter.name for parameter in plan.parameters]
        initial = {parameter.name: parameter.default for parameter in plan.parameters} | (values or {})
        channels, samples = audio.shape
        header = struct.pack("=idiiqi", plan_index, sample_rate, block_size, channels, samples, len(names))
        header += struct.pack(f"={len(names)}d", *(initial[name] for name in names))
        header += struct.pack("=i", len(events))
        for event in events:
            header += struct.pack("=qid", event.sample, names.index(event.name), event.value)
        payload = header + np.ascontiguousarray(audio, dtype=np.float64).tobytes()
        result = subprocess.run([str(self.executable)], input=payload, capture_output=True, check=False, timeout=600)
        if result.returncode != 0:
            raise HarnessError(f"harness exited {result.returncode}: {result.stderr.decode(errors='replace')}")
        output = np.frombuffer(result.stdout, dtype=np.float64)
        if output.size != channels * samples + 1:
            raise HarnessError(f"harness wrote {output.size} values, expected {channels * samples + 1}")
        return output[:-1].reshape(channels, samples).copy(), float(output[-1])


def build_harness(plans: Sequence[Plan], cache: Path | None = None) -> Harness:
    """Compile (or reuse) the harness holding the C++ chains of `plans`, in that order."""
    cxx = compiler()
    namespaces = [f"plan{index}" for index in range(len(plans))]
    sources = {
        f"Chain{index}.h": chain_source(plan, namespace)
        for index, (plan, namespace) in enumerate(zip(plans, namespaces, strict=True))
    }
    sources["main.cpp"] = (
        environment().get_template("harness/main.cpp.j2").render(headers=list(sources), namespaces=namespaces)
    )
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode() + sources[name].encode())
    for header in sorted((CPP_TEMPLATES / "dsp").rglob("*.h")):
        digest.update(str(header.relative_to(CPP_TEMPLATES)).encode() + header.read_bytes())
    compile_flags, link_flags = vector_math_flags(cxx)
    digest.update(compiler_version(cxx).encode() + " ".join(COMPILE_FLAGS + compile_flags + link_flags).encode())
    folder = (cache or cache_dir()) / "harness" / digest.hexdigest()[:20]
    executable = folder / "harness"
    if not executable.exists():
        _compile(cxx, sources, folder, executable)
    return Harness(executable, tuple(plans))


def _compile(cxx: str, sources: dict[str, str], folder: Path, executable: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        for name, text in sources.items():
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        built = Path(scratch) / "harness"
        compile_flags, link_flags = vector_math_flags(cxx)
        command = [
            cxx,
            *COMPILE_FLAGS,
            *compile_flags,
            f"-I{CPP_TEMPLATES}",
            f"-I{scratch}",
            str(Path(scratch) / "main.cpp"),
            "-o",
            str(built),
            *link_flags,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if "error" in line][:10]
            raise HarnessError("the parity harness did not compile:\n" + "\n".join(errors or [result.stderr[-2000:]]))
        for name, text in sources.items():  # kept beside the program, for reading when a test fails
            (folder / name).write_text(text, encoding="utf-8")
        os.replace(built, executable)


__all__ = ["CodegenError", "Harness", "HarnessError", "build_harness"]
