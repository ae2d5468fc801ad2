"""A real HTTP server on 127.0.0.1 playing the Hacker News item API and Reddit's thread `.json`.

The payloads copy the real shapes: HN items with `by`, `kids`, `parent`, HTML `text` with <p>
and `&#x27;` entities, `deleted`/`dead` flags; a Reddit `[post, comments]` pair of listings with
`t1` comments, entity-escaped markdown bodies, nested `replies`, `[deleted]`/`[removed]` bodies
and "more" stubs. The thread is about an open-weights model release and splits three ways:
the licence is not really open / great for local inference on a 4090 / cherry-picked benchmarks.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from tests.local_server import LocalServer

HN_STORY = 41_000_000
HN_HUGE_STORY = 42_000_000  # 1,000 top-level comments
HN_HUGE_KIDS = 1_000
HN_DEEP_STORY = 43_000_000  # one reply chain 50 deep
HN_DEEP_LENGTH = 50
REDDIT_THREAD_PATH = "/r/LocalLLaMA/comments/1abc2de/new_open_weights_model_released/"

# Said twice, word for word, by the same account: it must count once.
REPEATED = (
    "Local inference on a 4090 is the real win here; 24GB of VRAM finally runs a capable model."
)
INJECTED = (
    "@everyone the real benchmark numbers are on my dashboard, [click here](https://evil.example/x)"
)

_T = 1_714_000_000


def _hn(item_id: int, by: str, text: str, parent: int, kids: list[int] | None = None) -> dict:
    item: dict[str, Any] = {"by": by, "id": item_id, "parent": parent, "text": text}
    item.update({"time": _T + item_id % 1000, "type": "comment"})
    if kids:
        item["kids"] = kids
    return item


def hn_items() -> dict[int, dict[str, Any]]:
    """The HN story and its comment tree, keyed by id, as the API returns them."""
    s = HN_STORY
    items = [
        {
            "by": "modelwatcher",
            "descendants": 17,
            "id": s,
            "kids": [s + 1, s + 5, s + 8, s + 11, s + 12, s + 13, s + 14, s + 15, s + 17],
            "score": 512,
            "time": _T,
            "title": "Open-weights 70B model released under a custom licence",
            "type": "story",
            "url": "https://example.ai/blog/open-weights-70b",
        },
        _hn(
            s + 1,
            "alice",
            "The licence is not really open. You can&#x27;t use it commercially above 700M "
            "monthly users and you can&#x27;t use outputs to train other models."
            "<p>Open weights is not open source.",
            s,
            [s + 2, s + 3, s + 4, s + 16],
        ),
        _hn(
            s + 2,
            "bob",
            "Exactly. Calling this open source is marketing; the licence has an acceptable use "
            "policy they can change at any time.",
            s + 1,
        ),
        _hn(
            s + 3,
            "carol",
            "I disagree. For 99% of us the licence terms never matter, and the weights are "
            "downloadable today.",
            s + 1,
        ),
        {"deleted": True, "id": s + 4, "parent": s + 1, "time": _T + 4, "type": "comment"},
        _hn(
            s + 5,
            "dave",
            "Runs great for local inference on a single 4090. The 4-bit quant gets about 40 "
            "tokens&#x2F;s with llama.cpp and fits in 24GB of VRAM.",
            s,
            [s + 6, s + 7],
        ),
        _hn(s + 6, "erin", "+1", s + 5),
        _hn(
            s + 7,
            "frank",
            "Same here, q4 on my 4090 is fast enough for local coding, around 35 tokens&#x2F;s "
            "with llama.cpp.",
            s + 5,
        ),
        _hn(
            s + 8,
            "grace",
            "The benchmarks look cherry-picked. They compare against last year&#x27;s models "
            "and skip the hard reasoning evals.",
            s,
            [s + 9, s + 10],
        ),
        _hn(
            s + 9,
            "heidi",
            "Agreed, benchmarks without contamination checks are meaningless. Wait for "
            "independent evals before believing the cherry-picked numbers.",
            s + 8,
        ),
        _hn(
            s + 10,
            "ivan",
            "Not really cherry-picked: the benchmark table includes MMLU-Pro and GPQA, which "
            "they lose on.",
            s + 8,
        ),
        _hn(
            s + 11,
            "judy",
            "Read the licence before you celebrate: the use restrictions make it open weights "
            "at best, not an open source licence.",
            s,
        ),
        _hn(s + 12, "mallory", REPEATED.replace("'", "&#x27;"), s),
        _hn(s + 13, "mallory", REPEATED.replace("'", "&#x27;"), s),
        {
            "by": "gpu_deals_bot",
            "dead": True,
            "id": s + 14,
            "parent": s,
            "text": 'Cheap 4090s at <a href="https:&#x2F;&#x2F;spam.example">spam.example</a>',
            "time": _T + 14,
            "type": "comment",
        },
        _hn(
            s + 15,
            "trent",
            INJECTED.replace("/", "&#x2F;") + " &amp; the cherry-picked evals they hid.",
            s,
        ),
        _hn(
            s + 16,
            "oscar",
            "&gt; Open weights is not open source.<p>It is open enough for me to fine-tune "
            "on my own data, which is all I care about.",
            s + 1,
        ),
        _hn(
            s + 17,
            "peggy",
            "Quick test on my box:<p><pre><code>  ollama run newmodel:70b-q4\n</code></pre>"
            "<i>Much</i> slower on a Mac than on the 4090 box, but it runs locally.",
            s,
        ),
    ]
    return {item["id"]: item for item in items}


def _huge_item(item_id: int) -> dict[str, Any] | None:
    if item_id == HN_HUGE_STORY:
        kids = list(range(HN_HUGE_STORY + 1, HN_HUGE_STORY + HN_HUGE_KIDS + 1))
        return {"by": "op", "id": item_id, "kids": kids, "type": "story", "title": "Huge"}
    if HN_HUGE_STORY < item_id <= HN_HUGE_STORY + HN_HUGE_KIDS:
        n = item_id - HN_HUGE_STORY
        return _hn(
            item_id, f"user{n}", f"Comment number {n} about quantization speed.", HN_HUGE_STORY
        )
    if item_id == HN_DEEP_STORY:
        return {"by": "op", "id": item_id, "kids": [item_id + 1], "type": "story", "title": "Deep"}
    if HN_DEEP_STORY < item_id <= HN_DEEP_STORY + HN_DEEP_LENGTH:
        kids = [item_id + 1] if item_id < HN_DEEP_STORY + HN_DEEP_LENGTH else None
        return _hn(
            item_id,
            f"replier{item_id % 100}",
            f"Reply at level {item_id % 100}.",
            item_id - 1,
            kids,
        )
    return None


# --- Reddit ------------------------------------------------------------------------------------


def _t1(
    comment_id: str,
    author: str,
    body: str,
    score: int,
    depth: int,
    parent: str,
    replies: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    # Reddit escapes &, < and > in `body` (so a quote arrives as "&gt; …").
    escaped = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    data: dict[str, Any] = {
        "subreddit_id": "t5_81eyvm",
        "approved_at_utc": None,
        "author_is_blocked": False,
        "comment_type": None,
        "edited": False,
        "author_flair_text": None,
        "id": comment_id,
        "name": f"t1_{comment_id}",
        "parent_id": parent,
        "link_id": "t3_1abc2de",
        "author": author,
        "body": escaped,
        "body_html": f'&lt;div class="md"&gt;&lt;p&gt;{escaped}&lt;/p&gt;&lt;/div&gt;',
        "score": score,
        "ups": score,
        "score_hidden": False,
        "stickied": False,
        "distinguished": None,
        "depth": depth,
        "created_utc": _T + depth,
        "permalink": f"{REDDIT_THREAD_PATH}{comment_id}/",
        "replies": _listing(replies) if replies else "",
    }
    data.update(extra)
    return {"kind": "t1", "data": data}


def _more(count: int, parent: str, depth: int, children: list[str]) -> dict[str, Any]:
    data = {"count": count, "name": f"t1_{children[0]}", "id": children[0], "parent_id": parent}
    data.update({"depth": depth, "children": children})
    return {"kind": "more", "data": data}


def _listing(children: list[dict[str, Any]]) -> dict[str, Any]:
    data = {"after": None, "dist": None, "modhash": "", "geo_filter": "", "before": None}
    return {"kind": "Listing", "data": {**data, "children": children}}


def reddit_thread() -> list[dict[str, Any]]:
    """The `[post listing, comments listing]` pair Reddit serves for a thread's `.json`."""
    post = {
        "kind": "t3",
        "data": {
            "id": "1abc2de",
            "name": "t3_1abc2de",
            "subreddit": "LocalLLaMA",
            "title": "New open-weights 70B model released",
            "author": "modelwatcher",
            "selftext": "",
            "url": "https://example.ai/blog/open-weights-70b",
            "score": 1834,
            "num_comments": 97,
            "permalink": REDDIT_THREAD_PATH,
        },
    }
    op = "t3_1abc2de"
    comments = [
        _t1(
            "mod001",
            "AutoModerator",
            "Reminder: be civil. Rule 3 applies to low-effort posts.",
            1,
            0,
            op,
            stickied=True,
            distinguished="moderator",
        ),
        _t1(
            "lic001",
            "licence_hawk",
            "The licence is **not really open**. Commercial use above 700M MAU is banned and "
            "you can't use outputs to train other models.\n\nOpen weights != open source.",
            412,
            0,
            op,
            [
                _t1(
                    "lic002",
                    "osi_fan",
                    "Exactly this. The acceptable use policy can change whenever they like, so "
                    "the licence is a moving target.",
                    120,
                    1,
                    "t1_lic001",
                ),
                _t1("lic003", "[deleted]", "[deleted]", 3, 1, "t1_lic001"),
                _t1(
                    "lic004",
                    "pragmatic_dev",
                    "> Open weights != open source\n\nI disagree, for hobbyists the licence "
                    "never matters and the weights are on Hugging Face today.",
                    30,
                    1,
                    "t1_lic001",
                ),
            ],
        ),
        _t1(
            "gpu001",
            "gpu_goblin",
            "Great for local inference on a 4090! Q4_K_M runs at ~40 tok/s in llama.cpp and "
            "fits in 24GB VRAM.",
            300,
            0,
            op,
            [
                _t1(
                    "gpu002",
                    "vram_enjoyer",
                    "Same here, 4090 + exl2 at 4.0bpw gets 45 tok/s for local coding.",
                    88,
                    1,
                    "t1_gpu001",
                ),
                _t1("gpu003", "lurker42", "+1", 12, 1, "t1_gpu001"),
                _more(14, "t1_gpu001", 1, ["gpu900", "gpu901"]),
            ],
        ),
        _t1(
            "ben001",
            "eval_skeptic",
            "Benchmarks look cherry-picked imo. They compare against last year's models and "
            "skip the hard reasoning evals.",
            250,
            0,
            op,
            [
                _t1("ben002", "[deleted]", "[removed]", 1, 1, "t1_ben001"),
                _t1(
                    "ben003",
                    "bench_nerd",
                    "Not really, the benchmark table includes MMLU-Pro and GPQA where they lose.",
                    40,
                    1,
                    "t1_ben001",
                ),
            ],
        ),
        _t1("dup001", "copypasta", REPEATED, 5, 0, op),
        _t1("dup002", "copypasta", REPEATED, 2, 0, op),
        _t1(
            "inj001",
            "troll",
            "@everyone check the [real benchmark numbers](https://evil.example/bench) before you "
            "believe the cherry-picked evals",
            -4,
            0,
            op,
        ),
        _more(57, op, 0, ["zzz001", "zzz002", "zzz003"]),
    ]
    return [_listing([post]), _listing(comments)]


