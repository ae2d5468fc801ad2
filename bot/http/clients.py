"""The HTTP clients the bot shares: one for the open web, one for the configured LLM."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import httpx

from bot.config import LLMSettings, Settings
from bot.http.fetch import make_http_client, user_agent


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


def make_llm_http_client(settings: LLMSettings, *, contact: str = "") -> httpx.AsyncClient:
    """An HTTP client for the LLM server alone.

    Not the feeds' client: that one refuses private addresses (SSRF guard), while the LLM
    usually runs on 127.0.0.1 or the LAN, and llm.base_url comes from the admin, not from users.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": user_agent(contact)},
    )
