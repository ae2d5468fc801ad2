"""Write the eight part-b roundups (texts/roundup-*.html).

Each roundup is assembled by hand, as part-b.json's `source` says: an intro paragraph, 4-8
linked items (a heading linking the real PyPI project page of the version named, or the
GitHub release tag where the package's own changelog shows that tag's form) and the
newsletter's or blog's boilerplate at the end. The intro, the glue between items and the
boilerplate were written for this corpus; the items' sentences are quoted or lightly
condensed from the README / changelog / release-note files that each item's `source` names:

- sdists in /tmp/qb_dl (pip download --no-deps --no-binary :all: NAME==VERSION -d /tmp/qb_dl):
  gptqmodel 7.7.0, autoawq 0.2.9, llmcompressor 0.14.0.1, optimum-quanto 0.2.7,
  faster-whisper 1.2.0, llm-gguf 0.2, llm-ollama 0.19.1, openllm 0.6.30, sqlite-utils 4.2.1,
  instructor 1.17.0, smolagents 1.26.0, guidance 0.3.1, inspect-ai 0.3.285, lighteval 0.13.0,
  deepeval 4.3.1, ragas 0.4.3, litgpt 0.5.13, txtai 9.14.0, datasette 0.65.5, aider-chat 0.86.2;
- the other packages at the versions of bench/data/make_corpus.py, read from their texts in
  bench/data/texts/ (bitsandbytes, ollama, llama-cpp-python, mlx-lm, outlines, dspy, lm-eval,
  unsloth, trl, peft, torchtune, sentence-transformers, haystack, llama-index, vllm, gradio,
  llm, huggingface-hub, timm, diffusers, open-clip, whisper, datasets, tokenizers).

The texts are the gold standard's inputs: no summarizer is ever run to make them.

    python3 roundups.py
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / 'texts'


def item(url, title, *paras, tag='h3'):
    body = '\n'.join(p if p.lstrip().startswith('<') else f'<p>{p}</p>' for p in paras)
    return f'<{tag}><a href="{url}">{title}</a></{tag}>\n{body}'


def ul(*lis):
    return '<ul>\n' + '\n'.join(f'<li>{li}</li>' for li in lis) + '\n</ul>'


def page(*parts):
    return '\n\n'.join(parts) + '\n'


R = {}

# ---------------------------------------------------------------------------------- Substack
R['roundup-open-models-weekly-1'] = page(
    '<p>Welcome back to This Week in Open Models. This was the week the quantization tooling '
    'reshuffled: one of the most-used AWQ libraries handed itself over to the vLLM project, and '
    'everyone else kept shipping. Here is what changed and where to find it.</p>',
    item('https://pypi.org/project/autoawq/0.2.9/', 'AutoAWQ 0.2.9: deprecated, adopted by vLLM',
         'The README now opens with the news: the vLLM project has fully adopted AutoAWQ. '
         '"It is no secret that maintaining a project such as AutoAWQ that has 2+ million '
         'downloads, 7000+ models on Huggingface, and 2.1k stars is hard for a solo developer '
         'who is doing this in their free time."',
         'AutoAWQ is officially deprecated and will no longer be maintained; the last tested '
         'configuration used Torch 2.6.0 and Transformers 4.51.3. As alternatives, the README '
         'says AutoAWQ has been adopted by the vLLM Project in llm-compressor, and MLX-LM now '
         'supports AWQ for Mac devices.'),
    item('https://pypi.org/project/llmcompressor/0.14.0.1/', 'llm-compressor 0.14',
         'Which makes this the obvious next stop. <code>llmcompressor</code> is the fast, '
         'efficient, and easy-to-use library for optimizing models for deployment with vLLM, '
         'including:',
         ul('Comprehensive set of quantization algorithms and transforms for weight, activation, '
            'KV cache, and attention quantization',
            'Seamless integration with Hugging Face models and repositories',
            'Models saved in the <code>compressed-tensors</code> format, compatible with vLLM',
            'DDP and disk offloading support for compressing very large models with hardware '
            'efficiency')),
    item('https://github.com/ModelCloud/GPTQModel/releases/tag/v7.7.0', 'GPT-QModel 7.7.0',
         'An extensible platform for LLM quantization, validation, and deployment: GPTQ, AWQ, '
         'ParoQuant, GGUF, FP8, EXL3, QQQ, and more, across NVIDIA CUDA, AMD ROCm, Huawei Ascend, '
         'Intel XPU, and CPU, with Transformers, vLLM, and SGLang.',
         'The 7.7.0 headline is CPU inference: a shared AVX512-BF16 kernel for GPTQ/AWQ group '
         'sizes 16 to 512, prioritized ahead of ATen when supported, plus packed low-precision '
         'CPU decode paths for QQQ, VPTQ, EXL3, FP8, NVFP4, and BitsAndBytes. GPTQ/AWQ measured '
         'up to 2.02x faster than ATen; BitsAndBytes INT8 reached 1.28x at M=64.'),
    item('https://pypi.org/project/optimum-quanto/0.2.7/', 'Optimum Quanto 0.2.7',
         'Optimum Quanto is a pytorch quantization backend for optimum. It has been designed '
         'with versatility and simplicity in mind:',
         ul('all features are available in eager mode (works with non-traceable models),',
            'quantized models can be placed on any device (including CUDA and MPS),',
            'serialization compatible with pytorch <code>weight_only</code> and '
            '<code>safetensors</code>,',
            'supports int2, int4, int8 and float8 weights, and int8 and float8 activations.')),
    item('https://pypi.org/project/bitsandbytes/0.42.0/', 'bitsandbytes 0.42.0',
         'Still the one most of us reach for first: bitsandbytes is a lightweight wrapper around '
         'CUDA custom functions, in particular 8-bit optimizers, matrix multiplication '
         '(LLM.int8()), and quantization functions.'),
    item('https://pypi.org/project/faster-whisper/1.2.0/', 'faster-whisper 1.2.0',
         'Not a language model, but the same trick: faster-whisper is a reimplementation of '
         "OpenAI's Whisper model using CTranslate2, which is a fast inference engine for "
         'Transformer models.',
         'This implementation is up to 4 times faster than openai/whisper for the same accuracy '
         'while using less memory. The efficiency can be further improved with 8-bit '
         'quantization on both CPU and GPU.'),
    '<p>That is all for #41. If you moved a model off AutoAWQ this week, reply and tell me what '
    'you moved it to.</p>',
    '<p>Thanks for reading This Week in Open Models! Subscribe for free to receive new posts and '
    'support my work.</p>\n'
    '<p><a href="https://openmodelsweekly.substack.com/p/this-week-in-open-models-41'
    '?utm_source=substack&amp;utm_medium=email&amp;utm_content=share&amp;action=share">Share</a>'
    '</p>',
)

# ------------------------------------------------------------------------ WordPress, personal
R['roundup-local-stack-notes'] = page(
    '<p>I rebuilt the local-model setup on my laptop this week, which means another round of '
    '<code>pip install</code>. Here is everything that ended up on it, each with the pitch from '
    'its own README so that future me remembers why it is there.</p>',
    item('https://pypi.org/project/llm-gguf/0.2/', 'llm-gguf 0.2',
         'The first of two plugins for the LLM command-line tool: run models distributed as GGUF '
         'files using LLM. You can either ask the plugin to download these directly, or you can '
         'register models you have already downloaded. <code>llm chat</code> starts a persistent '
         'chat session with the model, which avoids having to load the model into memory for '
         'each prompt.'),
    item('https://pypi.org/project/llm-ollama/0.19.1/', 'llm-ollama 0.19.1',
         'The second LLM plugin, providing access to models running on an Ollama server. By '
         'default, the plugin connects to a local Ollama server; it automatically discovers all '
         'models available on the server and registers them with LLM, under their Ollama names '
         'prefixed with <code>ollama/</code>.'),
    item('https://pypi.org/project/ollama/0.6.3/', 'ollama 0.6.3',
         'The Ollama Python library provides the easiest way to integrate Python 3.8+ projects '
         'with Ollama. Prerequisites: Ollama should be installed and running, and you pull a '
         'model to use with the library first (<code>ollama pull gemma4</code>, for example).'),
    item('https://pypi.org/project/openllm/0.6.30/', 'OpenLLM 0.6.30',
         'OpenLLM allows developers to run any open-source LLMs (Llama 3.3, Qwen2.5, Phi3 and '
         'more) or custom models as OpenAI-compatible APIs with a single command. It features a '
         'built-in chat UI, state-of-the-art inference backends, and a simplified workflow for '
         'creating enterprise-grade cloud deployment with Docker, Kubernetes, and BentoCloud.'),
    item('https://pypi.org/project/llama-cpp-python/0.3.36/', 'llama-cpp-python 0.3.36',
         "Simple Python bindings for @ggerganov's llama.cpp library. This package provides:",
         ul('Low-level access to C API via ctypes interface.',
            'High-level Python API for text completion',
            'OpenAI-like API',
            'OpenAI compatible web server',
            'Function Calling support',
            'Vision API support')),
    item('https://pypi.org/project/mlx-lm/0.32.2/', 'mlx-lm 0.32.2',
         'For the Mac: MLX LM is a Python package for generating text and fine-tuning large '
         'language models on Apple silicon with MLX. Some key features include:',
         ul('Integration with the Hugging Face Hub to easily use thousands of LLMs with a single '
            'command.',
            'Support for quantizing and uploading models to the Hugging Face Hub.',
            'Low-rank and full model fine-tuning with support for quantized models.')),
    item('https://pypi.org/project/sqlite-utils/4.2.1/', 'sqlite-utils 4.2.1',
         'Nothing to do with models, but it was in the same install line and I use it every '
         'week: a Python CLI utility and library for manipulating SQLite databases.'),
    '<p>That is the lot. Next week: finding out which of these I actually keep.</p>',
    '<p>The post <a href="https://www.halfbakedbytes.net/2026/11/14/things-i-installed-this-week/">'
    'Things I installed this week</a> appeared first on '
    '<a href="https://www.halfbakedbytes.net">Half-Baked Bytes</a>.</p>',
)

# -------------------------------------------------------------------------------- Buttondown
R['roundup-structured-agents-issue-12'] = page(
    '<p>Issue 12. Two themes this time: Instructor 1.17.0 changes how its cache keys work (read '
    'the upgrade notes before you deploy it), and smolagents keeps making the case for agents '
    'that write code. Plus the usual constrained-generation corner.</p>',
    item('https://pypi.org/project/instructor/1.17.0/', 'Instructor 1.17.0', (
         'Mostly a security and correctness release, with three upgrade notes worth knowing:'),
         ul('Cached responses use new keys and isolated per-client namespaces. Existing cache '
            'entries will miss. Set the same explicit <code>cache_namespace</code> only when '
            'clients are intended to share results.',
            'Response models with Instructor async-validator decorators are rejected before '
            'provider calls or cache lookup, including nested models. Use Pydantic validators '
            'or explicitly await application-level validation after extraction.',
            'Remote media URLs must resolve to public addresses and cannot contain credentials.'),
         'On the security side, JSON extraction is now bounded to 1 MiB of characters and 128 '
         'nesting levels, and avoids repeatedly scanning malformed suffixes.', tag='h2'),
    item('https://pypi.org/project/smolagents/1.26.0/', 'smolagents 1.26.0',
         'Agents that think in code! <code>smolagents</code> is a library that enables you to '
         'run powerful agents in a few '
         'lines of code. It offers:',
         ul('Simplicity: the logic for agents fits in ~1,000 lines of code.',
            'First-class support for Code Agents: the <code>CodeAgent</code> writes its actions '
            'in code. To make it secure, it supports executing in sandboxed environments via '
            'Blaxel, E2B, Modal, or Docker.',
            'Model-agnostic: smolagents supports any LLM, from a local transformers or ollama '
            'model to many providers on the Hub, or OpenAI, Anthropic and others via LiteLLM.'),
         tag='h2'),
    item('https://pypi.org/project/guidance/0.3.1/', 'Guidance 0.3.1',
         'Guidance is an efficient programming paradigm for steering language models. It allows '
         'users to constrain generation (e.g. with regex and CFGs) as well as to interleave '
         'control (conditionals, loops, tool use) and generation seamlessly.',
         'It supports a variety of backends (Transformers, llama.cpp, OpenAI, etc.); if you '
         'already have the backend required for your model, <code>pip install guidance</code> is '
         'all it takes.', tag='h2'),
    item('https://pypi.org/project/outlines/1.3.3/', 'Outlines 1.3.3',
         'A good moment to reread the v1 release note that still ships with it: "The v1 intends '
         'on making Outlines more closely focused on constrained generation. To do so, we '
         'delegate a wider range of tasks to the users and inference libraries."',
         'Our approach is inspired by the unix best practices — each element does one thing '
         'well, and we compose those functional elements.', tag='h2'),
    item('https://pypi.org/project/dspy/3.4.1/', 'DSPy 3.4.1',
         'DSPy is the framework for programming—rather than prompting—language models. It allows '
         'you to iterate fast on building modular AI systems and offers algorithms for '
         'optimizing their prompts and weights. DSPy stands for Declarative Self-improving '
         'Python.', tag='h2'),
    '<p>That is issue 12. Forward it to whoever on your team still parses JSON with a regex.</p>',
    '<p>You are receiving this because you subscribed to The Structured Output. '
    '<a href="https://buttondown.com/structured/unsubscribe">Unsubscribe</a> · '
    '<a href="https://buttondown.com/structured/archive/issue-12-cache-keys-and-code-agents/">'
    'View in browser</a></p>\n'
    '<p>Powered by <a href="https://buttondown.com">Buttondown</a>.</p>',
)

# ---------------------------------------------------------------------------------- Substack
R['roundup-eval-notes-7'] = page(
    '<p>Eval Notes #7. A quiet fortnight for new benchmarks and a busy one for the tools that '
    'run them. Five updates, from harnesses to LLM-app test suites.</p>',
    item('https://github.com/UKGovernmentBEIS/inspect_ai/releases/tag/0.3.285', 'Inspect 0.3.285',
         'Inspect is a framework for large language model evaluations created by the UK AI '
         'Security Institute. Inspect also includes a collection of over 200 pre-built '
         'evaluations ready to run on any model.',
         'The last two releases came out the same day: 0.3.284 supports Kimi K3.1 Pro and K3.1 '
         'Pro Highspeed and lets the viewer play asciicasts stored in the sample store; 0.3.285 '
         'adds a viewer Terminals tab for recorded terminal sessions and a merged Info tab.'),
    item('https://pypi.org/project/lighteval/0.13.0/', 'Lighteval 0.13.0',
         "Hugging Face's toolkit: Lighteval is your all-in-one toolkit for evaluating LLMs across "
         'multiple backends, whether your model is being served somewhere or already loaded in '
         'memory. Dive deep into your model\'s performance by saving and exploring detailed, '
         'sample-by-sample results.',
         'Lighteval supports 1000+ evaluation tasks across multiple domains and languages, from '
         'MMLU-Pro and GPQA to AIME25, IFEval and RULER.'),
    item('https://pypi.org/project/lm-eval/0.4.13/', 'lm-eval 0.4.13',
         'The Language Model Evaluation Harness lists two December changes at the top of its news:',
         ul('CLI refactored with subcommands (run, ls, validate) and YAML config file support via '
            '<code>--config</code>.',
            'Lighter install: the base package no longer includes transformers/torch. Install '
            'model backends separately: <code>pip install lm_eval[hf]</code>, '
            '<code>lm_eval[vllm]</code>, etc.')),
    item('https://pypi.org/project/deepeval/4.3.1/', 'DeepEval 4.3.1',
         'DeepEval is a simple-to-use, open-source LLM evaluation framework, for evaluating '
         'large-language model systems. It is similar to Pytest but specialized for unit testing '
         'LLM apps. DeepEval incorporates the latest research to run evals via metrics such as '
         'G-Eval, task completion, answer relevancy, hallucination, etc., which use '
         'LLM-as-a-judge and other NLP models that run locally on your machine.'),
    item('https://pypi.org/project/ragas/0.4.3/', 'Ragas 0.4.3',
         'Objective metrics, intelligent test generation, and data-driven insights for LLM apps. '
         'Ragas is your ultimate toolkit for evaluating and optimizing Large Language Model (LLM) '
         'applications.',
         'Worth a look if you have no test set yet: it generates one for you.'),
    '<p>Next issue: what the leaderboards did with the new long-context suites.</p>',
    '<p>Thanks for reading Eval Notes! Subscribe for free to receive new posts and support my '
    'work.</p>\n'
    '<p><a href="https://evalnotes.substack.com/p/eval-notes-7?utm_source=substack&amp;'
    'utm_medium=email&amp;utm_content=share&amp;action=share">Share</a></p>\n'
    '<p><a href="https://evalnotes.substack.com/p/eval-notes-7/comments">Leave a comment</a></p>',
)

# ----------------------------------------------------------------------------------- beehiiv
R['roundup-finetuning-friday-19'] = page(
    '<p>Happy Friday. Five releases for people who train their own models this week, from '
    'single-GPU LoRA to multi-node full fine-tunes.</p>',
    item('https://pypi.org/project/unsloth/2026.3.4/', 'Unsloth 2026.3.4',
         'Train gpt-oss, DeepSeek, Gemma, Qwen &amp; Llama 2x faster with 70% less VRAM!',
         'And you can train for free: the notebooks are beginner friendly. Add dataset, run, '
         'then deploy your trained model.'),
    item('https://pypi.org/project/trl/1.16.0/', 'TRL 1.16.0',
         'TRL is a cutting-edge library designed for post-training foundation models using '
         'advanced techniques like Supervised Fine-Tuning (SFT), Group Relative Policy '
         'Optimization (GRPO), and Direct Preference Optimization (DPO).',
         "What's new: TRL's trainers now run on AWS Trainium through TorchNeuron, PyTorch's "
         'native Neuron backend.'),
    item('https://pypi.org/project/peft/0.21.2/', 'PEFT 0.21.2',
         'Fine-tuning large pretrained models is often prohibitively costly due to their scale. '
         'Parameter-Efficient Fine-Tuning (PEFT) methods enable efficient adaptation of large '
         'pretrained models to various downstream applications by only fine-tuning a small '
         "number of (extra) model parameters instead of all the model's parameters. This "
         'significantly decreases the computational and storage costs.'),
    item('https://pypi.org/project/litgpt/0.5.13/', 'LitGPT 0.5.13',
         '20+ high-performance LLMs with recipes to pretrain, finetune, and deploy at scale: '
         'from-scratch implementations, no abstractions, Flash attention, FSDP, LoRA, QLoRA and '
         'Adapter, reduced GPU memory (fp4/8/16/32), and 1-1000+ GPUs/TPUs.'),
    item('https://pypi.org/project/torchtune/0.6.1/', 'torchtune 0.6.1',
         'torchtune is a PyTorch library for easily authoring, post-training, and experimenting '
         'with LLMs, with hackable training recipes for SFT, knowledge distillation, DPO, PPO, '
         'GRPO, and quantization-aware training.',
         'Multi-node training is officially open for business in torchtune: full finetune on '
         'multiple nodes to take advantage of larger batch sizes and models.'),
    '<p>See you next Friday.</p>',
    '<p>Did someone forward this to you? <a href="https://finetuningfriday.beehiiv.com/subscribe">'
    'Subscribe to Fine-Tuning Friday</a>.</p>\n'
    '<p><a href="https://finetuningfriday.beehiiv.com/p/issue-19">Share this issue</a></p>\n'
    '<p><a href="https://finetuningfriday.beehiiv.com/subscribe/preferences">Update your email '
    'preferences</a> or <a href="https://finetuningfriday.beehiiv.com/unsubscribe">unsubscribe</a>'
    '</p>\n'
    '<p>© 2026 Fine-Tuning Friday</p>',
)

# ----------------------------------------------------------------------------------- Blogger
R['roundup-search-again'] = page(
    '<p>Every few months I go back to the search half of the stack to see what moved. This '
    'round, five projects, most of them from the retrieval side of RAG.</p>',
    item('https://pypi.org/project/txtai/9.14.0/', 'txtai 9.14.0',
         'txtai is an all-in-one AI framework for semantic search, LLM orchestration and language '
         'model workflows. The key component of txtai is an embeddings database, which is a union '
         'of vector indexes (sparse and dense), graph networks and relational databases.',
         'This foundation enables vector search and/or serves as a powerful knowledge source for '
         'large language model (LLM) applications. Build autonomous agents, retrieval augmented '
         'generation (RAG) processes, multi-model workflows and more.', tag='h2'),
    item('https://pypi.org/project/sentence-transformers/6.2.0/', 'Sentence Transformers 6.2.0',
         'This framework provides an easy method to compute embeddings for accessing, using, and '
         'training state-of-the-art embedding and reranker models.',
         'A wide selection of over 15,000 pre-trained Sentence Transformers models are available '
         'for immediate use on Hugging Face, including many of the state-of-the-art models from '
         'the Massive Text Embeddings Benchmark (MTEB) leaderboard.', tag='h2'),
    item('https://pypi.org/project/haystack-ai/3.4.1/', 'Haystack 3.4.1',
         'Haystack is an open-source AI orchestration framework for building production-ready '
         'LLM applications in Python. Design modular pipelines and agent workflows with explicit '
         'control over retrieval, routing, memory, and generation.', tag='h2'),
    item('https://pypi.org/project/llama-index/0.14.25/', 'LlamaIndex 0.14.25',
         'A change of direction: the current focus of LlamaIndex is to build the best AI-powered '
         'engine for document parsing and extraction. LlamaIndex OSS remains an open-source '
         'framework to build agentic applications.', tag='h2'),
    item('https://pypi.org/project/datasette/0.65.5/', 'Datasette 0.65.5',
         'Not search exactly, but I use it to look at every index I build: Datasette is a tool '
         'for exploring and publishing data. It helps people take data of any shape or size and '
         'publish that as an interactive, explorable website and accompanying API.', tag='h2'),
    '<p>If you have found a retrieval library I should try, the comments are open.</p>',
    '<div class="post-footer">\n'
    '<p>Posted by Ines Marrow at 9:40 PM</p>\n'
    '<p><a href="https://www.blogger.com/share-post.g?blogID=5518421&amp;postID=88231&amp;'
    'target=email">Email This</a> <a href="https://www.blogger.com/share-post.g?blogID=5518421&amp;'
    'postID=88231&amp;target=blog">BlogThis!</a> <a href="https://www.blogger.com/share-post.g?'
    'blogID=5518421&amp;postID=88231&amp;target=twitter">Share to X</a> '
    '<a href="https://www.blogger.com/share-post.g?blogID=5518421&amp;postID=88231&amp;'
    'target=facebook">Share to Facebook</a></p>\n'
    '<p>Labels: embeddings, rag, search</p>\n'
    '<p>Subscribe to: <a href="https://blog.marrowfield.org/feeds/88231/comments/default">Post '
    'Comments (Atom)</a></p>\n'
    '</div>',
)

# ------------------------------------------------------------------- newsletter on WordPress
R['roundup-release-notes-45'] = page(
    '<p>Release Notes You Skipped, issue 45: we read the changelogs so you do not have to. This '
    'week, a serving engine, a coding agent, a UI toolkit and two command-line tools.</p>',
    item('https://pypi.org/project/vllm/0.33.0/', 'vLLM 0.33.0',
         'Easy, fast, and cheap LLM serving for everyone. Originally developed in the Sky '
         'Computing Lab at UC Berkeley, vLLM has grown into one of the most active open-source '
         'AI projects, built and maintained by a community of many dozens of academic '
         'institutions and companies from over 2000 contributors.',
         'Its quantization list keeps growing: FP8, MXFP8/MXFP4, NVFP4, INT8, INT4, GPTQ/AWQ, '
         'GGUF, compressed-tensors, ModelOpt, TorchAO, and more.'),
    item('https://pypi.org/project/aider-chat/0.86.2/', 'Aider 0.86',
         'Aider lets you pair program with LLMs to start a new project or build on your existing '
         'codebase. The 0.86 series is about GPT-5: v0.86.0 expanded GPT-5 model support across '
         'family variants and providers (OpenAI, Azure, OpenRouter), including dated and '
         'chat/mini/nano variants, and v0.86.1 added a reasoning_effort setting for GPT-5 models '
         'and disabled temperature by default for the GPT-5 family.',
         'The main branch already adds Claude 4.5/4.6 models and settings for GPT-5.1/5.2. And '
         'the usual statistic: Aider wrote 88% of the code in v0.86.0.'),
    item('https://pypi.org/project/gradio/6.31.0/', 'Gradio 6.31.0',
         'Most of the new features are in gr.Workflow: it now fits in full screen layouts, '
         'no longer clashes with browser scrolling, and forwards the ZeroGPU '
         'X-IP-Token. gr.Video format conversions and watermarks are written into the cache.',
         'The one to upgrade for: Gradio now requires brotli&gt;=1.2.1 (CVE-2026-111497).'),
    item('https://pypi.org/project/llm/0.36/', 'LLM 0.36',
         "A CLI tool and Python library for interacting with OpenAI, Anthropic's Claude, "
         "Google's Gemini, Qwen, Gemma, Kimi, DeepSeek, Mistral, and dozens of other Large "
         'Language Models, both via remote APIs and with models that can be installed and run on '
         'your own machine. With LLM you can:',
         ul('Run prompts from the command-line',
            'Store prompts and responses in SQLite',
            'Generate and store embeddings',
            'Extract structured content from text and images',
            'Grant models the ability to execute tools')),
    item('https://pypi.org/project/huggingface-hub/2.4.0/', 'huggingface_hub 2.4.0',
         'The quick start now begins with the standalone installer: install the hf CLI with it, '
         'log in, then start working with the Hub.'),
    '<p>That is issue 45. The changelogs are linked above, as always.</p>',
    '<p>The post <a href="https://changelogdigest.news/issues/45">Release Notes You Skipped #45</a>'
    ' appeared first on <a href="https://changelogdigest.news">Changelog Digest</a>.</p>',
)

# ------------------------------------------------------------------------ WordPress, personal
R['roundup-saturday-pixels'] = page(
    '<p>Coffee, rain, and a week in which I did not read a single chat-model announcement. Some '
    'links from the rest of the field instead: vision, images, speech and the plumbing under '
    'all of them.</p>',
    item('https://pypi.org/project/timm/1.0.31/', 'timm 1.0.31',
         'PyTorch Image Models had two busy updates. November 3: reset_classifier() and checkpoint '
         'reconstruction fixes across ViT, EVA, BEiT, NaFlexViT, RepViT and iFormer preserve '
         'normalization placement and distillation settings when exporting or reloading models, '
         'and NaFlex supports SwiGLU alignment for DINOv3 / Lingbot checkpoints.',
         'October 24: forward_intermediates() and prune_intermediate_layers() are now supported '
         'by every model.'),
    item('https://pypi.org/project/diffusers/0.42.1/', 'Diffusers 0.42.1',
         'Diffusers is the go-to library for state-of-the-art pretrained diffusion models for '
         'generating images, audio, and even 3D structures of molecules. Whether you are looking '
         'for a simple inference solution or training your own diffusion models, Diffusers is a '
         'modular toolbox that supports both.'),
    item('https://pypi.org/project/open-clip-torch/3.3.0/', 'OpenCLIP 3.3.0',
         "An open source implementation of OpenAI's CLIP (Contrastive Language-Image "
         'Pre-training). Using this codebase, the authors have trained several models on a variety '
         'of data sources and compute budgets, including models trained on datasets such as '
         'LAION-400M, LAION-2B and DataComp-1B.'),
    item('https://pypi.org/project/openai-whisper/20250625/', 'Whisper 20250625',
         'Whisper is a general-purpose speech recognition model. It is trained on a large dataset '
         'of diverse audio and is also a multitasking model that can perform multilingual speech '
         'recognition, speech translation, and language identification.'),
    item('https://pypi.org/project/datasets/5.2.0/', 'Datasets 5.2.0',
         'Datasets is a lightweight library providing two main features: one-line dataloaders '
         'for many public datasets, and efficient data pre-processing that is simple, fast and '
         'reproducible for the public datasets as well as your own local datasets.'),
    item('https://pypi.org/project/tokenizers/0.23.3/', 'Tokenizers 0.23.3',
         "Provides an implementation of today's most used tokenizers, with a focus on "
         'performance and versatility. Bindings over the Rust implementation.'),
    '<p>Back to the garden. Have a slow weekend.</p>',
    '<p>The post <a href="https://quietpixels.net/2026/11/22/saturday-morning/">Saturday morning'
    '</a> appeared first on <a href="https://quietpixels.net">Quiet Pixels</a>.</p>',
)


if __name__ == '__main__':
    for name, html in R.items():
        (OUT / f'{name}.html').write_text(html, encoding='utf-8')
        print(name, len(html))
