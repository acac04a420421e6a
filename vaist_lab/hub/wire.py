"""The hub service's wire format, shared by the service (vaist_lab.hub.service) and its client
(vaist_lab.hub.client), derived rather than written per call:

- one route per member of the protocol (`HubApi`: LabApi and the service's extras): `POST <prefix>api/<name>`
  with a JSON object of the named arguments; the answer is the result as JSON. A new LabApi method is a new
  route on both ends with no code of its own.
- values to JSON by what they are (`to_json`), and back by the type hints they are read as (`from_json`):
  the views' dataclasses field by field, UUIDs, datetimes, enums, bytes (base64), tuples, unions; strict JSON
  (a fidelity of -inf dB, "identical", travels as the string "-inf": JSON has no Infinity nor NaN).
- refusals as `{"error": kind, "message": one line}`, kind the error's class name (`error_body`), raised
  again as that class on the client (`error_from_body`).

Importing it loads the views and the service's errors only: no SQLAlchemy, store or builders.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import inspect
import math
import numbers
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Any, Literal, Protocol, Union, get_args, get_origin

from vaist_lab.errors import VaistError
from vaist_lab.service.api import LabApi, ProjectId
from vaist_lab.service.errors import ServiceError

API_PATH = "api/"  # below the service's prefix: <prefix>api/<route name>
MAX_MESSAGE_CHARS = 500  # an error's message, one line
NON_FINITE = ("inf", "-inf", "nan")  # how to_json spells the floats JSON has no number for


@dataclass(frozen=True)
class DownloadLinkView:
    """An expiring link to a built plugin that needs no token, absolute: the service's own signed link below
    its prefix, on the host the request came through (local storage), or the bucket's presigned URL (S3)."""

    url: str
    filename: str
    size: int
    expires_at: datetime


class HubApi(LabApi, Protocol):
    """What the hub service answers: the workbench's LabApi, and links for browsers and other clients."""

    def download_link(self, project_id: ProjectId, platform: str | None = None) -> DownloadLinkView: ...


class WireError(VaistError, ValueError):
    """A value that does not read as the type expected of it."""


class NotSignedIn(ServiceError):
    """The request carried no valid hub token (none, forged, expired or revoked)."""


class NotAllowed(ServiceError):
    """The token is genuine but may not use the lab service (it lacks the scope, or is not a user's)."""


class LabServiceUnavailable(ServiceError):
    """The hub service did not answer (stopped, restarting, or unreachable from here)."""


# -- routes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One member of the protocol as a call over HTTP."""

    name: str
    declared: Any  # the protocol's function, or its property
    signature: inspect.Signature | None  # the function's, `self` first; None for a property
    parameters: Mapping[str, Any]  # each argument's type hint
    returns: Any  # the result's type hint

    @property
    def path(self) -> str:
        return f"{API_PATH}{self.name}"


def routes(protocol: type) -> dict[str, Route]:
    """A route per public member of `protocol` and of the protocols it extends, in declaration order."""
    members: dict[str, Any] = {}
    for base in reversed(protocol.__mro__):
        if getattr(base, "_is_protocol", False) and base is not Protocol:
            members.update({name: value for name, value in vars(base).items() if not name.startswith("_")})
    table = {}
    for name, member in members.items():
        if isinstance(member, property):
            table[name] = Route(name, member, None, {}, typing.get_type_hints(member.fget)["return"])
            continue
        hints = typing.get_type_hints(member)
        signature = inspect.signature(member)
        parameters = {parameter: hints[parameter] for parameter in list(signature.parameters)[1:]}
        table[name] = Route(name, member, signature, parameters, hints["return"])
    return table


ROUTES = routes(HubApi)


