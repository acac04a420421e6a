"""Build output, line by line, as events: compiler and linker diagnostics with file:line:col, CMake
errors with their message, Ninja/Make progress, and everything else as plain log lines.

Understands GCC and Clang (`file:line:col: error: msg`), MSVC (`file(line,col): error C1234: msg`), GNU
ld / lld / ld64 and MSVC link errors, CMake's `CMake Error at file:line (command):` blocks, Ninja's
`[n/total]` and Make's `[ nn%]` progress, Ninja's `FAILED:` and Make's `*** Error` lines.

MSVC also as MSBuild relays it (`12>` node prefixes, a trailing `[C:\\...\\x.vcxproj]`), its tools' own errors
(`LINK : fatal error LNK1104: ...`, `x.obj : error LNK2019: ...`, `cl : Command line warning D9025 : ...`),
and Apple's linker (`Undefined symbols for architecture arm64:` then one `"symbol", referenced from:` per
symbol, `ld: symbol(s) not found for architecture arm64`, `clang: error: linker command failed`).

`ActionsLogParser` reads a GitHub Actions job log (vaist_lab.build.github): timestamps and `##[...]` markers
off, each step recognised by its `##[group]Run ...` header, the build step's lines through OutputParser,
pluginval's and the verifier's with their own sources, every event tagged with the job's platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from vaist_lab.build.events import BuildEvent, Level, LogEvent, ProgressEvent, Source

Phase = Literal["configure", "build"]

_KIND_LEVEL = {
    "fatal error": Level.ERROR,
    "error": Level.ERROR,
    "warning": Level.WARNING,
    "note": Level.INFO,
    "remark": Level.INFO,
}

# file:line:col: kind: message  (GCC, Clang; the column is optional)
_GCC = re.compile(
    r"^(?P<file>[^\s:][^:]*?|[A-Za-z]:[\\/][^:]*?):(?P<line>\d+):(?:(?P<column>\d+):)?\s+"
    r"(?P<kind>fatal error|error|warning|note|remark):\s*(?P<message>.*)$"
)
# file(line,col): kind CODE: message  (MSVC)
_MSVC = re.compile(
    r"^\s*(?P<file>[^(]+?)\((?P<line>\d+)(?:,(?P<column>\d+))?\)\s*:\s*"
    r"(?P<kind>fatal error|error|warning|note)\s*(?P<code>[A-Z]+\d+)?\s*:\s*(?P<message>.*)$"
)
# tool: kind: message  (c++: fatal error: Killed signal...; collect2: error: ld returned 1 exit status)
_TOOL = re.compile(r"^(?P<tool>[\w.+\-/]+):\s+(?P<kind>fatal error|error|warning):\s*(?P<message>.*)$")
_LINKER_TOOLS = re.compile(r"(^|/)(collect2|ld|ld\.lld|lld|ld\.gold|ld\.bfd|ld64(\.lld)?|link(\.exe)?)$")

# GNU ld: `file.cpp:(.text+0x1c): undefined reference to `x'` or, with debug info, `file.cpp:42: undefined ...`
_LD_REFERENCE = re.compile(
    r"^(?:/\S*?ld(?:\.\w+)?:\s+)?(?P<file>[^\s:][^:]*?):(?:\((?P<section>[^)]*)\)|(?P<line>\d+)):\s*"
    r"(?P<message>(?:undefined reference to|multiple definition of|relocation ).*)$"
)
_LD_LINE = re.compile(r"^(?P<tool>/?\S*?\b(?:ld|ld\.lld|ld\.gold|ld\.bfd|ld64\.lld)):\s+(?P<message>.*)$")
_LINKER_ERRORS = re.compile(
    r"undefined reference|undefined symbol|multiple definition|cannot find -l|cannot open output file|"
    r"symbol\(s\) not found|Undefined symbols for architecture|linker command failed|LNK\d{4}|"
    r"ld returned \d+ exit status|cannot find",
)
# where: kind CODE: message  (MSVC's tools: `LINK : fatal error LNK1104: ...`, `x.obj : error LNK2019: ...`,
# `cl : Command line warning D9025 : ...`, MSBuild's `...targets(155,5): error MSB3073: ...` is _MSVC's)
_MSVC_TOOL = re.compile(
    r"^\s*(?P<file>.+?)\s*:\s*(?:[Cc]ommand line\s+)?(?P<kind>fatal error|error|warning)\s+"
    r"(?P<code>(?:LNK|LIB|CVT|D|C|RC|MSB)\d+)\s*:\s*(?P<message>.*)$"
)
_MSVC_TOOLS = re.compile(r"(?:^|[\\/])(?:cl|link|lib|rc|mt|cvtres)(?:\.exe)?$", re.IGNORECASE)
_MSBUILD_NODE = re.compile(r"^\d+>")  # MSBuild's parallel-node prefix, `12>`
_MSBUILD_PROJECT = re.compile(r"\s+\[[^\[\]]+\.(?:vcxproj|vcproj|csproj|proj|sln|targets)\]$")
# Apple's linker lists what is missing after the header, one `"symbol", referenced from:` per symbol
_APPLE_UNDEFINED = re.compile(r"^Undefined symbols for architecture (?P<arch>\w+):$")
_APPLE_SYMBOL = re.compile(r'^\s+"(?P<symbol>.+)", referenced from:$')
_APPLE_REFERENCE = re.compile(r"^\s+\S.* in \S+$")

_CMAKE_AT = re.compile(
    r"^CMake (?P<kind>Error|Warning(?: \(dev\))?|Deprecation Warning|Deprecation Error)"
    r"(?: at (?P<file>.+?):(?P<line>\d+)(?: \((?P<command>[^)]*)\))?)?:\s*(?P<message>.*)$"
)

_NINJA_PROGRESS = re.compile(r"^\[(?P<done>\d+)/(?P<total>\d+)\]\s+(?P<step>.*)$")
_MAKE_PROGRESS = re.compile(r"^\[\s*(?P<percent>\d+)%\]\s+(?P<step>.*)$")
_NINJA_FAILED = re.compile(r"^FAILED:\s*(?P<what>.*)$")
_BUILD_TOOL_ERROR = re.compile(
    r"^(?:ninja: (?:build stopped|error|fatal)|make(?:\[\d+\])?: \*\*\*|gmake(?:\[\d+\])?: \*\*\*)"
)
_NO_SPACE = re.compile(r"No space left on device|ENOSPC|disk quota exceeded", re.IGNORECASE)
_KILLED = re.compile(r"Killed signal terminated program|internal compiler error: Killed|signal 9|Killed$")

# Lines that only give a diagnostic its context: "In file included from", "   12 |   code", "In function"
_CONTEXT = re.compile(
    r"^(?:In file included from |In (?:member |static |)(?:function|constructor|destructor|lambda)\b|"
    r"\s+inlined from |\s+from \S|\s*\d*\s*\|\s|.*: In (?:member |static member )?"
    r"(?:function|constructor|destructor|instantiation|lambda|substitution|static|member|copy|"
    r"'|\u2018)|.*: In .+:$|.*: At global scope:$|.*: required from|\s+required from |"
    r"\s*\^|In instantiation of|\d+ (?:error|warning)s? generated\.|\d+ warnings? and \d+ errors? generated\.)"
)
_OBJECT = re.compile(r"(?P<name>[^/\s]+?)\.(?:o|obj)$")


def describe_step(text: str) -> str:
    """A short description of a Ninja/Make step: 'compiling juce_core.cpp', 'linking TapeEcho.so'."""
    text = text.strip()
    match = re.match(r"^Building (?:CXX|C|OBJCXX|OBJC|RC) object (?P<object>\S+)", text)
    if match:
        obj = match["object"]
        name = obj.rsplit("/", 1)[-1]
        return "compiling " + re.sub(r"\.(?:o|obj)$", "", name)
    match = re.match(r"^Linking \S+ (?:shared module|shared library|static library|executable) (?P<out>\S+)", text)
    if match:
        return "linking " + match["out"].rsplit("/", 1)[-1]
    return text


def _step_source(step: str) -> Source:
    if step.startswith("compiling"):
        return Source.COMPILER
    if step.startswith("linking"):
        return Source.LINKER
    return Source.SYSTEM


def _int(value: str | None) -> int | None:
    return int(value) if value else None


class OutputParser:
    """Turns the output of one build phase into events, line by line. Stateful: it keeps CMake's
    multi-line messages together and knows which step (compiling, linking) output belongs to."""

    def __init__(self, phase: Phase = "build") -> None:
        self.phase = phase
        self._step_source = Source.CMAKE if phase == "configure" else Source.SYSTEM
        self._cmake: dict[str, object] | None = None  # a CMake message being collected
        self._cmake_lines: list[str] = []
        self._undefined_arch: str | None = None  # within Apple's list of undefined symbols, for this architecture

    @property
    def _plain_source(self) -> Source:
        return Source.CMAKE if self.phase == "configure" else self._step_source

    def feed(self, line: str) -> list[BuildEvent]:
        line = line.rstrip("\r\n")
        if _MSBUILD_NODE.match(line):
            line = _MSBUILD_NODE.sub("", line)
        line = _MSBUILD_PROJECT.sub("", line)
        events: list[BuildEvent] = []
        if self._cmake is not None:
            # a CMake message goes on while its lines are indented (blank lines separate its paragraphs)
            if line.startswith(" ") and line.strip():
                self._cmake_lines.append(line.strip())
                return events
            if not line.strip():
                return events
            events += self._finish_cmake()
        events += self._parse(line)
        return events

    def flush(self) -> list[BuildEvent]:
        return self._finish_cmake() if self._cmake is not None else []

    def feed_all(self, lines: Iterable[str]) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        for line in lines:
            events += self.feed(line)
        return events + self.flush()

    # -- internals ------------------------------------------------------------------------------------

    def _finish_cmake(self) -> list[BuildEvent]:
        assert self._cmake is not None
        header = self._cmake
        self._cmake = None
        body = " ".join(self._cmake_lines)
        self._cmake_lines = []
        message = " ".join(part for part in (str(header["message"]), body) if part).strip()
        command = header.get("command")
        if command and not message:
            message = f"in {command}"
        return [
            LogEvent(
                header["level"],  # type: ignore[arg-type]
                Source.CMAKE,
                message or "CMake reported a problem",
                file=header["file"],  # type: ignore[arg-type]
                line=header["line"],  # type: ignore[arg-type]
            )
        ]

    def _parse(self, line: str) -> list[BuildEvent]:
        if not line.strip():
            return []
        if self._undefined_arch is not None:
            events = self._apple_undefined(line)
            if events is not None:
                return events
        match = _APPLE_UNDEFINED.match(line)
        if match:
            self._undefined_arch = match["arch"]
            return [LogEvent(Level.ERROR, Source.LINKER, line)]  # a summary: its symbols, next, come first
        match = _CMAKE_AT.match(line)
        if match:
            self._cmake = {
                "level": Level.ERROR if "Error" in match["kind"] else Level.WARNING,
                "file": match["file"],
                "line": _int(match["line"]),
                "command": match["command"],
                "message": match["message"],
            }
            return []
        match = _NINJA_PROGRESS.match(line)
        if match:
            step = describe_step(match["step"])
            self._step_source = _step_source(step)
            return [ProgressEvent(int(match["done"]), int(match["total"]), step)]
        match = _MAKE_PROGRESS.match(line)
        if match:
            step = describe_step(match["step"])
            self._step_source = _step_source(step)
            return [ProgressEvent(int(match["percent"]), 100, step)]
        if _NO_SPACE.search(line):
            return [LogEvent(Level.ERROR, Source.SYSTEM, f"disk full: {line.strip()}")]
        match = _GCC.match(line)
        if match:
            return [self._diagnostic(match, line)]
        match = _MSVC.match(line)
        if match and not match["file"].strip().upper().startswith("LINK"):
            return [self._diagnostic(match, line)]
        match = _MSVC_TOOL.match(line)
        if match:
            return [self._msvc_tool(match)]
        match = _LD_REFERENCE.match(line)
        if match:
            return [LogEvent(Level.ERROR, Source.LINKER, match["message"], match["file"], _int(match["line"]))]
        match = _TOOL.match(line)
        if match:
            linker = bool(_LINKER_TOOLS.search(match["tool"]) or _LINKER_ERRORS.search(match["message"]))
            source = Source.LINKER if linker else Source.COMPILER
            message = match["message"]
            if _KILLED.search(message):
                message += " (the compiler was killed; out of memory? try fewer parallel jobs)"
            return [LogEvent(_KIND_LEVEL[match["kind"]], source, message)]
        match = _LD_LINE.match(line)
        if match:
            message = match["message"]
            if message.startswith("warning:"):
                return [LogEvent(Level.WARNING, Source.LINKER, message.removeprefix("warning:").strip())]
            if _LINKER_ERRORS.search(message) or message.startswith("error:"):
                return [LogEvent(Level.ERROR, Source.LINKER, message.removeprefix("error:").strip())]
            return [LogEvent(Level.INFO, Source.LINKER, message)]
        if _LINKER_ERRORS.search(line) and not _CONTEXT.match(line):
            return [LogEvent(Level.ERROR, Source.LINKER, line.strip())]
        match = _NINJA_FAILED.match(line)
        if match:
            return [LogEvent(Level.ERROR, self._failed_source(match["what"]), f"FAILED: {match['what']}")]
        if _BUILD_TOOL_ERROR.match(line):
            return [LogEvent(Level.ERROR, Source.SYSTEM, line.strip())]
        if line.startswith("CMake Error"):
            return [LogEvent(Level.ERROR, Source.CMAKE, line.removeprefix("CMake Error").lstrip(": ").strip())]
        if _CONTEXT.match(line):
            return [LogEvent(Level.DEBUG, self._plain_source, line)]
        if self.phase == "build" and re.match(r"^\S*(?:c\+\+|g\+\+|clang\+\+|cc|gcc|clang|cl\.exe)\s+[-/]", line):
            return [LogEvent(Level.DEBUG, self._plain_source, line)]  # a failed step's command line
        return [LogEvent(Level.INFO, self._plain_source, line)]

    def _apple_undefined(self, line: str) -> list[BuildEvent] | None:
        """A line within Apple's list of undefined symbols: the symbol as the error, where it is referenced as
        context; None when the list has ended (the line is parsed as any other)."""
        match = _APPLE_SYMBOL.match(line)
        if match:
            message = f"undefined symbol for architecture {self._undefined_arch}: {match['symbol']}"
            return [LogEvent(Level.ERROR, Source.LINKER, message)]
        if _APPLE_REFERENCE.match(line):
            return [LogEvent(Level.DEBUG, Source.LINKER, line.strip())]
        self._undefined_arch = None
        return None

    def _msvc_tool(self, match: re.Match[str]) -> LogEvent:
        """An error of one of MSVC's tools; its location is the object or library it names, not the tool."""
        code = match["code"]
        where: str | None = match["file"].strip()
        if _MSVC_TOOLS.search(where):
            where = None
        if code.startswith(("LNK", "LIB", "CVT")):
            source = Source.LINKER
        elif code.startswith("MSB"):
            source = Source.SYSTEM
        else:
            source = Source.COMPILER
        return LogEvent(_KIND_LEVEL[match["kind"]], source, f"{code}: {match['message'].strip()}", where)

    def _diagnostic(self, match: re.Match[str], line: str) -> LogEvent:
        message = match["message"].strip()
        code = match.groupdict().get("code")
        if code:
            message = f"{code}: {message}"
        level = _KIND_LEVEL[match["kind"]]
        file = match["file"].strip()
        source = Source.COMPILER
        if file.endswith(("CMakeLists.txt", ".cmake")):
            source = Source.CMAKE
        elif code and code.startswith("MSB"):
            source = Source.SYSTEM  # MSBuild itself: a custom build step failed
        elif _LINKER_ERRORS.search(message) and not re.search(r"\.(c|cc|cpp|cxx|h|hpp|mm|m)$", file):
            source = Source.LINKER
        return LogEvent(level, source, message, file, _int(match["line"]), _int(match["column"]))

    def _failed_source(self, what: str) -> Source:
        if _OBJECT.search(what.split()[0] if what.split() else ""):
            return Source.COMPILER
        if re.search(r"\.(so|dylib|dll|vst3|a|lib|exe)\b", what):
            return Source.LINKER
        return Source.SYSTEM


