"""Long text → pages that each fit a size limit (a Discord message is 2,000 characters).

Pure functions over strings. Pages are cut between lines, so a line is never split unless it
is longer than a page on its own; such a line is cut after a space, or inside a word only when
a word alone is longer than a page. Nothing is dropped and the order is kept.
"""

from __future__ import annotations

from collections.abc import Iterable

MESSAGE_CHARS = 2000


def split_pages(text: str, limit: int = MESSAGE_CHARS) -> list[str]:
    """`text` as pages of at most `limit` characters, cut between lines where possible.

    A page that ends at a line break does not carry that "\\n"; when a line had to be cut,
    the cut drops nothing. So for text whose lines all fit, `"\\n".join(pages) == text`.
    An empty text is one empty page.
    """
    return pack_pages(text.split("\n"), limit)


def pack_pages(
    blocks: Iterable[str], limit: int = MESSAGE_CHARS, separator: str = "\n"
) -> list[str]:
    """Blocks (e.g. one multi-line entry each) kept whole, in order, as many to a page as fit.

    Blocks on a page are joined with `separator`. A block longer than `limit` is laid out line
    by line (and a line longer than `limit` piece by piece) across pages instead.
    """
    if limit < 1:
        raise ValueError(f"a page holds at least 1 character, not {limit}")
    pages: list[str] = []
    current: str | None = None
    for block in blocks:
        for joiner, piece in _pieces(block, limit, separator):
            if current is None:
                current = piece
            elif len(current) + len(joiner) + len(piece) <= limit:
                current += joiner + piece
            else:
                pages.append(current)
                current = piece
    if current is not None:
        pages.append(current)
    return pages or [""]


def _pieces(block: str, limit: int, separator: str) -> list[tuple[str, str]]:
    """(what joins it to the text before, piece) for a block: whole if it fits, else cut.

    A cut block's lines join with "\n" and the pieces of one cut line with "", so a page
    holding several of them reads as the block did.
    """
    if len(block) <= limit:
        return [(separator, block)]
    pieces: list[tuple[str, str]] = []
    for number, line in enumerate(block.split("\n")):
        for index, piece in enumerate(_cut_line(line, limit)):
            joiner = "" if index else ("\n" if number else separator)
            pieces.append((joiner, piece))
    return pieces


def _cut_line(line: str, limit: int) -> list[str]:
    """`line` in consecutive slices of at most `limit` characters; `"".join` gives it back.

    Each slice ends just after a space when one falls in its second half, so words stay whole.
    """
    pieces: list[str] = []
    rest = line
    while len(rest) > limit:
        space = rest.rfind(" ", 0, limit)
        cut = space + 1 if space >= limit // 2 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [*pieces, rest]
