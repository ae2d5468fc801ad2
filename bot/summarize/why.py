""" "Why it matters" without a model: the text's own sentence on what makes an item matter
to people who use open models — its licence, open weights, running locally, funding."""

from __future__ import annotations

import re

WHY_MAX_CHARS = 220

_SIGNALS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # licence
        r"\bapache(?: licen[cs]e)?[ ,-]*(?:version )?2\.0\b|\bmit licen[cs]e\b|\b(?:a|l)?gpl-?v?\d"
        r"|\bbsd-\d|\bcc[- ]by\b|\bllama \d(?:\.\d)? (?:community )?licen[cs]e|\bopenrail"
        r"|\b(?:open[- ]source|permissive|commercial(?:ly)?[- ]usable|non-commercial) licen[cs]e",
        # open weights
        r"\bopen[- ]weights?\b|\bweights (?:are|were|is) (?:now )?(?:available|released|open"
        r"|public)|\bdownload the weights\b|\bon hugging ?face\b",
        # runs locally
        r"\brun(?:s|ning)? (?:\w+ )?locally\b|\bon[- ]device\b|\bconsumer (?:gpus?|hardware)\b"
        r"|\bon (?:a|your|one) (?:laptop|phone|mac(?:book)?|single gpu)\b|\bgguf\b"
        r"|\bquantiz(?:ed|ation)\b|\boffline\b",
        # funding
        r"[$€£]\s?\d+(?:\.\d+)?\s?(?:[mb]n?|million|billion)\b|\b(?:seed|series [a-e]) round\b"
        r"|\bfunding round\b|\bvaluation\b",
    )
)


# Every signal holds one of these (lowercased): a fast first pass over each sentence.
_SIGNAL_WORDS = (
    "apache", "mit ", "gpl", "bsd", "cc", "licen", "openrail", "weight", "hugging", "local",
    "device", "consumer", "laptop", "phone", "mac", "single gpu", "gguf", "quantiz", "offline",
    "$", "€", "£", "seed", "series", "funding", "valuation",
)  # fmt: skip


def signal_count(sentence: str) -> int:
    """How many of the kinds of reason to care a sentence names."""
    lowered = sentence.lower()
    if not any(word in lowered for word in _SIGNAL_WORDS):
        return 0
    return sum(1 for signal in _SIGNALS if signal.search(sentence))


def why_it_matters(sentences: list[str], *, used: set[str]) -> str | None:
    """The sentence (not already shown) naming the most reasons to care, earliest first;
    None when the text names none."""
    best: tuple[int, str] | None = None
    for sentence in sentences:
        if sentence in used or len(sentence) > WHY_MAX_CHARS:
            continue
        count = signal_count(sentence)
        if count and (best is None or count > best[0]):
            best = (count, sentence)
    return best[1] if best else None
