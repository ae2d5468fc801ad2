"""The plumbing every local test server shares: an aiohttp app on loopback, a free port."""

from __future__ import annotations

from aiohttp import web


class LocalServer:
    """Serves the routes a subclass adds in `add_routes`, on 127.0.0.1 (or another loopback
    address, to stand for a second host) at a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._runner: web.AppRunner | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.add_routes(app)
        # Cancel handlers whose client hung up, so slow or dripping answers end with the test.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
