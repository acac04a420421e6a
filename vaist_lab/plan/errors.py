"""Plan errors as one line per problem: `parameters[2].default: 150 is above max 100`."""

from __future__ import annotations

from pydantic import ValidationError

from vaist_lab.errors import VaistError

# pydantic's wording for the structural checks, said the way a plan author thinks of them
_MESSAGES = {
    "missing": "required field is missing",
    "finite_number": "must be a finite number",
}
_UNION_TAGS = {"names-form", "object-form"}


class PlanError(VaistError, ValueError):
    """A plan that breaks PLAN_SPEC; `problems` holds one line per broken rule."""

    def __init__(self, problems: list[str], source: str = "plan") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(problems))


def field_path(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _UNION_TAGS:
            continue
        elif not (part.isascii() and part.isidentifier()):  # a user's dict key: quoted so the path stays unambiguous
            path += f"[{part!r}]"
        else:
            path += f".{part}" if path else part
    return path or "plan"


def describe(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        message = _MESSAGES.get(item["type"], item["msg"])
        loc = item["loc"]
        if item["type"] == "extra_forbidden":  # name the field itself, at its parent's path
            loc, message = loc[:-1], f"unknown field {loc[-1]!r}"
        if item["type"] == "model_type" and item["loc"][-1:] == ("object-form",):
            message = f"must be a block name or a block object, not {item['input']!r}"
        if item["type"] == "finite_number":
            message += f" (got {item['input']})"
        if item["type"] == "string_pattern_mismatch":
            message = f"{item['input']!r} does not match {item['ctx']['pattern']}"
        line = f"{field_path(loc)}: {message}"
        if line not in lines:
            lines.append(line)
    return lines
