"""Write part-b.json from the item table below and validate it against the texts.

The original build script (kept for the record). part-b.json is committed and hand-checked:
by default this only validates the texts and says whether the table still matches the
committed part-b.json; it rewrites part-b.json only when run with --write."""
import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
from bot.content.text import html_to_text

Q = Path(__file__).resolve().parent.parent

HN_FRONT = ("https://hnrss.org/frontpage", "Hacker News: Front Page")
HN_NEW = ("https://hnrss.org/newcomments", "Hacker News: New Comments")
INSTRUCTOR_FEED = ("https://python.useinstructor.com/blog/feed_rss_created.xml", "Instructor Blog")

SQLITE = "Debian package sqlite3-doc 3.40.1-2+deb12u2 (bookworm), /usr/share/doc/sqlite3/{f}; the fragment is the page body after the navigation and table of contents, up to the 'This page last modified' footer, with relative links made absolute to https://sqlite.org/. Licence: public domain (SQLite documentation)."
INSTR = "PyPI sdist instructor-1.17.0.tar.gz, docs/blog/posts/{f}; front matter, the first H1 (the title) and '<!-- more -->' removed, markdown rendered to HTML with python-markdown 3.11 (admonition, fenced_code, tables, attr_list, md_in_html), image paths made absolute. Licence: MIT."

