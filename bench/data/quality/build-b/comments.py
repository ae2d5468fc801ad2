"""Write the five part-b comments (texts/comment-*.html).

Written for this corpus in commenters' voices, as part-b.json's `source` says, each as the
HTML its feed carries for one comment:
- hnrss "New Comments": HN's own comment markup (first paragraph bare, the next ones opened by
  <p>, a quoted line starting with "&gt;");
- Reddit's comment RSS: the comment's markdown rendered in <div class="md"> between the
  SC_OFF/SC_ON markers;
- WordPress comment feeds: <p> paragraphs, a quotation as <blockquote>.
Quoted lines: sqlite3-doc 3.40.1 whyc.html (public domain); aider-chat 0.86.2 HISTORY.md,
v0.86.0 (Apache-2.0); the Debian Manifesto in doc-debian 11.3+nmu1
/usr/share/doc/debian/debian-manifesto.gz (Open Publication License). No summarizer is run.

    python3 comments.py
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / 'texts'

C = {}

# HN, ferrule on "Why Is SQLite Coded in C". Quoted: whyc.html, section 3.
C['comment-hn-sqlite-rust-branches'] = (
    '&gt; Safe languages insert additional machine branches to do things like verify that array '
    'accesses are in-bounds. In correct code, those branches are never taken. That means that the '
    'machine code cannot be 100% branch tested, which is an important component of SQLite\'s '
    'quality strategy.'
    '<p>This is the weakest of the arguments on that page. In practice the Rust optimizer removes '
    'most bounds checks: walk a slice with iterators and there is no index to check at all, and '
    'if you check the length once before a loop, LLVM hoists that check and drops the ones inside '
    'the loop. What is left is a small number of panic branches that the compiler inserted, not '
    'the programmer.'
    '<p>Those are easy to recognize in the binary, so coverage tools could simply ignore '
    'compiler-inserted panic branches when they measure branch coverage. That is a tooling gap, '
    'not something inherent in the language.'
    '<p>The real obstacle is the very next paragraph: out-of-memory. SQLite is designed to recover '
    'gracefully from OOM, and the Rust standard library aborts the process on allocation failure. '
    'Until fallible allocation works across std (Box, Vec, String, the collections), a Rust SQLite '
    'would have to avoid most of the standard library, and then you have lost much of the reason '
    'to switch.'
)

# Reddit r/LocalLLaMA, lab_gpu_goblin: setup first, point last.
C['comment-reddit-3090-quants'] = (
    '<!-- SC_OFF --><div class="md">'
    '<p>My setup: a single 3090 (24 GB), llama.cpp server, and a private eval of about 200 '
    'questions from my own work (code review, SQL, reading logs) that I grade by hand.</p>\n'
    '<p>I ran it on a 32B at Q4_K_M and on a 14B at Q8_0, both fitting on the card with a decent '
    'context. The 32B at Q4_K_M beat the 14B at Q8_0 in every category, and not by a little. I '
    'also ran the 14B at Q4_K_M against the same 14B at Q8_0, and the difference was within noise.'
    '</p>\n'
    '<p>So on a 24 GB card: take the bigger model at Q4_K_M over a smaller one at Q8_0, and spend '
    'the VRAM you have left on context and KV cache, not on bits.</p>'
    '</div><!-- SC_ON -->'
)

# HN, quillon on "Aider v0.86: GPT-5 support". Quoted: HISTORY.md, Aider v0.86.0.
C['comment-hn-aider-88-percent'] = (
    '&gt; Aider wrote 88% of the code in this release.'
    '<p>People keep quoting this number as if it measured how good Aider is. It does not. It is '
    'the share of committed lines in that release that came out of Aider, and look at what the '
    'release was: GPT-5 support across family variants and providers, which is mostly repetitive '
    'model-settings boilerplate, one more entry per model name. That is exactly the kind of code '
    'a tool like this should be writing.'
    '<p>The humans still decided what to build, reviewed every diff before it was committed, and '
    'wrote the hard parts themselves. A release that reworked the repo map or the edit formats '
    'would give a very different percentage.'
    '<p>So the 88% describes the release, not the tool\'s capability. It is a nice statistic; it '
    'is not a benchmark.'
)

# WordPress comments, Dana W. on "Notes on RAG after a year": setup first, point later.
C['comment-blog-rag-date-filters'] = (
    '<p>We run search over about 400,000 court decisions and filings for a small legal research '
    'team, and for the first year we did exactly what you describe: embed the question, take the '
    'top results from the vector store, hand them to the model. We swapped embedding models three '
    'times and tuned chunk sizes for weeks, and every change moved our test set a point or two.</p>\n'
    '<p>What finally made a difference was putting an LLM query rewriting step in front of the '
    'search. The model turns "appeals about noise complaints in the Ninth Circuit from the last '
    'two years" into a short search string plus filters: date ranges, the court, the document '
    'type. The filters go to the index as filters instead of as words to embed.</p>\n'
    '<p>Recall on our test questions went up more from that one step than from all the '
    'embedding-model swaps together. Your point about query understanding is the right one: a '
    'search query should be understood, not just embedded.</p>'
)

# WordPress comments, K. Osei on "What Debian got right in 1994". Blockquote: the Debian
# Manifesto, "Why is Debian being constructed?", third paragraph.
C['comment-blog-model-distributions'] = (
    '<blockquote><p>Many distributions have started out as fairly good systems, but as time passes '
    'attention to maintaining the distribution becomes a secondary concern.</p></blockquote>\n'
    '<p>This is the line I keep coming back to, because it describes open models today. The '
    'people who convert a release to GGUF and the other quant formats are our distributions: most '
    'people never download the original weights, they download somebody\'s conversion. And like '
    'the early Linux distributions, most of those repackagers convert once and never touch the '
    'repository again.</p>\n'
    '<p>That matters more than it sounds. Upstream fixes the chat template or a tokenizer bug a '
    'week after release, and the conversions everyone is running keep the broken one. A '
    'repackager who re-quantized after the fix looks exactly like one who did not.</p>\n'
    '<p>So I would like the hubs to show it: when a repackaged model was last re-quantized, '
    'against which upstream revision, and whether it is maintained at all. Right now the '
    'rankings reward whoever converted first, which is the SLS problem all over again.</p>'
)


if __name__ == '__main__':
    for name, html in C.items():
        (OUT / f'{name}.html').write_text(html + '\n', encoding='utf-8')
        print(name, len(html))
