"""Build output as events: real-looking GCC, Clang, MSVC, linker, CMake, Ninja and Make output."""
# ruff: noqa: E501 - compiler output is quoted as the tools print it

from __future__ import annotations

from vaist_lab.build import (
    Level,
    LogEvent,
    OutputParser,
    ProgressEvent,
    Source,
    describe_step,
    first_errors,
    parse_lines,
)

GCC_ERROR = """\
[2/22] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o
FAILED: CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o
/usr/bin/c++ -DJUCE_APPLICATION_NAME_STRING="\\"TapeEcho\\"" -O3 -ffp-contract=off -std=c++17 -o CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o -c /home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/PluginProcessor.cpp
In file included from /home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/PluginProcessor.h:12,
                 from /home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/PluginProcessor.cpp:3:
/home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/Chain.h: In member function \u2018void vaist_plan::Chain::processBlock(vaist::AudioBlock&)\u2019:
/home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/Chain.h:97:9: error: \u2018delayLine9\u2019 was not declared in this scope; did you mean \u2018delayLine0\u2019?
   97 |         delayLine9.time = { parameterValues[0].data(), constant[0], numSamples };
      |         ^~~~~~~~~~
      |         delayLine0
/home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/PluginProcessor.cpp:88:5: warning: unused variable \u2018x\u2019 [-Wunused-variable]
   88 |     int x = 0;
      |     ^
ninja: build stopped: subcommand failed.
"""

CLANG_ERROR = """\
[5/22] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginEditor.cpp.o
FAILED: CMakeFiles/VaistPlugin.dir/Source/PluginEditor.cpp.o
/Users/ci/work/Source/PluginEditor.cpp:14:23: error: no member named 'setTextValueSufix' in 'juce::Slider'; did you mean 'setTextValueSuffix'?
        knob.slider.setTextValueSufix (" " + unit);
        ~~~~~~~~~~~~^~~~~~~~~~~~~~~~~
                    setTextValueSuffix
/Users/ci/JUCE/modules/juce_gui_basics/widgets/juce_Slider.h:660:10: note: 'setTextValueSuffix' declared here
    void setTextValueSuffix (const String& suffix);
         ^
1 error generated.
"""

GNU_LINK_ERROR = """\
[21/22] Linking CXX shared module VaistPlugin_artefacts/Release/VST3/TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so
FAILED: VaistPlugin_artefacts/Release/VST3/TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so
: && /usr/bin/c++ -fPIC -O3 -shared -o VaistPlugin_artefacts/Release/VST3/TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so
/usr/bin/ld: VaistPlugin_artefacts/Release/libTapeEcho_SharedCode.a(juce_core.cpp.o): in function `juce::GZIPDecompressorInputStream::read(void*, int)':
juce_core.cpp:(.text+0x3f2a1): undefined reference to `inflate'
/usr/bin/ld: juce_core.cpp:(.text+0x3f310): undefined reference to `inflateEnd'
collect2: error: ld returned 1 exit status
ninja: build stopped: subcommand failed.
"""

CMAKE_ERROR = """\
-- The C compiler identification is GNU 12.2.0
-- The CXX compiler identification is GNU 12.2.0
CMake Error at CMakeLists.txt:33 (message):
  vaist: JUCE 7.0.5 not found: apt-get install juce-modules-source, or set
  JUCE_DIR to a JUCE 7.0.5 CMake package, or -DVAIST_FETCH_JUCE=ON


-- Configuring incomplete, errors occurred!
See also "/tmp/b/cmake/CMakeFiles/CMakeOutput.log".
"""

CMAKE_PACKAGE_ERROR = """\
CMake Error at /usr/lib/x86_64-linux-gnu/cmake/JUCE-7.0.5/JUCEModuleSupport.cmake:353 (pkg_check_modules):
  A required package was not found

Call Stack (most recent call first):
  CMakeLists.txt:80 (pkg_check_modules)


CMake Warning (dev) at CMakeLists.txt:3 (project):
  Policy CMP0048 is not set.
This warning is for project developers.  Use -Wno-dev to suppress it.

CMake Error: CMake was unable to find a build program corresponding to "Ninja".
"""

MAKE_OUTPUT = """\
[  4%] Building CXX object CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o
[ 50%] Linking CXX static library VaistPlugin_artefacts/Release/libTapeEcho_SharedCode.a
/w/Source/PluginProcessor.cpp:10:1: error: expected ';' before '}' token
make[2]: *** [CMakeFiles/VaistPlugin.dir/build.make:76: CMakeFiles/VaistPlugin.dir/Source/PluginProcessor.cpp.o] Error 1
make[1]: *** [CMakeFiles/Makefile2:100: CMakeFiles/VaistPlugin.dir/all] Error 2
make: *** [Makefile:91: all] Error 2
"""

