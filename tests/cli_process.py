"""`python -m bot …` as a user runs it: a real process, its own working directory and
environment, stdin from a pipe, nothing, or a terminal (a pseudo-terminal the test types in)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.config import TOKEN_ENV

REPO = Path(__file__).resolve().parent.parent


async def run_bot_command(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    typed: str | None = None,
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `python -m bot *args` run in `cwd`.

    The environment is this one without any Discord token, plus `env`. With `typed`, stdin
    is a terminal on which that text is typed (so the command may ask questions); without,
    stdin is empty and not a terminal."""
    environ = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), environ.get("PYTHONPATH")]))
    environ.update(env or {})
    terminal = os.openpty() if typed is not None else None
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args,
            cwd=cwd,
            env=environ,
            stdin=terminal[1] if terminal else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        if terminal:
            os.close(terminal[1])
            # A terminal's line discipline keeps what is typed until the program reads it.
            os.write(terminal[0], (typed or "").encode())
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if terminal:
            os.close(terminal[0])
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()
