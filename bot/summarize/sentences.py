"""Plain text → sentences and words, for summarizing news about software and models.

The text comes one paragraph per line (as `bot.content.text.html_to_text` gives it). A line
always ends a sentence, so list items and headings stay on their own. Inside a line, a
sentence ends at `.`, `!`, `?` or `…` followed by a space and something that can start a
sentence — unless the period belongs to an abbreviation ("e.g.", "Dr.", "No. 1"), an initial
("J. Smith") or an initialism followed by a word that does not start a sentence ("U.S. policy").
Periods without a space after them ("GPT-3.5", "v0.3.1", "$2.5M", "llama.cpp", URLs) never end
a sentence.
"""

from __future__ import annotations

import re

# A possible boundary: end punctuation, any closing quotes or brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_OPENERS = "\"'“‘(["
# A lowercase word that is still a name, as software is often spelt: vLLM, iOS, llama.cpp, gpt-4.
_LOWERCASE_NAME = re.compile(r"[a-z][\w]*(?:[A-Z0-9]|[.\-][\w])")
_LIST_MARKER = re.compile(r"^(?:[•◦▪‣∙·*+\-–—]|\(?\d{1,2}[.)]|\(?[a-z][)])\s+")
_WORD = re.compile(r"[$€£]?\w+(?:[.\-'’/+,]\w+)*%?")

# Abbreviations that never end a sentence: what follows them is part of the same sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "cf", "vs", "al", "approx", "ca", "esp", "incl", "viz"}
    | {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "rev", "lt", "sgt"}
    | {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)
# Abbreviations of a following number: "No. 1", "Fig. 3", "pp. 12" (but "said no. Then" ends).
_NUMBER_ABBREVIATIONS = frozenset(
    ("no", "nos", "vol", "vols", "fig", "figs", "eq", "eqs", "ch", "sec", "art", "pp", "p")
)
# Abbreviations that may also end a sentence ("… in the U.S. The company …", "… and so on,
# etc. The next …"): they end one only before a word that typically starts a sentence.
_AMBIGUOUS_ABBREVIATIONS = frozenset(("etc", "inc", "ltd", "co", "corp", "llc", "plc", "bros"))
# Space-separated, to keep the list readable.
_SENTENCE_STARTER_WORDS = """
    a an the this that these those it its it's i we you he she they there here our their his
    her my your in on at as by for from to with after before when while if but and or so yet
    however meanwhile still also then now today yesterday tomorrow last next according
    what why how who where which some many most all each both one two three other others
"""
_SENTENCE_STARTERS = frozenset(_SENTENCE_STARTER_WORDS.split())
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, in order, each stripped; a line break always ends one.

    A leading bullet or list number ("• ", "- ", "1. ", "2) ") is dropped from a line, so a
    list item reads as a plain sentence.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        paragraph = _LIST_MARKER.sub("", line.strip(), count=1).strip()
        if paragraph:
            sentences.extend(_split_paragraph(paragraph))
    return sentences


def first_sentence(text: str) -> str:
    """The first sentence of `text`, or "" if it has none."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else ""


def words(sentence: str) -> list[str]:
    """The words of `sentence` as written, keeping "GPT-3.5", "v0.3.1", "$20M" and "don't" whole."""
    return _WORD.findall(sentence)


def _split_paragraph(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for boundary in _BOUNDARY.finditer(paragraph):
        end = boundary.end()
        if end >= len(paragraph):
            break
        if _ends_sentence(paragraph[start : boundary.start() + 1], paragraph[end:]):
            sentences.append(paragraph[start:end].strip())
            start = end
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_sentence(before: str, after: str) -> bool:
    """Whether a sentence ends between `before` (up to its end punctuation) and `after`."""
    next_word = after.split(maxsplit=1)[0]
    if not _starts_sentence(next_word):
        return False
    if not before.endswith("."):
        return True  # "!", "?" and "…" have no abbreviations to be confused with
    last_word = before.rsplit(maxsplit=1)[-1].lstrip(_OPENERS)
    stem = last_word[:-1].lower()
    if stem in _ABBREVIATIONS:
        return False
    if stem in _NUMBER_ABBREVIATIONS:
        return not next_word[0].isdigit()
    if len(stem) == 1 and stem.isalpha() and last_word[0].isupper():
        return False  # an initial: "J. R. R. Tolkien"
    if stem in _AMBIGUOUS_ABBREVIATIONS or _INITIALISM.match(last_word):
        return next_word.lstrip(_OPENERS).lower() in _SENTENCE_STARTERS
    return True


def _starts_sentence(word: str) -> bool:
    """Whether `word` can open a sentence: a capital, a digit, a symbol ("$", "🤗") or a name."""
    bare = word.lstrip(_OPENERS)
    if not bare:
        return False
    first = bare[0]
    if first.isalpha() and not first.isupper():
        return bool(_LOWERCASE_NAME.match(bare))
    return first.isalnum() or first not in ",;:.!?)]}-–—"
