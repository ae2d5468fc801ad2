"""Write the discussion threads (texts/discussion-*.json) for part-b."""
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / 'texts'


def thread(rows):
    comments = []
    for row in rows:
        cid, author, parent, text = row[:4]
        score = row[4] if len(row) > 4 else None
        comments.append({"id": cid, "author": author, "parent": parent, "text": text.strip(), "score": score})
    ids = {c["id"] for c in comments}
    for c in comments:
        assert c["parent"] is None or c["parent"] in ids, c
    assert len(ids) == len(comments)
    parent = {c["id"]: c["parent"] for c in comments}
    def depth(i):
        return 1 if parent[i] is None else 1 + depth(parent[i])
    assert max(depth(i) for i in ids) <= 4, max(depth(i) for i in ids)
    assert max(depth(i) for i in ids) >= 2
    return {"comments": comments}


D = {}

# ---------------------------------------------------------------------------
# 1. HN: the Llama 3.1 community licence. DFSG wording adapted from Debian's
#    doc-debian social-contract.txt (Open Publication License).
D["discussion-hn-llama-licence"] = thread([
    ("c1", "tkaczmarek", None, """
Every time one of these drops, the announcement says "open source" and the licence says otherwise. The Llama 3.1 Community License has an acceptable use policy, a clause that companies with more than 700 million monthly active users need a separate licence from Meta, and a requirement to show "Built with Llama". That is not open source by any definition I know.

The Debian guidelines, which the Open Source Definition was built on, say the licence must not discriminate against any person or group of persons, and must not restrict anyone from making use of the program in a specific field of endeavor. An acceptable use policy is exactly a field-of-endeavor restriction. Call it open weights, call it source-available, fine. Just not open source.
"""),
    ("c2", "marginalia_fan", "c1", """
Agreed. And there's a simpler problem: there is no source. The training data isn't released, the data pipeline isn't released, so you can't rebuild the thing. The weights are the compiled binary in this analogy.
"""),
    ("c3", "okonkwo", "c2", """
No, that's wrong: the "source" test is about the preferred form for making modifications, and for a model that is the weights. Nobody who fine-tunes Llama wants to retrain from scratch on 15T tokens. You modify the weights with LoRA or full fine-tuning, and the licence lets you do that and redistribute the result. And even with the data, rebuilding costs tens of millions of dollars in compute, so almost nobody could "recompile" anyway.
"""),
    ("c4", "marginalia_fan", "c3", """
> Nobody who fine-tunes Llama wants to retrain from scratch

Nobody who patches a C program wants to rewrite it from scratch either, but we'd still say a binary-only release isn't open source. Without the training data you can't audit what went in, you can't fix a bias at the source, and you can't reproduce the result. Fine-tuning is patching the binary.
"""),
    ("c6", "rdeville", "c3", """
The cost argument doesn't settle it. OLMo shows it can be done: weights, training data and training code all released. So "you can't release the source" just isn't true any more, and marginalia_fan is right that without it you can't audit anything.
"""),
    ("c7", "jhwang", "c1", """
+1
"""),
    ("c8", "pellucid", "c1", """
I mostly agree, but the 700 million MAU clause gets too much attention. It affects maybe a handful of companies on earth. The acceptable use policy is the part that actually matters, because it applies to everyone and Meta can update it.
"""),
    ("c9", "tkaczmarek", "c8", """
Yes, exactly. The MAU clause is a competitive moat against Google and friends; the AUP is the part that makes it non-free for everybody else.
"""),
    ("c10", "bitshift_", None, """
Honest question from someone who just runs models at home: does any of this matter to me? I run the 8B through llama.cpp on my own box, nothing leaves the machine, I'm not a company with 700 million users. In practice the licence is irrelevant for local use.
"""),
    ("c11", "quietstorm", "c10", """
Same here. For hobbyists and internal tools it's a non-issue. The people arguing about licences mostly aren't the people running the models.
"""),
    ("c12", "pellucid", "c10", """
It matters the moment you fine-tune and share. The licence requires derivatives to have "Llama" at the beginning of the model name and to ship the licence and the attribution. People on the Hub break that constantly, and the AUP still applies to your own use even at home.
"""),
    ("c13", "bitshift_", "c12", """
Fair, I hadn't thought about the naming rule for fine-tunes. For pure local inference I still think it's a non-issue.
"""),
    ("c14", "anselm_k", None, """
The practical answer is to use models with a real licence. Mistral 7B, Qwen2.5 and OLMo are Apache 2.0. Download, fine-tune, ship, no AUP, no MAU threshold, no naming rules. If the licence matters to you, vote with your downloads.
"""),
    ("c15", "rdeville", "c14", """
This. Apache 2.0 also has a patent grant, which is more than most of the custom licences give you.
"""),
    ("c16", "zed_l", "c14", """
this
"""),
    ("c17", "okonkwo", "c14", """
Not all Qwen models are Apache 2.0 though, some of the bigger ones shipped under their own licence. Check each model card rather than assuming by family.
"""),
    ("c18", "anselm_k", "c17", """
Good point, I should have said "check the card". The small and mid-size ones I use are Apache 2.0.
"""),
])

