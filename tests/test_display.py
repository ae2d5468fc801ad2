from cogs.utils.display import shown_error, shown_text, shown_title, shown_url


def test_outside_text_is_escaped_and_fits_its_limit_once_escaped() -> None:
    shown = shown_text("_" * 300, 100)

    assert len(shown) <= 100
    assert shown.startswith("\\_\\_") and shown.endswith("…")


def test_outside_text_is_cut_at_a_word_boundary_on_one_line() -> None:
    assert shown_text("Open models\nweekly news digest", 20) == "Open models weekly…"


def test_a_short_url_is_a_link_without_preview_and_a_long_one_is_code() -> None:
    assert shown_url("https://example.org/feed.xml") == "<https://example.org/feed.xml>"
    long = "https://example.org/" + "a" * 1000
    shown = shown_url(long)
    assert shown.startswith("`https://example.org/aaa") and shown.endswith("…`")
    assert len(shown) <= 302


def test_text_that_is_no_plain_url_is_code_without_backticks_inside() -> None:
    assert shown_url("llama `news`") == "`llama ˋnewsˋ`"


def test_an_error_shows_its_url_and_escapes_the_rest() -> None:
    url = "https://example.org/" + "a" * 3000
    message = f"Cannot follow {url}: the server said *no* to @everyone."

    shown = shown_error(message, url)

    assert shown.startswith("Cannot follow `https://example.org/aaa")
    assert shown.endswith("…`: the server said \\*no\\* to @\u200beveryone.")
    assert len(shown) < 1000


def test_an_error_without_the_url_is_only_escaped_and_shortened() -> None:
    assert shown_error("That URL is longer than 2048 characters.", "x") == (
        "That URL is longer than 2048 characters."
    )


def test_a_feed_without_a_title_is_shown_by_its_url() -> None:
    assert shown_title("  ", "https://example.org/f") == "**<https://example.org/f>**"
    assert shown_title("Weekly", "https://example.org/f") == "**Weekly**"
