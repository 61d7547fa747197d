"""Whatever anyone types: the grammar and the query language answer, or refuse in one sentence; nothing crashes.

About 126,000 generated inputs a run go through the parsers (cheap); tests/test_hostile_replies.py sends
2,000 through the real service and renders every reply for every platform.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat import commands as c
from bot.delivery.schedule_words import parse_schedule
from bot.errors import BadCommand, BadQuery, BadSchedule, PapersError
from bot.relevance.query import Query, parse_query
from bot.relevance.topics import Taxonomy

TAXONOMY = Taxonomy.load(None)
SLUGS = sorted(t.slug for t in TAXONOMY)

# What people (and people probing the bot) actually type into search boxes and SQL consoles.
HOSTILE_PIECES = [
    "))) AND NOT (((",
    "NEAR(",
    "NEAR(a b, 3)",
    "*",
    "**",
    '"',
    '""',
    "'",
    "''",
    "'; DROP TABLE papers; --",
    "--",
    "-",
    "- -",
    "OR",
    "OR OR",
    "AND",
    "NOT",
    "&&",
    "!",
    "||",
    "^",
    "~",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "%",
    "_",
    "`",
    "$",
    ";",
    ":",
    "=",
    "cat:",
    "cat:cs.LG",
    "cat:cs.",
    "cat:..",
    'cat:"cs.LG"',
    "author:",
    'author:"',
    'author:"Ana Lima"',
    'author:""',
    "min-upvotes=",
    "min-upvotes=5",
    "min-upvotes=-1",
    "min-upvotes=1e9",
    "min-upvotes=9999999",
    "min-upvotes=abc",
    "min-upvotes==5",
    "MIN-UPVOTES=3",
    '"world model"',
    '-"survey"',
    '"nested "quotes" here"',
    '"""',
    "“smart”",
    "«guillemets»",
    "‘single’",
    "reinforcement-learning",
    "reinforcment-learning",
    "-robotics",
    "--robotics",
    "robotics",
    "graph neural network",
    "x:y",
    "1:2",
    "<!channel>",
    "<@U123>",
    "@everyone",
    "<#C1>",
    "&amp;",
    "&lt;",
    "🚀",
    "👨\u200d👩\u200d👧",
    "é",
    "e\u0301",
    "ﬁ",
    "İ",
    "ß",
    "Ⅸ",
    "０９:００",
    "09:00",
    "25:99",
    "9 pm",
    "Europe/Berlin",
    "Mars/Olympus",
    "New York",
    "weekly",
    "weekly friday",
    "daily",
    "weekdays",
    "all",
    "0",
    "26",
    "-1",
    "99999999999999999999",
]
WORDS = [
    "model",
    "learning",
    "graph",
    "neural",
    "network",
    "agents",
    "world",
    "survey",
    "robot",
    "language",
    "diffusion",
    "exploration",
    "go",
    "explore",
    "transformer",
    "attention",
]
COMMAND_WORDS = [*c.USAGE, "sub", "unsub", "search", "ls", "preview", "SUBSCRIBE", "Find", "frobnicate", "", "/papers"]
PREFIXES = ["/papers ", "papers ", "", "/PAPERS ", "/papers\t", "  /papers  ", "/papers-dev ", "/paper "]
# Characters that can hide or reorder text: controls, bidi overrides, zero-widths, lone surrogates.
ODD = "\x00\x07\t\n\r\x0b\x1b\x7f\x85\xa0\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\u2028\u2029\ufeff\ud800\udfff"

# Inputs are drawn as bytes and read as a tiny program, one atom per byte: hypothesis's cost is per
# draw, and one byte string per input is one draw, which makes 100,000 inputs a run affordable.
# Shrinking still works (towards byte 0, a space). Spaces weigh most, so that pieces stand apart
# about as often as they glue together (`a"b`, `-"x"`, `cat:cs.LG)))`).
SLUG, ODD_CHAR, CODE_POINT, REPEAT = 251, 252, 253, 254  # each takes an argument from the next byte(s)
TABLE = (
    [" "] * 50 + ["  ", "\t", "\n", "\u3000"] + HOSTILE_PIECES + list("abcdefghijklmnopqrstuvwxyz0123456789-.:") + WORDS
)[:SLUG]
# Queries that mostly parse, so that describing and reading back a query get their share of examples.
PLAUSIBLE = (
    [" "] * 8
    + WORDS
    + [
        " OR ",
        " AND ",
        " -",
        ' "world model" ',
        " cat:cs.LG ",
        " cat:q-fin.TR ",
        ' author:"Ana Lima" ',
        " author:lima ",
        " min-upvotes=5 ",
        " -survey ",
        "-",
    ]
)


