"""The plan's JSON Schema (`plan_json_schema`) in the dialect each provider's structured-output mode accepts.

Both forms are derived from the one schema in code, so a new block or rule reaches every provider at once.
What a dialect cannot say (a length limit, an integer constant, an empty choice) is dropped from it and left
to validation, which the planner runs on every answer anyway. `vaist_lab.planner.contract` checks each form
against its provider's documented rules; the tests run it on the schemas the SDKs actually send.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from vaist_lab.plan import plan_json_schema

JsonSchema = dict[str, Any]

# Gemini's response_schema is a subset of OpenAPI 3.0: no $ref/$defs, no oneOf, no const, upper-case types.
_GEMINI_KEYWORDS = {
    "type",
    "properties",
    "required",
    "items",
    "anyOf",
    "enum",
    "description",
    "title",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "nullable",
}

# OpenAI's strict json_schema: every property required (optional ones nullable), additionalProperties false
# on every object, anyOf rather than oneOf, and only these keywords.
_OPENAI_KEYWORDS = {
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
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "pattern",
    "$defs",
    "$ref",
}


@cache
def _plan_schema() -> JsonSchema:
    return plan_json_schema()


def anthropic_input_schema() -> JsonSchema:
    """Anthropic's tool input_schema takes JSON Schema as it is."""
    return copy.deepcopy(_plan_schema())


def gemini_response_schema() -> JsonSchema:
    """The plan schema with references inlined, oneOf as anyOf, string constants as one-word enums, types in
    upper case and properties ordered as declared (Gemini otherwise writes them alphabetically)."""
    schema = _plan_schema()
    return _to_gemini(schema, schema.get("$defs", {}))


def _to_gemini(node: JsonSchema, definitions: JsonSchema) -> JsonSchema:
    if "$ref" in node:
        return _to_gemini(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    result: JsonSchema = {}
    for key, value in node.items():
        if key == "oneOf":
            result["anyOf"] = [_to_gemini(item, definitions) for item in value]
        elif key == "const":
            if isinstance(value, str):
                result["enum"] = [value]
            else:
                result["description"] = f"always {value}"
        elif key == "enum":
            # Gemini refuses empty enum values ("enum[0]: cannot be empty"). The one empty choice of a plan, a
            # parameter's unit "", is also its default, so the field is left out instead (the plan parser takes
            # a missing unit as "").
            result["enum"] = [choice for choice in value if choice != ""]
            if "" in value:
                result["description"] = "leave this field out for none"
        elif key == "properties":
            # an OBJECT needs properties on Gemini ("should be non-empty for OBJECT type"): a block's inputs
            # object with none (AllPass takes no inputs) is left out of its variant, as the plan allows
            properties = {
                name: _to_gemini(item, definitions)
                for name, item in value.items()
                if item.get("type") != "object" or item.get("properties")
            }
            result["properties"] = properties
            result["propertyOrdering"] = list(properties)
        elif key == "items":
            result["items"] = _to_gemini(value, definitions)
        elif key == "anyOf":
            result["anyOf"] = [_to_gemini(item, definitions) for item in value]
        elif key in _GEMINI_KEYWORDS:
            result[key] = value
    if "enum" in result:
        result["type"] = "string"
    if isinstance(result.get("type"), str):
        result["type"] = result["type"].upper()
    return result


def openai_strict_schema() -> JsonSchema:
    """The plan schema as OpenAI's strict mode takes it; answers come back with nulls where the model left an
    optional field out, which `drop_nulls` removes."""
    return _to_openai(_plan_schema())


def _to_openai(node: JsonSchema) -> JsonSchema:
    result: JsonSchema = {}
    for key, value in node.items():
        if key in ("oneOf", "anyOf"):
            result["anyOf"] = [_to_openai(item) for item in value]
        elif key == "$defs":
            result["$defs"] = {name: _to_openai(item) for name, item in value.items()}
        elif key == "items":
            result["items"] = _to_openai(value)
        elif key == "properties":
            required = set(node.get("required", ()))
            result["properties"] = {
                name: _to_openai(item) if name in required else _nullable(_to_openai(item))
                for name, item in value.items()
            }
            result["required"] = list(value)
        elif key in _OPENAI_KEYWORDS and key != "required":
            result[key] = value
    if "enum" in result and "type" not in result:
        result["type"] = "string"
    if "const" in result and "type" not in result:  # strict mode wants a type on every node, constants too
        result["type"] = _JSON_TYPES[type(result["const"])]
    if result.get("type") == "object":
        result["additionalProperties"] = False
        result.setdefault("properties", {})
        result.setdefault("required", [])
    return result


_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def _nullable(node: JsonSchema) -> JsonSchema:
    if "anyOf" in node:
        return {**node, "anyOf": [*node["anyOf"], {"type": "null"}]}
    return {"anyOf": [node, {"type": "null"}]}


def drop_nulls(value: Any) -> Any:
    """A decoded answer without the null members strict mode writes for optional fields (a plan has no nulls)."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value]
    return value
