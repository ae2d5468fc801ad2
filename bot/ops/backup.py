"""A copy of the database that is safe to take while the bot runs: SQLite's online backup
API copies a consistent snapshot page by page, never a half-written file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 4096  # ~16 MB at SQLite's default page size: progress, and the bot can write


class BackupError(Exception):
    """The copy could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    destination: Path
    pages: int
    bytes: int


def backup_database(
    source: Path, destination: Path, *, progress: Callable[[int, int], None] | None = None
) -> BackupResult:
    """Copy the database at `source` to `destination` (which must not exist) and check the
    copy; `progress(copied_pages, total_pages)` is called as it goes."""
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose a new file name")
    if destination.resolve() == source.resolve():
        raise BackupError("the backup must be another file than the database")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from None
    try:
        writer = sqlite3.connect(destination)
        try:
            reader.backup(
                writer,
                pages=PAGES_PER_STEP,
                progress=(lambda _, left, total: progress(total - left, total))
                if progress
                else None,
            )
            verdict = writer.execute("PRAGMA quick_check").fetchone()[0]
            pages = writer.execute("PRAGMA page_count").fetchone()[0]
        finally:
            writer.close()
    except sqlite3.Error as exc:
        destination.unlink(missing_ok=True)
        raise BackupError(f"the copy failed: {exc}") from None
    finally:
        reader.close()
    if verdict != "ok":
        destination.unlink(missing_ok=True)
        raise BackupError(f"the copy does not check out ({verdict}); the database may be damaged")
    return BackupResult(destination, pages, destination.stat().st_size)
