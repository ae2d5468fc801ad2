"""Stable identity for feed entries, so an entry is stored and posted once."""

from __future__ import annotations

import hashlib


def entry_key(*, guid: str | None, link: str | None, title: str, published: str | None) -> str:
    """Identify an entry: its guid, else its link, else a hash of title and date."""
    if guid and guid.strip():
        return "guid:" + guid.strip()
    if link and link.strip():
        return "link:" + link.strip()
    digest = hashlib.sha256(f"{title}\x00{published or ''}".encode()).hexdigest()
    return "hash:" + digest[:32]