ITEMS = [
    # ------------------------------------------------------------------ roundups
    dict(
        id="roundup-open-models-weekly-1", kind="roundup",
        title="This Week in Open Models #41: the quantization shuffle",
        link="https://openmodelsweekly.substack.com/p/this-week-in-open-models-41",
        feed=("https://openmodelsweekly.substack.com/feed", "This Week in Open Models"),
        file="texts/roundup-open-models-weekly-1.html",
        source="assembled (intro, glue sentences and Substack boilerplate written for this corpus) from: PyPI sdist gptqmodel-7.7.0.tar.gz README.md (tagline, format/hardware line, 'Latest News' CPU inference item; Apache-2.0); autoawq-0.2.9.tar.gz README.md (deprecation notice, 'It is no secret...' paragraph, 'Alternative' lines; MIT); llmcompressor-0.14.0.1.tar.gz README.md (first sentence and feature list; Apache-2.0); optimum_quanto-0.2.7.tar.gz README.md (first sentence and feature list; Apache-2.0); bitsandbytes 0.42.0 sdist README.md (first sentence; MIT); faster-whisper-1.2.0.tar.gz README.md (first two paragraphs; MIT).",
        reference="A quantization roundup: AutoAWQ is deprecated after 0.2.9 and adopted by the vLLM project, whose llm-compressor 0.14 optimizes models for vLLM in the compressed-tensors format, and GPT-QModel 7.7.0 adds faster CPU kernels (up to 2.02x over ATen) across GPTQ, AWQ, GGUF and other formats. It also links Optimum Quanto 0.2.7, bitsandbytes 0.42.0 and faster-whisper 1.2.0, up to 4 times faster than openai/whisper.",
        facts=[["AutoAWQ"], ["llm-compressor", "llmcompressor"], ["GPT-QModel"], ["2.02x"], ["Optimum Quanto"], ["faster-whisper"]],
    ),
    dict(
        id="roundup-local-stack-notes", kind="roundup",
        title="Things I installed this week",
        link="https://www.halfbakedbytes.net/2026/11/14/things-i-installed-this-week/",
        feed=("https://www.halfbakedbytes.net/feed/", "Half-Baked Bytes"),
        file="texts/roundup-local-stack-notes.html",
        source="assembled (intro, glue and WordPress 'appeared first on' line written for this corpus; neutral blog domain) from: PyPI sdist llm_gguf-0.2.tar.gz README.md (tagline and usage paragraphs; Apache-2.0); llm_ollama-0.19.1.tar.gz README.md (tagline and quickstart; Apache-2.0); ollama 0.6.3 sdist README.md (first sentence, prerequisites; MIT); openllm-0.6.30.tar.gz README.md (first paragraph; Apache-2.0); llama-cpp-python 0.3.36 sdist README.md (first sentence and feature list; MIT); mlx-lm 0.32.2 sdist README.md (first sentence and key features; MIT); sqlite_utils-4.2.1.tar.gz README.md (tagline; Apache-2.0).",
        reference="A blogger's list of local-LLM tools: the LLM plugins llm-gguf 0.2 (runs GGUF model files) and llm-ollama 0.19.1 (models on an Ollama server), the Ollama Python library 0.6.3, OpenLLM 0.6.30 (open models as OpenAI-compatible APIs with one command), llama-cpp-python 0.3.36 and mlx-lm 0.32.2 for Apple silicon, plus the unrelated sqlite-utils 4.2.1.",
        facts=[["llm-gguf"], ["llm-ollama"], ["OpenLLM"], ["llama-cpp-python"], ["mlx-lm"], ["GGUF"]],
    ),
    dict(
        id="roundup-structured-agents-issue-12", kind="roundup",
        title="The Structured Output #12: cache keys and code agents",
        link="https://buttondown.com/structured/archive/issue-12-cache-keys-and-code-agents/",
        feed=("https://buttondown.com/structured/rss", "The Structured Output"),
        file="texts/roundup-structured-agents-issue-12.html",
        source="assembled (intro, glue and Buttondown boilerplate written for this corpus) from: PyPI sdist instructor-1.17.0.tar.gz CHANGELOG.md section [1.17.0] (Upgrade Notes and Security items; MIT); smolagents-1.26.0.tar.gz README.md (tagline and feature list; Apache-2.0); guidance-0.3.1.tar.gz README.md (first paragraph and install line; MIT); outlines 1.3.3 sdist src/outlines/release_note.md (first two paragraphs; Apache-2.0); dspy 3.4.1 sdist README.md (first paragraphs; MIT).",
        reference="Agent and structured-generation releases: Instructor 1.17.0 (isolated cache namespaces, async-validator models rejected, bounded JSON extraction), smolagents 1.26.0 (code-writing agents in about 1,000 lines, sandboxed execution, any model), Guidance 0.3.1 (constrained generation with regex and CFGs), Outlines 1.3.3 with its v1 focus on constrained generation, and DSPy 3.4.1.",
        facts=[["Instructor"], ["1.17.0"], ["smolagents"], ["Guidance"], ["Outlines"], ["DSPy"]],
    ),
    dict(
        id="roundup-eval-notes-7", kind="roundup",
        title="Eval Notes #7",
        link="https://evalnotes.substack.com/p/eval-notes-7",
        feed=("https://evalnotes.substack.com/feed", "Eval Notes"),
        file="texts/roundup-eval-notes-7.html",
        source="assembled (intro, glue and Substack boilerplate written for this corpus) from: PyPI sdist inspect_ai-0.3.285.tar.gz README.md (first and fourth paragraphs) and CHANGELOG.md entries 0.3.284/0.3.285 (MIT); lighteval-0.13.0.tar.gz README.md (first paragraph, 'Available Tasks'; MIT); lm-eval 0.4.13 sdist README.md 'Latest News' [2025/12] items (MIT); deepeval-4.3.1.tar.gz README.md (first paragraph; Apache-2.0); ragas-0.4.3.tar.gz README.md (tagline and first paragraph; Apache-2.0).",
        reference="Evaluation tool updates: Inspect 0.3.285 from the UK AI Security Institute (200+ pre-built evals, new Kimi K3.1 Pro support), Hugging Face's Lighteval 0.13.0 (1000+ tasks), lm-eval 0.4.13 (CLI subcommands, lighter install), DeepEval 4.3.1 (pytest-like unit tests for LLM apps with LLM-as-a-judge metrics) and Ragas 0.4.3 (metrics and test set generation).",
        facts=[["Inspect"], ["Lighteval"], ["1000+"], ["lm-eval"], ["DeepEval"], ["Ragas"]],
    ),
    dict(
        id="roundup-finetuning-friday-19", kind="roundup",
        title="Fine-Tuning Friday #19",
        link="https://finetuningfriday.beehiiv.com/p/issue-19",
        feed=("https://rss.beehiiv.com/feeds/finetuningfriday.xml", "Fine-Tuning Friday"),
        file="texts/roundup-finetuning-friday-19.html",
        source="assembled (intro, glue and beehiiv boilerplate written for this corpus) from: PyPI sdist unsloth 2026.3.4 sdist README.md (headline, 'Train for Free'; Apache-2.0); trl 1.16.0 sdist README.md ('What's New', Overview; Apache-2.0); peft 0.21.2 sdist README.md (first paragraphs; Apache-2.0); litgpt-0.5.13.tar.gz README.md (tagline and feature line; Apache-2.0); torchtune 0.6.1 wheel METADATA long description (Overview, 'Recent updates' February 2025; BSD-3-Clause).",
        reference="Fine-tuning releases: Unsloth 2026.3.4 (2x faster training with 70% less VRAM), TRL 1.16.0 (SFT, GRPO and DPO post-training, now on AWS Trainium), PEFT 0.21.2, LitGPT 0.5.13 (20+ LLMs with pretrain, finetune and deploy recipes) and torchtune 0.6.1 with multi-node training.",
        facts=[["Unsloth"], ["70% less VRAM"], ["TRL"], ["PEFT"], ["LitGPT"], ["torchtune"]],
    ),
    dict(
        id="roundup-search-again", kind="roundup",
        title="Search, again",
        link="https://blog.marrowfield.org/2026/11/search-again.html",
        feed=("https://blog.marrowfield.org/feeds/posts/default", "Marrowfield"),
        file="texts/roundup-search-again.html",
        source="assembled (intro, glue and Blogger footer written for this corpus; neutral blog domain) from: PyPI sdist txtai-9.14.0.tar.gz README.md (first three paragraphs; Apache-2.0); sentence-transformers 6.2.0 sdist README.md (first paragraphs; Apache-2.0); haystack-ai 3.4.1 sdist README.md (first two paragraphs; Apache-2.0); llama-index 0.14.25 sdist README.md (first two paragraphs; MIT); datasette-0.65.5.tar.gz README.md (first paragraph; Apache-2.0).",
        reference="Retrieval links: txtai 9.14.0 (an embeddings database uniting vector indexes, graphs and relational storage for semantic search and RAG), Sentence Transformers 6.2.0 (15,000+ pre-trained embedding models plus rerankers), Haystack 3.4.1 and LlamaIndex 0.14.25 (now focused on document parsing and extraction), plus Datasette 0.65.5 for publishing data.",
        facts=[["txtai"], ["Sentence Transformers"], ["15,000"], ["Haystack"], ["LlamaIndex"], ["Datasette"]],
    ),
    dict(
        id="roundup-release-notes-45", kind="roundup",
        title="Release Notes You Skipped #45",
        link="https://changelogdigest.news/issues/45",
        feed=("https://changelogdigest.news/feed/", "Changelog Digest"),
        file="texts/roundup-release-notes-45.html",
        source="assembled (intro, glue and 'appeared first on' line written for this corpus) from: PyPI sdist aider_chat-0.86.2.tar.gz README.md (first sentence) and HISTORY.md (main branch, v0.86.1, v0.86.0 entries; Apache-2.0); vllm 0.33.0 wheel METADATA (tagline, About, quantization line; Apache-2.0); gradio 6.31.0 sdist gradio/CHANGELOG.md (latest Features entries incl. the brotli CVE item; Apache-2.0); llm 0.36 sdist README.md (first paragraph, feature list; Apache-2.0); huggingface_hub 2.4.0 sdist README.md (Quick start; Apache-2.0).",
        reference="A changelog digest: vLLM 0.33.0 (LLM serving with 2000+ contributors and wide quantization support), Aider 0.86 (GPT-5 family support; Aider wrote 88% of its code), Gradio 6.31.0 (gr.Workflow changes and a brotli bump for a CVE), the LLM 0.36 CLI, and huggingface_hub 2.4.0's standalone hf CLI installer.",
        facts=[["vLLM"], ["Aider"], ["88%"], ["Gradio"], ["CVE-2026-111497", "brotli"], ["huggingface_hub"]],
    ),
    dict(
        id="roundup-saturday-pixels", kind="roundup",
        title="Saturday morning",
        link="https://quietpixels.net/2026/11/22/saturday-morning/",
        feed=("https://quietpixels.net/feed/", "Quiet Pixels"),
        file="texts/roundup-saturday-pixels.html",
        source="assembled (intro, glue and 'appeared first on' line written for this corpus; neutral blog domain) from: PyPI sdist timm 1.0.31 sdist README.md (What's New, November 3 and October 24, 2026; Apache-2.0); diffusers 0.42.1 sdist README.md (first paragraphs; Apache-2.0); open-clip-torch 3.3.0 sdist README.md (first paragraphs; MIT); openai-whisper 20250625 sdist README.md (first paragraphs; MIT); datasets 5.2.0 sdist README.md (first paragraphs; Apache-2.0); tokenizers 0.23.3 wheel METADATA (first lines; Apache-2.0).",
        reference="Links beyond chat models: timm 1.0.31 (classifier-reset and checkpoint fixes, DINOv3 SwiGLU support, forward_intermediates() on every model), Diffusers 0.42.1, OpenCLIP 3.3.0 (open CLIP trained on LAION and DataComp), Whisper 20250625 speech recognition, Datasets 5.2.0 and Tokenizers 0.23.3.",
        facts=[["timm"], ["Diffusers"], ["OpenCLIP"], ["Whisper"], ["Datasets"], ["Tokenizers"]],
    ),
    # ------------------------------------------------------------------ essays
    dict(
        id="essay-sqlite-why-not-git", kind="essay",
        title="Why SQLite Does Not Use Git",
        link="https://sqlite.org/whynotgit.html", feed=HN_FRONT,
        file="texts/essay-sqlite-why-not-git.html",
        source=SQLITE.format(f="whynotgit.html"),
        reference="SQLite uses Fossil rather than Git because Git gives poor situational awareness (no single view of all branches, hard to find a check-in's descendants), forgets historical branch names, has a needlessly complex mental model, needs more administration and third-party services like GitHub, and has a poor user experience, whereas Fossil is a single standalone binary with wiki, bug tracking and forums built in. The author does not urge others to switch, and an official read-only GitHub mirror exists.",
        facts=[["Fossil"], ["situational awareness"], ["descendents", "successors"], ["branch names"], ["mental model"], ["single standalone binary"]],
    ),
    dict(
        id="essay-sqlite-why-c", kind="essay",
        title="Why Is SQLite Coded In C",
        link="https://www.sqlite.org/whyc.html", feed=("https://lobste.rs/rss", "Lobsters"),
        file="texts/essay-sqlite-why-c.html",
        source=SQLITE.format(f="whyc.html"),
        reference="C remains the best language for SQLite because it is fast, callable from virtually every language, needs almost no runtime dependencies and is stable, 'old and boring'. An object-oriented language would limit which applications could call the library, and a 'safe' language like Rust or Go would likely add bugs and slow the code, prevent 100% branch testing and struggle to recover from out-of-memory errors; a Rust rewrite is possible only once Rust meets a list of preconditions.",
        facts=[["Performance"], ["Compatibility"], ["Low-dependency"], ["Stability"], ["Rust"], ["OOM", "out-of-memory"]],
    ),
    dict(
        id="essay-sqlite-app-file-format", kind="essay",
        title="SQLite As An Application File Format",
        link="https://www.sqlite.org/appfileformat.html", feed=HN_FRONT,
        file="texts/essay-sqlite-app-file-format.html",
        source=SQLITE.format(f="appfileformat.html"),
        reference="An SQLite database with a defined schema often makes a better application file format than a custom format, a pile of files or a ZIP-wrapped pile of files. It needs no file I/O code, keeps documents in a single file, offers SQL queries, keeps content accessible and long-lived across platforms, writes atomically and incrementally, extends easily, performs well, handles concurrent processes, works from many languages, and its schema documents the format, which makes for better applications.",
        facts=[["application file format"], ["pile-of-files"], ["single file", "single-file"], ["atomic"], ["incremental"], ["schema"]],
    ),
    dict(
        id="essay-sqlite-flexible-typing", kind="essay",
        title="The Advantages Of Flexible Typing",
        link="https://www.sqlite.org/flextypegood.html", feed=("https://lobste.rs/t/databases.rss", "Lobsters: databases"),
        file="texts/essay-sqlite-flexible-typing.html",
        source=SQLITE.format(f="flextypegood.html"),
        reference="SQLite's flexible typing is an advantage: it suits attribute tables, JSON values, dirty imported data, dynamic languages, other engines' type names and repurposed legacy columns. The author rebuts the objections: rigid type enforcement does not prevent bugs where a single Value superclass carries all data, catches only obvious data errors while hiding which sources are bad, and other engines' strictness is no argument; those who insist can use STRICT tables.",
        facts=[["flexible typing"], ["attribute"], ["dirty data"], ["rigid type enforcement"], ["STRICT tables"], ["superclass"]],
    ),
    dict(
        id="essay-debian-manifesto", kind="essay",
        title="The Debian Linux Manifesto",
        link="https://www.debian.org/doc/manuals/project-history/manifesto.en.html",
        feed=("https://planet.debian.org/rss20.xml", "Planet Debian"),
        file="texts/essay-debian-manifesto.txt",
        source="Debian package doc-debian 11.3+nmu1 (bookworm), /usr/share/doc/debian/debian-manifesto.gz, decompressed unchanged (Ian Murdock, revised 01/06/94, with the package's historical note). Licence: Open Publication License v1.0, per the package's copyright file for the www.debian.org documents.",
        reference="Murdock argues that distributions are essential to Linux yet neglected, and that commercial ones are often buggy, badly maintained and misleadingly sold (SLS being the example). Debian will instead be developed openly and modularly by people with the relevant expertise, reflecting users' needs, and distributed at little more than cost by the Free Software Foundation and the Debian Linux Association, showing that non-commercial free software can compete commercially.",
        facts=[["distributions"], ["developed openly", "design process is open"], ["SLS", "Softlanding"], ["Free Software Foundation"], ["non-commercial"], ["modular"]],
    ),
    dict(
        id="essay-rag-more-than-embeddings", kind="essay",
        title="RAG is more than just embedding search",
        link="https://python.useinstructor.com/blog/2023/09/17/rag-is-more-than-just-embedding-search/", feed=INSTRUCTOR_FEED,
        file="texts/essay-rag-more-than-embeddings.html",
        source=INSTR.format(f="rag-and-beyond.md"),
        reference="Embedding the user's query and searching one vector store ('dumb' RAG) is demoware: queries and documents may not match in embedding space, there are several search backends, a single query string loses filters such as dates, and the model cannot plan. Instead use query understanding: let the LLM rewrite the query into a structured Pydantic object (with Instructor) that routes to multiple backends, as in the Metaphor Systems and personal-assistant examples.",
        facts=[["query understanding"], ["demoware"], ["embedding"], ["backends", "search backend"], ["Metaphor Systems"], ["Pydantic"]],
    ),
    dict(
        id="essay-should-i-use-structured-outputs", kind="essay",
        title="Should I Be Using Structured Outputs?",
        link="https://python.useinstructor.com/blog/2024/08/20/should-i-be-using-structured-outputs/", feed=INSTRUCTOR_FEED,
        file="texts/essay-should-i-use-structured-outputs.html",
        source=INSTR.format(f="introducing-structured-outputs.md"),
        reference="OpenAI's Structured Outputs guarantee the schema but not useful content, so they are no replacement for instructor: they lack validation and retry logic, make streaming awkward, suffer unpredictable latency spikes (almost 20x) and lock you into OpenAI. Instructor adds automatic re-asking on Pydantic validation failures, real-time streaming validation and a provider-agnostic API.",
        facts=[["Structured Outputs"], ["validation"], ["streaming"], ["latency"], ["lock-in", "locks you into"], ["Provider-Agnostic"]],
    ),
    dict(
        id="essay-pydantic-still-all-you-need", kind="essay",
        title="Pydantic is Still All You Need: Reflections on a Year of Structured Outputs",
        link="https://python.useinstructor.com/blog/2024/09/07/pydantic-is-still-all-you-need/", feed=INSTRUCTOR_FEED,
        file="texts/essay-pydantic-still-all-you-need.html",
        source=INSTR.format(f="pydantic-is-still-all-you-need.md"),
        reference="A year after the 'Pydantic: All You Need' talk, the author holds that Pydantic schemas plus function calling are still the right way to get structured outputs from LLMs: unstructured strings cost compatibility, composability and reliability, while Pydantic gives nested models, validators with retries, streaming and partials. Structured outputs let developers own their objects, functions, control flow and prompts, keeping LLM software compatible with classical programming.",
        facts=[["Pydantic"], ["function calling"], ["validators"], ["composability"], ["own the prompts"], ["streaming"]],
    ),
    # ------------------------------------------------------------------ discussions
    dict(
        id="discussion-hn-llama-licence", kind="discussion",
        title="The Llama 3.1 Community License",
        link="https://news.ycombinator.com/item?id=41032891", feed=HN_FRONT,
        file="texts/discussion-hn-llama-licence.json",
        source="comment texts written for this corpus in commenters' voices; the licence argument adapts the Debian Free Software Guidelines (doc-debian 11.3+nmu1, /usr/share/doc/debian/social-contract.txt.gz, Open Publication License). Model and licence facts are common knowledge, not quoted.",
        reference="'Open weights, not open source': tkaczmarek and most replies say Llama 3.1's licence (acceptable use policy, 700 million MAU clause, 'Built with Llama') fails the open source test and that without training data there is no source; okonkwo disputes that (weights are what you modify, retraining is too costly); marginalia_fan replies that fine-tuning is patching a binary and rdeville cites OLMo's released data. 'Irrelevant for local use' (bitshift_, quietstorm, running it via llama.cpp) is disputed by pellucid because fine-tune naming rules and the AUP still apply, and 'just use Apache 2.0 models' (anselm_k, agreed by rdeville) draws okonkwo's caveat that not every Qwen model is Apache.",
        facts=[["open source"], ["700 million"], ["acceptable use policy"], ["training data"], ["llama.cpp"], ["Apache 2.0"]],
    ),
    dict(
        id="discussion-reddit-ollama-vs-llamacpp", kind="discussion",
        title="Ollama vs llama.cpp vs MLX: what are you actually running?",
        link="https://www.reddit.com/r/LocalLLaMA/comments/1h2k9vq/ollama_vs_llamacpp_vs_mlx_what_are_you_actually/",
        feed=("https://www.reddit.com/r/LocalLLaMA/.rss", "LocalLLaMA"),
        file="texts/discussion-reddit-ollama-vs-llamacpp.json",
        source="comment texts written for this corpus in commenters' voices, adapting feature descriptions from the READMEs of PyPI sdists ollama-0.6.3 (MIT), llama-cpp-python-0.3.36 (MIT), mlx-lm-0.32.2 (MIT) and gguf-0.19.0 (MIT).",
        reference="'Ollama is the easiest way' (gguf_enjoyer, kv_cache_miss) is disputed by ramen_inference, who says it hides settings such as a 2048-token default context, and by mlp_mixer, who says it lags upstream llama.cpp (a lag soft_prompt disputes). 'On a Mac use mlx-lm' (m3_max_owner, agreed by ramen_inference) is faster and can fine-tune, with soft_prompt's caveat that MLX needs converted models; 'the quant matters more than the runtime, Q4_K_M is the sweet spot' (quant_goblin) is agreed with tweaks: Q5_K_M for code, Q8_0 for small models.",
        facts=[["Ollama"], ["llama.cpp"], ["mlx-lm", "MLX"], ["Q4_K_M"], ["2048 context"]],
    ),
    dict(
        id="discussion-hn-benchmark-trust", kind="discussion",
        title="Ask HN: Do you still trust LLM benchmarks?",
        link="https://news.ycombinator.com/item?id=42511874", feed=HN_FRONT,
        file="texts/discussion-hn-benchmark-trust.json",
        source="comment texts written for this corpus in commenters' voices; tool descriptions adapted from the READMEs of PyPI sdists inspect_ai-0.3.285 (MIT), lighteval-0.13.0 (MIT), lm-eval-0.4.13 (MIT) and deepeval-4.3.1 (Apache-2.0).",
        reference="'Don't trust public benchmarks, run your own evals' (ferrule, backed by lindqvist and aghast_at_sql) is disputed by p_ostrander, who says newer benchmarks like GPQA still give signal; they converge, with kestrel9, on leaderboards as a coarse filter plus private evals, and marisol_dev adds that different harnesses give different numbers. 'LLM-as-a-judge is unreliable' (oakbarrel, with lindqvist confirming position bias) is disputed by marisol_dev, for whom judges work with narrow rubrics, which oakbarrel accepts if they are checked against humans.",
        facts=[["contaminated"], ["your own"], ["GPQA"], ["LLM-as-a-judge"], ["rubric"], ["coarse filter"]],
    ),
    dict(
        id="discussion-hn-sqlite-fossil", kind="discussion",
        title="Why SQLite Does Not Use Git (2018)",
        link="https://news.ycombinator.com/item?id=42230716", feed=HN_FRONT,
        file="texts/discussion-hn-sqlite-fossil.json",
        source="comment texts written for this corpus in commenters' voices, adapting the arguments of sqlite3-doc 3.40.1 whynotgit.html (public domain).",
        reference="'Fossil's single binary with wiki, tracker and forum is the big win' (wexler, ananke) is disputed by lpanzer: GitHub's network effect matters more and the staging area is a feature (backed by thornbury, disputed by ananke), while wexler notes the article only claims what works for SQLite. m_ortega finds Git's lost historical branch names the convincing point, disputed by lpanzer (PRs keep that history), and dvorak_user points to the official read-only GitHub mirror.",
        facts=[["Fossil"], ["single binary"], ["network effect"], ["staging area"], ["branch names"], ["GitHub mirror"]],
    ),
    dict(
        id="discussion-reddit-sqlite-file-format", kind="discussion",
        title="SQLite As An Application File Format",
        link="https://www.reddit.com/r/programming/comments/1gx4m2r/sqlite_as_an_application_file_format/",
        feed=("https://www.reddit.com/r/programming/.rss", "programming"),
        file="texts/discussion-reddit-sqlite-file-format.json",
        source="comment texts written for this corpus in commenters' voices, adapting the arguments of sqlite3-doc 3.40.1 appfileformat.html, flextypegood.html and useovernet.html (public domain).",
        reference="'SQLite makes a great application file format' (hexbinder, plover: atomic saves, writing only changed pages, the schema as documentation) is agreed, with aurelian_b's caveat not to use it over a network filesystem. 'Flexible typing is a footgun' (kovalenko, gregor_s) is answered by plover with STRICT tables (since 3.37.0) and disputed by hexbinder, who says rigid typing only catches obvious errors and flexible columns suit attribute tables.",
        facts=[["atomic"], ["network filesystem"], ["flexible typing"], ["STRICT"], ["3.37.0"], ["attribute tables", "attribute-table"]],
    ),
    dict(
        id="discussion-blog-autoawq-deprecated", kind="discussion",
        title="AutoAWQ is done. What now?",
        link="https://www.halfbakedbytes.net/2026/06/02/autoawq-is-done/#comments",
        feed=("https://www.halfbakedbytes.net/comments/feed/", "Comments for Half-Baked Bytes"),
        file="texts/discussion-blog-autoawq-deprecated.json",
        source="comment texts written for this corpus in commenters' voices (neutral blog domain), adapting facts from the READMEs of PyPI sdists autoawq-0.2.9 (MIT) and llmcompressor-0.14.0.1 (Apache-2.0).",
        reference="'AutoAWQ's end shows the open source funding and burnout problem' (Priya N., Tomasz) is disputed by hollis, who calls its adoption into vLLM's llm-compressor a good outcome and a better home (backed by dk_ml; Tomasz says less so for Transformers or Mac users), though hollis concedes the burnout. 'Just use GGUF' (gguf_or_bust, marta) is disputed by dk_ml as fine locally but slower for GPU serving, and hollis advises pinning AutoAWQ with Torch 2.6.0 and Transformers 4.51.3.",
        facts=[["AutoAWQ"], ["funding"], ["llm-compressor"], ["GGUF"], ["vLLM"], ["4.51.3", "pin it"]],
    ),
    dict(
        id="discussion-forum-structured-outputs", kind="discussion",
        title="Do we still need Instructor now that APIs have structured outputs?",
        link="https://tinkerlabs.dev/t/do-we-still-need-instructor-now-that-apis-have-structured-outputs/2214",
        feed=("https://tinkerlabs.dev/latest.rss", "Tinker Labs"),
        file="texts/discussion-forum-structured-outputs.json",
        source="comment texts written for this corpus in commenters' voices (neutral domain), adapting arguments from instructor-1.17.0 docs/blog/posts/introducing-structured-outputs.md (MIT), outlines-1.3.3 src/outlines/release_note.md (Apache-2.0) and guidance-0.3.1 README.md (MIT).",
        reference="To noor's question whether native structured outputs make Instructor redundant, benedikt says schema matching isn't enough (validators that re-ask, streaming validation, provider switching, backed by sasha_r's outage story), while noor and ivo_m answer that one provider plus a short retry loop suffices. hkarlsson recommends constrained decoding (Outlines, Guidance, llama.cpp grammars) for local models, agreed by ivo_m, and accepts benedikt's point that it still needs validators for meaning.",
        facts=[["structured outputs"], ["validators"], ["retry loop"], ["constrained decoding"], ["Outlines"], ["provider"]],
    ),
    # ------------------------------------------------------------------ comments
    dict(
        id="comment-hn-sqlite-rust-branches", kind="comment",
        title='New comment by ferrule in "Why Is SQLite Coded in C"',
        link="https://news.ycombinator.com/item?id=42871536", feed=HN_NEW,
        file="texts/comment-hn-sqlite-rust-branches.html",
        source="written for this corpus in a commenter's voice; the quoted line is from sqlite3-doc 3.40.1 whyc.html (public domain).",
        reference="The branch-testing objection to safe languages is weak, since Rust's optimizer removes most bounds checks (iterators, a length check before a loop) and coverage tools could ignore compiler-inserted panic branches; the real obstacle to a Rust SQLite is recovering from out-of-memory, because Rust's standard library aborts on allocation failure.",
        facts=[["bounds checks"], ["iterators"], ["coverage"], ["OOM", "out-of-memory"], ["allocation failure"]],
    ),
    dict(
        id="comment-reddit-3090-quants", kind="comment",
        title="/u/lab_gpu_goblin on Which quant for a 24GB card?",
        link="https://www.reddit.com/r/LocalLLaMA/comments/1gq8x2k/which_quant_for_a_24gb_card/lx3k9fd/",
        feed=("https://www.reddit.com/r/LocalLLaMA/comments/1gq8x2k/which_quant_for_a_24gb_card/.rss", "Which quant for a 24GB card? : LocalLLaMA"),
        file="texts/comment-reddit-3090-quants.html",
        source="written for this corpus in a commenter's voice (setup first, point last), wrapped as Reddit's comment RSS carries a comment.",
        reference="On a 24 GB card a bigger model at Q4_K_M beats a smaller one at Q8_0 (in the commenter's own eval a 32B at Q4_K_M beat a 14B at Q8_0, and Q4_K_M was within noise of Q8_0 on the same model), so spend the VRAM on context and KV cache rather than on bits.",
        facts=[["Q4_K_M"], ["bigger model"], ["32B"], ["within noise"], ["KV cache"]],
    ),
    dict(
        id="comment-hn-aider-88-percent", kind="comment",
        title='New comment by quillon in "Aider v0.86: GPT-5 support"',
        link="https://news.ycombinator.com/item?id=42903317", feed=HN_NEW,
        file="texts/comment-hn-aider-88-percent.html",
        source="written for this corpus in a commenter's voice; the quoted line is from aider_chat-0.86.2 HISTORY.md, v0.86.0 (Apache-2.0).",
        reference="The '88% written by Aider' figure is the share of committed lines in a release that was mostly repetitive model-settings boilerplate; humans still decided what to build, reviewed the diffs and wrote the hard parts, so the number describes the release, not the tool's capability.",
        facts=[["committed lines"], ["boilerplate"], ["reviewed"], ["benchmark"]],
    ),
    dict(
        id="comment-blog-rag-date-filters", kind="comment",
        title="Comment on Notes on RAG after a year by Dana W.",
        link="https://www.halfbakedbytes.net/2026/10/03/notes-on-rag-after-a-year/#comment-1187",
        feed=("https://www.halfbakedbytes.net/comments/feed/", "Comments for Half-Baked Bytes"),
        file="texts/comment-blog-rag-date-filters.html",
        source="written for this corpus in a commenter's voice (setup first, point later; neutral blog domain), echoing the argument of instructor-1.17.0 docs/blog/posts/rag-and-beyond.md (MIT).",
        reference="Putting an LLM query-rewriting step before search, which pulls date ranges, court and document type out as filters, improved recall more than all the embedding-model swaps; a search query should be understood, not just embedded.",
        facts=[["query rewriting"], ["date ranges"], ["filters"], ["recall"]],
    ),
    dict(
        id="comment-blog-model-distributions", kind="comment",
        title="Comment on What Debian got right in 1994 by K. Osei",
        link="https://quietpixels.net/2026/09/30/what-debian-got-right-in-1994/#comment-842",
        feed=("https://quietpixels.net/comments/feed/", "Comments for Quiet Pixels"),
        file="texts/comment-blog-model-distributions.html",
        source="written for this corpus in a commenter's voice (neutral blog domain); the blockquote is from the Debian Manifesto, doc-debian 11.3+nmu1 /usr/share/doc/debian/debian-manifesto.gz (Open Publication License).",
        reference="The people who convert open models to GGUF and other quants are today's distributions and, like early Linux distributions, often convert once and never update, so hubs should show whether a repackaged model is maintained (re-quantized after upstream chat-template or tokenizer fixes) instead of rewarding whoever converted first.",
        facts=[["repackager"], ["re-quantized"], ["chat template"], ["maintained"], ["GGUF"]],
    ),
]

