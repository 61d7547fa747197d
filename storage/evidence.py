"""Stored topic evidence: each paper's points and reasons per topic, with the version they came from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from storage.tables import PaperEvidenceRow, PaperRow, PaperTopicRow, utcnow

Evidence = Mapping[str, tuple[float, tuple[str, ...]]]  # topic slug -> (points, reasons)
CHUNK = 500  # keys per IN (...): well under every driver's parameter limit
EVIDENCE_LOCK = 0x70617065_7669  # "pape" "vi": writers of evidence, one at a time on PostgreSQL


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class EvidenceRepository:
    """Evidence by paper key; `store` replaces a paper's evidence whole, so a re-read never leaves stale topics."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def stamps(self, keys: Sequence[str]) -> dict[str, tuple[str, int]]:
        """(version, text crc) of the papers whose evidence is stored."""
        found: dict[str, tuple[str, int]] = {}
        for chunk in _chunks(list(keys)):
            query = select(
                col(PaperEvidenceRow.paper_key), col(PaperEvidenceRow.version), col(PaperEvidenceRow.text_crc)
            ).where(col(PaperEvidenceRow.paper_key).in_(chunk))
            found.update({key: (version, crc) for key, version, crc in self.session.execute(query)})
        return found

    def load(self, keys: Sequence[str]) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
        """Each paper's stored topics; a paper with none that scored maps to an empty dict."""
        found: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {key: {} for key in keys}
        for chunk in _chunks(list(keys)):
            query = select(
                col(PaperTopicRow.paper_key),
                col(PaperTopicRow.topic),
                col(PaperTopicRow.points),
                col(PaperTopicRow.why),
            ).where(col(PaperTopicRow.paper_key).in_(chunk))
            for key, topic, points, why in self.session.execute(query):
                found[key][topic] = (points, tuple(why))
        return found

    def points(self, keys: Sequence[str]) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
        """As `load` without the reasons (each empty): what a channel's model reads (bot/feedback/learned.py).
        Decoding the reasons' JSON was half of what a channel with feedback cost a pass."""
        found: dict[str, dict[str, tuple[float, tuple[str, ...]]]] = {key: {} for key in keys}
        for chunk in _chunks(list(keys)):
            query = select(col(PaperTopicRow.paper_key), col(PaperTopicRow.topic), col(PaperTopicRow.points)).where(
                col(PaperTopicRow.paper_key).in_(chunk)
            )
            for key, topic, points in self.session.execute(query):
                found[key][topic] = (points, ())
        return found

    def store(self, version: str, items: Iterable[tuple[str, int, Evidence]], now: datetime | None = None) -> int:
        """Replace the evidence of each (paper key, text crc, evidence); returns how many papers."""
        items = sorted(items, key=lambda item: item[0])
        now = now or utcnow()
        if self.session.get_bind().dialect.name == "postgresql":
            # Workers starting a pass together assess the same new papers: one writer at a time (for the rest
            # of this transaction), or their inserts into the same keys can deadlock.
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVIDENCE_LOCK})
        keys = [key for key, _, _ in items]
        for chunk in _chunks(keys):
            self.session.execute(delete(PaperTopicRow).where(col(PaperTopicRow.paper_key).in_(chunk)))
        topics = [
            {"paper_key": key, "topic": topic, "points": points, "why": list(why)}
            for key, _, evidence in items
            for topic, (points, why) in evidence.items()
        ]
        stamps = [{"paper_key": key, "version": version, "text_crc": crc, "computed_at": now} for key, crc, _ in items]
        # Two processes may assess the same new paper at once: the same evidence, so the later insert yields.
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        if stamps:
            stamp = insert(PaperEvidenceRow)
            self.session.execute(
                stamp.on_conflict_do_update(
                    index_elements=["paper_key"],
                    set_={
                        "version": stamp.excluded.version,
                        "text_crc": stamp.excluded.text_crc,
                        "computed_at": stamp.excluded.computed_at,
                    },
                ),
                stamps,
            )
        if topics:
            self.session.execute(insert(PaperTopicRow).on_conflict_do_nothing(), topics)
        return len(items)

    def stale(self, version: str, limit: int) -> list[str]:
        """Keys of papers with no evidence or evidence of another version, oldest papers last."""
        query = (
            select(col(PaperRow.key))
            .outerjoin(PaperEvidenceRow, col(PaperEvidenceRow.paper_key) == col(PaperRow.key))
            .where(or_(col(PaperEvidenceRow.paper_key).is_(None), col(PaperEvidenceRow.version) != version))
            .order_by(col(PaperRow.id).desc())
            .limit(limit)
        )
        return [row[0] for row in self.session.execute(query)]
