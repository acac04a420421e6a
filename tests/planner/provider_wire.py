"""Local HTTP servers that speak the providers' wire formats, for the real SDK clients to talk to.

A `ScriptedServer` answers each request (POST or GET) with the next action of its script (a JSON reply, a
reply after a delay, a reset connection) and records what it received: method, path, headers (auth
included), body and the monotonic time it arrived, so tests can measure the waits the server saw. A `Wire`
knows one provider's formats: where its SDK sends requests, which header carries the key, and how a plan, a
refusal, a cut-off answer, a models list, a short answer and each kind of error look on the wire. The error
bodies are the ones the real APIs send (status, error type or code, message), as their documentation shows:
https://platform.openai.com/docs/guides/error-codes, https://docs.anthropic.com/en/api/errors,
https://ai.google.dev/gemini-api/docs/troubleshooting.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vaist_lab.planner import PlannerSettings


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    method: str = "POST"


Action = Callable[[BaseHTTPRequestHandler], None]


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Action:
    def send(handler: BaseHTTPRequestHandler) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return send


def after(seconds: float, then: Action) -> Action:
    """Answer late: a client with a shorter timeout has gone by then (the write may fail; that is the point)."""

    def send(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        with contextlib.suppress(OSError):
            then(handler)

    return send


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of answering."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


@dataclass
class ScriptedServer:
    script: deque[Action] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received_at = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode(errors="replace")
                headers = {name.lower(): value for name, value in self.headers.items()}
                server.requests.append(Recorded(self.path, headers, body, received_at, self.command))
                action = server.script.popleft() if server.script else reply({"error": "script exhausted"}, 599)
                action(self)

            do_GET = do_POST  # models lists

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._http.handle_error = lambda request, address: None  # type: ignore[method-assign]
        # a short poll so that stopping the server (every test) takes milliseconds, not half a second
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def queue(self, *actions: Action) -> None:
        self.script.extend(actions)

    def waits(self) -> list[float]:
        """Seconds between consecutive requests, as the server saw them."""
        times = [request.received_at for request in self.requests]
        return [later - earlier for earlier, later in itertools.pairwise(times)]


FAILURES = ("auth", "not_found", "quota", "rate_limit", "down")


def _masked(key: str) -> str:
    """A key as OpenAI quotes one it refused: its first and last characters around stars."""
    return f"{key[:8]}{'*' * 20}{key[-4:]}" if len(key) > 12 else "*" * len(key)


class Wire:
    """One provider's wire format."""

    provider: str
    model: str
    list_path: str

    def base_url(self, server: ScriptedServer) -> str:
        return server.url

    def plan(self, plan: dict[str, Any]) -> Action:
        raise NotImplementedError

    def non_json(self) -> Action:
        raise NotImplementedError

    def truncated(self, plan: dict[str, Any]) -> Action:
        raise NotImplementedError

    def refusal(self) -> Action:
        raise NotImplementedError

    def answer(self) -> Action:
        """A short generation (what a key test gets back)."""
        raise NotImplementedError

    def models(self, ids: Sequence[str]) -> Action:
        """The provider's models list, with the metadata it sends for each id."""
        raise NotImplementedError

    def error(self, status: int, headers: dict[str, str] | None = None) -> Action:
        raise NotImplementedError

    def failure(self, kind: str) -> Action:
        """The provider's answer to a request that fails for `kind` (one of FAILURES): a refused key, an
        unknown model, a spent quota, a rate limit, or the provider down."""
        raise NotImplementedError

    def echoing_failure(self) -> Action:
        """A refused key quoted whole in the error message: worse than any of the real APIs (a misbehaving
        proxy), to prove that no message passes the key on."""

        def send(handler: BaseHTTPRequestHandler) -> None:
            key = self.key(_recorded(handler))
            reply({"error": {"message": f"API key {key} is not valid", "code": 401, "type": "auth"}}, 401)(handler)

        return send

    def key(self, request: Recorded) -> str:
        raise NotImplementedError

    def path_ok(self, request: Recorded) -> bool:
        raise NotImplementedError

    def last_user_text(self, request: Recorded) -> str:
        raise NotImplementedError


def _recorded(handler: BaseHTTPRequestHandler) -> Recorded:
    return Recorded(handler.path, {name.lower(): value for name, value in handler.headers.items()}, None, 0.0)


