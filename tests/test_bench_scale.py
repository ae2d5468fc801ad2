"""The scale benchmark's smoke run: `python bench/scale.py --quick` (100 feeds, 20 servers,
the single and workers layouts) finishes, with every post once and every item stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.scale_world import Follows

REPO = Path(__file__).resolve().parent.parent


def test_follows_are_shared_and_within_the_range() -> None:
    follows = Follows.generate(feeds=1000, servers=200, low=20, high=100, seed=1)
    counts = follows.followers()
    assert all(20 <= len(feeds) <= 100 for feeds in follows.per_server)
    assert all(len(set(feeds)) == len(feeds) for feeds in follows.per_server)
    assert max(counts) > 150  # the popular feeds are followed by most servers
    assert follows == Follows.generate(feeds=1000, servers=200, low=20, high=100, seed=1)


def test_quick_run_posts_everything_once() -> None:
    done = subprocess.run(
        [sys.executable, "bench/scale.py", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "checks: ok" in done.stdout
    assert "single: 100 feeds, 20 servers" in done.stdout
    assert "workers: 100 feeds, 20 servers" in done.stdout
