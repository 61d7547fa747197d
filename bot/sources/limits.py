"""What a paper must be before it is stored, the same on both databases, and the check that makes it so.

Every parser hands each paper to `checked` before storage sees it: a record outside the limits
is refused with one sentence (its line or entry is skipped), an over-long field is cut and
counted, and nothing reaches a database that one of them would refuse. Text has had its
controls (NUL included) turned into spaces and its lone surrogates removed by `clean_text`;
`checked` removes any that are left, so a paper built elsewhere is safe too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.domain import Paper

MAX_TITLE = 1_000
MAX_TEXT = 20_000  # an abstract or AI summary
MAX_NAME = 300  # one author, keyword or category
MAX_NAMES = 2_000  # authors (collaborations list thousands), keywords or categories of one paper
MAX_LINK = 2_000  # longer is no link anyone follows; cut, it would be a broken one, so it is left out
MAX_COUNT = 2**31 - 1  # PostgreSQL's integer; SQLite holds more, but both databases keep one limit
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # arXiv began in 1991
AHEAD = timedelta(days=2)  # feeds date items in US time zones, a day ahead of UTC at most

# arXiv's identifiers (info.arxiv.org/help/arxiv_identifier.html): `YYMM.NNNN` from 0704 to 1412,
# `YYMM.NNNNN` from 1501; before April 2007 `archive(.XX)/YYMMNNN`, from this closed list.
_ARCHIVES = [
    "acc-phys",
    "adap-org",
    "alg-geom",
    "ao-sci",
    "astro-ph",
    "atom-ph",
    "bayes-an",
    "chao-dyn",
    "chem-ph",
    "cmp-lg",
    "comp-gas",
    "cond-mat",
    "cs",
    "dg-ga",
    "funct-an",
    "gr-qc",
    "hep-ex",
    "hep-lat",
    "hep-ph",
    "hep-th",
    "math",
    "math-ph",
    "mtrl-th",
    "nlin",
    "nucl-ex",
    "nucl-th",
    "patt-sol",
    "physics",
    "plasm-ph",
    "q-alg",
    "q-bio",
    "quant-ph",
    "solv-int",
    "supr-con",
]
_MONTH = r"(?:0[1-9]|1[0-2])"
ARXIV_GRAMMAR = (
    rf"(?:(?:07(?:0[4-9]|1[0-2])|(?:0[89]|1[0-4]){_MONTH})\.\d{{4}}"  # 0704..1412: four digits
    rf"|(?:1[5-9]|[2-9]\d){_MONTH}\.\d{{5}}"  # 1501 on: five
    rf"|(?:{'|'.join(map(re.escape, _ARCHIVES))})(?:\.[A-Z]{{2}})?/(?:(?:9[1-9]|0[0-6]){_MONTH}|070[1-3])\d{{3}})"
)
_ARXIV_ID = re.compile(ARXIV_GRAMMAR)
# NUL (PostgreSQL refuses it) and lone surrogates (UTF-8 cannot hold them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_TEXTS = {"title": MAX_TITLE, "abstract": MAX_TEXT, "ai_summary": MAX_TEXT}
_NAMES = ("authors", "categories", "ai_keywords")
_LINKS = ("url", "code_url", "project_url", "thumbnail_url")


class Refused(ValueError):
    """One reason a record cannot be a paper; its text is the sentence that reports the skipped line."""


def is_arxiv_id(text: str) -> bool:
    """Whether `text` is an arXiv id as arXiv issues them, without version: never a near miss."""
    return _ARXIV_ID.fullmatch(text) is not None


def checked(paper: Paper, now: datetime | None = None) -> tuple[Paper, int]:
    """The paper within every limit and how many fields had to be cut; raises `Refused` if it cannot be."""
    if paper.arxiv_id is not None and not is_arxiv_id(paper.arxiv_id):
        raise Refused(f"id {paper.arxiv_id[:40]!r} is not an arXiv id")
    if paper.upvotes is not None and not 0 <= paper.upvotes <= MAX_COUNT:
        raise Refused(f"upvotes must be a whole number from 0 to {MAX_COUNT:,}")
    if (published := paper.published_at) is not None:
        latest = (now or datetime.now(UTC)) + AHEAD
        if not EARLIEST <= (published if published.tzinfo else published.replace(tzinfo=UTC)) <= latest:
            raise Refused(f"published_at {published:%Y-%m-%d} is not between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d}")
    changes: dict[str, object] = {}
    cut = 0
    for name, limit in _TEXTS.items():
        value = getattr(paper, name)
        if value is None:
            continue
        text = _storable(value)
        if len(text) > limit:
            text, cut = text[:limit].rstrip(), cut + 1
        if text is not value:
            changes[name] = text
    for name in _NAMES:
        values = getattr(paper, name)
        if values and (
            len(values) > MAX_NAMES or max(map(len, values)) > MAX_NAME or _UNSTORABLE.search("|".join(values))
        ):
            kept = tuple(n for n in (_storable(v)[:MAX_NAME].rstrip() for v in values[:MAX_NAMES]) if n)
            cut += any(len(v) > MAX_NAME for v in values) or len(values) > MAX_NAMES
            changes[name] = kept
    for name in _LINKS:
        link = getattr(paper, name)
        if link is not None and (len(link) > MAX_LINK or not link.isprintable() or " " in link):
            cut += len(link) > MAX_LINK
            changes[name] = None  # a broken link is worse than none
    if not changes.get("title", paper.title):
        raise Refused("no title")
    return (paper.with_changes(**changes) if changes else paper), cut


def _storable(text: str) -> str:
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text
