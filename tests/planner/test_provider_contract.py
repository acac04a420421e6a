"""The schemas the real SDK clients put on the wire, checked against each provider's documented rules
(vaist_lab.planner.contract): they pass; each defect issue 11 found, put back on purpose, is caught; and every
other rule fires on a schema that breaks it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from provider_wire import WIRES, ScriptedServer, Wire, settings_for

from vaist_lab.planner import Planner
from vaist_lab.planner.contract import (
    Violation,
    check_anthropic_tool,
    check_gemini,
    check_openai_strict,
    gemini_schema_fields,
)
from vaist_lab.planner.providers.gemini import API_VERSION

WIRE = {wire.provider: wire for wire in WIRES}
CHECKS: dict[str, Callable[[dict[str, Any]], list[Violation]]] = {
    "gemini": check_gemini,
    "anthropic": check_anthropic_tool,
    "openai": check_openai_strict,
}


def sent_schema(wire: Wire, server: ScriptedServer, plan: dict[str, Any]) -> dict[str, Any]:
    """The schema (Anthropic: the whole tool) in the request body the provider's SDK sent for one turn."""
    server.queue(wire.plan(plan))
    result = Planner(settings_for(wire, server)).turn("an echo", model=wire.provider, api_keys={wire.provider: "k"})
    assert result.ok, result.reply
    body = server.requests[-1].body
    if wire.provider == "gemini":
        return body["generationConfig"]["responseSchema"]
    if wire.provider == "anthropic":
        [tool] = body["tools"]
        return tool
    return body["response_format"]["json_schema"]["schema"]


