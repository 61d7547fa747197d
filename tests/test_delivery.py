"""The delivery pass on both databases: due channels, the outbox, failures, crashes and concurrent passes."""

from __future__ import annotations

import threading
import time as clock
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from bot.delivery.passes import PassReport, deliver_due, layout
from bot.delivery.senders import RecordingSender, Sender
from bot.domain import ChannelRef, Digest, Match, Paper, Schedule, Subscription
from storage.tables import ChannelRow, DeliveryRow
from storage.uow import UnitOfWork

UTC = UTC
LAB = ChannelRef("slack", "T1", "C1")
OTHER = ChannelRef("slack", "T1", "C2")
DAILY_9 = Schedule(time(9, 0), "UTC", "daily")
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 23 November 2026 (day 0 = Monday)."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def paper(n: int) -> Paper:
    return Paper(title=f"Paper number {n}", abstract="An abstract.", arxiv_id=f"2611.{n:05d}")


def build(
    uow: UnitOfWork, matcher: Mapping[str, list[int]], channel: ChannelRef, now: datetime, cap: int = 10
) -> Digest:
    """A stand-in for bot.delivery.digest.build_digest: the channel's wanted papers not yet delivered, in order."""
    sent = uow.outbox.delivered_keys(channel)
    found = [p for n in matcher.get(str(channel), []) if (p := uow.papers.get(paper(n).key)) and p.key not in sent]
    matches = tuple(Match(p, 1.0 - i / 100, ("stand-in",)) for i, p in enumerate(found[:cap]))
    return Digest(channel, matches, len(found) - len(matches), f"{len(found)} new papers for you", now)


def setup(
    engine: Engine, channel: ChannelRef, papers: range, schedule: Schedule = DAILY_9, created: datetime | None = None
) -> None:
    created = created or at(-1, 12)
    with UnitOfWork(engine) as uow:
        uow.subscriptions.add(Subscription(channel, "anything"))
        uow.channels.set_schedule(channel, schedule)
        uow.channels.row(channel).created_at = created
        uow.papers.merge(paper(n) for n in papers)
        uow.commit()


def run(
    engine: Engine, sender: Sender, now: datetime, matcher: Mapping[str, list[int]], **kwargs: object
) -> PassReport:
    return deliver_due(engine, matcher, {"slack": sender}, now, build=build, **kwargs)  # type: ignore[arg-type]


def channel_row(engine: Engine, channel: ChannelRef) -> ChannelRow:
    with UnitOfWork(engine) as uow:
        row = uow.channels.get(channel)
        assert row is not None
        uow.session.expunge_all()  # keep the loaded values after the unit of work rolls back
        return row


def deliveries(engine: Engine) -> list[DeliveryRow]:
    with UnitOfWork(engine) as uow:
        rows = list(uow.session.execute(select(DeliveryRow).order_by(DeliveryRow.id)).scalars())  # type: ignore[arg-type]
        uow.session.expunge_all()
        return rows


def test_a_due_channel_gets_its_papers_once(engine: Engine) -> None:
    setup(engine, LAB, range(3))
    sender, wants = RecordingSender(), {str(LAB): [0, 1, 2]}
    assert run(engine, sender, at(0, 8, 59), wants).channels_due == 0  # before 09:00
    report = run(engine, sender, at(0, 9, 1), wants)
    assert (report.channels_due, report.posted) == (1, 1)
    assert sorted(sender.posted_keys()) == [(str(LAB), paper(n).key) for n in range(3)]
    again = run(engine, sender, at(0, 9, 6), wants)
    assert again.channels_due == 0 and len(sender.messages) == 1
    [delivery] = deliveries(engine)
    assert delivery.status == "sent" and delivery.message_ids == ["m1"]
    row = channel_row(engine, LAB)
    assert row.last_slot_at is not None and row.last_slot_at.replace(tzinfo=UTC) == at(0, 9)