# ---------------------------------------------------------------------------
# 2. Reddit r/LocalLLaMA: Ollama vs llama.cpp vs MLX. Feature wording adapted
#    from the READMEs of ollama 0.6.3 (MIT), llama-cpp-python 0.3.36 (MIT),
#    mlx-lm 0.32.2 (MIT) and gguf 0.19.0 (MIT).
D["discussion-reddit-ollama-vs-llamacpp"] = thread([
    ("t1", "gguf_enjoyer", None, """
Ollama is the easiest way to get started, full stop. Install it, `ollama pull`, and you have an API on localhost that every tool already speaks. The Python library is two lines. For 90% of people asking "how do I run a model locally" that's the answer.
"""),
    ("t2", "ramen_inference", "t1", """
Easiest, sure, but you give up control. Ollama picks the context length, the quant and the sampling defaults for you, and for a while it silently used a 2048 context so people thought the models were dumb. Running llama.cpp's server directly you set everything yourself.
"""),
    ("t3", "gguf_enjoyer", "t2", """
> for a while it silently used a 2048 context

That's a default you can change in the Modelfile, it's not hidden. I'd rather a beginner gets a working default than a wall of 60 flags.
"""),
    ("t4", "ramen_inference", "t3", """
A default that makes the model look broken on long documents isn't a working default. But fine, I'll grant it's configurable.
"""),
    ("t5", "mlp_mixer", "t1", """
The other catch: Ollama lags behind upstream llama.cpp, so new architectures and new quant types show up in llama.cpp days or weeks earlier. If you want to try a model the day it comes out, build llama.cpp.
"""),
    ("t6", "soft_prompt", "t5", """
No, that's not really true any more, they've been shipping new model support within a day or two for most releases this year. The lag was real in 2023.
"""),
    ("t7", "mlp_mixer", "t6", """
Within a day or two for the big labs' models, yes. For anything less popular it's still llama.cpp first.
"""),
    ("t8", "kv_cache_miss", "t1", """
+1, I set my parents up with Ollama and Open WebUI and they've been fine for months.
"""),
    ("t9", "m3_max_owner", None, """
If you're on a Mac, try mlx-lm before either of them. It's built on Apple's MLX, pulls models straight from the Hugging Face Hub with one command, and on my M3 Max it's noticeably faster than the llama.cpp Metal backend for the same 4-bit model. It also does LoRA fine-tuning on quantized models, which Ollama doesn't do at all.
"""),
    ("t10", "ramen_inference", "t9", """
Same experience on an M2 Ultra, MLX wins on prompt processing. Token generation is closer but still ahead.
"""),
    ("t11", "soft_prompt", "t9", """
Faster, but the MLX community quants are a separate ecosystem. Every GGUF on the Hub works with llama.cpp and Ollama; for MLX you need someone to have converted it, or convert it yourself.
"""),
    ("t12", "m3_max_owner", "t11", """
Converting is one command (`mlx_lm.convert` with `-q`), so I don't see it as a big downside, but yes, it's an extra step.
"""),
    ("t13", "quant_goblin", None, """
Honestly the runtime matters less than the quant you pick. Q4_K_M is the sweet spot for most 7-14B models; going to Q8_0 roughly doubles the memory for a difference I can't measure on my own tasks, and going below Q4 is where things fall apart. Pick the right GGUF and any of the three runtimes will be fine.
"""),
    ("t14", "kv_cache_miss", "t13", """
Agreed on Q4_K_M. For coding models I'd go Q5_K_M though, I do see more syntax errors at Q4.
"""),
    ("t15", "mlp_mixer", "t13", """
Depends a lot on the model. Small models (3B and under) degrade much more from quantization, I keep those at Q8_0.
"""),
    ("t16", "newbie_on_a_3060", None, """
this thread is gold, saving it
"""),
])