class GeminiWire(Wire):
    provider = "gemini"
    model = "gemini-test-model"
    list_path = "/v1beta/models"

    def _candidate(self, text: str | None, finish: str) -> Action:
        candidate: dict[str, Any] = {"finishReason": finish, "index": 0}
        if text is not None:
            candidate["content"] = {"role": "model", "parts": [{"text": text}]}
        usage = {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20}
        return reply({"candidates": [candidate], "usageMetadata": usage, "modelVersion": self.model})

    def plan(self, plan: dict[str, Any]) -> Action:
        return self._candidate(json.dumps(plan), "STOP")

    def non_json(self) -> Action:
        return self._candidate("Here is a lovely echo for you: long repeats, warm tone.", "STOP")

    def truncated(self, plan: dict[str, Any]) -> Action:
        text = json.dumps(plan)
        return self._candidate(text[: len(text) // 2], "MAX_TOKENS")

    def refusal(self) -> Action:
        return self._candidate(None, "SAFETY")

    def answer(self) -> Action:
        return self._candidate("OK", "STOP")

    def models(self, ids: Sequence[str]) -> Action:
        def entry(name: str) -> dict[str, Any]:
            methods = (
                ["embedContent"] if "embedding" in name else ["generateContent", "countTokens", "createCachedContent"]
            )
            return {
                "name": f"models/{name}",
                "version": "001",
                "displayName": name.replace("-", " ").title(),
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": methods,
            }

        return reply({"models": [entry(name) for name in ids]})

    def _status(self, code: int, status: str, message: str, details: list[Any] | None = None) -> Action:
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details is not None:
            error["details"] = details
        return reply({"error": error}, code)

    def error(self, status: int, headers: dict[str, str] | None = None) -> Action:
        names = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        body = {"error": {"code": status, "message": f"test error {status}", "status": names.get(status, "UNKNOWN")}}
        return reply(body, status, headers)

    def failure(self, kind: str) -> Action:
        # an invalid key is a 400 with reason API_KEY_INVALID; quotas are 429 RESOURCE_EXHAUSTED with the quota
        # that ran out (per day: used up; per minute: a rate limit) and the delay to wait
        quota_message = (
            "You exceeded your current quota, please check your plan and billing details. For more information on "
            "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: "
            "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: {limit}, model: "
            + self.model
        )

        def quota(quota_id: str, limit: int) -> Action:
            violation = {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": quota_id,
                "quotaDimensions": {"location": "global", "model": self.model},
                "quotaValue": str(limit),
            }
            details = [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"},
            ]
            return self._status(429, "RESOURCE_EXHAUSTED", quota_message.format(limit=limit), details)

        if kind == "auth":
            message = "API key not valid. Please pass a valid API key."
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
            ]
            return self._status(400, "INVALID_ARGUMENT", message, details)
        if kind == "not_found":
            message = (
                f"models/{self.model} is not found for API version v1beta, or is not supported for generateContent. "
                "Call ListModels to see the list of available models and their supported methods."
            )
            return self._status(404, "NOT_FOUND", message)
        if kind == "quota":
            return quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", 250)
        if kind == "rate_limit":
            return quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 10)
        return self._status(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")

    def key(self, request: Recorded) -> str:
        return request.headers.get("x-goog-api-key", "")

    def path_ok(self, request: Recorded) -> bool:
        return request.path.endswith(f"/v1beta/models/{self.model}:generateContent")

    def last_user_text(self, request: Recorded) -> str:
        return request.body["contents"][-1]["parts"][0]["text"]


class AnthropicWire(Wire):
    provider = "anthropic"
    model = "claude-test-model"
    list_path = "/v1/models"

    def _message(self, content: list[dict[str, Any]], stop_reason: str) -> Action:
        return reply(
            {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            }
        )

    def plan(self, plan: dict[str, Any]) -> Action:
        return self._message(
            [{"type": "tool_use", "id": "toolu_test", "name": "submit_plan", "input": plan}], "tool_use"
        )

    def non_json(self) -> Action:
        return self._message([{"type": "text", "text": "Here is a lovely echo for you."}], "end_turn")

    def truncated(self, plan: dict[str, Any]) -> Action:
        return self._message(
            [{"type": "tool_use", "id": "toolu_test", "name": "submit_plan", "input": {}}], "max_tokens"
        )

    def refusal(self) -> Action:
        return self._message([], "refusal")

    def answer(self) -> Action:
        return self._message([{"type": "text", "text": "OK"}], "end_turn")

    def models(self, ids: Sequence[str]) -> Action:
        from vaist_lab.planner.lifecycle import anthropic_deprecated

        def entry(model_id: str) -> dict[str, Any]:
            deprecated = model_id in anthropic_deprecated()
            return {
                "type": "model",
                "id": model_id,
                "display_name": model_id.replace("-", " ").title(),
                "created_at": "2026-09-01T00:00:00Z",
                "lifecycle": "deprecated" if deprecated else "active",
                "deprecated_at": "2026-06-01T00:00:00Z" if deprecated else None,
                "max_input_tokens": 1000000,
                "max_tokens": 128000,
            }

        data = [entry(model_id) for model_id in ids]
        last = ids[-1] if ids else None
        return reply({"data": data, "has_more": False, "first_id": ids[0] if ids else None, "last_id": last})

    def _error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Action:
        body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011CTestRequest"}
        return reply(body, status, headers)

    def error(self, status: int, headers: dict[str, str] | None = None) -> Action:
        kinds = {429: "rate_limit_error", 401: "authentication_error", 500: "api_error", 529: "overloaded_error"}
        return self._error(status, kinds.get(status, "api_error"), f"test error {status}", headers)

    def failure(self, kind: str) -> Action:
        # a spent balance is a 400 invalid_request_error, not a 429
        if kind == "auth":
            return self._error(401, "authentication_error", "invalid x-api-key")
        if kind == "not_found":
            return self._error(404, "not_found_error", f"model: {self.model}")
        if kind == "quota":
            message = (
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to "
                "upgrade or purchase credits."
            )
            return self._error(400, "invalid_request_error", message)
        if kind == "rate_limit":
            message = "This request would exceed your organization's rate limit of 50 requests per minute."
            return self._error(429, "rate_limit_error", message, {"retry-after": "0"})
        return self._error(529, "overloaded_error", "Overloaded")

    def key(self, request: Recorded) -> str:
        # this SDK sends the key as a bearer token; older ones used x-api-key
        return request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")

    def path_ok(self, request: Recorded) -> bool:
        return request.path == "/v1/messages"

    def last_user_text(self, request: Recorded) -> str:
        content = request.body["messages"][-1]["content"]
        if isinstance(content, str):
            return content
        return "\n".join(block.get("text") or json.dumps(block.get("content")) for block in content)


class OpenAIWire(Wire):
    provider = "openai"
    model = "gpt-test-model"
    list_path = "/v1/models"

    def base_url(self, server: ScriptedServer) -> str:
        return f"{server.url}/v1"

    def _completion(self, content: str | None, finish: str, refusal: str | None = None) -> Action:
        message = {"role": "assistant", "content": content, "refusal": refusal}
        return reply(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        )

    def plan(self, plan: dict[str, Any]) -> Action:
        return self._completion(json.dumps(plan), "stop")

    def non_json(self) -> Action:
        return self._completion("Here is a lovely echo for you.", "stop")

    def truncated(self, plan: dict[str, Any]) -> Action:
        text = json.dumps(plan)
        return self._completion(text[: len(text) // 2], "length")

    def refusal(self) -> Action:
        return self._completion(None, "stop", refusal="I can't help with that.")

    def answer(self) -> Action:
        return self._completion("OK", "stop")

    def models(self, ids: Sequence[str]) -> Action:
        data = [
            {"id": model_id, "object": "model", "created": 1_790_000_000 - index, "owned_by": "system"}
            for index, model_id in enumerate(ids)
        ]
        return reply({"object": "list", "data": data})

    def _error(
        self, status: int, message: str, kind: str, code: str | None, headers: dict[str, str] | None = None
    ) -> Action:
        return reply({"error": {"message": message, "type": kind, "param": None, "code": code}}, status, headers)

    def error(self, status: int, headers: dict[str, str] | None = None) -> Action:
        return self._error(status, f"test error {status}", "test_error", None, headers)

    def failure(self, kind: str) -> Action:
        # a refused key is quoted masked; a spent balance is a 429 with code insufficient_quota
        if kind == "auth":

            def send(handler: BaseHTTPRequestHandler) -> None:
                message = (
                    f"Incorrect API key provided: {_masked(self.key(_recorded(handler)))}. You can find your API key "
                    "at https://platform.openai.com/account/api-keys."
                )
                self._error(401, message, "invalid_request_error", "invalid_api_key")(handler)

            return send
        if kind == "not_found":
            message = f"The model `{self.model}` does not exist or you do not have access to it."
            return self._error(404, message, "invalid_request_error", "model_not_found")
        if kind == "quota":
            message = (
                "You exceeded your current quota, please check your plan and billing details. For more information "
                "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
            )
            return self._error(429, message, "insufficient_quota", "insufficient_quota")
        if kind == "rate_limit":
            message = (
                f"Rate limit reached for {self.model} in organization org-test on requests per min (RPM): "
                "Limit 3, Used 3, Requested 1. Please try again in 20s."
            )
            return self._error(429, message, "requests", "rate_limit_exceeded", {"retry-after-ms": "0"})
        return self._error(503, "The server is overloaded or not ready yet.", "server_error", None)

    def key(self, request: Recorded) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def path_ok(self, request: Recorded) -> bool:
        return request.path == "/v1/chat/completions"

    def last_user_text(self, request: Recorded) -> str:
        return request.body["messages"][-1]["content"]


WIRES: tuple[Wire, ...] = (GeminiWire(), AnthropicWire(), OpenAIWire())


def settings_for(wire: Wire, server: ScriptedServer, **changes: Any) -> PlannerSettings:
    """Settings that send `wire`'s provider to the local server, with backoffs small enough for a fast suite."""
    values: dict[str, Any] = {
        "base_urls": {wire.provider: wire.base_url(server)},
        "models": {wire.provider: wire.model},
        "timeout": 5.0,
        "backoff_initial": 0.01,
        "backoff_max": 0.02,
        **changes,
    }
    return PlannerSettings(**values)
