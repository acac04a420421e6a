"""Each provider's documented rules for the schema of its structured-output mode, as checks over the exact
schema sent (the dict that goes on the wire). A check returns every `Violation`: where it is (a JSON
pointer-like path), which rule, and the source of the rule, so that a failing test says what to fix and why.

The tests run these over the schemas captured from the requests the real SDK clients send; nothing here runs
on the planner's own path (the schemas are built once, from one plan schema, by `vaist_lab.planner.schemas`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

JsonSchema = dict[str, Any]

OPENAI_STRUCTURED_OUTPUTS = "https://developers.openai.com/api/docs/guides/structured-outputs#supported-schemas"
OPENAI_SDK_STRICT_HELPER = "openai/lib/_pydantic.py (_ensure_strict_json_schema), the installed openai SDK"
GEMINI_SCHEMA_FIELDS = "google/genai/types.py (class Schema), the installed google-genai SDK"
GEMINI_EMPTY_ENUM = "https://github.com/sbroenne/mcp-server-excel/issues/607 (Gemini: 'enum[N]: cannot be empty')"
GEMINI_STRING_ENUM = "https://github.com/router-for-me/CLIProxyAPI/issues/1075 (Gemini: enum values are strings)"
GEMINI_EMPTY_OBJECT = (
    "https://github.com/browser-use/browser-use/issues/3786 (Gemini: 'properties: should be non-empty for OBJECT type')"
)
GEMINI_OBJECT_ONLY = (
    "https://github.com/anomalyco/opencode/issues/11889 (Gemini: 'properties: only allowed for OBJECT type')"
)
ANTHROPIC_TOOLS = "https://platform.claude.com/docs/en/agents-and-tools/tool-use/define-tools"
ANTHROPIC_PROPERTY_KEYS = (
    "https://github.com/anthropics/claude-code/issues/79418 (Anthropic: 'Property keys should match pattern "
    "^[a-zA-Z0-9_.-]{1,64}$')"
)

# OpenAI strict mode: "Supported schemas" lists the types, the string, number and array keywords, anyOf,
# definitions ($defs, $ref) and recursion; the SDK's own strict helper also sends title and description.
# "Composition: allOf, not, dependentRequired, dependentSchemas, if, then, else" are not supported.
_OPENAI_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "description",
        "title",
        "$defs",
        "definitions",
        "$ref",
        "pattern",
        "format",
        "minLength",  # "not yet supported for fine-tuned models", so supported for the others
        "maxLength",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "minItems",
        "maxItems",
    }
)
_OPENAI_TYPES = frozenset({"string", "number", "boolean", "integer", "object", "array", "null"})
OPENAI_MAX_NESTING = 10  # "up to 5000 object properties total, with up to 10 levels of nesting"
OPENAI_MAX_PROPERTIES = 5000
OPENAI_MAX_STRING_CHARS = 120_000  # property names, definition names, enum values and const values together
OPENAI_MAX_ENUM_VALUES = 1000  # across all enum properties
OPENAI_LARGE_ENUM = 250  # a string enum with more values than this ...
OPENAI_LARGE_ENUM_CHARS = 15_000  # ... may hold this many characters at most

# Anthropic tool definitions: tool names ^[a-zA-Z0-9_-]{1,64}$ (Define tools), input_schema an object.
ANTHROPIC_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ANTHROPIC_PROPERTY_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
_NESTED_LISTS = ("anyOf", "any_of", "oneOf", "allOf", "prefixItems")
_NESTED_MAPS = ("properties", "$defs", "definitions", "defs")


@dataclass(frozen=True)
class Violation:
    path: str  # e.g. /properties/dspBlocks/items/anyOf/3/properties/type
    rule: str
    source: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.rule} [{self.source}]"


def _nodes(node: Any, path: str = "") -> Iterator[tuple[str, JsonSchema]]:
    """Every schema object in `node`, with its path, parents first."""
    if not isinstance(node, dict):
        return
    yield path, node
    for key in _NESTED_MAPS:
        if isinstance(node.get(key), dict):
            for name, child in node[key].items():
                yield from _nodes(child, f"{path}/{key}/{name}")
    for key in _NESTED_LISTS:
        if isinstance(node.get(key), list):
            for index, child in enumerate(node[key]):
                yield from _nodes(child, f"{path}/{key}/{index}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _nodes(node[key], f"{path}/{key}")


def _types(node: JsonSchema) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


# -- OpenAI ----------------------------------------------------------------------------------------------


def check_openai_strict(schema: JsonSchema) -> list[Violation]:
    """The rules of OpenAI's strict json_schema mode (Chat Completions `response_format`)."""
    violations: list[Violation] = []

    def violation(path: str, rule: str, source: str = OPENAI_STRUCTURED_OUTPUTS) -> None:
        violations.append(Violation(path, rule, source))

    if schema.get("type") != "object" or "anyOf" in schema:
        violation("", "the root must be an object, not anyOf")
    enum_values = property_count = string_chars = 0
    for path, node in _nodes(schema):
        for key in sorted(set(node) - _OPENAI_KEYWORDS):
            violation(path, f"keyword {key!r} is not supported in strict mode")
        if "$ref" in node:
            if len(node) > 1:
                violation(path, "a $ref stands alone (the SDK inlines one with siblings)", OPENAI_SDK_STRICT_HELPER)
            continue
        kinds = _types(node)
        if not kinds and "anyOf" not in node:
            violation(path, "every schema needs a 'type' (constants and enums too)")
        if kinds - _OPENAI_TYPES:
            violation(path, f"unknown type {sorted(kinds - _OPENAI_TYPES)}")
        if "object" in kinds:
            properties = node.get("properties", {})
            if node.get("additionalProperties") is not False:
                violation(path, "additionalProperties must be false on every object")
            missing = [name for name in properties if name not in node.get("required", ())]
            if missing:
                violation(path, f"every property must be required (optional ones nullable): missing {missing}")
            property_count += len(properties)
            string_chars += sum(map(len, properties))
        for key in ("$defs", "definitions"):
            string_chars += sum(map(len, node.get(key, {})))
        if "enum" in node:
            values = node["enum"]
            enum_values += len(values)
            string_chars += sum(len(str(value)) for value in values)
            texts = [value for value in values if isinstance(value, str)]
            if len(values) > OPENAI_LARGE_ENUM and sum(map(len, texts)) > OPENAI_LARGE_ENUM_CHARS:
                violation(
                    path, f"an enum of over {OPENAI_LARGE_ENUM} values holds over {OPENAI_LARGE_ENUM_CHARS} chars"
                )
        if "const" in node:
            string_chars += len(str(node["const"]))
    depth = _openai_depth(schema, schema)
    if depth > OPENAI_MAX_NESTING:
        violation("", f"{depth} levels of nesting exceed {OPENAI_MAX_NESTING}")
    if property_count > OPENAI_MAX_PROPERTIES:
        violation("", f"{property_count} object properties exceed {OPENAI_MAX_PROPERTIES}")
    if string_chars > OPENAI_MAX_STRING_CHARS:
        violation("", f"{string_chars} characters of names, enum and const values exceed {OPENAI_MAX_STRING_CHARS}")
    if enum_values > OPENAI_MAX_ENUM_VALUES:
        violation("", f"{enum_values} enum values exceed {OPENAI_MAX_ENUM_VALUES}")
    return violations


