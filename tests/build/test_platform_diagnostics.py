"""The diagnostics parser on real compiler and linker output of the three platforms the GitHub builder targets
(MSVC with MSBuild or Ninja, Apple Clang and Apple's linker, GCC), each line copied from a public issue named
beside it, and on GitHub Actions job logs (timestamps, ##[group]/##[error] markers, steps)."""

from __future__ import annotations

from vaist_lab.build.diagnostics import (
    ActionsLogParser,
    first_errors,
    parse_actions_log,
    parse_lines,
)
from vaist_lab.build.events import Level, LogEvent, ProgressEvent, Source

# -- real output, each from the issue named --------------------------------------------------------------

# MSVC through Visual Studio, column given: github.com/ggml-org/llama.cpp/issues/519
MSVC_COLUMN = "llama.cpp\\ggml.c(5838,5): error C2065: 'ne12': undeclared identifier"
# MSBuild's parallel-node prefix and a path with spaces: github.com/GLS-SSV/SSV/issues/24
MSVC_NODE = (
    "22>D:\\OpenOrbiter\\Orbitersdk\\Space Shuttle Vessel\\OV\\vc\\PanelA7A3.cpp(87,33): "
    "error C2065: 'GRP_S11_A7A3_VC': undeclared identifier"
)
# MSBuild's trailing project, a space before the parenthesis: github.com/winsiderss/systeminformer/issues/285
MSVC_PROJECT = (
    '.\\processhacker\\mwpgproc.c (265): warning C4047: function: "PPH_STRING" differs by levels of indirection '
    'from "int" [.\\ProcessHacker\\ProcessHacker.vcxproj]'
)
# the older `(line) : error C2065: 'x' : message` spacing:
# github.com/temcocontrols/T3000_Building_Automation_System/issues/7
MSVC_OLD = (
    "t3000_building_automation_system\\t3000\\humchamber.h(33) : error C2065: 'IDD_HUM_CHAMBER' : undeclared identifier"
)
# the linker, no object to blame: github.com/TheAudioProgrammer/BeginnerBookAudioProgramming/issues/9
LNK1104 = "LINK : fatal error LNK1104: cannot open file 'Delay.lib'"
# the linker named with its folder: github.com/yuphin/Lumen/issues/35 (Chinese Visual Studio)
LNK1104_FOLDER = (
    "D:\\Git\\Lumen\\out\\build\\x64-Debug\\LINK : fatal error LNK1104: 无法打开文件“spirv-cross-cored.lib”"
)
# an object's unresolved symbol, MSBuild node prefix: github.com/DeadSix27/waifu2x-converter-cpp/issues/12
LNK2019 = (
    "2>w2xcr.obj : error LNK2019: unresolved external symbol __imp_w2xconv_convert_file referenced in function "
    "proc_thread"
)
# a library member's, indented by MSBuild, project appended: github.com/projectM-visualizer/projectm/issues/390
LNK2019_PROJECT = (
    '         projectM.lib(PresetLoader.obj) : error LNK2019: unresolved external symbol "public: __cdecl '
    'FileScanner::FileScanner(void)" (??0FileScanner@@QEAA@XZ) referenced in function "public: __cdecl '
    "PresetLoader::PresetLoader(int,int,class std::basic_string<char,struct std::char_traits<char>,class "
    'std::allocator<char> >)" '
    "(??0PresetLoader@@QEAA@HHV?$basic_string@DU?$char_traits@D@std@@V?$allocator@D@2@@std@@@Z) "
    "[C:\\projects\\projectm\\msvc\\projectMSDL.vcxproj]"
)
# Ninja and MSVC's linker: github.com/lamyj/odil/issues/76
NINJA_MSVC_LINK = [
    "   Creating library wrappers\\python\\_odil.lib and object wrappers\\python\\_odil.exp",
    'BasicDirectoryCreator.cpp.obj : error LNK2001: unresolved external symbol "enum odil::ByteOrdering __cdecl '
    'odil::get_endianness(void)" (?get_endianness@odil@@YA?AW4ByteOrdering@1@XZ)',
    "wrappers\\python\\_odil.cp37-win_amd64.pyd : fatal error LNK1120: 1 unresolved externals",
    "ninja: build stopped: subcommand failed.",
]