@pytest.fixture(scope="module")
def sent(echo_plan_module: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each provider's schema as sent, captured once for the module (a fresh copy per test below)."""
    schemas = {}
    for wire in WIRES:
        server = ScriptedServer().start()
        try:
            schemas[wire.provider] = sent_schema(wire, server, echo_plan_module)
        finally:
            server.stop()
    return schemas


@pytest.fixture(scope="module")
def echo_plan_module() -> dict[str, Any]:
    from vaist_lab.plan.io import load_template

    return load_template("tape-echo").to_json_dict()


@pytest.fixture
def schema_of(sent: dict[str, dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    return lambda provider: copy.deepcopy(sent[provider])


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a schema, parents first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


def block_variant(schema: dict[str, Any], block: str) -> dict[str, Any]:
    return next(node for node in nodes(schema) if node.get("title") == block and "properties" in node)


@pytest.mark.parametrize("provider", CHECKS)
def test_the_schema_each_sdk_sends_keeps_its_providers_rules(
    provider: str, schema_of: Callable[[str], dict[str, Any]]
) -> None:
    schema = schema_of(provider)

    assert CHECKS[provider](schema) == []
    assert "StateVariable" in str(schema) and "lagrange3" in str(schema)  # the whole catalogue went out


def test_gemini_requests_use_the_pinned_api_version_whatever_the_environment_says(
    server: ScriptedServer, echo_plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1")  # google-genai 3.x's own default
    wire = WIRE["gemini"]

    sent_schema(wire, server, echo_plan)

    assert API_VERSION == "v1beta"
    assert server.requests[0].path == f"/{API_VERSION}/models/{wire.model}:generateContent"


# -- the three defects of issue 11, put back on purpose --------------------------------------------------


def test_an_openai_constant_without_a_type_is_caught(schema_of: Callable[[str], dict[str, Any]]) -> None:
    schema = schema_of("openai")
    constants = [node for node in nodes(schema) if "const" in node]
    for node in constants:
        del node["type"]  # {"const": "<Block>"} as the plan schema has it

    violations = check_openai_strict(schema)

    assert len(constants) > 20  # one per block type, and schemaVersion
    assert len(violations) == len(constants)
    assert {violation.rule for violation in violations} == {"every schema needs a 'type' (constants and enums too)"}
    assert "/properties/dspBlocks/items/anyOf/0/properties/type" in {violation.path for violation in violations}
    assert all("structured-outputs" in violation.source for violation in violations)


def test_a_gemini_empty_enum_value_is_caught(schema_of: Callable[[str], dict[str, Any]]) -> None:
    schema = schema_of("gemini")
    unit = next(node for node in nodes(schema) if node.get("title") == "Unit")
    unit["enum"] = ["", *unit["enum"]]  # "no unit" as the plan writes it

    [violation] = check_gemini(schema)

    assert violation.path == "/properties/parameters/items/properties/unit"
    assert violation.rule == "enum values may not be empty"
    assert "cannot be empty" in violation.source


def test_a_gemini_object_without_properties_is_caught(schema_of: Callable[[str], dict[str, Any]]) -> None:
    schema = schema_of("gemini")
    all_pass = block_variant(schema, "AllPass")
    all_pass["properties"]["inputs"] = {"type": "OBJECT", "properties": {}}  # AllPass takes no inputs

    [violation] = check_gemini(schema)

    assert violation.path.endswith("/properties/inputs")
    assert violation.rule == "an OBJECT needs at least one property"


# -- every other rule fires -------------------------------------------------------------------------------


def _deep(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        node = {"type": "object", "properties": {"x": node}, "required": ["x"], "additionalProperties": False}
    return node


def _wide(count: int, name_length: int = 1) -> dict[str, Any]:
    names = [f"{index:0{name_length}d}" for index in range(count)]
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": names,
        "additionalProperties": False,
    }


def _with_property(schema: dict[str, Any], name: str, node: dict[str, Any], required: bool = True) -> dict[str, Any]:
    schema["properties"][name] = node
    if required:
        schema["required"].append(name)
    return schema


OPENAI_BREAKS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "root anyOf": (lambda schema: {"anyOf": [schema]}, "the root must be an object"),
    "open object": (
        lambda schema: {**schema, "additionalProperties": True},
        "additionalProperties must be false",
    ),
    "optional property": (
        lambda schema: _with_property(schema, "extra", {"type": "string"}, required=False),
        "every property must be required",
    ),
    "allOf": (lambda schema: _with_property(schema, "extra", {"allOf": [{"type": "string"}]}), "'allOf'"),
    "default": (lambda schema: _with_property(schema, "extra", {"type": "string", "default": "x"}), "'default'"),
    "$ref with siblings": (
        lambda schema: _with_property(schema, "extra", {"$ref": "#/$defs/Parameter", "description": "x"}),
        "a $ref stands alone",
    ),
    "11 levels": (lambda schema: _with_property(schema, "deep", _deep(10)), "levels of nesting exceed 10"),
    "5001 properties": (lambda schema: _with_property(schema, "wide", _wide(5001)), "object properties exceed 5000"),
    "1001 enum values": (
        lambda schema: _with_property(schema, "many", {"type": "string", "enum": [str(i) for i in range(1001)]}),
        "enum values exceed 1000",
    ),
    "a long large enum": (
        lambda schema: _with_property(schema, "long", {"type": "string", "enum": [f"{i:060d}" for i in range(251)]}),
        "an enum of over 250 values holds over 15000 chars",
    ),
    "120001 characters": (
        lambda schema: _with_property(schema, "names", _wide(2000, name_length=61)),
        "characters of names, enum and const values exceed 120000",
    ),
}


@pytest.mark.parametrize("defect", OPENAI_BREAKS)
def test_each_openai_rule_catches_its_defect(defect: str, schema_of: Callable[[str], dict[str, Any]]) -> None:
    break_schema, expected = OPENAI_BREAKS[defect]

    rules = [violation.rule for violation in check_openai_strict(break_schema(schema_of("openai")))]

    assert any(expected in rule for rule in rules), rules


GEMINI_BREAKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "oneOf": (lambda schema: schema.update(oneOf=schema.pop("anyOf", [])), "'oneOf' is not a field"),
    "const": (lambda schema: schema["properties"]["pluginName"].update(const="Echo"), "'const' is not a field"),
    "$defs": (lambda schema: schema.update({"$defs": {}}), "'$defs' is not a field"),
    "lower-case type": (lambda schema: schema["properties"]["pluginName"].update(type="string"), "type 'string'"),
    "numeric enum": (
        lambda schema: schema["properties"]["schemaVersion"].update(enum=[1]),
        "enum is only allowed for STRING",
    ),
    "properties on a STRING": (
        lambda schema: schema["properties"]["pluginName"].update(properties={"x": {"type": "STRING"}}),
        "'properties' is only allowed for OBJECT",
    ),
}


@pytest.mark.parametrize("defect", GEMINI_BREAKS)
def test_each_gemini_rule_catches_its_defect(defect: str, schema_of: Callable[[str], dict[str, Any]]) -> None:
    schema = schema_of("gemini")
    break_schema, expected = GEMINI_BREAKS[defect]
    break_schema(schema)

    rules = [violation.rule for violation in check_gemini(schema)]

    assert any(expected in rule for rule in rules), rules


def test_gemini_fields_are_the_sdks_schema_fields() -> None:
    assert {"anyOf", "propertyOrdering", "nullable", "enum", "properties", "items"} <= gemini_schema_fields()
    assert not {"oneOf", "const", "$ref", "additionalItems"} & gemini_schema_fields()


ANTHROPIC_BREAKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "tool name": (lambda tool: tool.update(name="submit plan!"), "tool names match"),
    "property name": (
        lambda tool: tool["input_schema"]["properties"].update({"plugin name": {"type": "string"}}),
        "property names match",
    ),
    "long property name": (
        lambda tool: tool["input_schema"]["properties"].update({"x" * 65: {"type": "string"}}),
        "property names match",
    ),
    "array root": (lambda tool: tool["input_schema"].update(type="array"), "input_schema is an object schema"),
}


@pytest.mark.parametrize("defect", ANTHROPIC_BREAKS)
def test_each_anthropic_rule_catches_its_defect(defect: str, schema_of: Callable[[str], dict[str, Any]]) -> None:
    tool = schema_of("anthropic")
    break_tool, expected = ANTHROPIC_BREAKS[defect]
    break_tool(tool)

    rules = [violation.rule for violation in check_anthropic_tool(tool)]

    assert any(expected in rule for rule in rules), rules