def _openai_depth(node: Any, root: JsonSchema, seen: frozenset[str] = frozenset()) -> int:
    """Levels of nesting: objects and arrays on the deepest path, references followed (a recursive one once).
    The guide does not say whether an array counts as a level; counting it errs on the safe side."""
    if not isinstance(node, dict):
        return 0
    reference = node.get("$ref")
    if isinstance(reference, str):
        if reference in seen or not reference.startswith("#"):
            return 0
        target: Any = root
        for part in filter(None, reference[1:].split("/")):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _openai_depth(target, root, seen | {reference})
    children = [*node.get("properties", {}).values(), *node.get("anyOf", [])]
    if isinstance(node.get("items"), dict):
        children.append(node["items"])
    own = 1 if _types(node) & {"object", "array"} else 0
    return own + max((_openai_depth(child, root, seen) for child in children), default=0)


# -- Gemini ----------------------------------------------------------------------------------------------


@cache
def gemini_schema_fields() -> frozenset[str]:
    """The fields google-genai's `types.Schema` has, in both spellings the API takes: the SDK itself sends the
    snake_case names (any_of, property_ordering, max_length), which the API's JSON reads like the camelCase
    aliases (anyOf, propertyOrdering, maxLength)."""
    from google.genai import types

    return frozenset(
        spelling for name, field in types.Schema.model_fields.items() for spelling in (name, field.alias or name)
    )