# Apple's linker on arm64, a JUCE module archive member: github.com/McMartin/FRUT/issues/773
APPLE_ARM64 = [
    "Undefined symbols for architecture arm64:",
    '  "juce::juce_compilationDate", referenced from:',
    "      juce::Time::getCompilationDate() in libJucer2CMake_JUCE.a(juce_core.mm.o)",
    '  "juce::juce_compilationTime", referenced from:',
    "      juce::Time::getCompilationDate() in libJucer2CMake_JUCE.a(juce_core.mm.o)",
    "ld: symbol(s) not found for architecture arm64",
    "clang: error: linker command failed with exit code 1 (use -v to see invocation)",
    "gmake[2]: *** [Jucer2CMake/CMakeFiles/Jucer2CMake.dir/build.make:98: Jucer2CMake/Jucer2CMake] Error 1",
]
# ... and on x86_64, on a GitHub macOS runner: github.com/McMartin/FRUT/issues/764
APPLE_X86_64 = [
    "[ 65%] Linking CXX executable BinaryDataBuilder-0.3.1",
    "Undefined symbols for architecture x86_64:",
    '  "_SecCodeCopySelf", referenced from:',
    "      juce::SystemStats::isAppSandboxEnabled()::$_23::operator()() const in libtools_juce_core.a(juce_core.mm.o)",
    "ld: symbol(s) not found for architecture x86_64",
]
# Apple Clang compiling (Apple LLVM 10): github.com/machinamentum/jiyu/issues/1
APPLE_CLANG = [
    "[ 11%] Building CXX object CMakeFiles/jiyu.dir/src/os_support.cpp.o",
    "jiyu/src/os_support.cpp:47:19: error: use of undeclared identifier '_NSGetExecutablePath'",
    "    auto result = _NSGetExecutablePath(buf, &bufsize);",
    "                  ^",
    "3 errors generated.",
    "make[2]: *** [CMakeFiles/jiyu.dir/src/os_support.cpp.o] Error 1",
]
# GCC 15 with its source excerpt: github.com/gregrecco67/AudiblePlanets/issues/15
GCC = [
    "/home/ycollette/rpmbuild/BUILD/audibleplanets-1.2.0-build/AudiblePlanets/Source/DSP/FXProcessors.h: In member "
    "function \u2018void WaveShaperProcessor::process(juce::dsp::ProcessContextReplacing<float>)\u2019:",
    "/home/ycollette/rpmbuild/BUILD/audibleplanets-1.2.0-build/AudiblePlanets/Source/DSP/FXProcessors.h:980:9: "
    "error: \u2018usL\u2019 was not declared in this scope; did you mean \u2018us1L\u2019?",
    "  980 |         usL.process_block(us1L, dataL, numSamples);",
    "      |         ^~~",
    "      |         us1L",
]


def logs(events: list) -> list[LogEvent]:
    return [event for event in events if isinstance(event, LogEvent)]


def errors(events: list) -> list[LogEvent]:
    return [event for event in logs(events) if event.level is Level.ERROR]


# -- MSVC ---------------------------------------------------------------------------------------------------


def test_msvc_compiler_errors_are_located_whatever_msbuild_adds() -> None:
    column, node, project, old = logs(parse_lines([MSVC_COLUMN, MSVC_NODE, MSVC_PROJECT, MSVC_OLD]))
    assert (column.file, column.line, column.column, column.source) == ("llama.cpp\\ggml.c", 5838, 5, Source.COMPILER)
    assert column.message == "C2065: 'ne12': undeclared identifier"
    assert node.file == "D:\\OpenOrbiter\\Orbitersdk\\Space Shuttle Vessel\\OV\\vc\\PanelA7A3.cpp"
    assert (node.line, node.column, node.level) == (87, 33, Level.ERROR)
    assert (project.level, project.file, project.line, project.column) == (
        Level.WARNING,
        ".\\processhacker\\mwpgproc.c",
        265,
        None,
    )
    assert project.message.endswith('from "int"'), "MSBuild's [project.vcxproj] is not part of the message"
    assert (old.file, old.line, old.message) == (
        "t3000_building_automation_system\\t3000\\humchamber.h",
        33,
        "C2065: 'IDD_HUM_CHAMBER' : undeclared identifier",
    )


def test_msvc_linker_errors_name_the_object_not_the_tool() -> None:
    tool, folder, obj, member = logs(parse_lines([LNK1104, LNK1104_FOLDER, LNK2019, LNK2019_PROJECT]))
    assert (tool.level, tool.source, tool.file) == (Level.ERROR, Source.LINKER, None)
    assert tool.message == "LNK1104: cannot open file 'Delay.lib'"
    assert (folder.file, folder.source) == (None, Source.LINKER) and "spirv-cross-cored.lib" in folder.message
    assert (obj.file, obj.source) == ("w2xcr.obj", Source.LINKER)
    assert obj.message.startswith("LNK2019: unresolved external symbol __imp_w2xconv_convert_file")
    assert member.file == "projectM.lib(PresetLoader.obj)" and not member.message.endswith(".vcxproj]")