# ---------------------------------------------------------------------------
# 3. HN: can we trust benchmarks? Tool descriptions adapted from the READMEs of
#    lighteval 0.13.0 (MIT), inspect-ai 0.3.285 (MIT), lm-eval 0.4.13 (MIT) and
#    deepeval 4.3.1 (Apache-2.0).
D["discussion-hn-benchmark-trust"] = thread([
    ("b1", "ferrule", None, """
I stopped reading the benchmark tables in model announcements. MMLU, GSM8K and HumanEval have been on the internet for years; they are in everyone's pretraining data whether the lab intends it or not. A two-point gain on a contaminated benchmark tells you nothing. The only numbers I trust are evals I wrote myself on my own data, which no model has seen.
""", 212),
    ("b2", "lindqvist", "b1", """
Strongly agree. We built a 300-question internal eval from our support tickets and the ranking of models on it looks nothing like the public leaderboards. Two "frontier" open models were worse than a model half their size.
"""),
    ("b3", "aghast_at_sql", "b2", """
Same experience. Your own eval set is the only one that measures the thing you care about.
"""),
    ("b4", "p_ostrander", "b1", """
No, that's too strong. Contamination is real, but held-out and newer benchmarks like GPQA or Humanity's Last Exam still separate models pretty well, and the big labs do run decontamination. "Trust nothing" throws away a lot of signal.
"""),
    ("b5", "ferrule", "b4", """
> the big labs do run decontamination

They say they do. Nobody outside can check, because the training data isn't public. Every new benchmark has a half-life of about a year before it leaks into the scrapes.
"""),
    ("b6", "p_ostrander", "b5", """
A year of signal is still signal. I'm not saying trust the announcement table, I'm saying use the newer benchmarks as a coarse filter and then run your own.
"""),
    ("b7", "kestrel9", "b4", """
That's where I landed too: newer leaderboards to pick the five candidates, private evals to pick the one.
"""),
    ("b8", "marisol_dev", "b1", """
Also the harness matters. The same model scores differently depending on the prompt template, few-shot count and answer extraction. lm-eval, lighteval and Inspect can give you different numbers for the "same" benchmark.
"""),
    ("b9", "ferrule", "b8", """
Yes, which is another reason not to compare numbers from two different announcements.
"""),
    ("b10", "oakbarrel", None, """
The bigger problem now is LLM-as-a-judge. Half the "evals" people run are another model grading the output, and judges prefer longer answers, prefer their own family's style, and flip their verdict if you swap the order of the two answers. It's turtles all the way down.
"""),
    ("b11", "lindqvist", "b10", """
Position bias is real, we saw it too. Running every pairwise comparison in both orders and only counting consistent verdicts fixed most of it.
"""),
    ("b12", "marisol_dev", "b10", """
I disagree that it's useless. Judges correlate reasonably with human ratings when the rubric is specific ("does the answer cite the right document?") rather than "is this good?". The failures come from vague rubrics, not from the idea.
"""),
    ("b13", "oakbarrel", "b12", """
Fair, with a narrow rubric and spot checks against humans it's OK. What I object to is an uncalibrated judge score presented as if it were accuracy.
"""),
    ("b14", "zed_l", "b1", """
+1
"""),
    ("b15", "kestrel9", None, """
For anyone wanting to act on this thread: Inspect ships over 200 pre-built evaluations and makes it easy to add your own tasks, and lighteval saves sample-by-sample results so you can actually look at what the model got wrong instead of staring at one number.
"""),
])

