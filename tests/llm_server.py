"""A real OpenAI-compatible chat completions server on 127.0.0.1, scripted by the tests.

Each request to POST /v1/chat/completions takes the next scripted `Reply` (an unscripted
request gets a 503, so a test notices a request it did not expect), and every request is
recorded with its headers and JSON body.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from bot.config import LLMSettings
from tests.local_server import LocalServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # wait before answering: a model slower than the timeout
    drip_seconds: float = 0.0  # pause between bytes: each read is quick, the whole is not


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    json: dict[str, Any]

    @property
    def system(self) -> str:
        return self._message("system")

    @property
    def user(self) -> str:
        return self._message("user")

    def _message(self, role: str) -> str:
        return next(m["content"] for m in self.json["messages"] if m["role"] == role)


def completion(content: str) -> str:
    """A chat completion response body whose assistant message is `content`."""
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    )


def summary_json(
    tldr: object = "Acme released Llama-Lite 7B under Apache 2.0.",
    key_points: object = ("7B parameters", "Apache 2.0 license", "Weights on the Hub"),
    why_it_matters: object = "A small open model anyone can run and ship.",
    tags: object = ("model-release", "licensing"),
) -> str:
    """The JSON a well-behaved model answers with; pass other values to misbehave."""
    return json.dumps(
        {
            "tldr": tldr,
            "key_points": list(key_points) if isinstance(key_points, tuple) else key_points,
            "why_it_matters": why_it_matters,
            "tags": list(tags) if isinstance(tags, tuple) else tags,
        }
    )


def position_json(
    summary: object,
    quote: object,
    author: object,
    supporters: object = 1,
    stance: object = "agree",
) -> dict[str, object]:
    """One position of a discussion recap, as the model is asked to write it."""
    return {
        "summary": summary,
        "stance": stance,
        "quote": quote,
        "author": author,
        "supporters": supporters,
    }


def recap_json(*positions: dict[str, object]) -> str:
    """The JSON of a discussion recap with `positions` (see `position_json`)."""
    return json.dumps({"positions": list(positions)})


def ok(content: str | None = None) -> Reply:
    """A 200 whose assistant message is `content` (a good summary by default)."""
    return Reply(body=completion(summary_json() if content is None else content))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
    return Reply(status=status, body=body, headers=headers or {})


class LLMServer(LocalServer):
    """Serves scripted replies; `rejects_response_format` makes it a server without JSON mode."""

    def __init__(self) -> None:
        super().__init__()
        self.script: deque[Reply] = deque()
        self.requests: list[SeenRequest] = []
        self.rejects_response_format = False
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def then(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order."""
        self.script.extend(replies)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(SeenRequest(request.path, dict(request.headers), body))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, body)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        if self.rejects_response_format and "response_format" in body:
            reply = error(400, "Unsupported parameter: 'response_format' is not supported")
        elif self.script:
            reply = self.script.popleft()
        else:
            reply = error(503, "unscripted request")
        if reply.delay_seconds:
            await asyncio.sleep(reply.delay_seconds)
        headers = {"Content-Type": "application/json", **reply.headers}
        if not reply.drip_seconds:
            return web.Response(status=reply.status, text=reply.body, headers=headers)
        response = web.StreamResponse(status=reply.status, headers=headers)
        await response.prepare(request)
        try:
            for byte in reply.body.encode():
                await response.write(bytes([byte]))
                await asyncio.sleep(reply.drip_seconds)
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client gave up, as it should
        return response


def settings_for(server: LLMServer, **overrides: object) -> LLMSettings:
    """LLM settings pointing at `server`, with a short timeout and a key from the environment."""
    settings = LLMSettings(
        enabled=True,
        base_url=server.base_url,
        model="test-model",
        api_key_env="BAZAAR_LLM_KEY",
        timeout_seconds=0.5,
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]
