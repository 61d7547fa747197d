"""The topic taxonomy as `/papers topics` and the subscribe command see it."""

from pathlib import Path

import pytest

from bot.errors import UnknownTopic
from bot.relevance.topics import Taxonomy, default_taxonomy, phrase_keys, words

REQUIRED = [
    "reinforcement-learning",
    "large-language-models",
    "computer-vision",
    "natural-language-processing",
    "robotics",
    "navigation",
    "diffusion-models",
    "speech-and-audio",
    "ai-safety",
    "graph-neural-networks",
    "quantitative-finance",
    "recommender-systems",
    "multi-agent-systems",
    "neural-architecture-search",
    "interpretability",
    "medical-imaging",
    "time-series",
    "federated-learning",
    "3d-vision",
    "video-generation",
    "code-generation",
    "optimization",
    "theory",
    "datasets-and-benchmarks",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return default_taxonomy()


def test_the_bundled_taxonomy_has_every_required_topic_among_150_or_more(taxonomy):
    assert len(taxonomy) >= 150
    assert [slug for slug in REQUIRED if taxonomy.get(slug) is None] == []


def test_acronyms_that_matter_are_case_sensitive_tokens(taxonomy):
    assert "RL" in taxonomy.require("reinforcement-learning").acronyms
    assert "LLM" in taxonomy.require("large-language-models").acronyms
    assert "GNN" in taxonomy.require("graph-neural-networks").acronyms
    assert {"ASR", "TTS"} <= set(taxonomy.require("speech-and-audio").acronyms)
    assert "VLA" in taxonomy.require("robotics").acronyms


def test_offline_rl_sits_under_rl_and_is_covered_by_it(taxonomy):
    assert taxonomy.require("offline-reinforcement-learning").parent == "reinforcement-learning"
    assert "offline-reinforcement-learning" in [t.slug for t in taxonomy.children("reinforcement-learning")]
    assert "offline-reinforcement-learning" in [t.slug for t in taxonomy.subtree("reinforcement-learning")]


def test_a_misspelt_slug_gets_did_you_mean(taxonomy):
    with pytest.raises(UnknownTopic) as err:
        taxonomy.require("reinforcment-learning")
    assert err.value.suggestions[0] == "reinforcement-learning"
    assert "did you mean reinforcement-learning" in err.value.message.lower()


def test_suggest_knows_acronyms(taxonomy):
    assert taxonomy.suggest("RL")[0] == "reinforcement-learning"


def test_topics_browse_by_prefix_or_by_name(taxonomy):
    assert [t.slug for t in taxonomy.browse("reinforcement")][:2] == ["reinforcement-learning"] or any(
        t.slug == "reinforcement-learning" for t in taxonomy.browse("reinforcement")
    )
    assert "speech-and-audio" in [t.slug for t in taxonomy.browse("speech")]
    assert len(taxonomy.browse("")) == len(taxonomy)
    slugs = [t.slug for t in taxonomy.browse("learning")]
    assert slugs == sorted(slugs)


def test_a_deployment_file_adds_and_overrides_topics(tmp_path: Path):
    extra = tmp_path / "topics.toml"
    extra.write_text(
        '[protein-design]\nname = "Protein design"\nparent = "ai-for-science"\naliases = ["protein design"]\n'
        '[robotics]\nname = "Robots"\n',
        encoding="utf-8",
    )
    taxonomy = Taxonomy.load(extra)
    assert taxonomy.require("protein-design").parent == "ai-for-science"
    assert taxonomy.require("robotics").name == "Robots"
    assert "VLA" in taxonomy.require("robotics").acronyms  # keys not given are kept


def test_a_deployment_file_with_an_unknown_parent_is_refused(tmp_path: Path):
    extra = tmp_path / "topics.toml"
    extra.write_text('[x-topic]\nname = "X"\nparent = "no-such-topic"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown parent"):
        Taxonomy.load(extra)


def test_phrases_meet_across_hyphens_spacing_and_plurals():
    assert words("Q-learning") == words("Q learning") == words("q-Learning")
    assert words("policies and rewards") == words("policy and reward")
    assert phrase_keys("pre-training") == {" pre train ", " pretrain "}
