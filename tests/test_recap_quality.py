"""What a reader notices in an offline discussion recap of a real-sized thread.

The thread is a Hacker News discussion of an open-weights model release, 25 comments in four
sub-threads and a few loose remarks: the licence (six replies, split), local speed on a 4090
(three replies, agreed), the tooling (four replies, its first reply disputes it) and the
benchmarks (two replies). Each test reads the recap as a user would: are the big sub-threads
there, is the stance shown what the replies say, are the quotes the commenter's own words,
do the labels read like something someone wrote.
"""

from __future__ import annotations

import re

import pytest

from bot.discussions.recap import Comment, Position, Recap, recap_comments

URL = "https://news.ycombinator.com/item?id=41000000"


def comment(cid: str, author: str, text: str, parent: str | None = None, depth: int = 0) -> Comment:
    return Comment(cid, author, text, None, parent, depth if parent is None else max(depth, 1))


LICENCE = [
    comment(
        "lic",
        "alice",
        "The licence is not really open source. You can't use it commercially above 700M "
        "monthly users, and you can't use its outputs to train other models.",
    ),
    comment(
        "lic-bob",
        "bob",
        "No, that's overstated. For 99% of companies the 700M user clause never applies, and "
        "the weights are free to download.",
        "lic",
    ),
    comment(
        "lic-carol",
        "carol",
        "Exactly. Calling it open source when the licence restricts how you use it is "
        "marketing, not openness.",
        "lic",
    ),
    comment(
        "lic-eve",
        "eve",
        "> The licence is not really open source.\nIt is open enough for me to fine-tune on "
        "my own data, which is all I care about.",
        "lic",
    ),
    comment(
        "lic-fay",
        "fay",
        "Agreed, the OSI definition forbids field-of-use restrictions, and this licence is "
        "full of them.",
        "lic",
    ),
    comment(
        "lic-dan",
        "dan",
        "You're wrong about the clause mattering to nobody: the acceptable use policy can "
        "change at any time, so the licence terms bind every user.",
        "lic-bob",
        2,
    ),
    comment(
        "lic-gus",
        "gus",
        "Not really. Open weights still let anyone audit and fine-tune the model, which is "
        "most of what open source gives you.",
        "lic-carol",
        2,
    ),
]
SPEED = [
    comment(
        "gpu",
        "hank",
        "Runs great on a single 4090. The 4-bit quant does about 40 tokens/s with llama.cpp "
        "and fits in 24GB of VRAM.",
    ),
    comment(
        "gpu-ivy", "ivy", "Same here, q4 on my 4090 runs at 35 tokens/s for local coding.", "gpu"
    ),
    comment("gpu-jon", "jon", "+1", "gpu"),
    comment(
        "gpu-kim",
        "kim",
        "Which context length though? At 32k context the KV cache no longer fits in 24GB.",
        "gpu-ivy",
        2,
    ),
]
TOOLING = [
    comment(
        "tool",
        "leo",
        "The tooling is the real problem: vLLM does not support the new attention layout "
        "yet, and the official inference code needs a nightly PyTorch build.",
    ),
    comment(
        "tool-mia",
        "mia",
        "Actually, vLLM merged support for the attention layout yesterday; you just need to "
        "build it from main.",
        "tool",
    ),
    comment(
        "tool-olga",
        "olga",
        "Hard disagree, ollama already ships it and LM Studio loads the GGUF without any "
        "nightly build.",
        "tool",
    ),
    comment(
        "tool-ned",
        "ned",
        "Nope, the merged vLLM support only covers the dense variant; the MoE one still "
        "crashes on load.",
        "tool-mia",
        2,
    ),
    comment(
        "tool-pat",
        "pat",
        "Ollama runs a quantized GGUF, which is not the same as serving the full model in vLLM.",
        "tool-olga",
        2,
    ),
]
BENCHMARKS = [
    comment(
        "bench",
        "quinn",
        "The benchmarks look cherry-picked: they compare against last year's models and skip "
        "the hard reasoning evals.",
    ),
    comment(
        "bench-ray",
        "ray",
        "Yes, but the MMLU-Pro and GPQA numbers are in the table, and they lose on both.",
        "bench",
    ),
    comment(
        "bench-sam",
        "sam",
        "Wait for independent evals before trusting any of these benchmark numbers.",
        "bench",
    ),
]
LOOSE = [
    comment(
        "tina",
        "tina",
        "Read the licence before you celebrate: the use restrictions make it open weights at "
        "best, not an open source licence.",
    ),
    comment("uma", "uma", "Much slower on a Mac than on the 4090 box, but it runs locally."),
    comment("vic", "vic", "Good model, 10/10."),
    comment(
        "will",
        "will",
        "The model card says training used 15T tokens of mostly English web data.",
    ),
    comment("xena", "xena", "Is there a GGUF on Hugging Face yet?"),
    comment("yuri", "yuri", "Great release, the model is good and runs fine with 64 GB of RAM."),
]
# Breadth-first, as the fetcher returns a thread: top-level comments first, then replies.
THREAD = sorted(
    LICENCE + SPEED + TOOLING + BENCHMARKS + LOOSE,
    key=lambda c: c.depth,
)