def test_a_pass_lets_its_threads_take_turns_often(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel's model must not hold up the threads waiting on the database for Python's default 5 ms."""
    import sys

    from bot.delivery.switching import SWITCH_INTERVAL

    monkeypatch.setattr(sys, "setswitchinterval", lambda seconds: switched.append(seconds))
    monkeypatch.setattr(sys, "getswitchinterval", lambda: 0.005)
    switched: list[float] = []
    setup(engine, LAB, range(3))
    assert run(engine, RecordingSender(), at(0, 9, 1), {str(LAB): [0, 1, 2]}).posted == 1
    assert switched == [SWITCH_INTERVAL] and SWITCH_INTERVAL <= 0.001


def test_new_papers_next_day_and_nothing_repeated(engine: Engine) -> None:
    setup(engine, LAB, range(5))
    sender, wants = RecordingSender(), {str(LAB): [0, 1]}
    run(engine, sender, at(0, 9), wants)
    wants[str(LAB)] = [0, 1, 2, 3, 4]
    run(engine, sender, at(1, 9), wants)
    assert Counter(sender.posted_keys()) == Counter((str(LAB), paper(n).key) for n in range(5))


def test_an_empty_day_is_quiet_and_handled(engine: Engine) -> None:
    setup(engine, LAB, range(0))
    sender = RecordingSender()
    report = run(engine, sender, at(0, 9, 2), {})
    assert (report.channels_due, report.quiet, report.posted) == (1, 1, 0)
    assert sender.messages == [] and deliveries(engine) == []
    assert run(engine, sender, at(0, 9, 7), {}).channels_due == 0


def test_weekdays_skip_the_weekend_and_downtime_catches_up_once(engine: Engine) -> None:
    setup(engine, LAB, range(4), schedule=Schedule(time(9, 0), "Europe/Berlin", "weekdays"))
    sender, wants = RecordingSender(), {str(LAB): [0]}
    run(engine, sender, at(4, 8, 5), wants)  # Friday 09:05 Berlin
    wants[str(LAB)] = [0, 1]
    assert run(engine, sender, at(5, 12), wants).channels_due == 0  # Saturday
    assert run(engine, sender, at(6, 12), wants).channels_due == 0  # Sunday
    wants[str(LAB)] = [0, 1, 2, 3]
    report = run(engine, sender, at(9, 15), wants)  # back on Wednesday after two days down
    assert report.posted == 1 and len(sender.messages) == 2  # Friday's, then one catch-up post of 3 on Wednesday
    assert Counter(sender.posted_keys()) == Counter((str(LAB), paper(n).key) for n in range(4))
    assert run(engine, sender, at(9, 15, 5), wants).channels_due == 0


def test_three_papers_are_one_message_four_are_a_thread(engine: Engine) -> None:
    setup(engine, LAB, range(3))
    setup(engine, OTHER, range(3, 7))
    sender = RecordingSender()
    run(engine, sender, at(0, 9), {str(LAB): [0, 1, 2], str(OTHER): [3, 4, 5, 6]})
    single = [m for m in sender.messages if m.channel == str(LAB)]
    thread = [m for m in sender.messages if m.channel == str(OTHER)]
    assert [len(m.paper_keys) for m in single] == [3]
    assert thread[0].paper_keys == () and thread[0].thread is None
    assert [(m.thread, len(m.paper_keys)) for m in thread[1:]] == [(thread[0].id, 4)]  # four papers a reply
    assert layout(Digest(LAB, ())) == "single"


def test_a_transient_failure_is_kept_and_sent_later_once(engine: Engine) -> None:
    setup(engine, LAB, range(2))
    sender, wants = RecordingSender(), {str(LAB): [0, 1]}
    sender.script("fail")
    report = run(engine, sender, at(0, 9), wants)
    assert report.failed == 1 and sender.messages == []
    [pending] = deliveries(engine)
    assert pending.status == "pending" and pending.attempts == 1 and "503" in (pending.last_error or "")
    assert (
        run(
            engine,
            sender,
            at(
                0,
                9,
                0,
            )
            + timedelta(seconds=30),
            wants,
        ).channels_due
        == 0
    )  # backing off
    report = run(engine, sender, at(0, 9, 5), wants)
    assert report.posted == 1
    assert Counter(sender.posted_keys()) == Counter({(str(LAB), paper(0).key): 1, (str(LAB), paper(1).key): 1})
    assert [d.status for d in deliveries(engine)] == ["sent"]


@pytest.mark.parametrize("outcome", ["timeout", "crash"])
def test_sent_but_not_recorded_is_never_sent_again(engine: Engine, outcome: str) -> None:
    setup(engine, LAB, range(5))
    sender, wants = RecordingSender(), {str(LAB): [0, 1, 2, 3, 4]}
    sender.script(outcome)
    assert run(engine, sender, at(0, 9), wants).failed == 1
    assert len(sender.messages) == 3  # the platform has it (a parent, four papers, one), the outbox does not know
    report = run(engine, sender, at(0, 10), wants, force=True)
    assert report.posted == 1 and len(sender.messages) == 3
    [delivery] = deliveries(engine)
    assert delivery.status == "sent" and delivery.message_ids == ["m1", "m2", "m3"]


def test_a_thread_cut_short_is_finished_not_repeated(engine: Engine) -> None:
    setup(engine, LAB, range(10))
    sender, wants = RecordingSender(), {str(LAB): list(range(10))}
    sender.script("crash_midway")
    run(engine, sender, at(0, 9), wants)
    assert 0 < len(sender.messages) < 4  # of a parent and three replies
    run(engine, sender, at(0, 9, 5), wants, force=True)
    assert Counter(sender.posted_keys()) == Counter((str(LAB), paper(n).key) for n in range(10))
    assert [m.part for m in sender.messages] == list(range(4))
    assert len({m.thread for m in sender.messages[1:]}) == 1


def test_recorded_but_not_sent_is_sent(engine: Engine) -> None:
    setup(engine, LAB, range(2))
    with UnitOfWork(engine) as uow:  # what a process killed between commit and send leaves behind
        uow.outbox.record(LAB, "mark-1", "2 new papers", [(paper(0).key, 1.0, ("x",)), (paper(1).key, 0.9, ())])
        uow.commit()
    sender = RecordingSender()
    report = run(engine, sender, at(0, 8), {str(LAB): [0, 1]})  # not due, but unconfirmed work is
    assert report.posted == 1 and [m.mark for m in sender.messages] == ["mark-1"]
    assert [c[0] for c in sender.calls] == ["find_sent", "resume"]


def test_a_permanent_error_pauses_the_channel_until_unpaused(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    setup(engine, LAB, range(2))
    setup(engine, OTHER, range(2, 3))
    sender, wants = RecordingSender(), {str(LAB): [0, 1], str(OTHER): [2]}
    sender.script("permanent", channel=LAB)
    report = run(engine, sender, at(0, 9), wants)
    assert (report.paused, report.posted) == (1, 1)
    assert channel_row(engine, LAB).paused_reason == "channel_not_found"
    assert sum("paused delivery" in r.message for r in caplog.records) == 1
    for day in (1, 2):
        later = run(engine, sender, at(day, 9), wants, force=True)
        assert later.paused == 1 and later.failed == 0
    assert sum("paused delivery" in r.message for r in caplog.records) == 1  # logged once
    assert [m.channel for m in sender.messages] == [str(OTHER)]
    with UnitOfWork(engine) as uow:  # what /papers schedule and /papers subscribe do
        uow.channels.pause(LAB, None)
        uow.commit()
    run(engine, sender, at(3, 9), wants)
    assert Counter(sender.posted_keys(LAB)) == Counter({(str(LAB), paper(0).key): 1, (str(LAB), paper(1).key): 1})


def test_the_outbox_refuses_a_paper_twice_for_one_channel(engine: Engine) -> None:
    setup(engine, LAB, range(1))
    with UnitOfWork(engine) as uow:
        uow.outbox.record(LAB, "a", "t", [(paper(0).key, 1.0, ())])
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(IntegrityError):
        uow.outbox.record(LAB, "b", "t", [(paper(0).key, 1.0, ())])
        uow.commit()


class GatedSender(RecordingSender):
    """The slow channel waits until every other channel has posted: with a serial pass it would wait forever."""

    def __init__(self, slow: ChannelRef, others: int) -> None:
        super().__init__()
        self.slow, self.others, self.waited_out = slow, others, False

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        if channel == self.slow:
            deadline = clock.monotonic() + 30  # generous: a serial pass would wait forever, a busy machine only slowly
            while len({m.channel for m in self.messages}) < self.others:
                if clock.monotonic() > deadline:
                    self.waited_out = True
                    break
                clock.sleep(0.01)
        return super().send(channel, digest, mark)


def test_one_slow_channel_does_not_hold_up_the_others(engine: Engine) -> None:
    channels = [ChannelRef("slack", "T1", f"C{i}") for i in range(6)]
    for i, channel in enumerate(channels):
        setup(engine, channel, range(i, i + 1))
    sender = GatedSender(channels[0], others=5)
    report = run(engine, sender, at(0, 9), {str(c): [i] for i, c in enumerate(channels)}, concurrency=3)
    assert report.posted == 6 and not sender.waited_out


def test_two_concurrent_passes_post_each_paper_once(engine: Engine) -> None:
    channels = [ChannelRef("slack", "T1", f"C{i}") for i in range(12)]
    wants = {}
    for i, channel in enumerate(channels):
        setup(engine, channel, range(i * 5, i * 5 + 5))
        wants[str(channel)] = list(range(i * 5, i * 5 + 5))
    sender = RecordingSender(delay=0.05)
    sender.script(*["slow"] * 24)
    reports: list[PassReport] = []
    threads = [threading.Thread(target=lambda: reports.append(run(engine, sender, at(0, 9), wants))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.posted for r in reports) == 12
    counts = Counter(sender.posted_keys())
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert run(engine, sender, at(0, 9, 30), wants, force=True).posted == 0


def test_one_scheduler_leads_and_another_takes_over_when_it_stops(engine: Engine) -> None:
    from bot.delivery.scheduler import Leader

    first, second = Leader(engine), Leader(engine)
    assert first.holds() and not second.holds()
    assert first.holds()  # still the leader on the next tick
    first.release()
    assert second.holds() and not first.holds()
    second.release()


def test_the_scheduler_ticks_the_delivery_pass_with_coalescing(engine: Engine) -> None:
    from bot.delivery.scheduler import ScheduledJob, start_scheduler

    ran = threading.Event()
    scheduler = start_scheduler(
        engine, ran.set, tick_minutes=5, jobs=[ScheduledJob("ingest-hf", "30 6 * * *", lambda: None)]
    )
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"deliver", "ingest-hf"}
        assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
        jobs["deliver"].reschedule("date")  # once, at once: the scheduler reads its own clock, not the test
        assert ran.wait(5)
    finally:
        scheduler.shutdown(wait=True)
        scheduler.papers_leader.release()  # type: ignore[attr-defined]
