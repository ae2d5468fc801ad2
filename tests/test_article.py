from pathlib import Path

import pytest
import trafilatura

from bot.content.article import (
    Article,
    extract_article,
    extract_article_async,
    looks_like_teaser,
)

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def assert_plain(text: str) -> None:
    assert "<" not in text and ">" not in text
    assert "&amp;" not in text and "&nbsp;" not in text and "&#" not in text
    assert all(line == line.strip() and "  " not in line for line in text.split("\n"))
    assert "" not in text.split("\n") or text == ""


# --- a long post inside a full news page ------------------------------------------------------


def test_a_long_post_keeps_its_story_and_drops_the_page_around_it() -> None:
    article = extract_article(page("long_post.html"), url="https://openmodel.example/kestrel")

    assert article.title == "Larkspur AI opens the weights of Kestrel-34B under Apache 2.0"
    assert "Larkspur AI has released the full weights of Kestrel-34B" in article.text
    assert "a smaller 8-billion-parameter sibling, aimed at laptops and phones" in article.text
    assert "said Mara Okafor, Larkspur's head of research." in article.text
    for furniture in (
        "We use cookies",  # cookie banner
        "Accept all",
        "Events calendar",  # navigation
        "Share on LinkedIn",  # share box
        "Copy link",
        "Related articles",  # related links
        "We benchmarked every quantization format",
        "Subscribe to our newsletter",  # sign-up box
        "All rights reserved",  # footer
        "Privacy policy",
    ):
        assert furniture not in article.text


def test_a_long_post_reads_as_plain_paragraphs_one_per_line() -> None:
    article = extract_article(page("long_post.html"), url="https://openmodel.example/kestrel")

    assert_plain(article.text)
    assert "R&D team" in article.text  # "R&amp;D" in the page
    assert "under the Apache 2.0 licence" in article.text  # "Apache&nbsp;2.0" in the page
    lines = article.text.split("\n")
    assert (
        "The model was trained on 4.2 trillion tokens drawn from filtered web pages, public "
        "domain books, permissively licensed source code and scientific papers. According to "
        "the technical report, roughly eleven percent of the mixture is code, a share the team "
        "says was chosen after ablations showed that smaller code fractions hurt multi-step "
        "reasoning without improving prose quality."
    ) in lines


def test_a_long_post_is_not_partial_because_its_footer_offers_subscribe_and_sign_in() -> None:
    # The footer says "Subscribe" and "Already a member? Sign in", the sign-up box says
    # "Subscribe to our newsletter": a long article is still whole.
    article = extract_article(page("long_post.html"), url="https://openmodel.example/kestrel")

    assert article.partial is False
    assert article.partial_reason is None


def test_a_long_post_is_not_partial_because_of_sign_in_prompts_or_metadata() -> None:
    markup = (
        page("long_post.html")
        .decode("utf-8")
        .replace('"isAccessibleForFree": true', '"isAccessibleForFree": false')
        .replace('<footer class="post-footer">', "<p>Log in to read comments.</p><footer>")
    )
    assert "Log in to read comments" in markup and '"isAccessibleForFree": false' in markup

    article = extract_article(markup, url="https://openmodel.example/kestrel")

    assert article.partial is False
    assert "Larkspur said it would keep publishing intermediate checkpoints" in article.text


def test_a_str_page_gives_the_same_article_as_its_bytes() -> None:
    markup = page("long_post.html").decode("utf-8")

    assert extract_article(markup, url="https://x.example/") == extract_article(
        page("long_post.html"), url="https://x.example/"
    )


# --- paywall and members-only stubs -----------------------------------------------------------


def test_a_substack_paid_post_is_partial_and_keeps_its_free_preview() -> None:
    article = extract_article(page("substack_paid_stub.html"), url="https://n.example/p/heron")

    assert article.partial is True
    assert article.partial_reason == "the article is for paid subscribers only"
    assert article.title == "What the Heron-70B evals don't tell you"
    assert "I spent the weekend re-running those evaluations" in article.text
    assert "This post is for paid subscribers" not in article.text
    assert "Already a paid subscriber" not in article.text
    assert "Substack is the home" not in article.text
    assert_plain(article.text)


