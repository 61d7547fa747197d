"""Parsing saved source responses and files into Papers: every format, every schema era, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.sources import parse_arxiv_atom, parse_arxiv_rss, parse_file, parse_hf_daily, parse_jsonl
from bot.sources.parsed import clean_names, clean_text
from tests.shared_data import SHARED_DATA

DATA = Path(__file__).parent / "data" / "sources"
HF_ERAS = sorted(DATA.glob("hf-20*.json"))


@pytest.mark.parametrize("path", HF_ERAS, ids=lambda p: p.stem)
def test_every_hf_schema_era_parses_with_what_a_merge_needs(path: Path) -> None:
    parsed = parse_file(path)

    assert parsed.problems == []
    assert len(parsed.papers) == len(json.loads(path.read_text()))
    for paper in parsed.papers:
        assert paper.arxiv_id and "v" not in paper.arxiv_id
        assert paper.title and paper.abstract and "\n" not in paper.abstract and "  " not in paper.abstract
        assert paper.authors and all(isinstance(name, str) for name in paper.authors)
        assert paper.published_at is not None and paper.published_at.tzinfo == UTC
        assert isinstance(paper.upvotes, int)
        assert paper.on_hf and paper.source == "hf"


def test_newest_hf_entry_carries_links_ai_summary_and_keywords() -> None:
    paper = parse_file(DATA / "hf-2026-08-21.json").papers[0]

    assert paper.arxiv_id == "2608.19880"
    assert paper.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert paper.upvotes == 163
    assert paper.code_url == "https://github.com/google-research/envharness"
    assert paper.project_url == "https://envharness.com/"
    assert paper.thumbnail_url.endswith("/papers/2608.19880.png")
    assert paper.ai_summary.startswith("EnvHarness and EnvRigger")
    assert "EnvRigger" in paper.ai_keywords
    assert paper.published_at == datetime(2026, 8, 20, tzinfo=UTC)
    assert paper.authors[0] == "Chengsong Huang" and len(paper.authors) == 17


def test_oldest_hf_era_collapses_hard_line_wraps() -> None:
    paper = parse_file(DATA / "hf-2024-05-27.json").papers[0]

    assert paper.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert paper.abstract.startswith(
        "High-resolution Large Multimodal Models (LMMs) encounter the challenges of excessive"
    )
    assert paper.ai_summary is None and paper.ai_keywords == () and paper.code_url is None


def test_hf_anomaly_file_is_rejected_saying_what_it_is() -> None:
    path = DATA / "hf-anomaly-python-repr-strings.json"
    with pytest.raises(BadInput) as caught:
        parse_file(path)

    assert str(path) in caught.value.message
    assert "Python repr() strings" in caught.value.message


def test_hf_entries_that_cannot_be_papers_are_problems_the_rest_go_in() -> None:
    good = json.loads((DATA / "hf-2026-08-21.json").read_text())[0]
    parsed = parse_hf_daily([good, {"paper": {"title": "x"}}, 42, {"no": "paper"}])

    assert [p.arxiv_id for p in parsed.papers] == ["2608.19880"]
    assert parsed.problems == [
        "entry 2: no arXiv id (id 'None')",
        "entry 3: a JSON int, not an entry object",
        "entry 4: no `paper` object",
    ]
    with pytest.raises(BadInput):
        parse_hf_daily({"error": "Invalid date"})


def test_atom_new_format_gives_ids_without_version_primary_category_first() -> None:
    parsed = parse_arxiv_atom((DATA / "atom-new-testing-10.xml").read_bytes())

    assert len(parsed.papers) == 10 and parsed.problems == []
    paper = parsed.papers[0]
    assert paper.arxiv_id == "2202.12139"
    assert paper.categories == ("cs.SE", "cs.LG")
    assert paper.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert paper.url == "https://arxiv.org/abs/2202.12139"
    assert paper.published_at == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert paper.source == "arxiv" and not paper.on_hf


def test_atom_old_format_collapses_wrapped_title_and_summary() -> None:
    (paper,) = parse_arxiv_atom((DATA / "atom-old-1111.2011v2.xml").read_text()).papers

    assert paper.arxiv_id == "1111.2011"
    assert paper.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert paper.abstract.startswith("Theoretical description of anisotropic systems, such as layered superconductors")
    assert paper.categories[0] == "cond-mat.str-el"


def test_atom_error_entry_is_a_problem_and_empty_result_is_nothing() -> None:
    error = parse_arxiv_atom((DATA / "atom-error-abc.xml").read_bytes())
    empty = parse_arxiv_atom((DATA / "atom-empty.xml").read_bytes())

    assert error.papers == [] and error.problems == [
        "entry 1: arXiv answered with an error: incorrect id format for abc"
    ]
    assert empty.papers == [] and empty.problems == []
    assert parse_file(DATA / "atom-error-abc.recorded.json").problems == error.problems
    with pytest.raises(BadInput, match="does not parse"):
        parse_arxiv_atom(b"<feed><entry>")


def test_rss_xml_announce_types_replacements_update_but_never_notify() -> None:
    parsed = parse_file(DATA / "rss-cs.LG.synthetic.xml")

    assert [p.arxiv_id for p in parsed.papers] == ["2508.03699", "2312.10925", "2303.00788", "2306.07886"]
    assert parsed.replaced == {"2303.00788", "2306.07886"}  # replace, replace-cross
    new = parsed.papers[0]
    assert new.abstract.startswith("Virtual Reality (VR) has emerged")  # the "arXiv:... Announce Type" preamble is gone
    assert new.categories == ("cs.LG", "cs.AI")
    assert new.published_at == datetime(2025, 8, 7, 4, 0, tzinfo=UTC)
    assert parsed.papers[1].authors[:2] == ("Md Zesun Ahmed Mia", "Malyaban Bal")
    assert parsed.papers[2].published_at is None  # a replacement's date is not the paper's
    assert parse_file(DATA / "rss-empty-weekend.synthetic.xml").papers == []


def test_rss_feedparser_dump_reads_every_feed_and_announce_type() -> None:
    parsed = parse_file(DATA / "rss-2025-08-07.feedparser.json")

    assert len(parsed.papers) == 12 and parsed.problems == []
    assert len(parsed.replaced) == 6
    assert all(p.arxiv_id and p.source == "arxiv" and p.authors for p in parsed.papers)
    one_feed = next(iter(json.loads((DATA / "rss-2025-08-07.feedparser.json").read_text()).values()))
    assert len(parse_arxiv_rss(one_feed).papers) == 8


def test_jsonl_bad_lines_are_reported_by_number_and_the_rest_goes_in() -> None:
    lines = [
        '{"title": "Go-Explore", "abstract": "Hard exploration.", "id": "1901.10995v4", "upvotes": 3}',
        "",
        '{"title": "Broken", "abstract": ',
        '["a list"]',
        '{"abstract": "no title"}',
        '{"title": "T", "summary": "S", "published_at": "yesterday"}',
        '{"title": "T", "summary": "S", "upvotes": "many"}',
        '{"title": "T", "summary": "S", "id": "not-an-id"}',
        '{"title": "Only a title"}',
        '{"title": "Seed", "summary": "S", "published_at": "2026-06-01", "authors": ["A", "B"], "categories": ["cs.LG"]}',
    ]
    parsed = parse_jsonl(lines)

    assert [p.title for p in parsed.papers] == ["Go-Explore", "Seed"]
    assert parsed.papers[0].arxiv_id == "1901.10995" and parsed.papers[0].upvotes == 3
    assert parsed.papers[1].published_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert [problem.split(":")[0] for problem in parsed.problems] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
    ]
    assert parsed.problems[0].startswith("line 3: not valid JSON (")
    assert parsed.problems[2] == "line 5: no title"


def test_jsonl_reads_the_arxiv_corpus_and_seed_formats() -> None:
    corpus = parse_file(DATA / "corpus-arxiv-cs.jsonl")
    seed = parse_file(DATA / "seed-daily-papers-page.jsonl")

    paper = corpus.papers[0]
    assert paper.arxiv_id == "2604.01274" and paper.categories == ("cs.GR", "cs.CV")
    assert paper.published_at == datetime(2026, 4, 5, tzinfo=UTC)  # from `_date`
    assert paper.url == "https://arxiv.org/abs/2604.01274" and paper.authors[0] == "Aleksei Zhuravlev"
    assert len(seed.papers) == 3 and seed.papers[0].title.startswith("EDTalk")
    assert seed.papers[0].arxiv_id is None and seed.papers[0].abstract


def test_untrusted_text_loses_controls_and_bidi_overrides_but_keeps_markdown() -> None:
    line = json.dumps(
        {
            "title": "Safe\u202e txt.exe\x07 *bold*  title",
            "abstract": "line one\nline\u2066 two\x00",
            "authors": ["Ann\u200f  Lee", "\x1b[31m"],
        }
    )
    (paper,) = parse_jsonl([line]).papers

    assert paper.title == "Safe txt.exe *bold* title"
    assert paper.abstract == "line one line two"
    assert paper.authors == ("Ann Lee", "[31m")


def test_parse_file_rejects_what_it_cannot_read_with_the_path(tmp_path: Path) -> None:
    cases = {"empty.json": "", "html.xml": "<html></html>", "shape.json": '{"x": 1}', "junk.json": "not json"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(BadInput) as caught:
            parse_file(tmp_path / name)
        assert caught.value.message.startswith(f"{tmp_path / name}: ")
    with pytest.raises(BadInput, match="cannot read"):
        parse_file(tmp_path / "missing.jsonl")


def test_jsonl_without_suffix_is_detected_and_bad_bytes_are_a_line_problem(tmp_path: Path) -> None:
    path = tmp_path / "papers.txt"
    path.write_bytes(
        b'{"title": "A", "abstract": "x"}\n{"title": "B\xff", "abstract": "y"}\n{"title": "C", "abstract": "z"}\n'
    )
    parsed = parse_file(path)

    assert [p.title for p in parsed.papers] == ["A", "C"]
    assert parsed.problems[0].startswith("line 2: not valid JSON")


@given(
    st.lists(
        st.text(max_size=80)
        | st.from_regex(r'\{"title": ".{0,10}", "(abstract|summary|id|upvotes)": .{0,12}\}', fullmatch=True),
        max_size=12,
    )
)
@settings(max_examples=200, deadline=None)
def test_parse_jsonl_never_raises_on_arbitrary_text(lines: list[str]) -> None:
    parsed = parse_jsonl(lines)

    assert len(parsed.papers) + len(parsed.problems) <= len(lines)
    assert all(problem.startswith("line ") for problem in parsed.problems)


@pytest.mark.skipif(not (SHARED_DATA / "hf-daily").is_dir(), reason="the shared data folder ../shared/data is absent")
def test_every_shared_hf_daily_file_parses_and_the_anomaly_is_rejected() -> None:
    total = 0
    for path in sorted((SHARED_DATA / "hf-daily").glob("*.json")):
        parsed = parse_file(path)
        assert parsed.problems == [], path
        total += len(parsed.papers)
    assert total == 1038
    with pytest.raises(BadInput, match="repr"):
        parse_file(SHARED_DATA / "hf-daily" / "anomalies" / "2025-01-06.python-repr-strings.json")


@given(st.lists(st.text(alphabet=st.sampled_from("ab |\n\u202e\x00"), max_size=6), max_size=5))
def test_names_fast_path_agrees_with_cleaning_each_name(names: list[str]) -> None:
    assert clean_names(names) == tuple(n for n in (clean_text(name) for name in names) if n)


@pytest.mark.parametrize(
    "raw",
    [
        "2401.123456",
        "2401.1234",
        "1412.12345",
        "2413.12345",
        "0703.0001",
        "2401.12345v0",
        "2401.12345x",
        "hep-th/0801001",
        "hep-th/990100",
        "HEP-TH/9901001",
        "notanarchive/9901001",
        "a" * 300 + "/9901001",
        "https://arxiv.org/abs/2401.123456",
        "https://arxiv.org/abs/2401.12345/extra",
        "oai:arXiv.org:2401.123456v1",
    ],
)
def test_an_id_outside_arxivs_grammar_is_refused_never_shortened_into_another(raw: str) -> None:
    parsed = parse_jsonl([json.dumps({"title": "T", "abstract": "A", "id": raw})])

    assert parsed.papers == []
    assert parsed.problems == [f"line 1: id {raw[:40]!r} is not an arXiv id"]


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("2401.12345v3", "2401.12345"),
        ("arXiv:2401.12345", "2401.12345"),
        ("0704.0001", "0704.0001"),
        ("https://arxiv.org/abs/2401.12345v2", "2401.12345"),
        ("http://arxiv.org/pdf/2401.12345v2.pdf", "2401.12345"),
        ("https://huggingface.co/papers/2401.12345", "2401.12345"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/solv-int/9901001", "solv-int/9901001"),
    ],
)
def test_every_form_of_a_real_id_is_read_as_that_id(raw: str, read: str) -> None:
    (paper,) = parse_jsonl([json.dumps({"title": "T", "abstract": "A", "id": raw})]).papers
    assert paper.arxiv_id == read


def test_records_outside_the_limits_are_refused_and_long_fields_cut_and_counted() -> None:
    lines = [
        '{"title": "T", "abstract": "A", "upvotes": 2147483647}',
        '{"title": "T", "abstract": "A", "upvotes": 2147483648}',
        '{"title": "T", "abstract": "A", "upvotes": 100000000000000000000000000000000}',
        '{"title": "T", "abstract": "A", "published_at": "9999-12-31T23:59:59-14:00"}',
        '{"title": "T", "abstract": "A", "published_at": "1989-12-31"}',
        '{"title": "T", "abstract": "A", "published_at": "2999-01-01"}',
        json.dumps(
            {
                "title": "T" * 5_000,
                "abstract": "A" * 30_000,
                "authors": ["B" * 400, "C"] + ["D"] * 3_000,
                "url": "https://x/" + "y" * 3_000,
                "code_url": "https://x/\x00",
            }
        ),
        '{"title": "\\udfff\\ud800\\u0000", "abstract": "A"}',  # lone surrogates (reversed: no pair) and NUL
    ]
    parsed = parse_jsonl(lines)

    assert [p.upvotes for p in parsed.papers[:1]] == [2_147_483_647]
    assert [problem.split(": ", 1) for problem in parsed.problems] == [
        ["line 2", "upvotes must be a whole number from 0 to 2,147,483,647"],
        ["line 3", "upvotes must be a whole number from 0 to 2,147,483,647"],
        ["line 4", "published_at '9999-12-31T23:59:59-14:00' is not a readable ISO date"],
        ["line 5", parsed.problems[3].split(": ", 1)[1]],
        ["line 6", parsed.problems[4].split(": ", 1)[1]],
        ["line 8", "no title"],
    ]
    assert "1989-12-31 is not between 1990-01-01 and" in parsed.problems[3]
    long = parsed.papers[1]
    assert (len(long.title), len(long.abstract), len(long.authors), len(long.authors[0])) == (1_000, 20_000, 2_000, 300)
    assert long.url is None and long.code_url is None
    assert parsed.cut == 4  # title, abstract, authors, url


def test_text_loses_lone_surrogates_and_nul_and_keeps_real_characters() -> None:
    line = '{"title": "Lone \\ud800 and paired \\ud83d\\ude80 and NUL\\u0000here", "abstract": "a\\udfffb"}'
    (paper,) = parse_jsonl([line]).papers

    assert paper.title == "Lone and paired 🚀 and NUL here"
    assert paper.abstract == "ab"


def test_a_truncated_atom_page_keeps_its_whole_entries() -> None:
    whole = (DATA / "atom-new-testing-10.xml").read_bytes()
    parsed = parse_arxiv_atom(whole[: len(whole) // 2])

    assert [p.arxiv_id for p in parsed.papers] == [p.arxiv_id for p in parse_arxiv_atom(whole).papers[:4]]
    assert len(parsed.problems) == 1 and parsed.problems[0].startswith("the XML breaks off after 4 whole entries")
