"""Run the bot exactly as ``python -m bot run --config PATH`` does, against a fake Discord.

Test-only code: the kill test starts it as a subprocess, so the bot can be SIGKILLed while the
fake Discord (in the test process) keeps its state.

    python -m tests.run_bot_subprocess --discord-base http://127.0.0.1:PORT/api/v10 \\
        --discord-gateway ws://127.0.0.1:PORT/gateway -- run --config PATH

The two URLs may come from ``BAZAAR_FAKE_DISCORD_BASE`` and ``BAZAAR_FAKE_DISCORD_GATEWAY``
instead. Everything after ``--`` goes to `bot.cli.main` unchanged, and its exit code is this
process's. Nothing of the bot is patched; of discord.py only what points it at the fake
(`discord.http.Route.BASE`, `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`) and how long
it waits for more GUILD_CREATEs after the last one (``--guild-ready-timeout``, default 0.1 s:
the fake sends its one guild at once, Discord's default of 2 s would only slow every restart).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

BASE_ENV = "BAZAAR_FAKE_DISCORD_BASE"
GATEWAY_ENV = "BAZAAR_FAKE_DISCORD_GATEWAY"


def point_discord_at(base: str, gateway: str, guild_ready_timeout: float) -> None:
    """Send discord.py's REST calls to ``base`` and its gateway connection to ``gateway``."""
    import discord
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    original_init = discord.Client.__init__

    def init(self: discord.Client, *args: Any, **options: Any) -> None:
        options.setdefault("guild_ready_timeout", guild_ready_timeout)
        original_init(self, *args, **options)

    discord.Client.__init__ = init  # type: ignore[method-assign]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.run_bot_subprocess",
        description="Run `python -m bot ...` against a fake Discord.",
    )
    parser.add_argument("--discord-base", default=os.environ.get(BASE_ENV))
    parser.add_argument("--discord-gateway", default=os.environ.get(GATEWAY_ENV))
    parser.add_argument("--guild-ready-timeout", type=float, default=0.1)
    parser.add_argument("bot_args", nargs=argparse.REMAINDER, help="-- then the bot's arguments")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    bot_args = args.bot_args[1:] if args.bot_args[:1] == ["--"] else args.bot_args
    if not args.discord_base or not args.discord_gateway:
        print(
            f"error: give --discord-base and --discord-gateway (or {BASE_ENV}, {GATEWAY_ENV})",
            file=sys.stderr,
        )
        return 2
    point_discord_at(args.discord_base, args.discord_gateway, args.guild_ready_timeout)
    from bot.cli import main as bot_main

    return bot_main(bot_args)


if __name__ == "__main__":
    sys.exit(main())