def test_a_ghost_members_only_post_is_partial_with_a_reason_a_reader_understands() -> None:
    article = extract_article(page("ghost_members_only.html"), url="https://osint.example/p")

    assert article.partial is True
    assert article.partial_reason == "the article is for members only"
    assert article.title == "The hidden cost of fine-tuning open models on synthetic data"
    assert article.text == (
        "Over three months we downloaded forty popular community fine-tunes of open base "
        "models and asked each of them the same two thousand questions about rare facts."
    )


def test_a_short_teaser_the_publisher_marks_as_not_free_is_partial() -> None:
    markup = """<html><head><title>Inside the Osprey training run</title>
    <script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "Inside the Osprey training run", "isAccessibleForFree": "False"}</script>
    </head><body><article><h1>Inside the Osprey training run</h1>
    <p>The Osprey team spent nine months and two failed attempts getting its
    mixture-of-experts model to train stably on a cluster of older accelerators.</p>
    </article></body></html>"""

    article = extract_article(markup, url="https://x.example/osprey")

    assert article.partial is True
    assert article.partial_reason == "the publisher marks the article as not free to read"
    assert "getting its mixture-of-experts model to train stably" in article.text


def test_a_login_wall_is_partial() -> None:
    markup = """<html><head><title>Benchmarks of the week</title></head><body><main>
    <h1>Benchmarks of the week</h1>
    <p>Three new open coding models posted results on the refreshed test set this week.</p>
    <div class="gate"><p>Log in to read the full article.</p><a href="/login">Log in</a></div>
    </main></body></html>"""

    article = extract_article(markup, url="https://x.example/bench")

    assert article.partial is True
    assert article.partial_reason == "the article can only be read after signing in"
    assert "Three new open coding models posted results" in article.text
    assert "Log in" not in article.text


def test_a_hidden_paywall_template_does_not_make_a_short_free_post_partial() -> None:
    markup = """<html><head><title>Weights for Wren-3B are up</title></head><body><article>
    <h1>Weights for Wren-3B are up</h1>
    <p>The Wren team published the 3-billion-parameter checkpoint and its tokenizer today.</p>
    <div class="paywall" hidden><h2>This post is for paid subscribers</h2>
    <p>Already a paid subscriber? Sign in</p></div></article></body></html>"""

    article = extract_article(markup, url="https://x.example/wren")

    assert article.partial is False
    assert article.text == (
        "The Wren team published the 3-billion-parameter checkpoint and its tokenizer today."
    )


def test_when_trafilatura_finds_nothing_the_article_element_is_read_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    markup = """<html><head><title>Gull 2 notes</title></head><body>
    <header><nav><a href="/">Home</a> <a href="/models">Models</a></nav></header>
    <article><h1>Gull 2 notes</h1><p>Gull 2 adds grouped-query attention
    and a 32k context &amp; ships under MIT.</p><aside>Share this post</aside></article>
    <footer>© 2025 Gull Labs</footer></body></html>"""

    article = extract_article(markup, url="https://x.example/gull")

    expected = "Gull 2 adds grouped-query attention and a 32k context & ships under MIT."
    assert article.text == expected
    assert article.title == "Gull 2 notes"


# --- a second article glued under the first ---------------------------------------------------


def test_an_infinite_scroll_page_gives_only_the_first_article() -> None:
    # The glued article is twice as long as the first: left alone, trafilatura returns both.
    article = extract_article(page("glued_next_article.html"), url="https://t.example/vireo")

    assert article.title == "Vireo 1.2 brings speculative decoding to CPU inference"
    assert "shipped version 1.2 this week with support for speculative decoding" in article.text
    assert "runs on routers and single-board computers" in article.text
    for glued in ("Tessellate", "personal medical records", "four hundred thousand dollars"):
        assert glued not in article.text
    assert "Read next" not in article.text
    assert article.partial is False


def test_a_read_next_marker_ends_the_article_even_without_article_elements() -> None:
    article = extract_article(page("glued_read_next_divs.html"), url="https://w.example/q")

    assert article.title == "Quillstack joins the Open Inference Foundation"
    assert "is moving to the Open Inference Foundation" in article.text
    assert "keep their seats on the technical steering committee" in article.text
    for glued in ("leaderboard", "canary strings", "Ines Carvalho", "Next article"):
        assert glued not in article.text


