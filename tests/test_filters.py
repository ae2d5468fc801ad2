"""Keyword filters as pure functions: whole words in any case, phrases, a regular expression
that cannot stall the bot, and every refusal with its reason."""

from __future__ import annotations

import time

import pytest

from bot.decide.filters import (
    MAX_WORDS,
    REGEX_SECONDS,
    FilterError,
    filter_verdict,
    keyword_filter,
    keywords,
)


def test_words_and_phrases_are_split_on_commas_lowercased_and_kept_once() -> None:
    assert keywords('Qwen, "open weights, finally", LLAMA,, qwen') == (
        "qwen",
        "open weights, finally",
        "llama",
    )


def test_excluded_words_match_whole_words_in_any_case_and_spacing() -> None:
    rules = keyword_filter(exclude="rumor, open  weights")
    assert filter_verdict(rules, "RUMOR: a leak", "") == 'it has the excluded word "rumor"'
    assert filter_verdict(rules, "Rumors about", "") is None  # not the word "rumor"
    assert filter_verdict(rules, "", "now with Open\nweights") is not None
    assert filter_verdict(rules, "Humorous", "") is None


def test_an_item_needs_one_included_word_in_its_title_or_text() -> None:
    rules = keyword_filter(include="llama, qwen")
    assert filter_verdict(rules, "Qwen 3 is out", "") is None
    assert filter_verdict(rules, "A release", "built on Llama.") is None
    assert filter_verdict(rules, "Mistral ships", "weights") == (
        'it has none of the words "llama", "qwen"'
    )


def test_exclusion_wins_over_inclusion() -> None:
    rules = keyword_filter(include="llama", exclude="rumor")
    assert filter_verdict(rules, "Llama rumor", "") == 'it has the excluded word "rumor"'


def test_a_regular_expression_must_match_and_a_bad_one_is_refused_with_the_reason() -> None:
    rules = keyword_filter(pattern=r"\bv?\d+\.\d+")
    assert filter_verdict(rules, "vLLM v0.9 released", "") is None
    assert "does not match" in (filter_verdict(rules, "vLLM released", "") or "")
    with pytest.raises(FilterError, match="not valid: missing \\)"):
        keyword_filter(pattern="(unclosed")


def test_a_catastrophic_pattern_stops_at_the_time_limit_and_holds_the_item_back() -> None:
    rules = keyword_filter(pattern=r"(x+x+)+y")
    started = time.perf_counter()
    verdict = filter_verdict(rules, "x" * 5000, "")
    assert verdict is not None and "took too long" in verdict
    assert time.perf_counter() - started < REGEX_SECONDS * 40  # bounded, not minutes


def test_too_many_or_too_long_words_are_refused() -> None:
    with pytest.raises(FilterError, match=f"at most {MAX_WORDS}"):
        keywords(",".join(f"w{n}" for n in range(MAX_WORDS + 1)), "include")
    with pytest.raises(FilterError, match="longer than"):
        keywords("x" * 100)


def test_no_rules_let_everything_through_and_describe_reads_plainly() -> None:
    assert filter_verdict(keyword_filter(), "anything", "at all") is None
    rules = keyword_filter(include="qwen", exclude="rumor", pattern="v\\d")
    assert rules.describe() == 'only with "qwen"; never with "rumor"; matching /v\\d/'