# --- The server --------------------------------------------------------------------------------


class CommentsServer(LocalServer):
    """Serves `/v0/item/{id}.json` like the HN API and Reddit thread paths ending in `.json`.

    `status` forces an error answer for a path; `delay_seconds` slows every answer; the server
    counts requests, bytes sent and the most requests it had in flight at once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.items = hn_items()
        self.reddit: dict[str, object] = {f"{REDDIT_THREAD_PATH}.json": reddit_thread()}
        self.raw: dict[str, bytes] = {}
        self.status: dict[str, int] = {}
        self.delay_seconds = 0.0
        self.paths: list[str] = []
        self.queries: list[str] = []
        self.bytes_sent = 0
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def hn_api(self) -> str:
        return f"http://127.0.0.1:{self.port}/v0"

    @property
    def reddit_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("GET", "/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        self.queries.append(request.query_string)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            return self._respond(request.path)
        finally:
            self.in_flight -= 1

    def _respond(self, path: str) -> web.Response:
        if path in self.status:
            return web.Response(status=self.status[path], text="upstream error")
        if path in self.raw:
            return self._send(self.raw[path])
        if path.startswith("/v0/item/") and path.endswith(".json"):
            item_id = int(path.removeprefix("/v0/item/").removesuffix(".json"))
            item = self.items.get(item_id) or _huge_item(item_id)
            return self._send(json.dumps(item).encode())  # the real API answers `null`
        if path in self.reddit:
            return self._send(json.dumps(self.reddit[path]).encode())
        return web.Response(status=404, text="not found")

    def _send(self, body: bytes) -> web.Response:
        self.bytes_sent += len(body)
        return web.Response(body=body, content_type="application/json")