# ---------------------------------------------------------------------------
# 4. HN: "Why SQLite does not use Git". Arguments adapted from sqlite3-doc
#    3.40.1 whynotgit.html (public domain).
D["discussion-hn-sqlite-fossil"] = thread([
    ("f1", "wexler", None, """
I've used Fossil for personal projects for years and the article undersells the biggest win: it's a single binary that gives you the repository, a wiki, a bug tracker, a forum and a web UI. Standing up a server takes minutes and runs on a Raspberry Pi. With Git you end up depending on GitHub or GitLab for all of that.
""", 140),
    ("f2", "ananke", "f1", """
Agreed. The timeline view alone is worth it. One page shows every branch, and you can click forward to a check-in's descendants, which Git makes weirdly hard.
"""),
    ("f3", "lpanzer", "f1", """
That single binary is also why nobody uses it. The value of Git is GitHub: the network effect, the contributors who already have accounts, the CI integrations. SQLite can afford Fossil because it famously doesn't accept outside contributions. For a normal open source project choosing Fossil means choosing fewer contributors.

And I don't buy "Git's mental model is needlessly complex" as a general criticism. The staging area is a feature.
"""),
    ("f4", "wexler", "f3", """
> SQLite can afford Fossil because it famously doesn't accept outside contributions

That's true, but it cuts the other way too: the article is explicitly about what works for SQLite, not a recommendation for everyone. It even says if you're happy with Git, keep using Git.
"""),
    ("f5", "lpanzer", "f4", """
Sure, I'm not disputing that it works for them. My point is only that the network effect outweighs the UX for everyone else.
"""),
    ("f6", "ananke", "f3", """
The staging area is a feature for the 10% of the time you need it and a tax the other 90%. Working directory, index, local head, remote-tracking branch, actual remote: five places to keep in your head versus two in Fossil.
"""),
    ("f7", "thornbury", "f6", """
No, I'm with lpanzer on this one. `git add -p` is the single most useful thing in my workflow, and Fossil's answer to partial commits is much weaker.
"""),
    ("f8", "gsd_", "f1", """
+1
"""),
    ("f9", "m_ortega", None, """
The point about branch names is the one that actually convinced me. Git doesn't keep historical branch names once a branch is deleted, so a year later you can't ask "what happened to that branch?". Fossil keeps it. I've lost real history to that.
"""),
    ("f10", "lpanzer", "f9", """
That's what merge commit messages and PR links are for. The history is in GitHub even if it isn't in Git.
"""),
    ("f11", "m_ortega", "f10", """
Which is exactly the article's point: you need a third-party service to recover information the version control system threw away.
"""),
    ("f12", "dvorak_user", None, """
For people who just want the code: there's an official read-only GitHub mirror, updated hourly. You don't need to install Fossil to read or build SQLite. Just don't send pull requests there, they're not accepted.
"""),
    ("f13", "thornbury", "f12", """
Good to know. Note the hashes on the mirror differ from Fossil's (SHA1 vs SHA3-256), so quote the Fossil hash in bug reports.
"""),
])

