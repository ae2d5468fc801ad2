import tomllib

import pytest

from bot.content.relevance import (
    RELEVANCE_THRESHOLD,
    Lexicon,
    Relevance,
    default_lexicon_toml,
    score_relevance,
)
from bot.models import TAGS

# --- Articles a general tech front page could carry ---------------------------------------

LLAMA_RELEASE = (
    "Meta releases Llama 4 Scout and Maverick as open-weight models",
    "Meta on Saturday released Llama 4, the newest generation of its open-weight language "
    "models, in two variants: Scout, with 17 billion active parameters, and Maverick.\n"
    "Both are mixture-of-experts models with a context window of up to 10 million tokens. "
    "The weights can be downloaded from Hugging Face and llama.com under the Llama 4 "
    "Community License.\n"
    "Meta says Maverick beats comparable models on coding and reasoning benchmarks. A larger "
    "model, Behemoth, is still in training.\n"
    "Developers can already run the models with popular inference tools.",
)

LLAMA_CPP_RELEASE = (
    "llama.cpp b5342",
    "server: add tool calling support for Qwen3 chat templates\n"
    "ggml-cuda: faster matrix multiplication for Q4_K and Q5_K quantization types\n"
    "convert: fix GGUF metadata for models with tied embeddings\n"
    "Vulkan backend: fix a crash on devices without fp16 support\n"
    "Prebuilt binaries for Windows, macOS (Apple Silicon) and Linux are attached below.",
)

LORA_PAPER = (
    "LoRA-Drop: Pruning Low-Rank Adapters for Cheaper Fine-Tuning",
    "arXiv:2406.01234 [cs.CL]\n"
    "Low-rank adaptation (LoRA) is the most widely used method for parameter-efficient "
    "fine-tuning of large language models. We propose LoRA-Drop, which removes adapters "
    "from layers whose output barely changes during training.\n"
    "In experiments on GLUE and on instruction tuning of a 7B model, LoRA-Drop keeps the "
    "accuracy of full LoRA while training 40% fewer parameters, and it outperforms "
    "prior pruning methods on three benchmarks.\n"
    "Our code and ablations are available on GitHub.",
)

FUNDING = (
    "Open-source AI startup Lumen Labs raises $100M",
    "Lumen Labs, the Paris-based startup behind the Lumen family of open-weight models, has "
    "raised $100 million in a Series B round led by Lightspeed, valuing the company at "
    "$1.2 billion.\n"
    "The open-source AI company says the funding will pay for more GPUs and a larger "
    "research team. Existing investors Index Ventures and Sequoia also took part.\n"
    "Lumen's models have been downloaded more than 20 million times from Hugging Face.",
)

EU_AI_ACT = (
    "What the EU AI Act's open-source exemptions mean for model developers",
    "The EU AI Act exempts open-source models from most of its obligations, but not all. "
    "Providers of general-purpose AI models released under a free and open-source licence "
    "must still publish a summary of their training data and respect copyright law.\n"
    "The exemption does not apply to models with systemic risk, which the regulation "
    "defines by training compute. Lawmakers in the European Parliament pushed for the "
    "carve-out, and the European Commission's AI Office is drafting a code of practice.\n"
    "Open-source advocates say the rules are workable for most open-weight projects.",
)

LICENCE_CHANGE = (
    "Stability AI relicenses Stable Diffusion 3.5 after community backlash",
    "Stability AI has changed the licence of Stable Diffusion 3.5. The new Community "
    "License allows free commercial use for organisations with less than $1 million in "
    "annual revenue; larger companies need an enterprise licence.\n"
    "The earlier non-commercial terms drew criticism from developers, who said the licence "
    "was too restrictive for an open model. The weights stay available on Hugging Face.\n"
    "The acceptable use policy still bans a list of uses.",
)

ZOO = (
    "Zoo welcomes two baby llamas and a rescued falcon",
    "Riverside Zoo has two new residents: a pair of baby llamas born last week. The Llama "
    "mothers and their young can be seen in the farm enclosure from Saturday.\n"
    "Keepers are also caring for a peregrine Falcon found with an injured wing. The falcon "
    "is expected to be released back into the wild in spring.\n"
    "Llamas were domesticated in the Andes thousands of years ago. Visitors can feed them "
    "at 2 pm every day; tickets must be booked online.",
)

