"""The subscription query language: `reinforcement-learning -survey OR "world model" min-upvotes=5`.

Grammar (informal):

    query   := item (item | "OR" item | "AND" item)*
    item    := ["-"] term | "min-upvotes=" N
    term    := topic-slug | "quoted phrase" | word+ | cat:CODE | author:NAME | author:"Full Name"
             | like:ARXIV-ID-OR-LINK

Terms side by side must all match (implicit AND, like every search box a researcher already
uses: `reinforcement-learning robotics` means RL papers about robots). `OR` joins the terms on
either side of it, and binds tighter than the implicit AND, so `a OR b c` means (a or b) and c.
A run of unquoted words that are neither slugs nor operators is one phrase
(`graph neural network` = "graph neural network"), or the topic whose name it spells
(`reinforcement learning` = reinforcement-learning). A single hyphenated lower-case word is
read as a slug, so a misspelt slug is an error with a suggestion, never a silent phrase.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.errors import BadQuery, UnknownTopic, echo
from bot.paper_links import arxiv_key
from bot.relevance import categories as arxiv_categories
from bot.relevance.topics import SLUG, Taxonomy, fold, words

MAX_LENGTH = 300
MAX_TERMS = 20
USAGE = "subscribe"
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "’": "'", "‘": "'"})
_MIN_UPVOTES = re.compile(r"^min-upvotes=(\d{1,6})$", re.I)
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$", re.I)
_BARE = re.compile(r"^[\w.+'/#&-]+$")  # what may appear in an unquoted word
_FORBIDDEN = set("()[]{}<>;=*|\\`$^~!?")


@dataclass(frozen=True)
class TopicTerm:
    slug: str

    def describe(self) -> str:
        return f"topic {self.slug}"


@dataclass(frozen=True)
class PhraseTerm:
    phrase: str

    def describe(self) -> str:
        return f'"{self.phrase}"'


@dataclass(frozen=True)
class CategoryTerm:
    category: str

    def describe(self) -> str:
        return f"category {self.category}"


@dataclass(frozen=True)
class AuthorTerm:
    name: str

    def describe(self) -> str:
        return f'author "{self.name}"'


@dataclass(frozen=True)
class LikeTerm:
    """`like:2401.12345`: papers that resemble that one (bot/relevance/alike.py)."""

    key: str

    def describe(self) -> str:
        return f"papers like {self.key}"


Term = TopicTerm | PhraseTerm | CategoryTerm | AuthorTerm | LikeTerm


@dataclass(frozen=True)
class Query:
    """A parsed subscription: every group must match (any term in it), no exclusion may match."""

    text: str
    min_upvotes: int = 0
    groups: tuple[tuple[Term, ...], ...] = field(default=())
    excluded: tuple[Term, ...] = field(default=())

    def describe(self) -> str:
        """How the query was understood, for `/papers list` and the subscribe confirmation."""
        parts = [" or ".join(term.describe() for term in group) for group in self.groups]
        text = " and ".join(f"({p})" if " or " in p and len(parts) > 1 else p for p in parts)
        extras = [f"not {term.describe()}" for term in self.excluded]
        if self.min_upvotes:
            extras.append(f"min {self.min_upvotes} upvote{'s' if self.min_upvotes != 1 else ''}")
        return ", ".join([text, *extras])

    def likes(self) -> list[str]:
        """The paper keys `like:` terms name (excluded ones too: each must be a stored paper)."""
        terms = [t for group in self.groups for t in group] + list(self.excluded)
        return [t.key for t in terms if isinstance(t, LikeTerm)]

    def topics(self) -> list[str]:
        """The slugs the query asks for (not the excluded ones), in order of mention."""
        return [t.slug for group in self.groups for t in group if isinstance(t, TopicTerm)]


def _fail(message: str) -> BadQuery:
    return BadQuery(message, usage=USAGE)


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise _fail("A subscription needs some text: a topic, a phrase, cat:CODE or author:NAME.")
    if len(text) > MAX_LENGTH:
        raise _fail(f"That query is {len(text)} characters long; keep it under {MAX_LENGTH}.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in "\t\n\r" for ch in text):
        raise _fail("That query contains control characters; type it as plain text.")
    text = " ".join(text.translate(_QUOTES).split())
    if not text:
        raise _fail("A subscription needs some text: a topic, a phrase, cat:CODE or author:NAME.")
    return text


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split into (token, was_quoted); a quoted token keeps a leading `-` or `key:` outside the quotes."""
    tokens: list[tuple[str, bool]] = []
    i = 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        start = i
        while i < len(text) and text[i] not in ' "':
            i += 1
        head = text[start:i]
        if i < len(text) and text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _fail('A quote is not closed; put the phrase between two " marks.')
            phrase = text[i + 1 : end].strip()
            if not phrase:
                raise _fail('An empty "" phrase means nothing; put words between the quotes.')
            if end + 1 < len(text) and text[end + 1] != " ":
                raise _fail("Leave a space after a closing quote.")
            tokens.append((head + "\0" + phrase, True))
            i = end + 1
        else:
            tokens.append((head, False))
    return tokens


