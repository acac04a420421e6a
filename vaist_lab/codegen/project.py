"""A plan as a self-contained JUCE plugin project: CMakeLists.txt, the plugin sources, the DSP headers.

Layout of a generated project (everything a builder needs; nothing refers back to this installation):

    CMakeLists.txt          find_package(JUCE 7.0.5), else FetchContent of the same tag
    plan.json               the validated plan, normalised (block-object form)
    vaist-project.json      name, plugin code, project key, JUCE version (read back by GeneratedProject.load)
    Source/PluginStrings.h  every user string, as escaped literals
    Source/Plugin*.h/.cpp   processor (APVTS) and editor
    Source/Chain.h          the plan's chain (vaist_lab.codegen.chain)
    Source/dsp/...          the block headers, copied from cpp_templates/dsp

Only validated fields reach the C++ and CMake: the PascalCase plugin name, catalogue words, numbers as
C++ double literals, a generated plugin code; user strings reach C++ only through `cpp_string` in
PluginStrings.h. A project is written into a temporary folder and renamed into place, so a failure
leaves either the previous project or nothing, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from vaist_lab.codegen.chain import CPP_TEMPLATES, CodegenError, chain_source, environment
from vaist_lab.plan import Plan, parse_plan
from vaist_lab.plan.catalogue import Category

JUCE_VERSION = "7.0.5"
MANUFACTURER_CODE = "Vais"
COMPANY_NAME = "vAIst lab"
PLUGIN_VERSION = "0.1.0"
CMAKE_TARGET = "VaistPlugin"  # fixed, so that no plugin name can clash with CMake's or JUCE's targets
MANIFEST = "vaist-project.json"
PROJECT_FORMAT = 1

# What every plugin takes from JUCE, the same in a plugin that compiles the modules and in the shared
# module archive (vaist_lab.build.archive) that a local build links instead: the modules it links (their
# dependencies follow), the module config flags, and the one plugin format built.
JUCE_MODULES = ("juce_audio_processors",)
JUCE_CONFIG_FLAGS = ("JUCE_WEB_BROWSER=0", "JUCE_USE_CURL=0", "JUCE_VST3_CAN_REPLACE_VST2=0")
JUCE_PLUGIN_FORMATS = (
    ("AU", 0),
    ("AUv3", 0),
    ("AAX", 0),
    ("LV2", 0),
    ("Standalone", 0),
    ("Unity", 0),
    ("VST", 0),
    ("VST3", 1),
)
JUCE_ARCHIVE_FORMAT = 1  # raise when the archive's recipe changes: old archives are then not used

PLUGIN_CODE_PATTERN = re.compile(r"^[A-Z][a-z0-9]{3}$")
_SAFE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{1,31}$")  # the plan's pluginName rule, checked again here
_CODE_TAIL = "abcdefghijklmnopqrstuvwxyz0123456789"

VST3_CATEGORIES = {
    Category.GAIN: "Fx Tools",
    Category.DELAY: "Fx Delay",
    Category.FILTER: "Fx Filter",
    Category.DISTORTION: "Fx Distortion",
    Category.TREMOLO: "Fx Modulation",
    Category.CHORUS: "Fx Modulation",
    Category.REVERB: "Fx Reverb",
    Category.COMPRESSOR: "Fx Dynamics",
}

PLUGIN_TEMPLATES = {
    "CMakeLists.txt": "plugin/CMakeLists.txt.j2",
    "Source/PluginStrings.h": "plugin/PluginStrings.h.j2",
    "Source/PluginProcessor.h": "plugin/PluginProcessor.h.j2",
    "Source/PluginProcessor.cpp": "plugin/PluginProcessor.cpp.j2",
    "Source/PluginEditor.h": "plugin/PluginEditor.h.j2",
    "Source/PluginEditor.cpp": "plugin/PluginEditor.cpp.j2",
    "Source/EditorSnapshot.cpp": "plugin/EditorSnapshot.cpp.j2",
}


def plugin_code(project_key: str, taken: Collection[str] = ()) -> str:
    """The 4-character plugin code of a project: an uppercase letter and three of [a-z0-9], derived from
    a hash of the project key (stable across runs and machines). Codes in `taken` (those of other
    projects) are skipped by hashing again with a counter, so a caller that knows every code in use can
    keep them unique; without that, two of 1.2 million codes collide only by chance."""
    for attempt in range(10_000):
        salt = "" if attempt == 0 else f"#{attempt}"
        number = int.from_bytes(hashlib.sha256(f"vaist-plugin-code:{project_key}{salt}".encode()).digest()[:8], "big")
        number, head = divmod(number, 26)
        code = chr(ord("A") + head)
        for _ in range(3):
            number, index = divmod(number, len(_CODE_TAIL))
            code += _CODE_TAIL[index]
        if code not in taken and code != MANUFACTURER_CODE:
            return code
    raise CodegenError("no free plugin code left")  # pragma: no cover - needs ~1e6 taken codes


def display_decimals(low: float, high: float) -> int:
    """Decimals a parameter's text shows: about four significant digits over its range."""
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return 2
    return max(0, min(6, 3 - math.floor(math.log10(span))))