def test_msvc_under_ninja_puts_the_unresolved_symbol_before_the_summaries() -> None:
    events = parse_lines(NINJA_MSVC_LINK)
    found = errors(events)
    assert [event.message.split(":")[0] for event in found] == ["LNK2001", "LNK1120", "ninja"]
    assert found[0].file == "BasicDirectoryCreator.cpp.obj"
    first = first_errors(events)
    assert first[0] == found[0], "the symbol, then LNK1120's count and ninja's stop"
    assert [event.message.split(":")[0] for event in first[1:]] == ["LNK1120", "ninja"]


def test_msvc_command_line_warnings_and_msbuild_steps() -> None:
    """cl's own warnings (as MSVC words them, e.g. /fp options overriding each other) and MSBuild's custom
    build step failures are recognised as what they are."""
    warning, step = logs(
        parse_lines(
            [
                "cl : Command line warning D9025 : overriding '/fp:fast' with '/fp:precise'",
                "C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\MSBuild\\Microsoft\\VC\\v170\\"
                'Microsoft.CppCommon.targets(155,5): error MSB3073: The command "setlocal" exited with code 1. '
                "[D:\\a\\x\\build\\ALL_BUILD.vcxproj]",
            ]
        )
    )
    assert (warning.level, warning.source, warning.file) == (Level.WARNING, Source.COMPILER, None)
    assert warning.message == "D9025: overriding '/fp:fast' with '/fp:precise'"
    assert (step.level, step.source, step.line) == (Level.ERROR, Source.SYSTEM, 155)


# -- Apple --------------------------------------------------------------------------------------------------


def test_apple_undefined_symbols_are_each_an_error_for_their_architecture() -> None:
    events = parse_lines(APPLE_ARM64)
    symbols = [event for event in errors(events) if event.message.startswith("undefined symbol")]
    assert [event.message for event in symbols] == [
        "undefined symbol for architecture arm64: juce::juce_compilationDate",
        "undefined symbol for architecture arm64: juce::juce_compilationTime",
    ]
    assert all(event.source is Source.LINKER for event in errors(events)[:-1])
    references = [event for event in logs(events) if "referenced" not in event.message and " in lib" in event.message]
    assert references and all(event.level is Level.DEBUG for event in references)
    assert first_errors(events, 2) == tuple(symbols), "the symbols come before ld's and clang's summaries"


def test_apple_x86_64_from_a_runner() -> None:
    events = parse_lines(APPLE_X86_64)
    assert isinstance(events[0], ProgressEvent) and events[0].step == "linking BinaryDataBuilder-0.3.1"
    assert first_errors(events, 1)[0].message == "undefined symbol for architecture x86_64: _SecCodeCopySelf"
    summary = errors(events)[-1]
    assert (summary.source, summary.message) == (Source.LINKER, "symbol(s) not found for architecture x86_64")


def test_apple_clang_compile_error() -> None:
    events = parse_lines(APPLE_CLANG)
    error = first_errors(events, 1)[0]
    assert (error.file, error.line, error.column, error.source) == ("jiyu/src/os_support.cpp", 47, 19, Source.COMPILER)
    assert error.message == "use of undeclared identifier '_NSGetExecutablePath'"
    context = [event for event in logs(events) if event.level is Level.DEBUG]
    assert any("3 errors generated." in event.message for event in context)


def test_gcc_error_with_its_source_excerpt() -> None:
    events = logs(parse_lines(GCC))
    (error,) = errors(events)
    assert error.file.endswith("AudiblePlanets/Source/DSP/FXProcessors.h") and (error.line, error.column) == (980, 9)
    assert error.message == "\u2018usL\u2019 was not declared in this scope; did you mean \u2018us1L\u2019?"
    assert all(event.level is Level.DEBUG for event in events if event is not error and "|" in event.message)


# -- GitHub Actions job logs -------------------------------------------------------------------------------


def job_log(*sections: tuple[str, list[str]]) -> str:
    """A job log as GitHub serves it: a BOM, each line timestamped, each step a `##[group]Run` header."""
    lines = ["##[group]Runner Image", "Image: macos-14", "##[endgroup]"]
    for script, output in sections:
        lines += [f"##[group]Run {script}", script, "shell: /bin/bash -e {0}", "##[endgroup]", *output]
    stamped = [f"2026-12-01T10:11:{index % 60:02d}.{index:07d}Z {line}" for index, line in enumerate(lines)]
    return "\ufeff" + "\n".join(stamped) + "\n"