def decode(data: bytes, table: list[str] = TABLE) -> str:
    """Bytes -> text: an atom per byte; SLUG, ODD_CHAR, CODE_POINT (any of Unicode) and REPEAT (huge) take arguments."""
    out: list[str] = []
    i = 0
    while i < len(data):
        op, arg = data[i], data[i + 1 : i + 4].ljust(3, b"\0")
        i += 1
        if op == SLUG:
            out.append(SLUGS[arg[0] % len(SLUGS)])
            i += 1
        elif op == ODD_CHAR:
            out.append(ODD[arg[0] % len(ODD)])
            i += 1
        elif op == CODE_POINT:
            out.append(chr(int.from_bytes(arg, "big") % 0x110000))
            i += 3
        elif op == REPEAT:
            out.append((out[-1] if out else "x") * (50 + 12 * arg[0]))
            i += 1
        else:
            out.append(table[op % len(table)])
    return "".join(out)


def command(data: bytes) -> str:
    return f"{PREFIXES[data[0] % len(PREFIXES)]}{COMMAND_WORDS[data[1] % len(COMMAND_WORDS)]} {decode(data[2:])}"


any_char = st.one_of(st.characters(), st.sampled_from(ODD))
query_text = st.one_of(
    st.binary(min_size=1, max_size=40).map(decode),
    st.binary(min_size=1, max_size=24).map(lambda data: decode(data, PLAUSIBLE)),
)
command_text = st.binary(min_size=2, max_size=42).map(command)
# An example is a burst of inputs, as a flood of commands would be; a failing burst still shrinks to one input.
BURST = 10


def burst(inputs: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(inputs, min_size=BURST, max_size=BURST)


# A refusal is one line that ends like a sentence, short enough to read; what was typed is quoted short.
SENTENCE = 300
# Mentions a reply could form from what was typed: Slack's after our own links and the actor's mention
# are taken out; Discord's after our own timestamps (`<t:1767600000:f>`).
SLACK_OWN = re.compile(r"<https://[^<>|]*\|[^<>]*>|<@U\d>")
SLACK_MENTION = re.compile(r"<[!#@]")
DISCORD_MENTION = re.compile(r"@(?:everyone|here)|<@|<#|</|<t:(?!\d+:f>)|<a?:\w+:\d")
BIDI_OR_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def parsers(examples: int) -> settings:
    """Many examples, no deadline (a 2-core CI box stalls now and then), no example database growing."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=False,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def assert_one_sentence(message: str, limit: int = SENTENCE) -> None:
    """What a Problem must be: one line that ends like a sentence, short enough to read."""
    assert message and "\n" not in message, repr(message[:200])
    assert message.endswith((".", "?")), repr(message[-200:])
    assert len(message) <= limit, (len(message), message[:200])


def refused(error: PapersError, kinds: tuple[type[PapersError], ...]) -> None:
    assert isinstance(error, kinds), (type(error).__name__, error.message)
    assert_one_sentence(error.message)


def parse_everything(text: str) -> None:
    """The grammar, then whatever the command carries: a query or a schedule."""
    try:
        command = c.parse_command(text)
    except PapersError as error:
        assert isinstance(error, BadCommand), (type(error).__name__, error.message)
        assert_one_sentence(error.message)
        return
    if isinstance(command, c.Subscribe):
        query(command.query)
    elif isinstance(command, c.SetSchedule):
        try:
            parse_schedule(command.args)
        except PapersError as error:
            refused(error, (BadSchedule,))


def query(text: str) -> Query | None:
    try:
        parsed = parse_query(text, TAXONOMY)
    except PapersError as error:
        refused(error, (BadQuery,))
        return None
    assert parsed.groups and parsed.describe()
    assert parse_query(parsed.text, TAXONOMY) == parsed  # what /papers list shows reads back the same
    return parsed


# --- the parsers: the bulk of the examples ------------------------------------------------------


@parsers(5_000)
@given(burst(command_text))
def test_any_command_is_understood_or_refused_in_one_sentence(texts: list[str]) -> None:
    for text in texts:
        parse_everything(text)


@parsers(4_000)
@given(burst(query_text))
def test_any_query_is_understood_or_refused_in_one_sentence(texts: list[str]) -> None:
    for text in texts:
        query(text)


@parsers(1_200)
@given(burst(st.text(any_char, max_size=400)))
def test_any_unicode_at_all_is_understood_or_refused(texts: list[str]) -> None:
    for text in texts:  # three inputs each: as a command, as a subscription, as a query
        parse_everything(text)
        parse_everything("/papers subscribe " + text)
        query(text)


@pytest.mark.parametrize("typed", ["/papers subscribe " + "a" * 5_000, "/papers find " + "\u202e" * 999, "x" * 10**6])
def test_a_huge_command_is_refused_by_its_length(typed: str) -> None:
    with pytest.raises(BadCommand) as refusal:
        c.parse_command(typed)
    assert_one_sentence(refusal.value.message)