def _paragraphs(sentence: str, count: int) -> str:
    return "".join(f"<p>{sentence} {sentence} {sentence}</p>" for _ in range(count))


_FIRST = "<h1>Alpha 2 ships with a longer context</h1>" + _paragraphs(
    "Alpha 2 doubles the context window of the open Alpha model.", 3
)
_SECOND = "<h1>A dataset is pulled after an audit</h1>" + _paragraphs(
    "The Beta corpus was withdrawn after volunteers found private records in it.", 6
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            f"<header><h1>Tokenwise</h1></header><article>{_FIRST}</article>"
            f"<article>{_SECOND}</article>",
            id="the site's name is an h1 too",
        ),
        pytest.param(
            f"<article>{_FIRST}</article><article>{_SECOND.replace('h1>', 'h2>')}</article>",
            id="the glued article's title is an h2",
        ),
        pytest.param(
            f"<div class='hero'>{_FIRST[: _FIRST.index('<p>')]}</div>"
            f"<article>{_FIRST[_FIRST.index('<p>') :]}</article><article>{_SECOND}</article>",
            id="the title sits above its article",
        ),
        pytest.param(
            f"<div class='post'>{_FIRST}<p>Up next</p>{_SECOND}</div>",
            id="one container and an 'Up next' marker",
        ),
    ],
)
def test_glued_articles_are_cut_whatever_the_markup(body: str) -> None:
    article = extract_article(f"<html><body>{body}</body></html>", url="https://x.example/a")

    assert article.title == "Alpha 2 ships with a longer context"
    assert "Alpha 2 doubles the context window" in article.text
    assert "Beta corpus" not in article.text and "Up next" not in article.text


def test_an_h1_used_as_a_section_heading_does_not_cut_the_article_short() -> None:
    paragraph = "<p>" + "Open tokenizers matter for every language the model serves. " * 6 + "</p>"
    markup = f"""<html><head><title>Tokenizers, explained</title></head><body>
    <article><h1>Tokenizers, explained</h1>{paragraph}
    <h1>Byte-level fallbacks</h1><p>Byte-level fallback keeps rare scripts readable.</p>
    {paragraph.replace("Open tokenizers", "Shared vocabularies")}</article></body></html>"""

    article = extract_article(markup, url="https://x.example/tok")

    assert "Byte-level fallback keeps rare scripts readable." in article.text
    assert "Shared vocabularies matter for every language" in article.text


# --- charsets and odd pages -------------------------------------------------------------------


def test_utf8_bytes_under_a_wrong_latin1_declaration_read_without_mojibake() -> None:
    raw = page("wrong_charset.html")
    assert b"charset=iso-8859-1" in raw and "é".encode() in raw  # the fixture lies

    article = extract_article(raw, url="https://jdm.example/durand")

    assert article.title is not None and article.title.startswith("Amélie Durand: “Open weights")
    assert "“Nobody was going to build this for us,” she says." in article.text
    assert "If the weights weren’t open" in article.text
    assert "The project’s corpus — about 310 billion tokens" in article.text
    assert "a café-style drop-in programme" in article.text
    for mojibake in ("Ã", "â€", "\ufffd"):
        assert mojibake not in article.text + article.title
    assert "Accueil" not in article.text and "tous droits réservés" not in article.text


def test_a_truly_latin1_page_is_read_as_browsers_read_it() -> None:
    # Browsers read "iso-8859-1" as windows-1252, where 0x93/0x94 are curly quotes.
    markup = """<html><head><meta charset="iso-8859-1"><title>Café models</title></head>
    <body><article><h1>Café models</h1><p>“Small open models are good enough for most of
    what we do,” says the café’s owner, who runs a 3-billion-parameter model on a mini PC
    behind the counter to translate menus for tourists.</p></article></body></html>"""

    article = extract_article(markup.encode("cp1252"), url="https://x.example/cafe")

    assert article.title == "Café models"
    assert "“Small open models are good enough" in article.text
    assert "the café’s owner" in article.text


