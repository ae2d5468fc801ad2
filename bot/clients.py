"""The HTTP clients the bot shares: one for the open web, one for the configured LLM."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import httpx

from bot.config import Settings
from bot.feeds.fetch import make_http_client
from bot.summarize.llm import make_llm_http_client


@dataclass(frozen=True)
class HttpClients:
    # Feeds, article pages, comment threads: addresses that feeds and users choose, so the
    # SSRF guard applies (unless network.allow_private_networks).
    web: httpx.AsyncClient
    # The LLM endpoint the operator configured: trusted, and often on localhost (Ollama).
    llm: httpx.AsyncClient

    async def aclose(self) -> None:
        await self.web.aclose()
        await self.llm.aclose()

    async def __aenter__(self) -> HttpClients:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def open_http_clients(settings: Settings) -> HttpClients:
    return HttpClients(
        web=make_http_client(
            timeout=settings.polling.timeout_seconds,
            contact=settings.network.user_agent_contact,
            allow_private_networks=settings.network.allow_private_networks,
        ),
        llm=make_llm_http_client(settings.llm, contact=settings.network.user_agent_contact),
    )