PHONE_REVIEW = (
    "Pixel 9 Pro review: the best camera, now with more AI",
    "Google's Pixel 9 Pro has a 6.3-inch display, a new Tensor G4 chip and a triple camera "
    "that is the best we have tested this year.\n"
    "Benchmarks put the Tensor G4 behind Qualcomm's latest chip, and the GPU throttles in "
    "long gaming sessions. Battery life is a full day of heavy use.\n"
    "The new AI features include call summaries and an image editor that adds people to "
    "group photos. Some of them need a subscription.\n"
    "At $999 it is expensive, but the camera and seven years of updates make it our pick.",
)

FOOTBALL = (
    "Falcons rally past Saints 27-24 in overtime",
    "The Atlanta Falcons came back from a 14-point deficit to beat the New Orleans Saints "
    "27-24 in overtime on Sunday.\n"
    "Kirk Cousins threw for 312 yards and two touchdowns, and Younghoe Koo kicked the "
    "winning field goal. Falcons coach Raheem Morris praised his defence.\n"
    "The Falcons, who signed Cousins to a $180 million contract in March, lead the division.",
)

CLOUD_OUTAGE = (
    "Major cloud outage takes down thousands of websites",
    "A configuration error at a large cloud provider took down thousands of websites and "
    "apps for about four hours on Tuesday, including banks, airlines and streaming services.\n"
    "The company said a faulty update to its load balancers caused the outage and that it "
    "had rolled the change back. Engineers restored service region by region.\n"
    "Customers asked for credits under their service agreements. Analysts said the event "
    "shows how much of the web depends on a handful of providers.\n"
    "The provider, which has been investing heavily in AI, said it would publish a full "
    "post-mortem next week.",
)

SPORTS_BELOW = (
    "More from our newsroom\n"
    "Falcons sign quarterback to $180 million extension\n"
    "The Atlanta Falcons have signed their quarterback to a four-year, $180 million "
    "contract extension, the richest in the team's history, after raising ticket prices.\n"
    "The league's new policy on player conduct also drew a ban for two players, and the "
    "community of season-ticket holders held a meetup to discuss the team's prospects.\n"
    "The Falcons open the season at home against the Saints."
)

PROPRIETARY_LAUNCH = (
    "OpenAI launches GPT-5, its most capable model yet",
    "OpenAI on Thursday launched GPT-5, the latest version of the large language model behind "
    "ChatGPT, saying it is faster, more accurate and better at coding than its previous models.\n"
    "The new model is available to all ChatGPT users and to developers through the API. A "
    "reasoning model variant thinks longer on hard problems.\n"
    "On benchmarks, GPT-5 outperforms the company's earlier models and rivals from Google and "
    "Anthropic on coding, math and science tests. It scored 74.9 percent on SWE-bench.\n"
    "The company said the model hallucinates less. Its context window grows to 400,000 tokens.\n"
    "The launch comes as competition among AI labs intensifies. Chinese labs such as DeepSeek "
    "have released strong models with open weights.\n"
    "Analysts said the launch would help OpenAI justify its $300 billion valuation as it "
    "raises more money for data centers.",
)

OFF_TOPIC_WITH_RELEVANT_TAIL = (
    "City council approves new bike lanes downtown",
    "\n".join(
        [
            "The city council voted 7-2 on Monday to approve twelve kilometres of protected "
            "bike lanes across downtown, ending two years of debate.",
            "Construction will start in April and take about eighteen months. Parking on "
            "three streets will be removed, and delivery zones will move to side streets.",
            "Shop owners on Main Street had opposed the plan, saying customers would not "
            "find parking. Cycling groups said the lanes would make the centre safer.",
            "The council also approved a budget increase for road repairs, a new bus route "
            "to the hospital and longer opening hours for the central library.",
            "Residents can comment on the detailed design until the end of the month. "
            "Public meetings will be held in each affected neighbourhood.",
            "The mayor said the project was the largest investment in cycling in the "
            "city's history and thanked residents for their patience.",
            "Opponents said they would ask for a referendum, but the council's lawyers said "
            "the decision was final under the city charter.",
            "Work on the first section, between the station and the river, begins in spring.",
            "In other news, Mistral released new open-weight models on Hugging Face.",
        ]
    ),
)


def score(article: tuple[str, str], lexicon: Lexicon | None = None) -> Relevance:
    title, text = article
    return (
        score_relevance(title, text) if lexicon is None else score_relevance(title, text, lexicon)
    )


# --- What a channel following a general front page would see -----------------------------


def test_a_llama_release_is_relevant_and_tagged_as_a_model_release() -> None:
    result = score(LLAMA_RELEASE)
    assert result.relevant
    assert result.tags[0] == "model-release"
    assert "Llama" in result.matched