class _Parser:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.names = {" ".join(words(t.name)): t.slug for t in taxonomy}
        self.names.update({" ".join(words(t.slug)): t.slug for t in taxonomy})
        # `rl`, `llm`, `multi-agent RL`: an alias or acronym of exactly one topic names it (quoted, it is a phrase)
        owners: dict[str, set[str]] = {}
        for topic in taxonomy:
            for other in (*topic.aliases, *topic.acronyms):
                owners.setdefault(" ".join(words(other)), set()).add(topic.slug)
        for key, slugs in owners.items():
            if len(slugs) == 1 and key:
                self.names.setdefault(key, next(iter(slugs)))

    def term(self, token: str, quoted: bool) -> Term:
        if quoted:
            head, phrase = token.split("\0")
            if head == "":
                return PhraseTerm(phrase)
            if head.lower() == "author:":
                return AuthorTerm(phrase)
            if head.lower() == "cat:":
                return self.category(phrase)
            raise _fail(f'I can\'t read {echo(head)} before a quoted phrase; use author:"Name" or a plain "phrase".')
        key, _, value = token.partition(":")
        if value and key.lower() == "like":
            return self.like(value)
        if value and key.lower() == "cat":
            return self.category(value)
        if value and key.lower() == "author":
            return AuthorTerm(value)
        if value and not re.match(r"^\d", value):  # "foo:bar" is a typo for a field, not a word
            raise _fail(f'{echo(key + ":")} is not a field I know; use cat:cs.LG or author:"Name".')
        bad = sorted(set(token) & _FORBIDDEN)
        if bad or not _BARE.match(token):
            shown = bad[0] if bad else token
            raise _fail(
                f'{echo(shown)} is not part of the query language; use words, "phrases", topic slugs, '
                "-exclusions and OR."
            )
        if "-" in token and (named := self.names.get(" ".join(words(token)))):
            return TopicTerm(named)  # multi-agent-RL, self-supervised-learning
        if SLUG.match(token.lower()) and "-" in token:
            return TopicTerm(self.taxonomy.require(token.lower()).slug)
        if token in self.taxonomy:
            return TopicTerm(token)
        return PhraseTerm(token)

    def like(self, value: str) -> LikeTerm:
        """An arXiv id, or an arXiv or Hugging Face link to one (version dropped)."""
        key = arxiv_key(value)
        if key is None:
            raise _fail(f"like: needs an arXiv id or link, such as like:2401.12345; {echo(value)} is neither.")
        return LikeTerm(key)

    def category(self, value: str) -> CategoryTerm:
        if not _CATEGORY.match(value):
            raise _fail(f"{echo(value)} is not an arXiv category; write it like cat:cs.LG or cat:q-fin.TR.")
        return CategoryTerm(arxiv_categories.require(value))  # spelt as arXiv does: cat:cs.lg is cs.LG

    def words_to_term(self, run: list[str]) -> Term:
        """A run of unquoted plain words: a topic if they spell its name, else a phrase or a near-slug typo."""
        key = " ".join(words(" ".join(run)))
        if key in self.names:
            return TopicTerm(self.names[key])
        if len(run) == 1:
            word = run[0]
            close = process.extractOne(fold(word), list(self.taxonomy._topics), scorer=fuzz.ratio, score_cutoff=85)
            if close is not None and len(word) >= 5:
                raise UnknownTopic(word, self.taxonomy.suggest(word))
        return PhraseTerm(" ".join(run))