def parse_lines(lines: Iterable[str], phase: Phase = "build") -> list[BuildEvent]:
    """All events of some complete output (a convenience over OutputParser)."""
    return OutputParser(phase).feed_all(lines)


_SUMMARY = re.compile(
    r"^(?:FAILED:|ninja:|g?make(?:\[\d+\])?:|build failed after )|ld returned \d+ exit status|linker command failed|"
    r"errors? generated|Configuring incomplete|symbol\(s\) not found for architecture|^Undefined symbols for|"
    r"LNK1120: \d+ unresolved|^Process completed with exit code"
)


def first_errors(events: Iterable[BuildEvent], limit: int = 10) -> tuple[LogEvent, ...]:
    """The first errors worth showing, each once: located diagnostics (compiler, linker, CMake) in order,
    then other errors (a linker's unresolved symbol, a tool's complaint), then the summaries (FAILED:,
    `ld returned 1`, `ninja: build stopped`)."""
    errors = [event for event in events if isinstance(event, LogEvent) and event.level is Level.ERROR]

    def tier(event: LogEvent) -> int:
        if event.file is not None:
            return 0
        return 2 if _SUMMARY.search(event.message) else 1

    chosen: list[LogEvent] = []
    seen: set[str] = set()
    for event in sorted(errors, key=tier):  # stable: each tier keeps the output's order
        key = str(event)
        if key not in seen:
            seen.add(key)
            chosen.append(event)
        if len(chosen) == limit:
            break
    return tuple(chosen)


