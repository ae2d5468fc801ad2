"""An LLM summary checked against its source: every number, version, name and quoted phrase
it states must appear in the article. A sentence that fails is dropped; a TL;DR that fails
sends the item to the extractive summary. Models invent exactly these details, and a post
that gets a licence or a parameter count wrong is worse than a plainer one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.content.lexicon import DEFAULT_TERMS
from bot.models import Summary

# A number and the magnitude written after it: "128,000", "128k", "123B", "$20 million".
_NUMBER = re.compile(
    r"(\d+(?:[.,]\d+)*)(?:\s?(k|thousand|m|mn|million|b|bn|billion|t|tn|trillion)\b)?",
    re.IGNORECASE,
)
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9,
           "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12}  # fmt: skip
_QUOTED = re.compile(r"[\"“]([^\"”]{3,200})[\"”]")
_WORD = re.compile(r"[A-Za-z][\w'’.+-]*[\w+]|[A-Za-z]")
# Words a summary may capitalize without the article naming them (space-separated).
_GENERIC_WORDS = """
    ai llm llms api apis gpu gpus cpu cpus open-source opensource oss ml tl;dr i a the it its
    this that these those english us eu uk
"""
_GENERIC = frozenset(_GENERIC_WORDS.split())

# Companies and model families the relevance lexicon names, as one word: a sentence opening
# with one ("Meta released…") names it as surely as one that has it in the middle.
_COMPANIES = """
    meta google openai anthropic microsoft nvidia alibaba apple amazon ibm baidu tencent
    bytedance deepmind cohere xai samsung intel amd huawei zhipu moonshot minimax
"""
_KNOWN_NAMES = frozenset(
    [term.phrase.casefold().rstrip("*") for term in DEFAULT_TERMS] + _COMPANIES.split()
) - frozenset(["ai", "cli", "gpu", "github", "discord", "congress"])


@dataclass(frozen=True)
class Unsupported:
    part: str  # "tldr", "key point", "why it matters"
    sentence: str
    missing: str  # the detail the source does not have

    def __str__(self) -> str:
        return f'{self.part} names "{self.missing}", which the article does not: {self.sentence!r}'


@dataclass(frozen=True)
class CheckedSummary:
    summary: Summary  # what may be shown: failing key points and "why" removed
    problems: tuple[Unsupported, ...]

    @property
    def tldr_supported(self) -> bool:
        return not any(p.part == "tldr" for p in self.problems)


@dataclass(frozen=True)
class SourceFacts:
    """What a summary may mention: the source's numbers, words and text, normalized."""

    text: str
    numbers: frozenset[str]  # as written, without thousands separators
    values: frozenset[float]  # with their magnitude: "128k" and "128,000" are one value
    words: frozenset[str]

    @classmethod
    def of(cls, source: str) -> SourceFacts:
        text = normalize(source)
        found = _NUMBER.findall(text)
        return cls(
            text=text,
            numbers=frozenset(_bare_number(n) for n, _ in found),
            values=frozenset(v for n, unit in found if (v := _value(n, unit)) is not None),
            words=frozenset(_word_forms(text)),
        )


def check_summary(summary: Summary, source: str) -> CheckedSummary:
    """`summary` with what its source does not support removed, and what was removed."""
    facts = SourceFacts.of(source)
    problems: list[Unsupported] = []
    tldr_problem = first_unsupported(summary.tldr, facts)
    if tldr_problem:
        problems.append(Unsupported("tldr", summary.tldr, tldr_problem))
    points = []
    for point in summary.key_points:
        missing = first_unsupported(point, facts)
        if missing:
            problems.append(Unsupported("key point", point, missing))
        else:
            points.append(point)
    why = summary.why_it_matters
    if why and (missing := first_unsupported(why, facts)):
        problems.append(Unsupported("why it matters", why, missing))
        why = None
    checked = replace(summary, key_points=tuple(points), why_it_matters=why)
    return CheckedSummary(checked, tuple(problems))


def first_unsupported(sentence: str, facts: SourceFacts) -> str | None:
    """The first number, quoted phrase or name in `sentence` that the source lacks."""
    for number, unit in _NUMBER.findall(sentence):
        if _bare_number(number) in facts.numbers or _value(number, unit) in facts.values:
            continue
        return f"{number}{unit}"
    for quoted in _QUOTED.findall(sentence):
        if normalize(quoted).strip(" .,;:") not in facts.text:
            return quoted
    for name in _names(sentence):
        if not _word_forms(normalize(name)) & facts.words:
            return name
    return None


def normalize(text: str) -> str:
    text = text.casefold().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return " ".join(text.split())


def _bare_number(number: str) -> str:
    """ "1,000" and "1000" are one number; so are "3.50" and "3.5" only as written."""
    return number.replace(",", "").rstrip(".")


def _value(number: str, unit: str) -> float | None:
    try:
        value = float(_bare_number(number))
    except ValueError:
        return None
    return round(value * _SCALES.get(unit.lower(), 1.0), 6)


def _names(sentence: str) -> list[str]:
    """The words a reader takes for names: capitalized past the sentence's first word,
    mixed case ("vLLM", "DeepSeek"), or letters with digits ("Qwen3", "GPT-4o")."""
    found = []
    for index, match in enumerate(_WORD.finditer(sentence)):
        word = match.group().rstrip(".'’")
        lowered = word.casefold()
        if lowered in _GENERIC or len(word) < 2:
            continue
        mixed = any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)
        has_digit = any(c.isdigit() for c in word)
        opening = index == 0 or _after_colon(sentence, match.start())
        capitalized = word[0].isupper() and (not opening or _could_be_name(lowered))
        if mixed or has_digit or capitalized:
            found.append(word)
    return found


def _could_be_name(lowered: str) -> bool:
    """Whether a sentence's capitalized first word is a name ("Meta", "Mistral") rather
    than an ordinary opening word ("Big", "New", "Researchers"): a name the lexicon knows."""
    return lowered in _KNOWN_NAMES


def _after_colon(sentence: str, at: int) -> bool:
    return sentence[:at].rstrip().endswith((":", ".", "!", "?", "—", "-", "(", '"', "“"))


def _word_forms(text: str) -> set[str]:
    """Each word of `text` and its bare forms: "llama's" → "llama", "models" → "model"."""
    forms = set()
    for word in re.findall(r"[\w'+.-]+", text):
        word = word.strip(".'-")
        if not word:
            continue
        forms.add(word)
        forms.add(word.removesuffix("'s"))
        if word.endswith("s") and len(word) > 3:
            forms.add(word[:-1])
        forms.update(part for part in re.split(r"[-.]", word) if len(part) > 1)
    return forms