@cache
def _gemini_types() -> frozenset[str]:
    from google.genai import types

    return frozenset(member.value for member in types.Type)


def check_gemini(schema: JsonSchema) -> list[Violation]:
    """The rules of Gemini's `responseSchema` (generateContent, a subset of OpenAPI 3.0)."""
    violations: list[Violation] = []
    fields, kinds = gemini_schema_fields(), _gemini_types()
    for path, node in _nodes(schema):
        for key in sorted(set(node) - fields):
            violations.append(Violation(path, f"{key!r} is not a field of Gemini's Schema", GEMINI_SCHEMA_FIELDS))
        kind = node.get("type")
        if kind is not None and kind not in kinds:
            violations.append(Violation(path, f"type {kind!r} is not one of {sorted(kinds)}", GEMINI_SCHEMA_FIELDS))
        if "enum" in node:
            values = node["enum"]
            if any(value == "" for value in values):
                violations.append(Violation(path, "enum values may not be empty", GEMINI_EMPTY_ENUM))
            if kind != "STRING" or not all(isinstance(value, str) for value in values):
                violations.append(Violation(path, "enum is only allowed for STRING, of strings", GEMINI_STRING_ENUM))
        if kind == "OBJECT" and not node.get("properties"):
            violations.append(Violation(path, "an OBJECT needs at least one property", GEMINI_EMPTY_OBJECT))
        for key in ("properties", "required", "propertyOrdering", "property_ordering"):
            if key in node and kind != "OBJECT":
                violations.append(Violation(path, f"{key!r} is only allowed for OBJECT", GEMINI_OBJECT_ONLY))
    return violations


# -- Anthropic -------------------------------------------------------------------------------------------


def check_anthropic_tool(tool: JsonSchema) -> list[Violation]:
    """The rules of a Messages API tool definition: its name, and its input_schema (an object whose property
    names match ^[a-zA-Z0-9_.-]{1,64}$)."""
    violations: list[Violation] = []
    if not ANTHROPIC_TOOL_NAME.match(str(tool.get("name", ""))):
        violations.append(Violation("/name", "tool names match ^[a-zA-Z0-9_-]{1,64}$", ANTHROPIC_TOOLS))
    schema = tool.get("input_schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        violations.append(
            Violation("/input_schema", "input_schema is an object schema (type: object)", ANTHROPIC_TOOLS)
        )
        return violations
    for path, node in _nodes(schema, "/input_schema"):
        for name in node.get("properties", {}) if isinstance(node.get("properties"), dict) else ():
            if not ANTHROPIC_PROPERTY_NAME.match(name):
                violations.append(
                    Violation(
                        f"{path}/properties/{name}",
                        "property names match ^[a-zA-Z0-9_.-]{1,64}$",
                        ANTHROPIC_PROPERTY_KEYS,
                    )
                )
    return violations


__all__ = [
    "OPENAI_MAX_NESTING",
    "OPENAI_MAX_PROPERTIES",
    "Violation",
    "check_anthropic_tool",
    "check_gemini",
    "check_openai_strict",
    "gemini_schema_fields",
]
