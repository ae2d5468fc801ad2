"""Run in the worker processes by tests/test_cpu.py: imports nothing of the bot's."""

from __future__ import annotations

import os
import sys


def probe(module: str) -> tuple[int, bool]:
    """This worker's pid, and whether it has imported `module`."""
    return os.getpid(), module in sys.modules
