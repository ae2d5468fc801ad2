"""LLM summaries from any OpenAI-compatible chat completions server, with an offline fallback.

    cache? | fit article to budget | POST {base_url}/chat/completions | validate JSON | plain text

Ollama, llama.cpp's server, vLLM, LM Studio, OpenRouter and OpenAI all speak this one API.
Whatever goes wrong (timeout, refused connection, HTTP error, a reply that is not the JSON
asked for) the item still gets the fallback summarizer's summary; `summarize` never raises.
`ChatClient` is the exchange itself (limits, deadline, retries, logging), shared with the
discussion recaps of `bot.discussions.llm_recap`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import httpx

from bot.clock import Clock, system_clock
from bot.config import LLMSettings
from bot.http.guard import BlockedAddressError
from bot.models import Summary
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.factcheck import CheckedSummary, check_summary
from bot.summarize.kinds import Kind, item_kind
from bot.summarize.prompt import PROMPT_VERSION, InvalidReply, Prompt, build_prompt, parse_summary
from bot.summarize.source import NO_CONTEXT, SourceContext

log = logging.getLogger(__name__)

# Longest wait a 429's Retry-After may ask for before the item falls back instead.
MAX_RETRY_AFTER_SECONDS = 30.0
# A chat reply is a few kilobytes; anything past this is a misbehaving server.
MAX_RESPONSE_BYTES = 1024 * 1024


class SummaryCache(Protocol):
    """Summaries already made, by `LLMSummarizer.cache_key`."""

    async def get(self, key: str) -> Summary | None: ...

    async def put(self, key: str, summary: Summary) -> None: ...


class MemorySummaryCache:
    """A `SummaryCache` in a dict, for tests and one-off CLI runs."""

    def __init__(self) -> None:
        self.summaries: dict[str, Summary] = {}

    async def get(self, key: str) -> Summary | None:
        return self.summaries.get(key)

    async def put(self, key: str, summary: Summary) -> None:
        self.summaries[key] = summary


class ChatFailure(Exception):
    """The model gave no usable answer this time; `cause` groups failures for logging."""

    def __init__(self, cause: str, detail: str = "") -> None:
        super().__init__(f"{cause}: {detail}" if detail else cause)
        self.cause = cause
        self.detail = detail


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    text: str


class ChatClient:
    """One OpenAI-compatible `POST {base_url}/chat/completions` endpoint, as its callers need it.

    Everything about being a good client of one model server lives here, whatever is asked:
    the API key (from the environment, never logged), at most `settings.max_concurrent_requests`
    exchanges at once, a total deadline of `settings.timeout_seconds` per request, one retry
    after a short 429 (a long one pauses every request instead), JSON mode dropped for good
    when the server rejects it, and each kind of failure logged as a warning once.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        settings: LLMSettings,
        environ: Mapping[str, str] | None = None,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        environ = os.environ if environ is None else environ
        self._now = clock  # only to read a Retry-After given as a date
        self._http = http
        self._settings = settings
        self._max_retry_after = max_retry_after
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self._api_key = (
            environ.get(settings.api_key_env, "").strip() if settings.api_key_env else ""
        )
        if settings.api_key_env and not self._api_key:
            log.warning(
                "llm.api_key_env names %s, but that environment variable is empty or unset; "
                "sending requests without an API key",
                settings.api_key_env,
            )
        self._slots = asyncio.Semaphore(settings.max_concurrent_requests)
        # Servers that reject response_format (older llama.cpp, some proxies) are asked for
        # JSON in the prompt alone from then on, rather than failing once per request.
        self._json_mode = True
        self._rate_limited_until = 0.0
        self._logged: set[tuple[str, str]] = set()

    async def complete(self, prompt: Prompt) -> str:
        """The assistant's reply to `prompt` (asked for as JSON); raises ChatFailure if none."""
        async with self._slots:
            # Checked once a slot is free: the call holding it may just have been told to wait.
            if time.monotonic() < self._rate_limited_until:
                raise ChatFailure("rate limited", "waiting out the server's Retry-After")
            reply = await self._exchange(prompt)
        if not 200 <= reply.status < 300:
            raise ChatFailure(f"HTTP {reply.status}", _snippet(reply.text))
        return _message_content(reply.text)

    def log_failure(
        self,
        task: str,
        cause: str,
        detail: str,
        *,
        outcome: str = "",
        exc_info: BaseException | None = None,
    ) -> None:
        """Log that the LLM `task` ("summary", "recap") failed, a warning once per cause.

        `outcome` ends the message ("; using the fallback summary"); the API key is masked.
        """
        # The first failure of a kind is news for the admin; the next hundred are noise.
        level = logging.DEBUG if (task, cause) in self._logged else logging.WARNING
        self._logged.add((task, cause))
        if self._api_key:
            detail = detail.replace(self._api_key, "[api key]")
        log.log(
            level,
            "LLM %s failed (%s) at %s: %s%s",
            task,
            cause,
            self.url,
            detail,
            outcome,
            exc_info=exc_info if level == logging.WARNING else None,
        )

    async def _exchange(self, prompt: Prompt) -> _Reply:
        """POST the prompt, retrying once without response_format and once after a 429."""
        retried_format = retried_rate_limit = False
        while True:
            reply = await self._post(self._request_body(prompt))
            if (
                reply.status in (400, 422)
                and self._json_mode
                and not retried_format
                and _rejects_response_format(reply.text)
            ):
                retried_format = True
                self._json_mode = False
                log.info("the LLM server rejects response_format; asking for JSON in the prompt")
                continue
            if reply.status == 429 and not retried_rate_limit:
                retried_rate_limit = True
                wait = _retry_after_seconds(reply.headers, self._now())
                if wait is None:
                    return reply
                if wait > self._max_retry_after:
                    self._rate_limited_until = time.monotonic() + wait
                    raise ChatFailure("HTTP 429", f"the server asks to wait {wait:.0f} s")
                await asyncio.sleep(wait)
                continue
            return reply

    def _request_body(self, prompt: Prompt) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._settings.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": self._settings.temperature,
            "stream": False,
        }
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        return body

    async def _post(self, body: dict[str, Any]) -> _Reply:
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        seconds = self._settings.timeout_seconds
        try:
            # asyncio.timeout is the total deadline: httpx's own timeout only bounds each read,
            # which a server trickling tokens would never hit. Passing it as well overrides the
            # shared client's timeout, which suits feeds, not a model thinking for a minute.
            async with asyncio.timeout(seconds):
                async with self._http.stream(
                    "POST",
                    self.url,
                    json=body,
                    headers=headers,
                    timeout=httpx.Timeout(seconds),
                    # The request carries the API key; it goes to base_url or nowhere.
                    follow_redirects=False,
                ) as response:
                    raw = await _read_capped(response)
                    return _Reply(
                        response.status_code, response.headers, raw.decode("utf-8", "replace")
                    )
        except (TimeoutError, httpx.TimeoutException):
            raise ChatFailure("timeout", f"no complete answer within {seconds:g} s") from None
        except httpx.TransportError as exc:
            raise ChatFailure("connection error", f"{type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise ChatFailure("HTTP error", f"{type(exc).__name__}: {exc}") from None
        except BlockedAddressError as exc:
            raise ChatFailure(
                "blocked address",
                f"{exc} (the LLM needs its own client: see make_llm_http_client)",
            ) from None


class LLMSummarizer:
    """Summarizes with an LLM; falls back to `fallback` whenever the LLM cannot answer well.

    At most `settings.max_concurrent_requests` exchanges run at once, each request has a total
    deadline of `settings.timeout_seconds`, and successful summaries are cached by content
    and model, so the same article is never sent twice (not even by two concurrent calls).
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        settings: LLMSettings,
        fallback: Summarizer,
        cache: SummaryCache | None = None,
        environ: Mapping[str, str] | None = None,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        clock: Clock = system_clock,
    ) -> None:
        self._chat = ChatClient(
            http=http,
            settings=settings,
            environ=environ,
            max_retry_after=max_retry_after,
            clock=clock,
        )
        self._settings = settings
        self._fallback = fallback
        self._cache = cache
        self._in_flight: dict[str, asyncio.Task[Summary]] = {}

    def cache_key(self, title: str, text: str) -> str:
        """The cache key of an article: a SHA-256 of the prompt version, model, title and text."""
        parts = json.dumps([PROMPT_VERSION, self._settings.model, title, text])
        return hashlib.sha256(parts.encode()).hexdigest()

    async def summarize(
        self, *, title: str, text: str, context: SourceContext = NO_CONTEXT
    ) -> Summary:
        """The LLM's summary of the article, checked against it, or the fallback's if the
        LLM cannot give one that holds up.

        LLM, HTTP and cache problems are logged, never raised; a cached summary is reused.
        """
        if not text.strip() or item_kind(title, text, context) is Kind.ROUNDUP:
            # Summarizing a bare headline invites the model to make the article up; a
            # roundup's news is in its links, which the model does not see.
            return await self._fallback.summarize(title=title, text=text, context=context)
        key = self.cache_key(title, text)
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.create_task(
                self._summarize_once(key, title=title, text=text, context=context)
            )
            self._in_flight[key] = task
            task.add_done_callback(lambda _: self._in_flight.pop(key, None))
        # Shielded: one caller giving up must not cancel the work others are waiting on.
        return await asyncio.shield(task)

    async def _summarize_once(
        self, key: str, *, title: str, text: str, context: SourceContext
    ) -> Summary:
        cached = await self._cache_get(key)
        if cached is not None:
            return replace(cached, made_by="llm")
        checked = await self._checked_answer(title=title, text=text)
        if checked is None:
            return await self._fallback.summarize(title=title, text=text, context=context)
        for problem in checked.problems:
            log.info("LLM summary of %r: dropped a %s", title[:80], problem)
        summary = replace(checked.summary, made_by="llm")
        await self._cache_put(key, summary)
        return summary

    async def _checked_answer(self, *, title: str, text: str) -> CheckedSummary | None:
        """The LLM's summary without what the article does not support; None (logged) when
        there is none to use."""
        try:
            summary = await self._ask(title=title, text=text)
        except (ChatFailure, InvalidReply) as failure:
            self._log_failure(failure.cause, failure.detail)
            return None
        except Exception as exc:  # a bug or an unforeseen transport error: still post the item
            self._log_failure("unexpected error", f"{type(exc).__name__}: {exc}", exc_info=exc)
            return None
        checked = check_summary(summary, f"{title}\n{text}")
        if not checked.tldr_supported:
            self._log_failure("unsupported summary", "; ".join(map(str, checked.problems)))
            return None
        return checked

    async def _ask(self, *, title: str, text: str) -> Summary:
        prompt = build_prompt(
            title=title, text=text, max_input_tokens=self._settings.max_input_tokens
        )
        return parse_summary(await self._chat.complete(prompt))

    async def _cache_get(self, key: str) -> Summary | None:
        if self._cache is None:
            return None
        try:
            return await self._cache.get(key)
        except Exception as exc:  # a broken cache costs a request, never the summary
            self._log_failure("cache error", f"{type(exc).__name__}: {exc}", fallback=False)
            return None

    async def _cache_put(self, key: str, summary: Summary) -> None:
        if self._cache is None:
            return
        try:
            await self._cache.put(key, summary)
        except Exception as exc:
            self._log_failure("cache error", f"{type(exc).__name__}: {exc}", fallback=False)

    def _log_failure(
        self,
        cause: str,
        detail: str,
        *,
        fallback: bool = True,
        exc_info: BaseException | None = None,
    ) -> None:
        outcome = "; using the fallback summary" if fallback else ""
        self._chat.log_failure("summary", cause, detail, outcome=outcome, exc_info=exc_info)


def summarizer_from_settings(
    settings: LLMSettings,
    *,
    http: httpx.AsyncClient,
    cache: SummaryCache | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Clock = system_clock,
) -> Summarizer:
    """The summarizer the config asks for: the LLM with an extractive fallback, or extractive."""
    fallback = ExtractiveSummarizer()
    if not settings.enabled:
        return fallback
    return LLMSummarizer(
        http=http, settings=settings, fallback=fallback, cache=cache, environ=environ, clock=clock
    )


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ChatFailure("response too large", f"more than {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _message_content(body: str) -> str:
    """The assistant's text in a chat completion response body."""
    try:
        content = json.loads(body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ChatFailure(
            "malformed response", f"not a chat completion: {_snippet(body)}"
        ) from None
    if not isinstance(content, str):
        raise ChatFailure("malformed response", "the message has no text content")
    return content


def _rejects_response_format(body: str) -> bool:
    lowered = body.lower()
    return "response_format" in lowered or "json_object" in lowered


def _retry_after_seconds(headers: httpx.Headers, now: datetime) -> float | None:
    """Retry-After as seconds from now (it may be seconds or an HTTP date), or None."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