def editor_grid(layout: str, count: int) -> tuple[int, int]:
    """(columns, rows) of the editor's knobs for a uiLayout."""
    if layout == "vertical":
        return 1, count
    if layout == "grid":
        columns = math.ceil(math.sqrt(count))
        return columns, math.ceil(count / columns)
    return count, 1


@dataclass(frozen=True)
class GeneratedProject:
    """A generated plugin project on disk: what a builder takes."""

    path: Path
    plan: Plan
    plugin_name: str
    plugin_code: str
    project_key: str
    juce_version: str = JUCE_VERSION
    cmake_target: str = CMAKE_TARGET

    @property
    def bundle_name(self) -> str:
        """The VST3 bundle the build produces: `<pluginName>.vst3`."""
        return f"{self.plugin_name}.vst3"

    def files(self) -> list[str]:
        """Every file of the project, relative, sorted."""
        return sorted(str(path.relative_to(self.path)) for path in self.path.rglob("*") if path.is_file())

    @classmethod
    def load(cls, path: str | Path) -> GeneratedProject:
        """A project generated earlier (reads its manifest and plan.json, validating the plan again)."""
        path = Path(path)
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            plan = parse_plan((path / "plan.json").read_bytes(), str(path / "plan.json"))
        except (OSError, ValueError) as error:
            raise CodegenError(f"{path} is not a vaist-lab project: {error}") from None
        code = manifest.get("pluginCode", "")
        if not PLUGIN_CODE_PATTERN.match(code) or manifest.get("pluginName") != plan.plugin_name:
            raise CodegenError(f"{path / MANIFEST}: damaged manifest")
        return cls(
            path=path,
            plan=plan,
            plugin_name=plan.plugin_name,
            plugin_code=code,
            project_key=str(manifest.get("projectKey", plan.plugin_name)),
            juce_version=str(manifest.get("juceVersion", JUCE_VERSION)),
            cmake_target=str(manifest.get("cmakeTarget", CMAKE_TARGET)),
        )


def juce_build_context() -> dict[str, object]:
    """The template values that a plugin and the JUCE module archive must share."""
    return {
        "juce_version": JUCE_VERSION,
        "juce_modules": list(JUCE_MODULES),
        "juce_config_flags": list(JUCE_CONFIG_FLAGS),
        "plugin_formats": list(JUCE_PLUGIN_FORMATS),
        "archive_format": JUCE_ARCHIVE_FORMAT,
    }


