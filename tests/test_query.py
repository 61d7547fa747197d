"""The subscription query language, as a researcher types it into `/papers subscribe`."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import BadQuery, UnknownTopic
from bot.relevance.query import AuthorTerm, CategoryTerm, PhraseTerm, TopicTerm, parse_query
from bot.relevance.topics import default_taxonomy

TAXONOMY = default_taxonomy()


def parse(text: str):
    return parse_query(text, TAXONOMY)


def test_a_topic_slug():
    query = parse("reinforcement-learning")
    assert query.groups == ((TopicTerm("reinforcement-learning"),),)
    assert query.topics() == ["reinforcement-learning"]
    assert query.describe() == "topic reinforcement-learning"


def test_a_misspelt_slug_says_did_you_mean():
    with pytest.raises(UnknownTopic) as err:
        parse("reinforcment-learning")
    assert "did you mean reinforcement-learning" in err.value.message.lower()


def test_a_hyphenated_word_that_is_no_slug_is_an_unknown_topic_not_a_silent_phrase():
    with pytest.raises(UnknownTopic):
        parse("quantum-gravity-foo")


def test_a_single_word_close_to_a_slug_is_a_typo():
    with pytest.raises(UnknownTopic) as err:
        parse("robotcs")
    assert "robotics" in err.value.suggestions


def test_words_that_spell_a_topic_name_mean_the_topic():
    assert parse("reinforcement learning").topics() == ["reinforcement-learning"]


def test_other_unquoted_words_are_one_phrase_and_quotes_make_one_too():
    assert parse("sparse autoencoder features").groups == ((PhraseTerm("sparse autoencoder features"),),)
    assert parse('"sparse reward"').groups == ((PhraseTerm("sparse reward"),),)


def test_a_category_is_spelt_as_arxiv_lists_it():
    assert parse("cat:stat.ml").groups == ((CategoryTerm("stat.ML"),),)
    assert parse("cat:cond-mat.stat-mech").groups == ((CategoryTerm("cond-mat.stat-mech"),),)
    assert parse("cat:hep-th").groups == ((CategoryTerm("hep-th"),),)


def test_the_full_language_and_how_it_was_understood():
    query = parse('reinforcement-learning OR robotics -survey -"position paper" cat:cs.lg min-upvotes=5')
    assert query.groups == (
        (TopicTerm("reinforcement-learning"), TopicTerm("robotics")),
        (CategoryTerm("cs.LG"),),
    )
    assert query.excluded == (PhraseTerm("survey"), PhraseTerm("position paper"))
    assert query.min_upvotes == 5
    assert query.describe() == (
        '(topic reinforcement-learning or topic robotics) and category cs.LG, not "survey", '
        'not "position paper", min 5 upvotes'
    )


def test_authors_quoted_or_not():
    assert parse('author:"Sergey Levine"').groups == ((AuthorTerm("Sergey Levine"),),)
    assert parse("author:Levine").groups == ((AuthorTerm("Levine"),),)


def test_terms_side_by_side_must_all_match():
    assert len(parse("reinforcement-learning robotics").groups) == 2


def test_the_text_is_kept_with_its_whitespace_normalised():
    assert parse("  robotics    -survey ").text == "robotics -survey"


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "needs some text"),
        ("   ", "needs some text"),
        ('"sparse reward', "quote is not closed"),
        ("-survey", "not only exclusions"),
        ("min-upvotes=5", "not only exclusions"),
        ("x" * 5000, "keep it under 300"),
        ("robotics\x00", "control characters"),
        ("))) AND NOT (((", "not part of the query language"),
        ("robotics OR", "OR needs a term on both sides"),
        ("OR robotics", "OR needs a term on both sides"),
        ("robotics NOT survey", "minus"),
        ("min-upvotes=many robotics", "min-upvotes=N"),
        ("cat:cs.LG a category!", "not part of the query language"),
        ("cat:cs.XX", "`cs.XX` is not an arXiv category; arXiv lists them at https://arxiv.org/category_taxonomy."),
        ("cat:cs.LGG", "`cs.LGG` is not an arXiv category; did you mean cs.LG?"),
        ("cat:cs.ML", "`cs.ML` is not an arXiv category; did you mean cs.LG?"),
        ("cat:cs", "`cs` is not an arXiv category; it is an archive: name one of its categories, such as cs.AI."),
        ("title:robots", "`title:` is not a field I know"),
        ("AND" * 90 + "cat:cs.LG", "`ANDANDAND"),  # a long unknown field is quoted short: the answer stays one line
        ("robotics; DROP TABLE papers", "not part of the query language"),
    ],
)
def test_bad_queries_get_one_clear_sentence(text, says):
    with pytest.raises(BadQuery) as err:
        parse(text)
    assert says in err.value.message
    assert err.value.message.count(". ") == 0 and len(err.value.message) <= 300  # one sentence
    assert err.value.usage == "subscribe"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_parses_or_is_a_bad_query(text):
    try:
        query = parse(text)
    except BadQuery:
        return
    assert query.groups and query.describe()