# -- GitHub Actions job logs ------------------------------------------------------------------------------

# Each line of a job log starts with its time, `2026-12-01T10:11:12.1234567Z `; the first with a BOM.
_TIMESTAMP = re.compile(r"^\ufeff?(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?)?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MARKER = re.compile(r"^##\[(?P<name>group|endgroup|error|warning|notice|debug|command|section)\](?P<text>.*)$")
_MARKER_LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "notice": Level.INFO, "section": Level.INFO}
# The command lines the local builder's --raw output starts each phase with
_RAW_COMMAND = re.compile(r"^\$ (?P<command>.+)$")
_PLUGINVAL_ERROR = re.compile(r"^(?:!!! Test \d+ failed|FAILED!!|\*\*\* FAILED|FAILURE$)")
_PLUGINVAL_WARNING = re.compile(r"^WARNING\b", re.IGNORECASE)
_VERIFY_ERROR = re.compile(r"^(?:\s*FAIL\b|Error: )")

Step = Literal["build", "verify", "pluginval", "other"]


def _step_kind(script: str) -> Step:
    """Which of the workflow's steps a `##[group]Run <script>` header starts."""
    if "vaist-lab build" in script:
        return "build"
    if "vaist-lab verify" in script:
        return "verify"
    if "pluginval" in script:
        return "pluginval"
    return "other"