def recap(comments: list[Comment] = THREAD, **options: int) -> Recap:
    result = recap_comments(comments, source_url=URL, **options)
    assert result is not None
    return result


def position_about(result: Recap, *anchor_words: str) -> Position:
    """The position whose label or quote names all of `anchor_words`."""
    for position in result.positions:
        shown = f"{position.summary} {position.quote}".lower()
        if all(word in shown for word in anchor_words):
            return position
    raise AssertionError(f"no position about {anchor_words}: {result.render()}")


def test_the_thread_is_big_enough_to_be_realistic() -> None:
    assert 15 <= len(THREAD) <= 30


def test_the_licence_sub_thread_with_six_replies_is_a_position_with_its_supporters() -> None:
    result = recap()

    licence = position_about(result, "licence")

    assert licence.author in {"alice", "carol", "fay", "dan", "tina"}
    # For: alice, carol, fay; dan disputes bob, who disputed alice. Against: bob, gus.
    assert (licence.supporters, licence.disputers) == (5, 2)  # and tina, who made it too
    assert licence.stance == "mixed"
    assert "some pushback" in result.render()


def test_every_sub_thread_with_three_or_more_replies_anchors_a_position() -> None:
    result = recap()

    for words in (("licence",), ("4090",), ("vllm",)):
        position_about(result, *words)
    # The biggest discussion comes first.
    assert "licence" in (result.positions[0].summary + result.positions[0].quote).lower()
    participants = [p.participants for p in result.positions]
    assert participants == sorted(participants, reverse=True)


def test_a_loose_comment_on_the_same_subject_joins_its_position_instead_of_repeating_it() -> None:
    result = recap()

    about_licence = [p for p in result.positions if "licen" in (p.summary + p.quote).lower()]

    assert len(about_licence) == 1
    assert about_licence[0].participants == 8  # the seven in the sub-thread, and tina


def test_a_position_whose_first_reply_disputes_it_is_not_shown_as_broad_agreement() -> None:
    result = recap()

    tooling = position_about(result, "vllm")

    # "Actually, …" and "Hard disagree" push back; ned's "Nope" to mia backs leo again.
    assert tooling.author == "leo"
    assert tooling.stance == "disagree"
    assert (tooling.supporters, tooling.disputers) == (2, 2)
    line = next(line for line in result.render().splitlines() if "vLLM" in line)
    assert "broad agreement" not in line and "disputed" in line


def test_yes_but_is_pushback_not_agreement() -> None:
    benchmarks = position_about(recap(), "cherry-picked")

    assert benchmarks.disputers == 1 and benchmarks.stance != "agree"