# ---------------------------------------------------------------------------
# 5. Reddit r/programming: SQLite as an application file format. Arguments
#    adapted from sqlite3-doc 3.40.1 appfileformat.html, flextypegood.html and
#    useovernet.html (public domain).
D["discussion-reddit-sqlite-file-format"] = thread([
    ("s1", "hexbinder", None, """
We switched our desktop app from a zipped folder of JSON files to a single SQLite file two years ago and I'd never go back. Saving is atomic, so a power cut can't corrupt a document; we only write the pages that changed instead of rewriting the whole zip; and opening a huge project is fast because we query only what the first screen needs.
""", 388),
    ("s2", "plover", "s1", """
Same story for us. The part I didn't expect: the schema became the documentation of the file format. New devs read the CREATE TABLE statements and understand the whole thing.
"""),
    ("s3", "aurelian_b", "s1", """
Did you have any trouble with people syncing the file over Dropbox or a network share? That's the one place I got burned.
"""),
    ("s4", "hexbinder", "s3", """
Yes, once. We now tell users not to open a project that lives on a network filesystem from two machines at once. SQLite's locking depends on the filesystem getting locks right, and many network filesystems don't.
"""),
    ("s5", "aurelian_b", "s4", """
That matches the SQLite docs: if the data is on a different machine from the application, use a client/server database instead.
"""),
    ("s6", "kovalenko", None, """
My problem with SQLite for anything important is the flexible typing. You can insert the string "banana" into an INTEGER column and it just stores it. That's a bug waiting to happen.
"""),
    ("s7", "plover", "s6", """
Use STRICT tables. They've been in SQLite since 3.37.0 and reject the wrong type. Problem solved.
"""),
    ("s8", "hexbinder", "s6", """
No, I don't think that's the bug you should worry about. A name in an integer column is trivially easy to spot. The bugs that hurt are the subtle ones, like a given name and family name swapped, and rigid typing does nothing about those. Flexible typing is also handy for attribute tables where the value can be text, a number or a blob.
"""),
    ("s9", "kovalenko", "s8", """
> rigid typing does nothing about those

Nothing catches every bug, that's not an argument against catching the easy ones. But fair, STRICT covers my case, I just didn't know it existed.
"""),
    ("s10", "taliesin_", "s8", """
Agreed with the attribute-table point, we have a settings table where value holds everything and it's much simpler than one column per type.
"""),
    ("s11", "gregor_s", "s6", """
this, I got bitten by that when migrating to Postgres
"""),
    ("s12", "plover", "s11", """
That's the other side of it though: the app worked fine on SQLite, it broke on the stricter engine. Use STRICT from day one if you know you're migrating.
"""),
])

# ---------------------------------------------------------------------------
# 6. Blog comments (neutral domain): AutoAWQ's deprecation. Facts adapted from
#    the READMEs of autoawq 0.2.9 (MIT) and llmcompressor 0.14.0.1 (Apache-2.0).
D["discussion-blog-autoawq-deprecated"] = thread([
    ("a1", "Priya N.", None, """
The saddest line in that README is the one about maintaining a project with 2+ million downloads and 7000+ models on the Hub as a solo developer in his free time. Companies built products on AutoAWQ and, as far as I can tell, almost none of them paid for its maintenance. This is the open source funding problem again.
"""),
    ("a2", "Tomasz", "a1", """
Completely agree. Every inference company shipping AWQ models should have been sponsoring it.
"""),
    ("a3", "hollis", "a1", """
I'm not sure that's the lesson. He got a job, the code got adopted by the vLLM project, and the algorithm lives on in llm-compressor with a team behind it. That's a pretty good outcome for a research-code project, not a tragedy.
"""),
    ("a4", "Priya N.", "a3", """
> That's a pretty good outcome

For the code, yes. For the maintainer who spent two years of evenings on it before anyone stepped in, less so. Both things can be true.
"""),
    ("a5", "hollis", "a4", """
Fair, I'll give you that the burnout part is real.
"""),
    ("a6", "dk_ml", "a3", """
And llm-compressor is the better home anyway: it saves in the compressed-tensors format that vLLM loads directly, covers weight, activation and KV cache quantization, and has DDP and disk offloading for very large models. AutoAWQ was never going to grow all that.
"""),
    ("a7", "Tomasz", "a6", """
Better home for vLLM users. If you deploy with Transformers or on a Mac it's less clear; the README points Mac users to MLX-LM, which now supports AWQ.
"""),
    ("a8", "gguf_or_bust", None, """
Hot take: this is why I stopped bothering with AWQ and GPTQ. GGUF quants from llama.cpp work on CPU, GPU and Mac, there are a dozen people uploading them for every new model, and the format isn't tied to one person's repo.
"""),
    ("a9", "dk_ml", "a8", """
No, that's comparing different things. GGUF is great for local inference, but for high-throughput serving on GPUs, AWQ or FP8 in vLLM is much faster than running GGUF. Different tools for different jobs.
"""),
    ("a10", "gguf_or_bust", "a9", """
For serving, sure. Most people reading this blog are running models on one machine though.
"""),
    ("a11", "marta", "a8", """
+1 for local use
"""),
    ("a12", "hollis", None, """
Practical note for anyone with AutoAWQ in production: pin it. The README says the last tested configuration was Torch 2.6.0 and Transformers 4.51.3, and future Transformers breakage should be reported to the Transformers project, not AutoAWQ.
"""),
])