WANT = {"roundup": 8, "essay": 8, "discussion": 7, "comment": 5}


def own_text_of_comment_html(raw: str) -> str:
    """The comment's own words: blockquotes and '&gt;' quote lines dropped."""
    raw = re.sub(r"<blockquote>.*?</blockquote>", " ", raw, flags=re.S)
    text = html_to_text(raw)
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def main() -> None:
    problems = []
    out = []
    for it in ITEMS:
        path = Q / it["file"]
        if not path.exists():
            problems.append(f"{it['id']}: missing {path}")
            continue
        raw = path.read_text(encoding="utf-8")
        if it["kind"] == "discussion":
            data = json.loads(raw)
            comments = data["comments"]
            own = "\n".join(
                "\n".join(l for l in c["text"].split("\n") if not l.startswith("> ")) for c in comments
            )
            haystack = own
            n = len(comments)
            if not 12 <= n <= 40:
                problems.append(f"{it['id']}: {n} comments")
            kids = Counter(c["parent"] for c in comments)
            parent = {c["id"]: c["parent"] for c in comments}

            def top(i):
                return i if parent[i] is None else top(parent[i])

            sub = Counter(top(c["id"]) for c in comments if c["parent"] is not None)
            if max(sub.values()) < 6:
                problems.append(f"{it['id']}: no sub-thread with 6+ replies")
            if not any(l.startswith("> ") for c in comments for l in c["text"].split("\n")):
                problems.append(f"{it['id']}: no quoting comment")
        elif it["kind"] == "comment":
            haystack = own_text_of_comment_html(raw)
        elif it["file"].endswith(".html"):
            haystack = html_to_text(raw)
        else:
            haystack = raw
        low = html.unescape(haystack).lower()
        for forms in it["facts"]:
            if not any(f.lower() in low for f in forms):
                problems.append(f"{it['id']}: fact {forms} not in text")
        if not 3 <= len(it["facts"]) <= 6:
            problems.append(f"{it['id']}: {len(it['facts'])} facts")
        for forms in it["facts"]:
            for f in forms:
                if len(f.split()) > 4:
                    problems.append(f"{it['id']}: fact form too long {f!r}")
        feed_url, feed_title = it["feed"]
        source = it["source"]
        if it["kind"] == "roundup":
            source += " Packages without an archive file name here are the versions listed in bench/data/make_corpus.py (their texts are also in bench/data/texts/)."
        out.append({
            "id": it["id"], "kind": it["kind"], "title": it["title"], "link": it["link"],
            "feed_url": feed_url, "feed_title": feed_title, "file": it["file"],
            "source": source, "reference": it["reference"], "facts": it["facts"],
        })
    counts = Counter(i["kind"] for i in out)
    if dict(counts) != WANT:
        problems.append(f"counts {dict(counts)} != {WANT}")
    if len({i["id"] for i in out}) != len(out):
        problems.append("duplicate ids")
    for p in problems:
        print("PROBLEM", p)
    new = json.dumps({"items": out}, indent=2, ensure_ascii=False) + "\n"
    if "--write" in sys.argv:
        (Q / "part-b.json").write_text(new, encoding="utf-8")
        json.loads((Q / "part-b.json").read_text(encoding="utf-8"))
    else:
        same = (Q / "part-b.json").read_text(encoding="utf-8") == new
        print("part-b.json", "matches the table" if same else "DIFFERS from the table (not written)")
    print(dict(counts), "problems:", len(problems))


main()