BUILD_STEP = "bundle=$(vaist-lab build vaist-build/project -o dist --raw)"


def test_an_actions_log_is_parsed_step_by_step_and_tagged_with_its_platform() -> None:
    log = job_log(
        ("python -m pip install . ninja", ["Successfully installed vaist-lab-0.1.0"]),
        (
            BUILD_STEP,
            [
                "$ /usr/local/bin/cmake -S /tmp/b/source -B /tmp/b/cmake -G Ninja",
                "-- vaist: JUCE 7.0.5 is not installed; fetching tag 7.0.5",
                "$ /usr/local/bin/ninja -C /tmp/b/cmake -j 4",
                "[12/40] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o",
                *APPLE_ARM64[:6],
                "build failed after 80 s: the build failed: undefined symbol for architecture arm64: "
                "juce::juce_compilationDate",
            ],
        ),
    )
    log += "2026-12-01T10:12:00.0000000Z ##[error]Process completed with exit code 1.\n"
    events = parse_actions_log(log, platform="macos")
    assert all(event.platform == "macos" for event in events if isinstance(event, LogEvent | ProgressEvent))
    assert not any(event.message.startswith(("2026-", "\ufeff")) for event in logs(events))
    progress = [event for event in events if isinstance(event, ProgressEvent)]
    assert [(event.done, event.total, event.step) for event in progress] == [(12, 40, "compiling PluginProcessor.cpp")]
    cmake = [event for event in logs(events) if event.source is Source.CMAKE]
    assert any("fetching tag 7.0.5" in event.message for event in cmake), "the configure phase's lines are CMake's"
    installed = next(event for event in logs(events) if "Successfully installed" in event.message)
    assert (installed.source, installed.level) == (Source.GITHUB, Level.INFO)
    header = [event for event in logs(events) if event.message == "shell: /bin/bash -e {0}"]
    assert header and all(event.level is Level.DEBUG for event in header)
    first = first_errors(events)
    assert first[0].message == "undefined symbol for architecture arm64: juce::juce_compilationDate"
    assert first[0].source is Source.LINKER and first[0].platform == "macos"
    runner = next(event for event in errors(events) if event.source is Source.GITHUB)
    assert runner.message == "Process completed with exit code 1."
    assert first[-1] is runner or runner in first, "the runner's verdict is a summary, after the linker's errors"


def test_msvc_output_in_a_windows_job_log() -> None:
    events = parse_actions_log(
        job_log((BUILD_STEP, ["$ C:/hostedtoolcache/ninja.exe -C D:/a/_temp/b/cmake -j 5", MSVC_NODE, LNK1104])),
        platform="windows",
    )
    compile_error, link_error = first_errors(events, 2)
    assert (compile_error.line, compile_error.column, compile_error.platform) == (87, 33, "windows")
    assert (link_error.source, link_error.file) == (Source.LINKER, None)


def test_pluginval_and_verify_steps_keep_their_sources_and_verdicts() -> None:
    log = job_log(
        (
            'vaist-lab verify vaist-build/project/plan.json "$BUNDLE" --json dist/verification.json',
            ["TapeEcho: /d/TapeEcho.vst3", "  state       2/3 passed", "    FAIL restore: values differ", "FAIL"],
        ),
        (
            'curl -fsSL -o "$RUNNER_TEMP/pluginval.zip" pluginval',
            [
                "Starting test: pluginval / Plugin info...",
                "Reported taillength: 2.1",
                "!!! Test 1 failed: Plugin took too long to process",
                "FAILURE",
            ],
        ),
    )
    log += "2026-12-01T10:12:00.0000000Z ##[warning]Node.js 16 actions are deprecated.\n"
    events = logs(ActionsLogParser("linux").feed_all(log.splitlines()))
    verify = [event for event in events if event.source is Source.VERIFY]
    assert [event.level for event in verify] == [Level.INFO, Level.INFO, Level.ERROR, Level.ERROR]
    pluginval = [event for event in events if event.source is Source.PLUGINVAL]
    assert [event.level for event in pluginval] == [Level.INFO, Level.INFO, Level.ERROR, Level.ERROR]
    assert pluginval[1].message == "Reported taillength: 2.1"
    warning = events[-1]
    assert (warning.level, warning.source, warning.message) == (
        Level.WARNING,
        Source.GITHUB,
        "Node.js 16 actions are deprecated.",
    )