MSVC_OUTPUT = """\
C:\\a\\vaist\\Source\\PluginProcessor.cpp(42,17): error C2065: 'chainx': undeclared identifier [D:\\a\\build\\VaistPlugin.vcxproj]
C:\\a\\vaist\\Source\\PluginEditor.cpp(7): warning C4244: 'argument': conversion from 'double' to 'float'
PluginProcessor.obj : error LNK2019: unresolved external symbol "void __cdecl foo(void)" referenced in function main
"""


def logs(events: list) -> list[LogEvent]:
    return [event for event in events if isinstance(event, LogEvent)]


def errors_of(text: str, phase: str = "build") -> list[LogEvent]:
    return [event for event in logs(parse_lines(text.splitlines(), phase)) if event.level is Level.ERROR]


def test_gcc_error_is_located_and_comes_first() -> None:
    events = parse_lines(GCC_ERROR.splitlines())
    error = next(event for event in logs(events) if event.level is Level.ERROR and event.file)
    assert error.source is Source.COMPILER
    assert error.file == "/home/u/.cache/vaist-lab/builds/TapeEcho-Ktph/source/Source/Chain.h"
    assert (error.line, error.column) == (97, 9)
    assert error.message.startswith("\u2018delayLine9\u2019 was not declared")
    warning = next(event for event in logs(events) if event.level is Level.WARNING)
    assert (warning.line, warning.column, warning.file.endswith("PluginProcessor.cpp")) == (88, 5, True)
    first = first_errors(events)
    assert first[0] == error
    assert any(event.message.startswith("FAILED:") for event in first[1:])
    assert str(first[0]).startswith(f"{error.file}:97:9: error: ")


def test_context_lines_are_debug_not_errors() -> None:
    events = logs(parse_lines(GCC_ERROR.splitlines()))
    debug = {event.message for event in events if event.level is Level.DEBUG}
    assert any(message.startswith("In file included from") for message in debug)
    assert "   97 |         delayLine9.time = { parameterValues[0].data(), constant[0], numSamples };" in debug
    assert any(message.startswith("/usr/bin/c++ -D") for message in debug)  # the failed command line


def test_clang_error_and_note() -> None:
    events = logs(parse_lines(CLANG_ERROR.splitlines()))
    error = next(event for event in events if event.level is Level.ERROR and event.file)
    assert (error.file, error.line, error.column) == ("/Users/ci/work/Source/PluginEditor.cpp", 14, 23)
    assert "setTextValueSufix" in error.message
    note = next(event for event in events if event.file and event.file.endswith("juce_Slider.h"))
    assert note.level is Level.INFO and note.line == 660


def test_gnu_linker_errors() -> None:
    errors = errors_of(GNU_LINK_ERROR)
    undefined = [event for event in errors if "undefined reference" in event.message]
    assert len(undefined) == 2
    assert all(event.source is Source.LINKER for event in undefined)
    assert undefined[0].file == "juce_core.cpp" and undefined[0].message == "undefined reference to `inflate'"
    collect2 = next(event for event in errors if "ld returned 1 exit status" in event.message)
    assert collect2.source is Source.LINKER
    failed = next(event for event in errors if event.message.startswith("FAILED:"))
    assert failed.source is Source.LINKER
    first = first_errors(parse_lines(GNU_LINK_ERROR.splitlines()))
    assert "undefined reference to `inflate'" in first[0].message


def test_cmake_error_keeps_its_message() -> None:
    errors = errors_of(CMAKE_ERROR, "configure")
    assert len(errors) == 1
    error = errors[0]
    assert (error.source, error.file, error.line) == (Source.CMAKE, "CMakeLists.txt", 33)
    assert error.message == (
        "vaist: JUCE 7.0.5 not found: apt-get install juce-modules-source, or set "
        "JUCE_DIR to a JUCE 7.0.5 CMake package, or -DVAIST_FETCH_JUCE=ON"
    )
    infos = [event for event in logs(parse_lines(CMAKE_ERROR.splitlines(), "configure")) if event.level is Level.INFO]
    assert all(event.source is Source.CMAKE for event in infos)
    assert "-- Configuring incomplete, errors occurred!" in {event.message for event in infos}


def test_cmake_package_error_warning_and_plain_error() -> None:
    events = logs(parse_lines(CMAKE_PACKAGE_ERROR.splitlines(), "configure"))
    errors = [event for event in events if event.level is Level.ERROR]
    assert errors[0].file.endswith("JUCEModuleSupport.cmake") and errors[0].line == 353
    assert errors[0].message == "A required package was not found"
    assert errors[1].file is None and "unable to find a build program" in errors[1].message
    warning = next(event for event in events if event.level is Level.WARNING)
    assert (warning.file, warning.line) == ("CMakeLists.txt", 3)
    assert warning.message == "Policy CMP0048 is not set."


