"""Topics by meaning: a paper that says none of a topic's phrases but reads like its papers is matched, says so,
and the rules' matches stay as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from bot.relevance import topic_model
from bot.relevance.matching import Matcher
from bot.relevance.paper_text import PaperText
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import parse_query
from bot.relevance.topics import default_taxonomy
from tests.chat import Chat
from tests.labelled import held_out, labelled, macro_f1, tune_part

TAXONOMY = default_taxonomy()
RULES = Matcher(TAXONOMY, topic_model=None)
MODELS = Matcher(TAXONOMY)


def test_a_paper_that_names_no_phrase_of_its_topic_is_matched_and_its_why_says_it_reads_like_its_papers(
    chat: Chat,
) -> None:
    chat.say("/papers subscribe large-language-models")

    answer = chat.say("/papers why 2608.14221").splitlines()

    assert answer[0].startswith("MathForm: Scaling Mathematical Autoformalization")
    assert answer[1].startswith("  large-language-models: reads like its papers (")
    assert answer[1].endswith("), though it names none of its phrases")


def test_the_rules_alone_miss_that_paper_and_the_model_only_adds() -> None:
    mathform = next(p for p, _ in labelled() if p.arxiv_id == "2608.14221")
    query = parse_query("large-language-models", TAXONOMY)

    assert RULES.match(query, mathform) is None
    assert MODELS.match(query, mathform) is not None
    for paper, _ in labelled():  # a rule match is never taken away
        for slug in ("large-language-models", "diffusion-models", "ai-safety"):
            q = parse_query(slug, TAXONOMY)
            assert RULES.match(q, paper) is None or MODELS.match(q, paper) is not None


def test_a_paper_with_a_sentence_for_an_abstract_is_left_to_the_rules() -> None:
    mathform = next(p for p, _ in labelled() if p.arxiv_id == "2608.14221")
    short = mathform.with_changes(abstract=" ".join(mathform.abstract.split()[:30]))

    assert MODELS.topic_model is not None
    assert MODELS.topic_model.read(PaperText(short).keys, short.categories) == {}
    assert MODELS.match(parse_query("large-language-models", TAXONOMY), short) is None


def test_the_model_reads_a_paper_as_scikit_learn_trained_it(tmp_path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    papers = [paper for paper, _ in labelled()][:120]
    feats = [topic_model.features(PaperText(p).keys, p.categories) for p in papers]
    vectorizer = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True, min_df=2)
    x = vectorizer.fit_transform(feats)
    y = np.array([["llm" in " ".join(f) or "language model" in " ".join(f) for f in feats]]).T.ravel()
    regression = LogisticRegression(C=4.0, solver="liblinear", random_state=0).fit(x, y)
    model = topic_model.TopicModel(
        slugs=("large-language-models",),
        vocabulary={w: int(i) for w, i in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_,
        weights=regression.coef_.T,
        intercepts=regression.intercept_,
        threshold=0.5,
        revision="test",
    )
    model.save(tmp_path / "model.npz")
    loaded = topic_model.load(tmp_path / "model.npz")

    expected = regression.predict_proba(x)[:, 1]
    for f, p in zip(feats, expected, strict=True):
        assert loaded.probabilities(f)["large-language-models"] == pytest.approx(p, abs=1e-5)
    assert loaded.revision != topic_model.load(topic_model.MODEL_FILE).revision


def test_stored_evidence_of_the_rules_alone_is_stale_once_the_models_read_papers(engine: Engine) -> None:
    assert PaperTopics(engine, RULES).version != PaperTopics(engine, MODELS).version
    assert PaperTopics(engine, MODELS).version.endswith(topic_model.load(topic_model.MODEL_FILE).revision)


def test_on_the_labelled_set_the_models_add_recall_and_keep_macro_f1_at_or_above_the_rules() -> None:
    rows = labelled()
    tune = tune_part(rows)
    for part in (rows, tune, held_out(rows)):
        assert macro_f1(MODELS, part) >= macro_f1(RULES, part)
    assert macro_f1(MODELS, tune) >= 0.96  # the rules alone: 0.956
