"""The offline summarizer: sentences split where a reader would split them, and a TL;DR plus
key points that are the article's own words, without its boilerplate or repeats."""

from __future__ import annotations

import re

from bot.models import Summary
from bot.summarize.extractive import (
    KEY_POINT_MAX_CHARS,
    TLDR_MAX_CHARS,
    ExtractiveSummarizer,
)
from bot.summarize.sentences import split_sentences, words

TITLE = "Mistral releases Large 3 under Apache 2.0"
LEAD = (
    "Mistral AI on Tuesday released Large 3, a 123-billion-parameter open-weight model "
    "licensed under Apache 2.0, the most capable model the Paris startup has published."
)
# One paragraph per line, as bot.content.text.html_to_text gives it: a headline, site furniture,
# the story with a question, a quote and numbers, then the footer.
ARTICLE = "\n".join(
    [
        TITLE,
        "Subscribe to our newsletter for the latest AI news.",
        LEAD,
        "The model supports a 128,000-token context window and scores 81.2% on HumanEval, "
        "ahead of GPT-3.5 and close to GPT-4. Weights are on the Hugging Face Hub, and a "
        "quantized build runs on llama.cpp v0.3.1.",
        "Why does this matter?",
        "The startup, which raised $640M last year, pitched the release to U.S. policy makers "
        "and European regulators alike.",
        '"Open weights are how we earn trust," said Dr. Arthur Mensch, the chief executive. '
        '"Anyone can inspect and fine-tune every layer."',
        "Large 3 costs $2 per million input tokens in Mistral's API. Independent researchers "
        "rank it No. 1 among open models on several reasoning leaderboards.",
        "Share this article",
        "Already a member? Sign in.",
        "> Great, another model release. Wake me up when it runs on my phone, said a reader.",
        "© 2026 Example Media. All rights reserved. Cookie settings.",
    ]
)


def summarize(text: str, title: str = TITLE) -> Summary:
    return ExtractiveSummarizer().summarize_sync(title=title, text=text)


def word_set(sentence: str) -> set[str]:
    return {w.lower() for w in words(sentence)}


# --- Sentences --------------------------------------------------------------------------------


def test_versions_money_abbreviations_and_decimals_stay_inside_their_sentence() -> None:
    text = (
        "GPT-3.5 was replaced by v0.3.1 of the tool, e.g. this one. "
        "The U.S. policy debate cost $20M and 2.5 years. Dr. Chen ranks No. 1 on the board. "
        "Details are at https://example.com/v1.2/notes.html for now."
    )

    assert split_sentences(text) == [
        "GPT-3.5 was replaced by v0.3.1 of the tool, e.g. this one.",
        "The U.S. policy debate cost $20M and 2.5 years.",
        "Dr. Chen ranks No. 1 on the board.",
        "Details are at https://example.com/v1.2/notes.html for now.",
    ]


def test_quotes_close_their_sentence_and_questions_end_one() -> None:
    text = '"We are thrilled," said Dr. Jane Doe. "It ships today." Why now? Because vLLM is ready.'

    assert split_sentences(text) == [
        '"We are thrilled," said Dr. Jane Doe.',
        '"It ships today."',
        "Why now?",
        "Because vLLM is ready.",
    ]


def test_each_bullet_and_numbered_line_is_a_sentence_of_its_own() -> None:
    text = "What changed\n• Faster loading\n- Smaller wheels\n1. New CLI. It is optional.\n2) Docs"

    assert split_sentences(text) == [
        "What changed",
        "Faster loading",
        "Smaller wheels",
        "New CLI.",
        "It is optional.",
        "Docs",
    ]


def test_words_keep_versions_and_amounts_whole() -> None:
    assert words("GPT-3.5 and v0.3.1 raised $20M, don't ask.") == [
        "GPT-3.5",
        "and",
        "v0.3.1",
        "raised",
        "$20M",
        "don't",
        "ask",
    ]


# --- Summaries --------------------------------------------------------------------------------


def test_a_news_article_is_summed_up_by_its_lead_and_distinct_key_points_in_order() -> None:
    summary = summarize(ARTICLE)

    assert summary.tldr == LEAD
    sentences = split_sentences(ARTICLE)
    assert 1 <= len(summary.key_points) <= 3
    assert all(point in sentences for point in summary.key_points)  # the text's own words
    positions = [sentences.index(point) for point in summary.key_points]
    assert positions == sorted(positions)
    chosen = [summary.tldr, *summary.key_points]
    for i, first in enumerate(chosen):
        for second in chosen[i + 1 :]:
            shared = word_set(first) & word_set(second)
            assert len(shared) / len(word_set(first) | word_set(second)) < 0.5


def test_boilerplate_quoted_replies_questions_and_the_title_never_reach_the_summary() -> None:
    summary = summarize(ARTICLE)

    for unwanted in ("Subscribe", "newsletter", "Already a member", "Sign in", "Share", "©"):
        assert unwanted not in summary.text
    assert "reader" not in summary.text  # the "> …" reply
    assert "?" not in summary.text
    assert TITLE not in summary.text