def test_a_lone_dispute_outweighs_a_lone_author() -> None:
    comments = [
        comment("1", "a", "Quantized weights lose a lot of quality on long reasoning chains."),
        comment(
            "2", "b", "That's wrong, the 8-bit quant matches the full model on every eval.", "1"
        ),
        comment("3", "c", "The model card lists a 128k context window and a new tokenizer."),
        comment("4", "d", "Tokenizer changes mean the old GGUF conversions are all broken."),
    ]

    quality = position_about(recap(comments), "quality")

    assert (quality.supporters, quality.disputers, quality.stance) == (1, 1, "disagree")


def test_agreement_with_the_parent_counts_for_the_position() -> None:
    speed = position_about(recap(), "4090")

    assert speed.stance == "agree" and speed.disputers == 0
    assert speed.supporters >= 3  # hank, ivy's "Same here", jon's "+1"
    assert "broad agreement" in next(
        line for line in recap().render().splitlines() if "4090" in line
    )


def test_a_quoted_line_is_never_shown_as_the_repliers_words() -> None:
    quoted = "The licence is not really open source."
    comments = [
        comment("1", "alice", quoted + " Commercial use is capped at 700M monthly users."),
        comment("2", "eve", f"> {quoted}\nIt is open enough to fine-tune on my own data.", "1"),
        comment(
            "3", "bob", f">{quoted}\n\n> Commercial use is capped\nNo, the cap is generous.", "1"
        ),
        comment(
            "4", "carol", f"> {quoted}\nfine-tune on own data, licence open source, agreed", "1"
        ),
        comment("5", "dave", "Runs fine on a 4090 with the 4-bit quant and llama.cpp."),
    ]

    result = recap(comments)

    for position in result.positions:
        if position.author != "alice":
            assert quoted not in position.quote
            assert "Commercial use is capped" not in position.quote
        assert not position.quote.lstrip().startswith(">")
    assert not any(line.lstrip().startswith(">") for line in result.render().splitlines())
    # Bob's "No" answers alice, though his reply opens with her words.
    licence = position_about(result, "licence")
    assert licence.disputers >= 1


def test_a_reply_made_only_of_quotes_says_nothing_of_its_own() -> None:
    comments = [
        comment("1", "alice", "The licence is not really open source, commercial use is capped."),
        comment(
            "2", "eve", "> The licence is not really open source, commercial use is capped.", "1"
        ),
        comment("3", "bob", "The 4-bit quant runs fine on a single 4090 with llama.cpp."),
        comment("4", "carol", "Same here, the 4090 handles the 4-bit quant at 40 tokens/s.", "3"),
    ]

    result = recap(comments)

    assert all(p.author != "eve" for p in result.positions)


_WORD = re.compile(r"[\w'’/+.-]*\w")


def appears_in_order(label: str, text: str) -> bool:
    """Whether the words of `label` are consecutive words of `text`, case aside."""
    words = [w.lower() for w in _WORD.findall(label)]
    written = [w.lower() for w in _WORD.findall(text)]
    return any(written[i : i + len(words)] == words for i in range(len(written)))


def test_labels_are_phrases_from_the_comments_not_keyword_lists() -> None:
    result = recap()

    assert len(result.positions) >= 3
    for position in result.positions:
        label = position.summary
        assert ", " not in label
        assert 2 <= len(label.split()) <= 9 and len(label) <= 60
        assert label[-1] != "…" or label[-2] != " "
        # A phrase someone wrote: its words, in its order, cut only between words.
        assert any(appears_in_order(label.rstrip("…"), c.text) for c in THREAD), label
        for word in _WORD.findall(label.rstrip("…")):
            assert any(re.search(rf"\b{re.escape(word)}\b", c.text, re.I) for c in THREAD)


def test_the_recap_is_the_same_every_time_and_fits_one_message() -> None:
    renders = {recap().render() for _ in range(3)}

    assert len(renders) == 1
    [text] = renders
    assert len(text) <= 1900
    assert text.startswith("💬 Discussion recap (25 comments)\n")
    assert sum(line.startswith("• ") for line in text.splitlines()) == len(recap().positions)