def test_a_llama_cpp_release_note_is_tooling() -> None:
    result = score(LLAMA_CPP_RELEASE)
    assert result.relevant
    assert result.tags[0] == "tooling"
    assert {"llama.cpp", "GGUF"} <= set(result.matched)


def test_an_arxiv_paper_on_lora_is_research() -> None:
    result = score(LORA_PAPER)
    assert result.relevant
    assert result.tags[0] == "research"


def test_an_open_source_ai_startup_raising_money_is_funding() -> None:
    result = score(FUNDING)
    assert result.relevant
    assert result.tags[0] == "funding"


def test_eu_ai_act_open_source_exemptions_are_policy() -> None:
    result = score(EU_AI_ACT)
    assert result.relevant
    assert result.tags[0] == "policy"


def test_a_model_licence_change_is_licensing() -> None:
    result = score(LICENCE_CHANGE)
    assert result.relevant
    assert result.tags[0] == "licensing"


@pytest.mark.parametrize(
    "article",
    [ZOO, PHONE_REVIEW, FOOTBALL, CLOUD_OUTAGE],
    ids=["zoo-llamas-and-falcons", "phone-review", "football-result", "cloud-outage"],
)
def test_off_topic_articles_are_not_relevant(article: tuple[str, str]) -> None:
    result = score(article)
    assert not result.relevant
    assert result.score < RELEVANCE_THRESHOLD / 2


def test_a_sports_story_glued_below_a_release_changes_nothing_a_reader_sees() -> None:
    title, text = LLAMA_RELEASE
    alone = score(LLAMA_RELEASE)
    glued = score_relevance(title, text + "\n" + SPORTS_BELOW)
    assert glued.relevant
    assert glued.tags == alone.tags
    assert glued.tags[0] == "model-release"
    assert not {"funding", "policy", "community"} & set(glued.tags)
    assert "Falcon" not in glued.matched  # the Atlanta Falcons are not a model family


def test_a_relevant_sentence_at_the_end_of_an_off_topic_page_scores_low() -> None:
    result = score(OFF_TOPIC_WITH_RELEVANT_TAIL)
    assert not result.relevant
    # It is the position that keeps it low: as the lead, the same sentence weighs far more.
    title, text = OFF_TOPIC_WITH_RELEVANT_TAIL
    lead_first = "\n".join(reversed(text.split("\n")))
    assert score_relevance(title, lead_first).score > 1.5 * result.score


def test_a_proprietary_model_launch_full_of_ai_words_is_not_relevant() -> None:
    # Language models, benchmarks and a passing nod to open weights do not make it open-source
    # AI news; the channel would fill up with every chatbot launch.
    assert not score(PROPRIETARY_LAUNCH).relevant


def test_a_story_of_two_kinds_gets_both_tags() -> None:
    result = score_relevance(
        "Mistral raises €600M and releases a new open-weight model",
        "Paris-based Mistral AI raised €600 million in a Series B round, valuing it at €5.8bn.\n"
        "It also released Mistral Large 2, whose weights are on Hugging Face.",
    )
    assert result.relevant
    assert set(result.tags) == {"model-release", "funding"}


def test_a_page_delivered_as_one_line_still_has_a_lead_and_a_tail() -> None:
    title, text = OFF_TOPIC_WITH_RELEVANT_TAIL
    assert not score_relevance(title, text.replace("\n", " ")).relevant
    title, text = LLAMA_RELEASE
    assert score_relevance(title, text.replace("\n", " ")).tags[0] == "model-release"


def test_the_title_weighs_more_than_the_body() -> None:
    in_title = score_relevance("Ollama adds a new scheduler", "Details below.")
    in_body = score_relevance("A new scheduler", "Ollama adds one.\nDetails below.")
    assert in_title.score > in_body.score


# --- Words that are also ordinary words -----------------------------------------------------


def test_a_versioned_model_name_in_a_bare_headline_is_enough() -> None:
    assert score_relevance("Phi-4-mini and Gemma 3 on a Raspberry Pi", "").relevant
    assert score_relevance("Falcon 180B tops the leaderboard", "").relevant


def test_the_rocket_the_letter_and_the_radio_are_not_models() -> None:
    rocket = score_relevance("SpaceX launches Falcon 9 with 22 satellites", "Liftoff at 6 pm.")
    letter = score_relevance("Why phi shows up everywhere", "The golden ratio phi is 1.618.")
    radio = score_relevance("LoRa gateways for farms", "LoRa radios send sensor data 10 km.")
    for result in (rocket, letter, radio):
        assert result.matched == () and result.score < 0.01


