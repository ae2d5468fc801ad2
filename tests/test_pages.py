import random

import pytest

from bot.pages import pack_pages, split_pages


def test_short_text_is_one_page() -> None:
    assert split_pages("one\ntwo", 100) == ["one\ntwo"]


def test_pages_are_cut_between_lines_and_keep_every_line_in_order() -> None:
    lines = [f"line {n}" for n in range(10)]  # 6 characters each
    pages = split_pages("\n".join(lines), 20)

    assert pages == ["line 0\nline 1\nline 2", "line 3\nline 4\nline 5", "line 6\nline 7\nline 8",
                     "line 9"]  # fmt: skip


def test_a_line_too_long_for_a_page_is_cut_after_a_space() -> None:
    line = "alpha beta gamma delta"
    pages = split_pages(f"{line}\nend", 12)

    assert pages == ["alpha beta ", "gamma delta", "end"]
    assert all(len(page) <= 12 for page in pages)


def test_a_word_too_long_for_a_page_is_cut_where_the_page_ends() -> None:
    assert split_pages("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_blocks_stay_whole_and_a_block_too_long_is_laid_out_line_by_line() -> None:
    blocks = ["a1\na2", "b1\nb2", "c" * 8 + "\nc2"]

    pages = pack_pages(blocks, 11)

    assert pages == ["a1\na2\nb1\nb2", "cccccccc\nc2"]
    assert pack_pages(blocks, 9) == ["a1\na2", "b1\nb2", "cccccccc", "c2"]


def test_blocks_can_be_joined_with_another_separator() -> None:
    assert pack_pages(["a", "b", "c"], 4, separator="\n\n") == ["a\n\nb", "c"]


def test_empty_text_is_one_empty_page() -> None:
    assert split_pages("", 10) == [""]
    assert pack_pages([], 10) == [""]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 character"):
        split_pages("text", 0)


@pytest.mark.parametrize("seed", range(200))
def test_any_text_fits_in_pages_and_nothing_is_lost(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.randint(5, 80)
    words = ["a", "bb", "word", "longerword", "x" * rng.randint(1, 120), ""]
    lines = [" ".join(rng.choices(words, k=rng.randint(0, 12))) for _ in range(rng.randint(1, 15))]
    text = "\n".join(lines)

    pages = split_pages(text, limit)

    assert all(len(page) <= limit for page in pages)
    # Cuts fall only on a line break (which is dropped) or inside a too-long line.
    assert "".join(pages).replace("\n", "") == text.replace("\n", "")
    if all(len(line) <= limit for line in lines):
        assert "\n".join(pages) == text
    # A line that fits a page is never cut: it appears whole on some page.
    page_lines = {line for page in pages for line in page.split("\n")}
    assert all(line in page_lines for line in lines if len(line) <= limit)