def test_max_positions_still_caps_the_recap_keeping_the_biggest_sub_threads() -> None:
    result = recap(max_positions=2)

    assert len(result.positions) == 2
    assert "licen" in (result.positions[0].summary + result.positions[0].quote).lower()


def test_two_big_sub_threads_on_the_same_subject_make_one_position() -> None:
    second_licence_thread = [
        comment(
            "lic2",
            "zed",
            "The licence forbids using outputs to train other models, so it is not open source.",
        ),
        comment(
            "lic2-amy",
            "amy",
            "Exactly, a licence that restricts training on outputs is not an open source licence.",
            "lic2",
        ),
        comment(
            "lic2-ben",
            "ben",
            "No, the OSI cares about the weights licence, not about outputs.",
            "lic2",
        ),
        comment(
            "lic2-cat",
            "cat",
            "The open source definition says nothing about model outputs, the licence is fine.",
            "lic2",
        ),
    ]

    result = recap(THREAD + second_licence_thread)

    [licence] = [p for p in result.positions if "licen" in (p.summary + p.quote).lower()]
    assert licence.participants == 12
    assert (licence.supporters, licence.disputers) == (7, 3)  # amy for, ben against, cat neither
    position_about(result, "vllm")  # the other subjects keep their own positions
    position_about(result, "4090")


OPENINGS = [
    ("Exactly. Quantized weights lose quality on reasoning.", "agree"),
    ("+1", "agree"),
    ("Same here, my long reasoning runs fell apart at 4-bit.", "agree"),
    ("No doubt about it, quantized weights lose quality.", "agree"),
    ("No, the 8-bit quant matches the full model.", "disagree"),
    ("Actually, the 8-bit quant matches the full model.", "disagree"),
    ("Hard disagree, the 8-bit quant matches the full model.", "disagree"),
    ("Yes, but only below 4 bits per weight.", "disagree"),
    ("That's wrong, the 8-bit quant matches the full model.", "disagree"),
    ("Not really, the 8-bit quant matches the full model.", "disagree"),
    ("But the 8-bit quant matches the full model on every eval.", "disagree"),
    ("> Quantized weights lose a lot of quality\nNot really, 8-bit is lossless.", "disagree"),
    ("> Quantized weights are not really usable\nExactly, I went back to fp16.", "agree"),
    ("The 8-bit quant was released by a third party last week.", None),
]


@pytest.mark.parametrize(("reply", "side"), OPENINGS)
def test_how_a_reply_opens_decides_whether_it_backs_or_disputes_its_parent(
    reply: str, side: str | None
) -> None:
    comments = [
        comment("1", "a", "Quantized weights lose a lot of quality on long reasoning chains."),
        comment("2", "b", reply, "1"),
        comment("3", "c", "The model card lists a 128k context window and a new tokenizer."),
        comment("4", "d", "Tokenizer changes mean the old GGUF conversions are all broken."),
    ]

    quality = position_about(recap(comments), "quality")

    counts = (quality.supporters, quality.disputers)
    assert counts == {"agree": (2, 0), "disagree": (1, 1), None: (1, 0)}[side]


def test_a_label_never_splits_a_number_or_a_word() -> None:
    comments = [
        comment("1", "a", "It serves 1,000 tokens/s on an H100 with speculative decoding."),
        comment("2", "b", "Exactly, 1,000 tokens/s on one H100 is a first for a 70B model.", "1"),
        comment("3", "c", "Same here, speculative decoding doubles the H100 tokens/s.", "1"),
        comment("4", "d", "The tokenizer is new, so old GGUF conversions are broken."),
    ]

    result = recap(comments)

    speed = position_about(result, "1,000")
    assert "1,000" in speed.summary or "1,000" in speed.quote
    assert not speed.summary.startswith("000")
    for position in result.positions:
        assert any(appears_in_order(position.summary.rstrip("…"), c.text) for c in comments)
