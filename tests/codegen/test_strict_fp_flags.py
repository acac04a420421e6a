"""The floating-point options the generated CMakeLists gives the plugin's DSP, per compiler: evaluated by CMake
itself (script mode, the compiler identification variables set as CMake sets them for each compiler), so the
options Apple Clang, MSVC and clang-cl get are checked here, where none of them runs; GCC's also by compiling."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vaist_lab.codegen.chain import environment
from vaist_lab.codegen.project import generate_project
from vaist_lab.plan import load_plan

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is missing")

GCC_CLANG_FORBIDDEN = ("-ffast-math", "-ffp-contract=fast", "-ffp-contract=on", "-fveclib=libmvec", "-mveclibabi")


@pytest.fixture(scope="module")
def evaluate(tmp_path_factory: pytest.TempPathFactory):
    """vaist_strict_fp_options for a compiler: (exit status, options or CMake's error)."""
    folder = tmp_path_factory.mktemp("strict-fp")
    snippet = folder / "strict_fp.cmake"
    snippet.write_text(environment().get_template("cmake/strict_fp.cmake.j2").render())
    driver = folder / "driver.cmake"
    driver.write_text(
        f'include("{snippet.as_posix()}")\nvaist_strict_fp_options(options)\nmessage(STATUS "options=${{options}}")\n'
    )

    def run(compiler_id: str, version: str, frontend: str = "") -> tuple[int, str]:
        variables = [f"-DCMAKE_CXX_COMPILER_ID={compiler_id}", f"-DCMAKE_CXX_COMPILER_VERSION={version}"]
        if frontend:
            variables.append(f"-DCMAKE_CXX_COMPILER_FRONTEND_VARIANT={frontend}")
        result = subprocess.run(
            ["cmake", *variables, "-P", str(driver)], capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            return result.returncode, result.stderr
        line = next(line for line in result.stdout.splitlines() if line.startswith("-- options="))
        return 0, line.removeprefix("-- options=")

    return run


@pytest.mark.parametrize(
    ("compiler_id", "version", "frontend"),
    [("GNU", "12.2.0", "GNU"), ("Clang", "17.0.6", "GNU"), ("AppleClang", "15.0.0.15000309", "GNU")],
)
def test_gcc_and_clangs_never_contract_nor_use_fast_math(evaluate, compiler_id: str, version: str, frontend: str):
    status, options = evaluate(compiler_id, version, frontend)
    assert status == 0, options
    flags = options.split(";")
    assert "-ffp-contract=off" in flags
    assert flags.index("-fno-fast-math") < flags.index("-ffp-contract=off"), "Clang resets contraction with it"
    assert not any(flag.startswith(GCC_CLANG_FORBIDDEN) for flag in flags)
    if compiler_id != "GNU":
        assert "-fveclib=none" in flags, "no vector math library (libmvec, SVML, Accelerate) for Clang's vectorizer"


def test_msvc_gets_precise_without_contraction(evaluate) -> None:
    assert evaluate("MSVC", "19.38.33130.0") == (0, "/fp:precise")  # Visual Studio 2022 17.8
    # Before Visual Studio 2022, /fp:precise could contract: /fp:strict there.
    assert evaluate("MSVC", "19.29.30153.0") == (0, "/fp:strict")


def test_clang_cl_gets_the_clang_options_through(evaluate) -> None:
    status, options = evaluate("Clang", "17.0.6", "MSVC")
    assert status == 0
    assert options.split(";") == [
        "/fp:precise",
        "/clang:-fno-fast-math",
        "/clang:-ffp-contract=off",
        "/clang:-fveclib=none",
    ]


def test_an_unknown_compiler_is_refused(evaluate) -> None:
    status, message = evaluate("IntelLLVM", "2024.0.0")
    assert status != 0
    assert "the IntelLLVM compiler is not supported" in " ".join(message.split())


def test_the_plugin_target_gets_them(tmp_path: Path) -> None:
    project = generate_project(load_plan("tape-echo"), tmp_path / "project")
    cmake = (project.path / "CMakeLists.txt").read_text()
    assert "function(vaist_strict_fp_options out_var)" in cmake
    assert (
        "vaist_strict_fp_options(vaist_fp_options)\ntarget_compile_options(VaistPlugin PRIVATE ${vaist_fp_options})"
        in cmake
    )


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is missing")
def test_gcc_accepts_them_and_keeps_fast_math_off(tmp_path: Path) -> None:
    """The options after a user's -ffast-math (CMAKE_CXX_FLAGS come first): __FAST_MATH__, which glibc's
    libmvec declarations hang on, is no longer defined."""
    source = tmp_path / "probe.cpp"
    source.write_text("#ifdef __FAST_MATH__\n#error fast math is on\n#endif\nint main() { return 0; }\n")
    result = subprocess.run(
        [
            "g++",
            "-O3",
            "-ffast-math",
            "-fno-fast-math",
            "-ffp-contract=off",
            "-c",
            str(source),
            "-o",
            str(tmp_path / "p.o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