def test_boilerplate_is_dropped_even_when_it_is_all_that_precedes_the_story() -> None:
    text = (
        "Members only: Already a member? Sign in.\n"
        "Subscribe to our newsletter to keep reading.\n"
        "Qwen3 is a family of open models released under the Apache 2.0 licence.\n"
        "The largest Qwen3 model has 235 billion parameters with 22 billion active.\n"
    )

    summary = summarize(text, title="Qwen3")

    assert summary.tldr.startswith("Qwen3 is a family of open models")
    assert "member" not in summary.text.lower() and "subscribe" not in summary.text.lower()


def test_a_paragraph_printed_twice_gives_no_duplicate_key_points() -> None:
    repeated = "The release adds speculative decoding, which doubles generation speed on GPUs."
    text = "\n".join(
        [
            "vLLM 0.9 is out with support for twenty new model architectures.",
            repeated,
            "Installation now takes one command on Linux, macOS and Windows.",
            repeated,
            "The project thanked more than two hundred contributors for this release.",
        ]
    )

    summary = summarize(text, title="vLLM 0.9")

    chosen = [summary.tldr, *summary.key_points]
    assert len(chosen) == len(set(chosen))
    assert chosen.count(repeated) <= 1


def test_a_sentence_restating_the_tldr_is_not_a_key_point() -> None:
    lead = "Google released Gemma 4, a family of open models for phones and laptops, on Wednesday."
    restated = (
        "On Wednesday, Google released Gemma 4, its open model family for laptops and phones."
    )
    text = "\n".join(
        [
            lead,
            restated,
            "The smallest model has one billion parameters and runs offline on Android.",
            "Weights can be downloaded from Kaggle and the Hugging Face Hub.",
            "A larger version will follow before the end of the year, the company said.",
            "Benchmarks show the 27B variant beating Llama 3 70B on coding tasks.",
        ]
    )

    summary = summarize(text, title="Gemma 4")

    assert summary.tldr == lead
    assert restated not in summary.key_points
    assert len(summary.key_points) == 3


def test_a_complete_sentence_that_fits_is_chosen_over_cutting_a_long_one() -> None:
    clause = "with support for quantized checkpoints, longer contexts and faster kernels"
    lead = f"Ollama 0.9 ships today {clause}, {clause}, {clause}, {clause}, {clause}."
    detail = "the async client streams tokens, retries dropped connections, reports usage"
    point = f"The Python library changes too: {detail}, {detail}, {detail}."
    fits = "The maintainers plan a patch release within two weeks of launch."
    text = f"{lead}\n{point}\n{fits}\nOllama 0.9 runs Qwen3 and Llama 4 models on a laptop."

    summary = summarize(text, title="Ollama 0.9")

    assert len(lead) > TLDR_MAX_CHARS and len(point) > KEY_POINT_MAX_CHARS
    shown = [summary.tldr, *summary.key_points]
    assert not any(line.endswith("…") for line in shown)
    assert all(line in text for line in shown)


def test_a_sentence_is_cut_at_a_word_boundary_only_when_none_fits() -> None:
    clause = "with support for quantized checkpoints, longer contexts and faster kernels"
    lead = f"Ollama 0.9 ships today {clause}, {clause}, {clause}, {clause}, {clause}."
    other = f"The Python library changes too, {clause}, {clause}, {clause}, {clause}."
    summary = summarize(f"{lead}\n{other}", title="Ollama 0.9")

    assert len(summary.tldr) <= TLDR_MAX_CHARS and summary.tldr.endswith("…")
    cut = summary.tldr[:-1]
    assert lead.startswith(cut) and lead[len(cut)] in " ,"
    assert summary.key_points == ()  # a point is never shown cut


def test_the_same_text_always_gives_the_same_summary() -> None:
    first = summarize(ARTICLE)

    assert summarize(ARTICLE) == first
    assert ExtractiveSummarizer().summarize_sync(title=TITLE, text=ARTICLE) == first


def test_empty_tiny_and_one_sentence_texts_are_summarized_without_fuss() -> None:
    assert summarize("") == Summary(tldr="")
    assert summarize("  \n\n ") == Summary(tldr="")
    assert summarize("Subscribe to our newsletter.") == Summary(tldr="")
    assert summarize("Llama 4 is out.", title="News") == Summary(tldr="Llama 4 is out.")
    one = "Hugging Face released SmolLM3, a 3B model that runs on a laptop."
    assert summarize(one, title="SmolLM3") == Summary(tldr=one)


def test_a_tiny_text_that_fits_is_kept_whole() -> None:
    text = "Story 2 is about open weights. It matters."

    assert summarize(text, title="Story 2") == Summary(tldr=text)


def test_a_huge_single_word_run_is_cut_too() -> None:
    text = "x" * 1000

    summary = summarize(text, title="")

    assert len(summary.tldr) <= TLDR_MAX_CHARS and summary.tldr.endswith("…")


async def test_summarize_runs_off_the_event_loop_and_agrees_with_the_sync_call() -> None:
    summary = await ExtractiveSummarizer().summarize(title=TITLE, text=ARTICLE)

    assert summary == summarize(ARTICLE)
    assert re.match(r"Mistral AI on Tuesday released Large 3", summary.tldr)
