from bot.content.text import escape_text, html_to_text


def test_paragraphs_are_kept_and_markup_and_entities_are_gone() -> None:
    html = "<p>Llama 4 is <b>out</b> &amp; open.</p><p>Weights on the&nbsp;Hub.</p>"
    assert html_to_text(html) == "Llama 4 is out & open.\nWeights on the Hub."


def test_scripts_styles_and_iframes_never_reach_the_text() -> None:
    html = (
        "<style>p{color:red}</style><p>Real text.</p>"
        "<script>alert('x')</script><iframe src='x'>frame</iframe>"
    )
    assert html_to_text(html) == "Real text."


def test_a_paragraph_repeated_verbatim_is_kept_once() -> None:
    html = "<p>Subscribe now.</p><p>Body.</p><p>Subscribe now.</p>"
    assert html_to_text(html) == "Subscribe now.\nBody."


def test_double_escaped_entities_are_decoded() -> None:
    assert html_to_text("Q&amp;amp;A") == "Q&A"


def test_source_line_breaks_inside_a_paragraph_are_only_spaces() -> None:
    html = "<p>Mistral released\nLarge 3 today.</p><pre>line 1\nline 2</pre>"
    assert html_to_text(html) == "Mistral released Large 3 today.\nline 1\nline 2"


def test_html_escaped_twice_is_cleaned_again_into_paragraphs() -> None:
    html = (
        "stop open-sourcing their models.&lt;p&gt;Whether people care&lt;p&gt;&amp;gt; a quote"
        '&lt;p&gt;See &lt;a href="https://x.org/a_b" rel="nofollow"&gt;the terms&lt;/a&gt;.'
    )
    assert html_to_text(html) == (
        "stop open-sourcing their models.\nWhether people care\n> a quote\nSee the terms."
    )


def test_markup_shown_in_code_stays_as_written() -> None:
    html = "<p>Wrap text in <code>&lt;p&gt;</code> tags.</p><pre>a &lt;b&gt; c</pre>"
    assert html_to_text(html) == "Wrap text in <p> tags.\na <b> c"


def test_angle_brackets_that_are_not_html_stay_in_the_text() -> None:
    assert html_to_text("<p>a &lt; b, Vec&lt;String&gt; and &lt;|endoftext|&gt;</p>") == (
        "a < b, Vec<String> and <|endoftext|>"
    )


def test_feed_text_shows_its_markdown_as_written() -> None:
    text = "**Llama** _4_ ~~out~~ `code` ||spoiler|| [click](evil) # not a heading"
    assert escape_text(text) == (
        r"\*\*Llama\*\* \_4\_ \~\~out\~\~ \`code\` \|\|spoiler\|\| \[click\]\(evil\) "
        r"\# not a heading"
    )


def test_lines_that_discord_would_turn_into_quotes_lists_or_headings_stay_lines() -> None:
    text = "> quoted\n- bullet\n+ plus\n1. first\n## heading"
    assert escape_text(text) == "\\> quoted\n\\- bullet\n\\+ plus\n1\\. first\n\\#\\# heading"


def test_mentions_read_as_written_but_cannot_ping() -> None:
    escaped = escape_text("@everyone @here <@123456789012345678> <@&42>")
    assert escaped == "@\u200beveryone @\u200bhere <@\u200b123456789012345678\\> <@\u200b&42\\>"
    assert escape_text(escaped).count("\u200b") == 4  # never a second zero-width space


def test_web_addresses_stay_links() -> None:
    text = "See https://example.org/a_b*c?x=1 and <https://mastodon.social/@user_x>."
    assert escape_text(text) == text


def test_plain_text_skips_the_html_parser_and_reads_the_same() -> None:
    import random

    from bot.content import text

    pick = random.Random(3)
    alphabet = "ab Z.,;:'\"!?-—é漢 \t\r\n\u00a0\u2003\x00\x0b\x0c"
    for _ in range(3000):
        plain = "".join(pick.choice(alphabet) for _ in range(pick.randint(0, 30)))
        parsed = "".join(part.text for part in text._decode(plain)) if plain else ""
        assert html_to_text(plain) == text._paragraphs(parsed), repr(plain)
