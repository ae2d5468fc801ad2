"""The feed farm: N generated feeds served by one aiohttp server in a process of its own.

    python bench/farm.py --feeds 1000                 # serve on a free port, print its URL
    python bench/farm.py --feeds 20 --dump 0          # print feed 0's body and exit

Bodies are rendered once (and again after a bump) and kept in memory, so serving costs
little next to the clients under test. Each feed has an ETag and a Last-Modified and answers
304 to a matching If-None-Match (or, without one, to an If-Modified-Since not older than
its Last-Modified). Control endpoints, for the benchmark:

    GET  /_stats   counters (GETs, 304s, bytes) and the farm's totals (feeds, entries)
    POST /_bump    add 2 entries at the top of every feed: new body, ETag, Last-Modified

`FarmProcess` starts the server as a subprocess on a socket the parent already listens on
(so the URL is known at once and early requests wait in the backlog), and always stops it.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.farm_content import ContentGenerator, FeedDocument  # noqa: E402

STOP_SECONDS = 5.0


@dataclass
class ServedFeed:
    """What the server answers for one feed path."""

    document: FeedDocument
    body: bytes
    etag: str
    last_modified: datetime  # whole seconds, as the header says it

    @property
    def headers(self) -> dict[str, str]:
        return {"ETag": self.etag, "Last-Modified": format_datetime(self.last_modified, True)}


@dataclass
class FarmCounters:
    gets: int = 0
    not_modified: int = 0
    bytes_sent: int = 0


class Farm:
    """The feeds, their validators, and the counters of what was served."""

    def __init__(self, feeds: int, seed: int, base_url: str) -> None:
        self._base_url = base_url
        self._generator = ContentGenerator(seed, feeds)
        # An hour ago, so the first bump's Last-Modified is always later, to the second.
        self._modified = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.counters = FarmCounters()
        self.feeds = {d.path: self._serve(d) for d in self._generator.feeds(datetime.now(UTC))}

    def _serve(self, document: FeedDocument) -> ServedFeed:
        body = document.render(self._base_url, self._modified)
        etag = f'"{document.index}-v{document.version}"'
        return ServedFeed(document, body, etag, self._modified)

    def bump(self) -> None:
        now = datetime.now(UTC)
        self._modified = max(now.replace(microsecond=0), self._modified + timedelta(seconds=1))
        documents = [served.document for served in self.feeds.values()]
        self._generator.bump(documents, now)
        self.feeds = {d.path: self._serve(d) for d in documents}

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        """Status, body and headers for a GET of `path` with the request's `headers`."""
        served = self.feeds.get(path)
        if served is None:
            return 404, b"no such feed\n", {"Content-Type": "text/plain"}
        self.counters.gets += 1
        if _not_modified(served, headers):
            self.counters.not_modified += 1
            return 304, b"", served.headers
        self.counters.bytes_sent += len(served.body)
        return 200, served.body, {**served.headers, "Content-Type": served.document.content_type}

    def stats(self) -> dict[str, float]:
        bodies = [len(s.body) for s in self.feeds.values()]
        return {
            "feeds": len(self.feeds),
            "entries": sum(len(s.document.entries) for s in self.feeds.values()),
            "atom_feeds": sum(1 for s in self.feeds.values() if s.document.atom),
            "mean_body_bytes": sum(bodies) / max(1, len(bodies)),
            "gets": self.counters.gets,
            "not_modified": self.counters.not_modified,
            "bytes_sent": self.counters.bytes_sent,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def _not_modified(served: ServedFeed, headers: dict[str, str]) -> bool:
    # RFC 9110 13.1.3: If-None-Match, when present, decides alone (weak comparison).
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or served.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return served.last_modified <= since


def serve(sock: socket.socket, feeds: int, seed: int) -> None:
    """Run the farm's HTTP server on the listening `sock` until terminated."""
    from aiohttp import web

    host, port = sock.getsockname()[:2]
    farm = Farm(feeds, seed, f"http://{host}:{port}")

    async def feed(request: web.Request) -> web.Response:
        status, body, headers = farm.answer(request.path, dict(request.headers))
        return web.Response(status=status, body=body or None, headers=headers)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(farm.stats())

    async def bump(request: web.Request) -> web.Response:
        farm.bump()
        return web.json_response(farm.stats())

    app = web.Application()
    app.router.add_get("/_stats", stats)
    app.router.add_post("/_bump", bump)
    app.router.add_get("/feeds/{name}", feed)
    web.run_app(app, sock=sock, access_log=None, print=None, handle_signals=True)


class FarmError(Exception):
    """The farm process did not start, or stopped answering."""


class FarmProcess:
    """The farm as a subprocess; a context manager that always terminates it."""

    def __init__(self, feeds: int, seed: int, start_timeout: float) -> None:
        self.feeds = feeds
        self._seed = seed
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.start_seconds = 0.0
        self._client = httpx.Client(timeout=httpx.Timeout(30.0))

    def __enter__(self) -> FarmProcess:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            sock.listen(4096)
            port = sock.getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"
            self._process = subprocess.Popen(
                [sys.executable, __file__, "--feeds", str(self.feeds), "--seed", str(self._seed),
                 "--fd", str(sock.fileno())],
                pass_fds=(sock.fileno(),),
            )  # fmt: skip
        finally:
            sock.close()  # the child has its own copy
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def urls(self) -> list[str]:
        return [
            f"{self.base_url}/feeds/{i}.{'atom' if i % 3 == 0 else 'rss'}"
            for i in range(self.feeds)
        ]

    def stats(self) -> dict[str, float]:
        return self._call("GET", "/_stats")

    def bump(self) -> dict[str, float]:
        return self._call("POST", "/_bump")

    def stop(self) -> None:
        self._client.close()
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)

    def _call(self, method: str, path: str) -> dict[str, float]:
        try:
            response = self._client.request(method, self.base_url + path)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise FarmError(f"the farm did not answer {method} {path}: {exc}") from exc
        return response.json()

    def _wait_ready(self) -> None:
        started = time.monotonic()
        deadline = started + self._start_timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise FarmError(f"the farm process exited with code {self._process.returncode}")
            try:
                self._client.get(self.base_url + "/_stats", timeout=1.0).raise_for_status()
                self.start_seconds = time.monotonic() - started
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise FarmError(
                        f"the farm did not start within {self._start_timeout:g} s"
                    ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--feeds", type=int, default=20, metavar="N", help="how many feeds (default 20)"
    )
    parser.add_argument("--seed", type=int, default=1, help="of the generated content (default 1)")
    parser.add_argument(
        "--fd", type=int, help="serve on this inherited listening socket (used by FarmProcess)"
    )
    parser.add_argument("--dump", type=int, metavar="INDEX", help="print one feed and exit")
    args = parser.parse_args(argv)
    if args.dump is not None:
        farm = Farm(args.feeds, args.seed, "http://127.0.0.1")
        served = [s for s in farm.feeds.values() if s.document.index == args.dump]
        sys.stdout.buffer.write(served[0].body)
        print(farm.stats(), file=sys.stderr)
        return 0
    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        sock = socket.create_server(("127.0.0.1", 0))
        print(f"serving {args.feeds} feeds on http://127.0.0.1:{sock.getsockname()[1]}")
    os.set_inheritable(sock.fileno(), False)
    serve(sock, args.feeds, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