# ---------------------------------------------------------------------------
# 7. Forum thread (neutral domain): do we still need a structured-output
#    library? Arguments adapted from instructor 1.17.0's blog post
#    introducing-structured-outputs.md (MIT), outlines 1.3.3's release note
#    (Apache-2.0) and guidance 0.3.1's README (MIT).
D["discussion-forum-structured-outputs"] = thread([
    ("q1", "noor", None, """
Now that the big APIs have native structured outputs with JSON Schema, is there any reason to keep a library like Instructor in the stack? The provider guarantees the response matches the schema. That seems to be the whole job.
"""),
    ("q2", "benedikt", "q1", """
Matching the schema isn't the whole job. It guarantees the shape, not that the content is useful. We validate things like "names must be uppercase" or "the date must be after the start date" in Pydantic validators, and when validation fails the library re-asks the model with the error. Native structured outputs just give you a well-formed wrong answer.
"""),
    ("q3", "noor", "q2", """
> when validation fails the library re-asks the model with the error

You can write that retry loop yourself in twenty lines.
"""),
    ("q4", "benedikt", "q3", """
You can, and then you also write partial-JSON streaming validation, and provider switching, and after a while you've written the library. I'd rather not.
"""),
    ("q5", "ivo_m", "q1", """
I think noor is mostly right. For a single provider and a flat schema, native structured outputs plus a small retry loop is fine. Extra dependency, extra abstraction, for not much.
"""),
    ("q6", "benedikt", "q5", """
The single provider part is the catch. Native structured outputs lock you into that provider's API; with a wrapper, switching from OpenAI to Anthropic is a couple of lines. That matters the first time your provider has an outage.
"""),
    ("q7", "sasha_r", "q6", """
Yes. We moved half our traffic to a local model during an outage last spring and only the code that went through the wrapper survived the switch.
"""),
    ("q8", "hkarlsson", None, """
If you run open models yourself, the answer is constrained decoding, not a wrapper. Outlines and Guidance mask the logits so the model can only produce tokens that fit the regex, grammar or JSON schema. The output is valid by construction, no retries for format errors, and llama.cpp has grammars built in too.
"""),
    ("q9", "ivo_m", "q8", """
This is the right answer for local models. Outlines v1 even narrowed itself to exactly that: constrained generation, one thing done well.
"""),
    ("q10", "benedikt", "q8", """
Constrained decoding fixes the format, same as native structured outputs. It still doesn't check that the answer is right, so you still want validators on top.
"""),
    ("q11", "hkarlsson", "q10", """
True, they solve different problems. Grammar for the shape, validators for the meaning.
"""),
    ("q12", "pjotr", "q1", """
+1, following
"""),
])

for name, data in D.items():
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(name, len(data["comments"]))