class ActionsLogParser:
    """A GitHub Actions job log, line by line, as events tagged with `platform`: the build step's output (the
    tools' own lines, `vaist-lab build --raw`) as a local build's, pluginval's and the verifier's with their
    sources and verdicts, the runner's `##[error]`/`##[warning]` lines and every other step's output as
    Source.GITHUB. A step's header (its script and environment) is debug output."""

    def __init__(self, platform: str | None = None) -> None:
        self.platform = platform
        self._step: Step = "other"
        self._in_header = False  # between `##[group]Run ...` and its `##[endgroup]`
        self._in_script = False  # the header's script lines, before its `shell:` and `env:` lines
        self._build: OutputParser | None = None

    def feed(self, line: str) -> list[BuildEvent]:
        line = _ANSI.sub("", _TIMESTAMP.sub("", line.rstrip("\r\n"), count=1))
        marker = _MARKER.match(line)
        if marker:
            events = self._marker(marker["name"], marker["text"])
        elif self._in_header:
            self._header_line(line)
            events = [LogEvent(Level.DEBUG, Source.GITHUB, line)] if line.strip() else []
        else:
            events = self._step_line(line)
        return [self._tag(event) for event in events]

    def flush(self) -> list[BuildEvent]:
        return [self._tag(event) for event in self._end_build()]

    def feed_all(self, lines: Iterable[str]) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        for line in lines:
            events += self.feed(line)
        return events + self.flush()

    def _tag(self, event: BuildEvent) -> BuildEvent:
        return replace(event, platform=self.platform) if isinstance(event, (LogEvent, ProgressEvent)) else event

    def _end_build(self) -> list[BuildEvent]:
        events = self._build.flush() if self._build is not None else []
        self._build = None
        return events

    def _marker(self, name: str, text: str) -> list[BuildEvent]:
        if name == "group" and text.startswith("Run "):
            events = self._end_build()
            self._step = _step_kind(text)
            self._in_header = self._in_script = True
            return [*events, LogEvent(Level.DEBUG, Source.GITHUB, text)]
        if name == "endgroup":
            self._in_header = False
            return []
        if name in _MARKER_LEVELS:
            return [LogEvent(_MARKER_LEVELS[name], Source.GITHUB, text.strip())]
        return [LogEvent(Level.DEBUG, Source.GITHUB, text)] if text.strip() else []  # group titles, commands, debug

    def _header_line(self, line: str) -> None:
        """GitHub puts only a script's first line into `##[group]Run`; the rest follows in the header, so a
        script that starts with a comment is known by a later line."""
        if line.startswith("shell: "):
            self._in_script = False
        elif self._in_script and self._step == "other":
            self._step = _step_kind(line)

    def _step_line(self, line: str) -> list[BuildEvent]:
        if not line.strip():
            return []
        if self._step == "build":
            return self._build_line(line)
        if self._step == "pluginval":
            level = Level.INFO
            if _PLUGINVAL_ERROR.match(line.strip()):
                level = Level.ERROR
            elif _PLUGINVAL_WARNING.match(line.strip()):
                level = Level.WARNING
            return [LogEvent(level, Source.PLUGINVAL, line.rstrip())]
        if self._step == "verify":
            level = Level.ERROR if _VERIFY_ERROR.match(line) or line.strip() == "FAIL" else Level.INFO
            return [LogEvent(level, Source.VERIFY, line.rstrip())]
        return [LogEvent(Level.INFO, Source.GITHUB, line.rstrip())]

    def _build_line(self, line: str) -> list[BuildEvent]:
        command = _RAW_COMMAND.match(line)
        if command:  # a new phase: CMake configuring, then the build tool
            events = self._end_build()
            program = command["command"].split()[0] if command["command"].split() else ""
            configure = re.search(r"cmake(?:\.exe)?$", program, re.IGNORECASE) is not None
            self._build = OutputParser("configure" if configure else "build")
            source = Source.CMAKE if configure else Source.SYSTEM
            return [*events, LogEvent(Level.DEBUG, source, command["command"])]
        if line.startswith("build failed after "):
            return [LogEvent(Level.ERROR, Source.SYSTEM, line.strip())]
        if self._build is None:
            self._build = OutputParser("build")
        return self._build.feed(line)


def parse_actions_log(text: str, platform: str | None = None) -> list[BuildEvent]:
    """All events of a GitHub Actions job log (a convenience over ActionsLogParser)."""
    return ActionsLogParser(platform).feed_all(text.splitlines())


__all__ = ["ActionsLogParser", "OutputParser", "describe_step", "first_errors", "parse_actions_log", "parse_lines"]