# -- values -------------------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """`value` as JSON data: dataclasses as objects of their fields, UUIDs and paths as strings, datetimes in
    ISO 8601, durations in seconds, enums as their values, bytes in base64, any sequence as a list."""
    if isinstance(value, Enum):
        return to_json(value.value)
    if value is None or isinstance(value, bool | str):
        return value
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():  # a NumPy scalar in a view
        return to_json(value.item())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)  # "inf", "-inf" or "nan"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_json(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {_key(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def _key(key: Any) -> str:
    key = to_json(key)
    if not isinstance(key, str):
        raise TypeError(f"cannot send a mapping with a {type(key).__name__} key as JSON")
    return key


def from_json(value: Any, hint: Any, where: str = "the value") -> Any:
    """JSON data read as `hint` (what `to_json` makes of that type); WireError names `where` and what was
    expected. A dataclass ignores fields it does not know (a newer service's) and takes its defaults for
    missing ones."""
    if hint is Any or hint is object:
        return value
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _from_union(value, hint, where)
    if origin is Literal:
        if value in get_args(hint):
            return value
        raise _expected(value, " or ".join(map(repr, get_args(hint))), where)
    if origin is not None:
        return _from_generic(value, origin, get_args(hint), where)
    if hint is None or hint is types.NoneType:
        if value is None:
            return None
        raise _expected(value, "null", where)
    if dataclasses.is_dataclass(hint):
        return _from_dataclass(value, hint, where)
    reader = _READERS.get(hint)
    if reader is not None:
        return reader(value, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise _expected(value, " or ".join(repr(member.value) for member in hint), where) from None
    raise TypeError(f"{where}: cannot read JSON as {hint!r}")


def _from_union(value: Any, hint: Any, where: str) -> Any:
    choices = get_args(hint)
    if value is None and types.NoneType in choices:
        return None
    for choice in choices:  # the first that reads: UUID | str takes a UUID when it is one
        if choice is types.NoneType:
            continue
        try:
            return from_json(value, choice, where)
        except WireError:
            continue
    raise _expected(value, " or ".join(_name(choice) for choice in choices), where)


def _from_generic(value: Any, origin: Any, arguments: tuple[Any, ...], where: str) -> Any:
    if origin in (list, set, frozenset, tuple, Sequence):
        if not isinstance(value, list):
            raise _expected(value, "a list", where)
        if origin is tuple and not (len(arguments) == 2 and arguments[1] is Ellipsis):
            if len(value) != len(arguments):
                raise _expected(value, f"a list of {len(arguments)}", where)
            return tuple(
                from_json(item, hint, f"{where}[{index}]")
                for index, (item, hint) in enumerate(zip(value, arguments, strict=True))
            )
        items = [
            from_json(item, arguments[0] if arguments else Any, f"{where}[{index}]") for index, item in enumerate(value)
        ]
        return items if origin in (list, Sequence) else origin(items)
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            raise _expected(value, "an object", where)
        key_hint, value_hint = arguments or (str, Any)
        return {
            from_json(key, key_hint, where): from_json(item, value_hint, f"{where}[{key!r}]")
            for key, item in value.items()
        }
    raise TypeError(f"{where}: cannot read JSON as {origin!r}")


def _from_dataclass(value: Any, cls: type, where: str) -> Any:
    if not isinstance(value, dict):
        raise _expected(value, f"a {cls.__name__} object", where)
    hints = _hints(cls)
    known = {
        item.name: from_json(value[item.name], hints[item.name], f"{where}.{item.name}")
        for item in dataclasses.fields(cls)
        if item.init and item.name in value
    }
    try:
        return cls(**known)
    except TypeError as error:  # a required field is missing
        raise WireError(f"{where}: {error}") from None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _exactly(kind: type, expected: str) -> Callable[[Any, str], Any]:
    def read(value: Any, where: str) -> Any:
        if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            return value
        raise _expected(value, expected, where)

    return read


def _parsed(parse: Callable[[Any], Any], expected: str, kind: type = str) -> Callable[[Any, str], Any]:
    def read(value: Any, where: str) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            try:
                return parse(value)
            except (ValueError, binascii.Error):
                pass
        raise _expected(value, expected, where)

    return read


def _read_float(value: Any, where: str) -> float:
    if (isinstance(value, int | float) and not isinstance(value, bool)) or value in NON_FINITE:
        return float(value)
    raise _expected(value, "a number", where)


_READERS: dict[Any, Callable[[Any, str], Any]] = {
    str: _exactly(str, "a string"),
    bool: _exactly(bool, "true or false"),
    int: _exactly(int, "an integer"),
    float: _read_float,
    dict: _exactly(dict, "an object"),
    list: _exactly(list, "a list"),
    uuid.UUID: _parsed(uuid.UUID, "a UUID"),
    datetime: _parsed(datetime.fromisoformat, "an ISO 8601 date and time"),
    date: _parsed(date.fromisoformat, "an ISO 8601 date"),
    timedelta: _parsed(lambda seconds: timedelta(seconds=seconds), "seconds", int | float),
    bytes: _parsed(lambda text: base64.b64decode(text, validate=True), "base64"),
}


def _expected(value: Any, expected: str, where: str) -> WireError:
    shown = repr(value)
    return WireError(f"{where}: expected {expected}, got {shown if len(shown) <= 60 else shown[:57] + '...'}")


def _name(hint: Any) -> str:
    return "null" if hint is types.NoneType else getattr(hint, "__name__", str(hint))


# -- refusals -----------------------------------------------------------------------------------------------


def error_body(kind: str, message: str, retry_after: timedelta | None = None) -> dict[str, Any]:
    """What a refusal answers: its kind (the error's class name) and its message's first line."""
    line = message.strip().splitlines()[0] if message.strip() else kind
    body: dict[str, Any] = {"error": kind, "message": line[:MAX_MESSAGE_CHARS]}
    if retry_after is not None:
        body["retry_after"] = retry_after.total_seconds()
    return body


def error_from_body(body: Any, status: int) -> VaistError:
    """The error a refusal's body describes, as its own class when this process knows it (a ServiceError
    otherwise), so that callers handle it as they would in process."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return LabServiceUnavailable(f"the lab service is not answering (HTTP {status}): try again shortly")
    error_class = _error_classes().get(str(body.get("error")), ServiceError)
    error = error_class.__new__(error_class)
    Exception.__init__(error, body["message"])  # the classes' own __init__ build messages from parts
    if isinstance(body.get("retry_after"), int | float):
        error.retry_after = timedelta(seconds=body["retry_after"])  # type: ignore[attr-defined]
    return error


def _error_classes() -> dict[str, type[VaistError]]:
    """Every VaistError class loaded, by name (a ServiceError first when two share a name)."""
    found: dict[str, type[VaistError]] = {}
    pending: list[type[VaistError]] = [ServiceError, VaistError]
    while pending:
        error_class = pending.pop(0)
        found.setdefault(error_class.__name__, error_class)
        pending.extend(error_class.__subclasses__())
    return found


__all__ = [
    "API_PATH",
    "ROUTES",
    "DownloadLinkView",
    "HubApi",
    "LabServiceUnavailable",
    "NotAllowed",
    "NotSignedIn",
    "Route",
    "WireError",
    "error_body",
    "error_from_body",
    "from_json",
    "routes",
    "to_json",
]