def test_cmake_message_at_end_of_output_is_flushed() -> None:
    parser = OutputParser("configure")
    assert parser.feed("CMake Error at CMakeLists.txt:5 (find_package):") == []
    assert parser.feed("  Could not find JUCE") == []
    (event,) = parser.flush()
    assert event.message == "Could not find JUCE" and event.line == 5


def test_ninja_progress() -> None:
    events = parse_lines(
        [
            "[37/312] Building CXX object CMakeFiles/VaistPlugin.dir/usr/share/juce/modules/juce_gui_basics/"
            "juce_gui_basics.cpp.o",
            "[311/312] Linking CXX static library VaistPlugin_artefacts/Release/libTapeEcho_SharedCode.a",
            "[312/312] Linking CXX shared module VaistPlugin_artefacts/Release/VST3/TapeEcho.vst3/Contents/"
            "x86_64-linux/TapeEcho.so",
        ]
    )
    assert events == [
        ProgressEvent(37, 312, "compiling juce_gui_basics.cpp"),
        ProgressEvent(311, 312, "linking libTapeEcho_SharedCode.a"),
        ProgressEvent(312, 312, "linking TapeEcho.so"),
    ]
    assert str(events[0]) == "[ 37/312] compiling juce_gui_basics.cpp"
    assert events[0].fraction == 37 / 312


def test_make_progress_and_errors() -> None:
    events = parse_lines(MAKE_OUTPUT.splitlines())
    progress = [event for event in events if isinstance(event, ProgressEvent)]
    assert progress == [
        ProgressEvent(4, 100, "compiling PluginProcessor.cpp"),
        ProgressEvent(50, 100, "linking libTapeEcho_SharedCode.a"),
    ]
    errors = errors_of(MAKE_OUTPUT)
    assert (errors[0].file, errors[0].line, errors[0].column) == ("/w/Source/PluginProcessor.cpp", 10, 1)
    assert sum(event.message.startswith("make") for event in errors) == 3
    assert first_errors(events, 1)[0] == errors[0]


def test_msvc_compiler_and_linker() -> None:
    events = logs(parse_lines(MSVC_OUTPUT.splitlines()))
    error, warning, link = events
    assert (error.file, error.line, error.column) == ("C:\\a\\vaist\\Source\\PluginProcessor.cpp", 42, 17)
    assert error.message.startswith("C2065: 'chainx': undeclared identifier")
    assert (warning.level, warning.line, warning.column) == (Level.WARNING, 7, None)
    assert (link.level, link.source) == (Level.ERROR, Source.LINKER) and "LNK2019" in link.message


def test_killed_compiler_and_full_disk() -> None:
    killed, disk = errors_of(
        "c++: fatal error: Killed signal terminated program cc1plus\n"
        "/usr/bin/ld: final link failed: No space left on device\n"
    )
    assert killed.source is Source.COMPILER and "out of memory" in killed.message
    assert disk.source is Source.SYSTEM and disk.message.startswith("disk full")


def test_other_linkers() -> None:
    errors = errors_of(
        "ld.lld: error: undefined symbol: vaist::foo()\n"
        "Undefined symbols for architecture arm64:\n"
        "ld: symbol(s) not found for architecture arm64\n"
        "clang: error: linker command failed with exit code 1 (use -v to see invocation)\n"
    )
    assert len(errors) == 4
    assert all(event.source is Source.LINKER for event in errors)


def test_describe_step_passes_other_steps_through() -> None:
    assert describe_step("Generating JuceHeader.h") == "Generating JuceHeader.h"
    assert describe_step("Building C object CMakeFiles/x.dir/a/b/sqlite3.c.o") == "compiling sqlite3.c"


def test_first_errors_deduplicates_and_limits() -> None:
    line = "/a/b.cpp:1:2: error: boom"
    events = parse_lines([line, line, "/a/c.cpp:3:4: error: bang", "ninja: build stopped: subcommand failed."])
    assert [str(event) for event in first_errors(events)] == [
        "/a/b.cpp:1:2: error: boom",
        "/a/c.cpp:3:4: error: bang",
        "ninja: build stopped: subcommand failed.",
    ]
    assert len(first_errors(events, 1)) == 1


def test_events_serialise_to_plain_json() -> None:
    import json

    (event,) = parse_lines(["/a/b.cpp:1:2: error: boom"])
    assert json.loads(json.dumps(event.to_dict())) == {
        "kind": "log",
        "level": "error",
        "source": "compiler",
        "message": "boom",
        "file": "/a/b.cpp",
        "line": 1,
        "column": 2,
        "platform": None,
    }