def render_sources(plan: Plan, code: str) -> dict[str, str]:
    """Every generated text file of the project (the dsp headers are copied separately), by path."""
    if not _SAFE_NAME.match(plan.plugin_name):  # validated already; CMake must never see anything else
        raise CodegenError(f"plugin name {plan.plugin_name!r} is not PascalCase")
    if not PLUGIN_CODE_PATTERN.match(code):
        raise CodegenError(f"plugin code {code!r} does not match {PLUGIN_CODE_PATTERN.pattern}")
    columns, rows = editor_grid(plan.ui_layout, len(plan.parameters))
    context = {
        "plugin_name": plan.plugin_name,
        "plugin_name_comment": plan.plugin_name,
        "category": plan.category.value,
        "description": plan.explanation,
        "parameters": [
            {
                "name": parameter.name,
                "display_name": parameter.display_name,
                "unit": parameter.unit,
                "min": parameter.min,
                "max": parameter.max,
                "default": parameter.default,
                "decimals": display_decimals(parameter.min, parameter.max),
            }
            for parameter in plan.parameters
        ],
        "layout": plan.ui_layout,
        "columns": columns,
        "rows": rows,
        "target": CMAKE_TARGET,
        "version": PLUGIN_VERSION,
        "juce_version": JUCE_VERSION,
        "manufacturer_code": MANUFACTURER_CODE,
        "plugin_code": code,
        "vst3_categories": VST3_CATEGORIES[plan.category],
        **juce_build_context(),
    }
    env = environment()
    sources = {path: env.get_template(template).render(**context) for path, template in PLUGIN_TEMPLATES.items()}
    sources["Source/Chain.h"] = chain_source(plan, "vaist_plan")
    sources["plan.json"] = json.dumps(plan.to_json_dict(), indent=2, ensure_ascii=False) + "\n"
    return sources


def _manifest(plan: Plan, code: str, project_key: str) -> str:
    manifest = {
        "format": PROJECT_FORMAT,
        "pluginName": plan.plugin_name,
        "pluginCode": code,
        "manufacturerCode": MANUFACTURER_CODE,
        "projectKey": project_key,
        "juceVersion": JUCE_VERSION,
        "cmakeTarget": CMAKE_TARGET,
        "bundle": f"{plan.plugin_name}.vst3",
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def generate_project(
    plan: Plan, output_dir: str | Path, project_key: str | None = None, taken_codes: Collection[str] = ()
) -> GeneratedProject:
    """Write the plugin project of `plan` into `output_dir` (created, or replaced if it holds an earlier
    vaist-lab project; any other existing non-empty folder is refused). The same plan and key always give
    byte-identical files. `project_key` identifies the project for its plugin code (default: the plan's
    pluginName, until projects exist)."""
    output_dir = Path(output_dir).absolute()
    key = project_key if project_key is not None else plan.plugin_name
    code = plugin_code(key, taken_codes)
    is_project = (output_dir / MANIFEST).is_file()
    if output_dir.exists() and not is_project and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise CodegenError(f"{output_dir} exists and is not a vaist-lab project; not overwriting it")
    sources = render_sources(plan, code)
    sources[MANIFEST] = _manifest(plan, code, key)
    dsp = CPP_TEMPLATES / "dsp"
    if not dsp.is_dir():
        raise CodegenError(f"DSP headers not found at {dsp}")

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", suffix=".tmp", dir=output_dir.parent))
    try:
        shutil.copytree(dsp, scratch / "Source" / "dsp", ignore=shutil.ignore_patterns(".*", "__pycache__"))
        for relative, text in sources.items():
            target = scratch / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        os.chmod(scratch, 0o755)  # mkdtemp makes it private; a project folder is an ordinary folder
        replace_directory(scratch, output_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return GeneratedProject(output_dir, plan, plan.plugin_name, code, key)


def replace_directory(new: Path, target: Path) -> None:
    """Rename the folder `new` to `target` (same file system); an existing `target` is moved aside first
    and deleted afterwards, so `target` is at every moment either the old folder or the new one."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


__all__ = [
    "JUCE_CONFIG_FLAGS",
    "JUCE_MODULES",
    "JUCE_VERSION",
    "MANUFACTURER_CODE",
    "PLUGIN_CODE_PATTERN",
    "GeneratedProject",
    "display_decimals",
    "generate_project",
    "juce_build_context",
    "plugin_code",
    "render_sources",
    "replace_directory",
]
