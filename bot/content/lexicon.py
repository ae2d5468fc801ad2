"""The relevance lexicon: which words say an item is about open-source AI, and what news it is.

A lexicon has three kinds of terms, because words carry different evidence:

- topics ("llama.cpp", "open weights", "EU AI Act", and lightly "language model") are about
  AI by themselves, and are the AI context that confirms names and cues near them;
- names ("Llama", "Falcon", "Phi") are model families spelled like ordinary words, so they
  must be capitalized and count fully only near a topic;
- cues ("raised", "licence", "arXiv", "AI") say what kind of news an item is, and count only
  near a topic: a football club raising money is not AI funding, and a phone with "AI
  features" is not AI news.

Terms weighing less than 1 ("language model", "raised") are about AI or the news in general:
they strengthen the case for open-source AI but cannot make it (see `bot.content.relevance`).

Phrases are matched word by word, ignoring case and the separator ("open-source AI" matches
"open source AI"), with an optional plural ("LLMs", "launches"). A trailing `*` matches any ending
("quantiz*"). A short phrase with two capitals ("AI", "MIT", "LoRA") must match its case
exactly, so "LoRa" radios and "ai" never count. Ignored phrases ("Falcon 9") match nothing
and shadow names inside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.models import RELEVANCE_THRESHOLD, TAGS

# The config group of terms that carry no tag.
GENERAL = "general"
GROUPS = (GENERAL, *TAGS)
# Strong built-in terms weigh 3; past this a single word would decide every item alone.
MAX_WEIGHT = 10.0
# The weight of terms configured as a plain list, by kind.
DEFAULT_WEIGHTS = {"topics": 2.0, "names": 2.0, "cues": 0.4}

# A word: a run of letters or a run of digits ("Qwen2.5" is "Qwen", "2", "5").
ATOM = re.compile(r"[^\W\d_]+|\d+")
MIN_STEM = 4  # "rais*" is fine, "ra*" would match half the dictionary


class TermKind(StrEnum):
    """What evidence a term carries (see the module docstring); values are config keys."""

    TOPIC = "topics"
    NAME = "names"
    CUE = "cues"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Term:
    """One lexicon entry. `weight` is how strongly it says "open-source AI"; `tag` (one of
    `TAGS`, or None) is the kind of news it points at."""

    phrase: str
    kind: TermKind
    weight: float = 0.0
    tag: str | None = None
    # How the phrase is matched, derived from it.
    atoms: tuple[str, ...] = field(init=False, repr=False, compare=False)
    spelled: tuple[str, ...] = field(init=False, repr=False, compare=False)
    exact_case: bool = field(init=False, repr=False, compare=False)
    wildcard: bool = field(init=False, repr=False, compare=False)
    plural: str = field(init=False, repr=False, compare=False)  # "s", "es" or "" for none
    # The phrase as matched: the same key is the same term, however it is spelled.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        core = self.phrase.strip()
        wildcard = core.endswith("*")
        core = core.removesuffix("*")
        spelled = tuple(ATOM.findall(core))
        if not spelled:
            raise ValueError(f"{self.phrase!r} has no letters or digits to match")
        if wildcard and (not ATOM.fullmatch(core[-1]) or len(spelled[-1]) < MIN_STEM - 1):
            raise ValueError(f"{self.phrase!r}: `*` must follow a word of 3 letters or more")
        if wildcard and len(spelled) == 1 and len(spelled[0]) < MIN_STEM:
            raise ValueError(f"{self.phrase!r}: a one-word `*` needs 4 letters or more")
        if self.tag is not None and self.tag not in TAGS:
            raise ValueError(f"{self.tag!r} is not a tag (tags: {', '.join(TAGS)})")
        if self.kind is not TermKind.IGNORE and not 0 < self.weight <= MAX_WEIGHT:
            raise ValueError(f"{self.phrase!r}: weight must be > 0 and <= {MAX_WEIGHT:g}")
        last = spelled[-1]
        capitals = sum(c.isupper() for c in core)
        object.__setattr__(self, "atoms", tuple(a.lower() for a in spelled))
        object.__setattr__(self, "spelled", spelled)
        # Names are checked for a capital instead ("Llama", "LLaMA", not "llama").
        object.__setattr__(
            self, "exact_case", self.kind is not TermKind.NAME and len(core) <= 5 and capitals >= 2
        )
        object.__setattr__(self, "wildcard", wildcard)
        object.__setattr__(self, "key", " ".join(self.atoms) + ("*" if wildcard else ""))
        object.__setattr__(self, "plural", "" if wildcard else _plural_suffix(last.lower()))


@dataclass(frozen=True)
class Lexicon:
    """The terms to look for, and the score from which an item counts as relevant."""

    terms: tuple[Term, ...]
    threshold: float = RELEVANCE_THRESHOLD
    # Lowercased first word (and plural) → terms starting with it, longest first; one-word
    # `*` terms by their first four letters.
    by_word: Mapping[str, tuple[Term, ...]] = field(init=False, repr=False, compare=False)
    by_stem: Mapping[str, tuple[Term, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be > 0 and <= 1 (got {self.threshold!r})")
        by_word: dict[str, list[Term]] = {}
        by_stem: dict[str, list[Term]] = {}
        for term in self.terms:
            first = term.atoms[0]
            if term.wildcard and len(term.atoms) == 1:
                by_stem.setdefault(first[:MIN_STEM], []).append(term)
                continue
            by_word.setdefault(first, []).append(term)
            if term.plural and len(term.atoms) == 1:
                by_word.setdefault(first + term.plural, []).append(term)
        object.__setattr__(self, "by_word", _longest_first(by_word))
        object.__setattr__(self, "by_stem", _longest_first(by_stem))

    def candidates(self, word: str) -> tuple[Term, ...]:
        """Terms that may start at `word` (lowercased), longest first."""
        found = self.by_word.get(word, ())
        stemmed = self.by_stem.get(word[:MIN_STEM]) if len(word) >= MIN_STEM else None
        return found + stemmed if stemmed else found

    @classmethod
    def default(cls) -> Lexicon:
        return DEFAULT_LEXICON

    @classmethod
    def from_config(cls, raw: Mapping[str, object]) -> Lexicon:
        """Build the lexicon from the config's `[relevance]` table (see `default_lexicon_toml`).

        Raises ValueError naming the bad key (`relevance.topics.tooling`) on bad input.
        """
        _reject_unknown(raw, "relevance", {"threshold", "defaults", "disable", "ignore", *KINDS})
        threshold = raw.get("threshold", RELEVANCE_THRESHOLD)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"relevance.threshold must be a number (got {threshold!r})")
        if not 0 < threshold <= 1:
            raise ValueError(f"relevance.threshold must be > 0 and <= 1 (got {threshold!r})")
        use_defaults = raw.get("defaults", True)
        if not isinstance(use_defaults, bool):
            raise ValueError(f"relevance.defaults must be true or false (got {use_defaults!r})")

        terms = {term.key: term for term in DEFAULT_TERMS} if use_defaults else {}
        # "open weights" disables the built-in "open weight": both match the same words.
        plurals = {term.key + term.plural: term.key for term in DEFAULT_TERMS if term.plural}
        for phrase in _strings(raw, "disable"):
            key = _parse_term(f"relevance.disable: {phrase!r}", phrase, TermKind.IGNORE).key
            key = key if key in DEFAULT_KEYS else plurals.get(key, key)
            if key not in DEFAULT_KEYS:
                raise ValueError(
                    f"relevance.disable: {phrase!r} is not a built-in term "
                    "(default_lexicon_toml() lists them)"
                )
            terms.pop(key, None)
        for phrase in _strings(raw, "ignore"):
            term = _parse_term(f"relevance.ignore: {phrase!r}", phrase, TermKind.IGNORE)
            terms[term.key] = term
        # A configured term replaces a built-in one with the same key, keeping its place.
        for kind in KINDS:
            section = raw.get(kind, {})
            if not isinstance(section, Mapping):
                raise ValueError(f"[relevance.{kind}] must be a table of groups")
            _reject_unknown(section, f"relevance.{kind}", set(GROUPS))
            for group, entries in section.items():
                for term in _group_terms(
                    f"relevance.{kind}.{group}", TermKind(kind), group, entries
                ):
                    terms[term.key] = term
        return cls(terms=tuple(terms.values()), threshold=float(threshold))


KINDS = (TermKind.TOPIC.value, TermKind.NAME.value, TermKind.CUE.value)


def _plural_suffix(word: str) -> str:
    if not word.isalpha():
        return ""  # a version number takes no plural
    return "es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s"


def _longest_first(index: dict[str, list[Term]]) -> dict[str, tuple[Term, ...]]:
    return {k: tuple(sorted(v, key=lambda t: -len(t.atoms))) for k, v in index.items()}


def _reject_unknown(table: Mapping[str, object], where: str, known: set[str]) -> None:
    for key in table:
        if key not in known:
            raise ValueError(f"unknown key {where}.{key} (known keys: {', '.join(sorted(known))})")


def _strings(raw: Mapping[str, object], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"relevance.{key} must be a list of strings (got {value!r})")
    return value


def _parse_term(
    where: str, phrase: str, kind: TermKind, weight: float = 0.0, tag: str | None = None
) -> Term:
    try:
        return Term(phrase, kind, weight, tag)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _group_terms(where: str, kind: TermKind, group: str, entries: object) -> Iterable[Term]:
    tag = None if group == GENERAL else group
    if isinstance(entries, list) and all(isinstance(e, str) for e in entries):
        weighted = {phrase: DEFAULT_WEIGHTS[kind.value] for phrase in entries}
    elif isinstance(entries, Mapping):
        weighted = dict(entries)
    else:
        raise ValueError(
            f"{where} must be a list of terms or a table of term = weight (got {entries!r})"
        )
    for phrase, weight in weighted.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValueError(f"{where}.{phrase!r} must be a number (got {weight!r})")
        yield _parse_term(f"{where}.{phrase!r}", phrase, kind, float(weight), tag)


def default_lexicon_toml() -> str:
    """The built-in lexicon as a `[relevance]` TOML block that `Lexicon.from_config` reads back."""
    ignored = ", ".join(_toml_string(t.phrase) for t in _of_kind(TermKind.IGNORE))
    lines = [
        "[relevance]",
        '# Items scoring at least this (0 to 1) are relevant; feeds with filter = "relevant"',
        "# post only those.",
        f"threshold = {RELEVANCE_THRESHOLD}",
        "# The built-in terms below apply unless this is false. Deleting a line does not remove",
        "# a built-in term: list it under disable instead.",
        "defaults = true",
        '# Built-in terms to switch off, as written below, e.g. ["Phi", "Whisper"].',
        "disable = []",
        "# Phrases that are never evidence; they hide the names inside them.",
        f"ignore = [{ignored}]",
        "",
        "# Each table below is one group: general (no tag) or a tag. Write term = weight, or a",
        '# list of terms (general = ["Foo", "Bar"]) for the default weight. Matching ignores case',
        "# and separators and allows a plural; a trailing * matches any ending; a short term with",
        "# two capitals (LoRA) must match its case. Weights of 1 or more say open-source AI;",
        "# lighter terms are about AI or news in general and can add only a little on their own.",
    ]
    comments = {
        TermKind.TOPIC: "Topics: about AI by themselves, and the context names and cues need.",
        TermKind.NAME: "Names: model families spelled like ordinary words. They must be"
        "\n# capitalized and count fully only near a topic or with a version (Llama 3.1).",
        TermKind.CUE: "Cues: what kind of news. They count fully only near a topic.",
    }
    for kind, comment in comments.items():
        lines += ["", f"# {comment}"]
        for group in GROUPS:
            terms = [t for t in _of_kind(kind) if (t.tag or GENERAL) == group]
            if terms:
                lines.append(f"[relevance.{kind.value}.{group}]")
                lines += [f"{_toml_string(t.phrase)} = {t.weight:g}" for t in terms]
    return "\n".join(lines) + "\n"


def _of_kind(kind: TermKind) -> list[Term]:
    return [t for t in DEFAULT_TERMS if t.kind is kind]


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _build(kind: TermKind, groups: Mapping[str, Mapping[str, float]]) -> Iterable[Term]:
    for group, phrases in groups.items():
        for phrase, weight in phrases.items():
            yield Term(phrase, kind, weight, None if group == GENERAL else group)


# The built-in lexicon. Topic weights: 3 = only ever about open-source AI, 2 = almost always,
# 1 = open-source AI or its tools most of the time, below 1 = AI in general (proprietary AI
# news should not pass on these alone). Cues are light: they decide tags more than relevance.
_TOPICS: dict[str, dict[str, float]] = {
    GENERAL: {
        "open-source AI": 3, "open-source LLM": 3, "open-source model": 2.5, "open LLM": 2.5,
        "local LLM": 2.5, "open model": 1.5, "small language model": 0.6, "LLM": 0.4,
        "language model": 0.4, "large language model": 0.5, "foundation model": 0.4,
        "AI model": 0.4, "frontier model": 0.3, "reasoning model": 0.4, "multimodal model": 0.4,
        "vision-language model": 0.6, "VLM": 0.4, "diffusion model": 0.6, "text-to-image": 0.4,
        "text-to-speech": 0.4, "speech-to-text": 0.4, "speech recognition": 0.4,
        "mixture of experts": 0.6, "MoE": 0.4, "transformer model": 0.4, "embedding model": 0.6,
        "retrieval-augmented generation": 0.4, "RAG": 0.3, "AI agent": 0.3,
        "context window": 0.4, "tokenizer": 0.5, "generative AI": 0.3, "GenAI": 0.3,
        "AI lab": 0.3, "AI startup": 0.3, "chatbot": 0.3, "training data": 0.3,
        "synthetic data": 0.3, "RLHF": 0.5, "pretrain*": 0.5, "pre-train*": 0.5,
        "fine-tun*": 1.2, "finetun*": 1.2, "LoRA": 2, "QLoRA": 2.5, "PEFT": 2,
        "Hugging Face": 2.5, "HuggingFace": 2.5, "Mistral AI": 3, "Meta AI": 0.5, "Ai2": 2,
        "Allen Institute for AI": 2, "Stability AI": 2.5, "EleutherAI": 3, "Together AI": 1.5,
        "Nous Research": 2.5, "Black Forest Labs": 2.5, "Moonshot AI": 1.5, "Zhipu": 1.5,
        "Technology Innovation Institute": 2,
        "Mixtral": 3, "Codestral": 3, "Pixtral": 3, "Ministral": 3, "Devstral": 3,
        "Magistral": 3, "Qwen": 3, "QwQ": 3, "DeepSeek": 3, "OLMo": 3, "Molmo": 2.5,
        "StarCoder": 3, "SantaCoder": 2.5, "Code Llama": 3, "CodeLlama": 3, "TinyLlama": 3,
        "OpenLLaMA": 3, "Stable Diffusion": 3, "SDXL": 2.5, "StableLM": 3, "Stable LM": 3,
        "Nemotron": 3, "InternLM": 3, "ChatGLM": 3, "MiniCPM": 3, "SmolLM": 3, "BLOOM": 2,
        "GPT-J": 2.5, "GPT-NeoX": 2.5, "gpt-oss": 3, "DBRX": 2.5, "Command R": 2,
        "Hunyuan": 2.5, "HunyuanVideo": 2.5, "RWKV": 2.5, "MusicGen": 2.5, "AudioCraft": 2.5,
        "Stable Audio": 2.5, "Segment Anything": 2.5, "ControlNet": 2.5, "BERT": 1,
        "RoBERTa": 1,
    },
    "model-release": {"open weight": 3, "model weights": 2, "model card": 2},
    "tooling": {
        "llama.cpp": 3, "llama-server": 2.5, "llama-cli": 2.5, "whisper.cpp": 3,
        "stable-diffusion.cpp": 3, "GGUF": 3, "GGML": 3, "Ollama": 3, "vLLM": 3, "TGI": 2,
        "text-generation-inference": 3, "text-generation-webui": 3, "MLX": 2.5, "ExLlama": 3,
        "ExLlamaV2": 3, "EXL2": 2.5, "LM Studio": 3, "SGLang": 3, "TensorRT-LLM": 3,
        "TensorRT": 1.5, "llamafile": 3, "KoboldCpp": 3, "Open WebUI": 2.5, "LocalAI": 2.5,
        "GPT4All": 3, "LlamaIndex": 2.5, "LangChain": 2, "Transformers.js": 2.5,
        "Diffusers": 2, "safetensors": 2.5, "bitsandbytes": 2.5, "AWQ": 2.5, "GPTQ": 2.5,
        "Unsloth": 3, "DeepSpeed": 2, "PyTorch": 1.2, "ONNX": 1.2, "ONNX Runtime": 1.5,
        "ExecuTorch": 2.5, "MLC LLM": 2.5, "ComfyUI": 2.5, "OpenVINO": 1.5, "llm.c": 2,
        "quantiz*": 1.2, "inference engine": 1.5, "inference server": 1.5,
        "tokens per second": 1, "CUDA": 0.5, "ROCm": 1,
    },
    "research": {
        "Open LLM Leaderboard": 3, "Papers with Code": 1.5, "LMArena": 0.4,
        "Chatbot Arena": 0.4, "MMLU": 0.5, "HumanEval": 0.5, "GSM8K": 0.5, "SWE-bench": 0.5,
        "ARC-AGI": 0.4, "GPQA": 0.5, "MT-Bench": 0.5, "NeurIPS": 0.5, "ICLR": 0.5, "ICML": 0.5,
        "EMNLP": 0.5, "scaling law": 0.5, "attention mechanism": 0.5,
        "transformer architecture": 0.5, "interpretability": 0.4, "in-context learning": 0.5,
        "chain-of-thought": 0.4,
    },
    "licensing": {
        "OpenRAIL": 3, "RAIL licen*": 2, "Responsible AI Licen*": 3, "CreativeML": 2.5,
        "Llama licen*": 3, "Llama Community Licen*": 3, "Gemma Terms of Use": 3,
        "Gemma licen*": 3, "model licen*": 2, "open-source AI definition": 3, "OSAID": 3,
    },
    "policy": {
        "EU AI Act": 3, "AI Act": 2.5, "AI Office": 1.5, "GPAI": 2.5, "general-purpose AI": 1,
        "SB 1047": 2.5, "AI regulation": 1, "AI safety": 0.5, "AI policy": 1,
        "AI executive order": 1, "AI diffusion rule": 1.5,
    },
    "community": {"LocalLLaMA": 3, "open-source AI community": 3},
}  # fmt: skip

_NAMES: dict[str, dict[str, float]] = {
    GENERAL: {
        "Llama": 2.5, "Mistral": 2.5, "Falcon": 2, "Phi": 2, "Gemma": 2.5, "Whisper": 2,
        "FLUX": 2, "Mamba": 1.5, "Jamba": 1.5, "Vicuna": 1.5, "Alpaca": 1.5, "Zephyr": 1.5,
        "Granite": 1.5, "Kimi": 1.5, "Hermes": 1.5, "Pythia": 1, "Orca": 1,
    },
    "tooling": {"Axolotl": 2},
}  # fmt: skip

_CUES: dict[str, dict[str, float]] = {
    GENERAL: {
        "open source": 1, "open-sourced": 1, "open-sourcing": 1, "AI": 0.2,
        "artificial intelligence": 0.2, "machine learning": 0.3, "deep learning": 0.3,
        "neural network": 0.3, "GitHub": 0.2,
    },
    "model-release": {
        "release": 0.4, "released": 0.4, "releasing": 0.4, "launch": 0.3, "launched": 0.3,
        "launching": 0.3, "unveil*": 0.3, "weights": 0.4, "checkpoint": 0.6, "parameter": 0.4,
        "billion parameter": 0.8, "instruct": 0.4, "base model": 0.6, "model family": 0.6,
        "new model": 0.6, "now available": 0.2, "download": 0.2, "context length": 0.4,
        "variant": 0.3,
    },
    "tooling": {
        "runtime": 0.4, "inference": 0.3, "library": 0.2, "CLI": 0.2, "GPU": 0.2,
        "Apple Silicon": 0.4, "locally": 0.3, "self-host*": 0.4, "changelog": 0.4,
        "release notes": 0.2, "pull request": 0.2, "backend": 0.2, "bug fix": 0.2,
        "speedup": 0.2, "Vulkan": 0.4, "SDK": 0.2, "framework": 0.2, "plugin": 0.2,
        "server": 0.2,
    },
    "research": {
        "paper": 0.4, "preprint": 0.4, "arXiv": 0.6, "we propose": 0.4, "we introduce": 0.4,
        "we present": 0.4, "we show": 0.2, "state of the art": 0.4, "experiment": 0.2,
        "ablation": 0.4, "outperform*": 0.3, "benchmark": 0.3, "leaderboard": 0.4,
        "evaluation": 0.2, "eval": 0.2, "dataset": 0.3, "researchers": 0.2, "study": 0.2,
        "technical report": 0.4, "reinforcement learning": 0.3,
    },
    "licensing": {
        "licen*": 0.3, "relicens*": 0.5, "community licen*": 0.4, "Apache 2.0": 0.5,
        "Apache licen*": 0.5, "MIT licen*": 0.5, "GPL": 0.3, "copyleft": 0.4,
        "Creative Commons": 0.4, "CC BY-NC": 0.5, "non-commercial": 0.4, "noncommercial": 0.4,
        "commercial use": 0.4, "acceptable use polic*": 0.6, "terms of use": 0.3,
        "Open Source Initiative": 0.6, "OSI": 0.4, "open source definition": 0.6,
        "usage restriction": 0.4, "permissive": 0.4, "attribution": 0.2,
    },
    "policy": {
        "regulat*": 0.4, "legislation": 0.4, "lawmaker": 0.4, "Congress": 0.2, "Senate": 0.2,
        "European Commission": 0.4, "European Parliament": 0.4, "export control": 0.6,
        "export restriction": 0.5, "sanction": 0.2, "executive order": 0.4, "ban": 0.2,
        "banned": 0.2, "compliance": 0.2, "exemption": 0.5, "exempt": 0.4, "obligation": 0.3,
        "code of practice": 0.5, "copyright": 0.2, "government": 0.2, "White House": 0.3,
        "Commerce Department": 0.3, "national security": 0.3, "lawsuit": 0.2, "policy": 0.2,
        "policies": 0.2,
    },
    "funding": {
        "raise": 0.4, "raised": 0.4, "raising": 0.4, "funding": 0.4, "funding round": 0.6,
        "Series A": 0.6, "Series B": 0.6, "Series C": 0.6, "Series D": 0.6, "seed round": 0.6,
        "seed funding": 0.6, "pre-seed": 0.6, "valuation": 0.6, "valued at": 0.6,
        "valuing": 0.6, "investor": 0.4, "venture capital": 0.4, "backed by": 0.2,
        "Andreessen Horowitz": 0.4, "a16z": 0.4, "Sequoia": 0.2, "Lightspeed": 0.2,
        "unicorn": 0.4, "IPO": 0.4, "acquire": 0.3, "acquired": 0.3, "acquisition": 0.3,
        "investment": 0.2,
    },
    "community": {
        "meetup": 0.5, "hackathon": 0.5, "conference": 0.2, "community": 0.3,
        "contributor": 0.2, "discussion": 0.2, "Discord": 0.2, "AMA": 0.4, "livestream": 0.2,
        "workshop": 0.2, "Show HN": 0.3, "Ask HN": 0.3, "forum": 0.2, "subreddit": 0.4,
        "Reddit": 0.2, "GitHub stars": 0.3, "podcast": 0.2, "interview": 0.2,
        "governance": 0.2, "maintainer": 0.3, "volunteer": 0.2, "open letter": 0.3,
    },
}  # fmt: skip

_IGNORED = ("Falcon 9", "Falcon Heavy", "Phi Beta Kappa", "Gemma Chan")

DEFAULT_TERMS: tuple[Term, ...] = (
    *_build(TermKind.TOPIC, _TOPICS),
    *_build(TermKind.NAME, _NAMES),
    *_build(TermKind.CUE, _CUES),
    *(Term(phrase, TermKind.IGNORE) for phrase in _IGNORED),
)
DEFAULT_KEYS = frozenset(term.key for term in DEFAULT_TERMS)
DEFAULT_LEXICON = Lexicon(terms=DEFAULT_TERMS)