def test_a_model_name_counts_fully_only_with_ai_context_nearby() -> None:
    bare = score_relevance("Mistral and Falcon", "Mistral is a wind; a Falcon is a bird.")
    in_context = score_relevance("Mistral and Falcon", "Both are open-weight LLM families.")
    assert not bare.relevant and bare.matched == ()
    assert in_context.relevant and {"Mistral", "Falcon"} <= set(in_context.matched)


# --- Results are stable -----------------------------------------------------------------------


def test_scoring_is_deterministic() -> None:
    results = {score(article) for article in [LLAMA_RELEASE, FUNDING, ZOO] * 3}
    assert len(results) == 3


def test_tags_are_at_most_three_known_tags_and_scores_stay_in_range() -> None:
    articles = [LLAMA_RELEASE, LLAMA_CPP_RELEASE, LORA_PAPER, FUNDING, EU_AI_ACT, ZOO]
    for result in map(score, articles):
        assert 0.0 <= result.score <= 1.0
        assert len(result.tags) <= 3 and set(result.tags) <= set(TAGS)


def test_a_2000_word_page_is_scored_and_its_filler_changes_nothing() -> None:
    title, text = LLAMA_RELEASE
    padding = "\n".join(["The weather was mild and the harbour was quiet that day."] * 200)
    result = score_relevance(title, text + "\n" + padding)  # about 2,000 words
    assert result == score(LLAMA_RELEASE)


def test_empty_input_scores_zero() -> None:
    assert score_relevance("", "") == Relevance(score=0.0, tags=(), matched=())


# --- Configuration ------------------------------------------------------------------------------


def test_the_default_lexicon_toml_reads_back_as_the_default_lexicon() -> None:
    raw = tomllib.loads(default_lexicon_toml())
    assert Lexicon.from_config(raw["relevance"]) == Lexicon.default()


def test_an_empty_relevance_table_is_the_default_lexicon() -> None:
    assert Lexicon.from_config({}) == Lexicon.default()


def test_configured_terms_extend_the_defaults() -> None:
    item = ("Lemonade 2.0 serves models on NPUs", "A local server for Ryzen AI laptops.")
    assert not score(item).relevant
    lexicon = Lexicon.from_config({"topics": {"tooling": {"Lemonade": 3.0}}})
    result = score(item, lexicon)
    assert result.relevant and result.tags == ("tooling",)


def test_terms_can_be_given_as_a_list_with_the_default_weight() -> None:
    lexicon = Lexicon.from_config({"topics": {"tooling": ["Lemonade"]}})
    assert score(("Lemonade serves models", ""), lexicon).matched == ("Lemonade",)


def test_disabled_terms_no_longer_count() -> None:
    lexicon = Lexicon.from_config({"disable": ["Ollama"]})
    assert score(("Ollama adds a new scheduler", ""), lexicon).score == 0.0


def test_ignored_phrases_shadow_names() -> None:
    lexicon = Lexicon.from_config({"ignore": ["Gemma Arterton"]})
    item = ("Gemma Arterton stars in an AI thriller", "The LLM villain is played by a robot.")
    assert "Gemma" in score(item).matched
    assert "Gemma" not in score(item, lexicon).matched


def test_the_configured_threshold_decides_relevant() -> None:
    strict = Lexicon.from_config({"threshold": 0.99})
    result = score(LLAMA_CPP_RELEASE, strict)
    assert result.threshold == 0.99 and not result.relevant


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"treshold": 0.5}, "relevance.treshold"),
        ({"threshold": 1.5}, "relevance.threshold"),
        ({"threshold": "high"}, "relevance.threshold"),
        ({"defaults": "yes"}, "relevance.defaults"),
        ({"disable": ["Llamma"]}, "relevance.disable"),
        ({"disable": "Phi"}, "relevance.disable"),
        ({"topics": {"sports": ["Falcons"]}}, "relevance.topics.sports"),
        ({"topics": {"tooling": {"Lemonade": 0}}}, "relevance.topics.tooling"),
        ({"cues": {"funding": {"grant": "a lot"}}}, "relevance.cues.funding"),
        ({"names": {"general": "Granite"}}, "relevance.names.general"),
        ({"names": ["Granite"]}, "relevance.names"),
        ({"topics": {"general": ["x*"]}}, "relevance.topics.general"),
        ({"ignore": [9]}, "relevance.ignore"),
        ({"cues": ["grant"]}, "relevance.cues"),
    ],
)
def test_bad_config_names_the_key(raw: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        Lexicon.from_config(raw)