_PARSERS: weakref.WeakKeyDictionary[Taxonomy, _Parser] = weakref.WeakKeyDictionary()


def _parser_for(taxonomy: Taxonomy) -> _Parser:
    """Building the index of topic names is nearly all of a parse's cost: once per taxonomy."""
    parser = _PARSERS.get(taxonomy)
    if parser is None:
        parser = _PARSERS[taxonomy] = _Parser(taxonomy)
    return parser


def parse_query(text: str, taxonomy: Taxonomy) -> Query:
    """Parse a subscription; any problem is a BadQuery (or UnknownTopic) with one sentence to show."""
    text = _check_text(text)
    parser = _parser_for(taxonomy)
    min_upvotes = 0
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    run: list[str] = []  # consecutive plain words, read together as one phrase
    spelt: list[str] = []  # the text as it is kept: a like: link or versioned id as the bare id

    def flush() -> None:
        if run:
            add(parser.words_to_term(run), negated=False)
            run.clear()

    def add(term: Term, negated: bool) -> None:
        nonlocal pending_or
        if negated:
            if pending_or:
                raise _fail("OR needs a term on both sides, and an exclusion can't be one of them.")
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])

    for token, quoted in _tokens(text):
        spelt.append('{}"{}"'.format(*token.split("\0")) if quoted else token)
        if not quoted and token == "OR":
            flush()
            if pending_or or not groups:
                raise _fail("OR needs a term on both sides, like `robotics OR navigation`.")
            pending_or = True
            continue
        if not quoted and token in ("AND", "&&"):
            flush()
            continue  # terms side by side are ANDed anyway
        if not quoted and token in ("NOT", "!"):
            raise _fail("To leave something out put a minus before it, like -survey or -robotics.")
        if not quoted and (m := _MIN_UPVOTES.match(token)):
            flush()
            min_upvotes = int(m.group(1))
            continue
        if not quoted and token.lower().startswith("min-upvotes"):
            raise _fail("Write the upvote threshold as min-upvotes=N with a whole number, like min-upvotes=5.")
        negated = token.startswith("-")
        body = token[1:] if negated else token
        if negated and (body == "" or body.startswith("-")):
            raise _fail('A minus must be followed by the word, "phrase" or topic to leave out, like -survey.')
        if quoted or negated or ":" in body or "-" in body or body in taxonomy:
            flush()
            term = parser.term(body, quoted)
            add(term, negated)
            if isinstance(term, LikeTerm):
                spelt[-1] = f"{'-' if negated else ''}like:{term.key}"
        else:
            parser.term(body, quoted)  # rejects stray operators before they join a phrase
            run.append(body)
        if len(groups) + len(excluded) + len(run) > MAX_TERMS:
            raise _fail(f"That query has more than {MAX_TERMS} terms; split it into several subscriptions.")
    flush()
    if pending_or:
        raise _fail("OR needs a term on both sides, like `robotics OR navigation`.")
    if not groups:
        raise _fail("A subscription needs at least one thing to look for, not only exclusions or settings.")
    return Query(
        text=" ".join(spelt),
        min_upvotes=min_upvotes,
        groups=tuple(tuple(g) for g in groups),
        excluded=tuple(excluded),
    )


__all__ = ["AuthorTerm", "CategoryTerm", "PhraseTerm", "Query", "Term", "TopicTerm", "parse_query"]