def test_legacy_bytes_under_a_utf8_label_are_read_as_windows_1252() -> None:
    markup = """<html><head><meta charset="utf-8"><title>Déjà vu</title></head><body>
    <article><h1>Déjà vu</h1><p>The señor’s naïve crème brûlée benchmark returns, and open
    models still cannot agree on how many layers a mille-feuille has.</p></article></body></html>"""

    article = extract_article(markup.encode("cp1252"), url="https://x.example/deja")

    assert article.title == "Déjà vu"
    assert "The señor’s naïve crème brûlée benchmark returns" in article.text


def test_a_page_with_no_readable_text_gives_empty_text_and_its_title() -> None:
    article = extract_article(page("near_empty.html"), url="https://hub.example/m/kestrel")

    assert article == Article(text="", title="Model Hub", partial=False, partial_reason=None)


@pytest.mark.parametrize("markup", [b"", "", "   ", b"\xef\xbb\xbf"])
def test_an_empty_response_gives_an_empty_article(markup: str | bytes) -> None:
    assert extract_article(markup, url="https://x.example/") == Article(
        text="", title=None, partial=False, partial_reason=None
    )


async def test_the_async_wrapper_gives_the_same_article() -> None:
    raw = page("substack_paid_stub.html")

    assert await extract_article_async(raw, url="https://n.example/p") == extract_article(
        raw, url="https://n.example/p"
    )


# --- teasers in feeds -------------------------------------------------------------------------

_FULL = (
    "The Open Inference Foundation accepted two new projects this month. " * 6
    + "\n"
    + "Both keep their licences and maintainers, and both will move their CI to the "
    "foundation's shared runners before the end of the year. " * 3
)


@pytest.mark.parametrize(
    ("text", "teaser"),
    [
        pytest.param("", True, id="empty"),
        pytest.param("Mistral-style MoE model released with open weights.", True, id="short"),
        pytest.param(_FULL, False, id="long full text"),
        pytest.param(_FULL + " And there is more to say…", True, id="ends with an ellipsis"),
        pytest.param(_FULL + " And there is more to say...", True, id="ends with three dots"),
        pytest.param(_FULL + " And there is more […]", True, id="wordpress [...] excerpt"),
        pytest.param(_FULL + " And there is more [...]", True, id="ascii [...] excerpt"),
        pytest.param(_FULL + " (more…)", True, id="(more…) link"),
        pytest.param(_FULL + "\nRead more", True, id="read more line"),
        pytest.param(_FULL + " Read more »", True, id="inline read more"),
        pytest.param(
            _FULL + "\nContinue reading “Two projects join the foundation” →",
            True,
            id="continue reading the named post",
        ),
        pytest.param(
            "Short summary of the release.\nThe post Vireo 1.2 ships appeared first on Tokenwise.",
            True,
            id="appeared-first boilerplate after a short text",
        ),
        pytest.param(
            _FULL + "\nThe post Two projects join appeared first on Tokenwise.",
            False,
            id="appeared-first boilerplate after a full text",
        ),
        pytest.param(
            _FULL + " We will keep reading the governance documents as they come.",
            False,
            id="'keep reading' inside a final sentence",
        ),
    ],
)
def test_looks_like_teaser(text: str, teaser: bool) -> None:
    assert looks_like_teaser(text) is teaser


def test_looks_like_teaser_honours_min_chars() -> None:
    text = "A 300-character summary. " * 12

    assert looks_like_teaser(text, min_chars=600) is True
    assert looks_like_teaser(text, min_chars=200) is False


def test_the_pages_picture_for_sharing_is_its_image() -> None:
    page = """<html><head><meta property="og:image" content="/img/cover.jpg">
    <meta name="twitter:image" content="https://cdn.example.org/t.jpg"></head>
    <body><article><p>Qwen 3.5 is out with open weights.</p></article></body></html>"""
    assert extract_article(page, url="https://news.example.org/a/1").image == (
        "https://news.example.org/img/cover.jpg"
    )
    twitter = page.replace('property="og:image" content="/img/cover.jpg"', 'name="x"')
    assert extract_article(twitter, url="https://x.org/").image == "https://cdn.example.org/t.jpg"
    hostile = page.replace("/img/cover.jpg", "javascript:alert(1)").replace(
        'name="twitter:image"', 'name="y"'
    )
    assert extract_article(hostile, url="https://x.org/").image is None
