"""The layout shows the architecture: no package of the core imports one that imports it back,
and only `bot/client.py` and `bot/render.py` import discord.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "bot"


def imports_of(path: Path) -> set[str]:
    """The `bot.…` modules a file imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("bot"))
    return found


def unit(module: str) -> str:
    """A module's unit of layering: its subpackage (`bot.store`), or itself (`bot.pipeline`)."""
    return ".".join(module.split(".")[:2])


def test_no_two_parts_of_the_core_import_each_other_even_indirectly() -> None:
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        source = unit(".".join(parts if parts[-1] != "__init__" else parts[:-1]))
        for target in map(unit, imports_of(path)):
            if target not in (source, "bot"):
                edges.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in edges.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    cycles = sorted(f"{a} -> {b}" for a in edges for b in edges[a] if reaches(b, a, {b}))
    assert cycles == []


def test_only_the_bot_and_the_renderer_import_discord() -> None:
    importers = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if any(
            (isinstance(node, ast.Import) and any(a.name.startswith("discord") for a in node.names))
            or (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("discord"))
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert importers == ["bot/client.py", "bot/render.py"]


def test_a_worker_process_imports_only_what_its_work_needs() -> None:
    # A worker is spawned: it imports the bot's main module again (as __mp_main__), then
    # whatever the calls it runs need. Every module it imports is memory each worker holds.
    probe = (
        "import runpy, sys; runpy.run_module('bot.__main__', run_name='__mp_main__'); "
        "import bot.preparation, bot.feeds.parse, bot.cpu; "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.split())
    heavy = {"bot.cli", "bot.pipeline", "bot.store", "bot.http", "aiohttp", "httpx", "discord"}
    assert loaded & heavy == set()


def test_a_bot_on_sqlite_loads_no_postgresql_driver_nor_article_extractor_until_needed() -> None:
    # psycopg (11 MiB) only for a PostgreSQL store, trafilatura (10 MiB) only once an
    # article page is read: memory a bot on SQLite reading feeds would hold for nothing.
    probe = (
        "import sys, bot.cli, bot.pipeline, bot.poller, bot.store; "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert {"psycopg", "trafilatura"} & set(done.stdout.split()) == set()
