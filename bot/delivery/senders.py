"""The sender contract every platform implements, the post layout they share, and a recording fake."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from bot.domain import ChannelRef, Digest, Paper
from bot.errors import SendFailed

THREAD_ABOVE = 3  # more papers than this: one parent message and the papers in its thread
# Papers in one thread reply: four full cards stay within Slack's ~12,000 characters of blocks and
# Discord's 6,000 of embeds, and a post of ten is four messages to send (and to rate-limit), not eleven.
PER_MESSAGE = 4
MARK_EVENT = "papers_digest"


class Sender(Protocol):
    """Posts digests to one platform; every message carries the digest's mark."""

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        """Post the digest; return the platform's message ids, parent first. Raises SendFailed."""
        ...

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        """The message ids if every part with this mark is in the channel's recent history, else None."""
        ...


@runtime_checkable
class ResumingSender(Sender, Protocol):
    """A sender whose posts have several messages (a thread) can finish a post cut short by a crash."""

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        """Post only the parts of this mark not yet in the channel; return the ids of all parts."""
        ...


@dataclass(frozen=True)
class Part:
    """One message of a post: the parent (no papers) or a message holding some papers."""

    index: int
    count: int
    papers: tuple[Paper, ...]

    @property
    def is_parent(self) -> bool:
        return self.count > 1 and self.index == 0


def layout(digest: Digest) -> Literal["thread", "single"]:
    """The one rule for every platform: a thread above three papers, one compact message otherwise."""
    return "thread" if len(digest.matches) > THREAD_ABOVE else "single"


def parts(digest: Digest) -> list[Part]:
    """The messages of a post in sending order: `single` is one part, `thread` a parent then the papers,
    PER_MESSAGE to a reply."""
    papers = digest.papers
    slices = part_slices(len(papers))
    return [Part(i, len(slices), papers[where]) for i, where in enumerate(slices)]


def part_slices(count: int) -> list[slice]:
    """Which papers (by position) each message of a post of `count` papers holds, in sending order: the one rule
    that lets a message id recorded in the outbox name its papers again (reactions)."""
    if count <= THREAD_ABOVE:
        return [slice(0, count)]
    return [slice(0, 0)] + [slice(start, start + PER_MESSAGE) for start in range(0, count, PER_MESSAGE)]


def posted_slices(papers: int, messages: int) -> list[slice]:
    """Which papers each recorded message of a post shows, from how many papers and messages it has: the layout
    above, or a post per paper (a Discord forum: adapters/discord/forums.py), after a summary when it has one.
    They never have as many messages for the same papers (a thread holds four papers a message)."""
    shared = part_slices(papers)
    if messages == len(shared):
        return shared
    each = [slice(i, i + 1) for i in range(papers)]
    return [slice(0, 0), *each] if messages == papers + 1 else each


def mark_payload(mark: str, part: Part) -> dict[str, object]:
    """What each message carries so that it can be recognised after a crash (Slack metadata, Discord nonce map)."""
    return {"mark": mark, "part": part.index, "parts": part.count, "papers": [p.key for p in part.papers]}


def sender_for(senders: Mapping[str, Sender], channel: ChannelRef) -> Sender | None:
    """The registry is a plain mapping platform -> Sender, built where the app is wired."""
    return senders.get(channel.platform)


# --- the recording fake ---------------------------------------------------------------------


class SenderCrashed(RuntimeError):
    """Raised by RecordingSender to play a process that died after the platform accepted a post."""


@dataclass
class Posted:
    """One message the fake platform accepted."""

    id: str
    channel: str
    mark: str
    part: int
    parts: int
    paper_keys: tuple[str, ...]
    thread: str | None
    title: str


@dataclass
class RecordingSender:
    """A fake platform that records each message and can be scripted to misbehave.

    `script(*outcomes)` queues what the next send calls do: "ok", "fail" (transient, nothing
    posted), "permanent", "rate_limited", "timeout" (posted, but the answer was lost),
    "crash" (posted, then the process "dies"), "crash_midway" (half the parts, then dies),
    "slow" (sleeps `delay` seconds, then ok).
    """

    delay: float = 0.5
    messages: list[Posted] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (method, channel, mark)
    _script: dict[str, list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, *outcomes: str, channel: ChannelRef | None = None) -> None:
        with self._lock:
            self._script.setdefault(str(channel) if channel else "*", []).extend(outcomes)

    def _next_outcome(self, channel: str) -> str:
        with self._lock:
            for key in (channel, "*"):
                if self._script.get(key):
                    return self._script[key].pop(0)
        return "ok"

    def send(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._send(channel, digest, mark, resume=False)

    def resume(self, channel: ChannelRef, digest: Digest, mark: str) -> list[str]:
        return self._send(channel, digest, mark, resume=True)

    def _send(self, channel: ChannelRef, digest: Digest, mark: str, resume: bool) -> list[str]:
        self.calls.append(("resume" if resume else "send", str(channel), mark))
        outcome = self._next_outcome(str(channel))
        if outcome == "fail":
            raise SendFailed("the platform answered 503")
        if outcome == "permanent":
            raise SendFailed("channel_not_found", permanent=True)
        if outcome == "rate_limited":
            raise SendFailed("ratelimited", retry_after=30)
        if outcome == "slow":
            time.sleep(self.delay)
        todo = parts(digest)
        if outcome == "crash_midway":
            todo = todo[: max(1, len(todo) // 2)]
        ids = self._post(channel, digest, mark, todo, resume)
        if outcome == "timeout":
            raise SendFailed("timed out waiting for the platform")
        if outcome.startswith("crash"):
            raise SenderCrashed(f"process died after posting {len(ids)} message(s)")
        return ids

    def _post(self, channel: ChannelRef, digest: Digest, mark: str, todo: list[Part], resume: bool) -> list[str]:
        with self._lock:
            existing = {m.part: m for m in self.messages if m.mark == mark} if resume else {}
            ids: list[str] = []
            parent: str | None = existing[0].id if 0 in existing and todo[0].count > 1 else None
            for part in todo:
                if part.index in existing:
                    ids.append(existing[part.index].id)
                    continue
                message = Posted(
                    id=f"m{len(self.messages) + 1}",
                    channel=str(channel),
                    mark=mark,
                    part=part.index,
                    parts=part.count,
                    paper_keys=tuple(p.key for p in part.papers),
                    thread=None if part.index == 0 else parent,
                    title=digest.title,
                )
                self.messages.append(message)
                ids.append(message.id)
                if part.is_parent:
                    parent = message.id
            return ids

    def find_sent(self, channel: ChannelRef, mark: str) -> list[str] | None:
        self.calls.append(("find_sent", str(channel), mark))
        with self._lock:
            found = {m.part: m for m in self.messages if m.mark == mark and m.channel == str(channel)}
        if not found or len(found) < next(iter(found.values())).parts:
            return None
        return [found[i].id for i in sorted(found)]

    def posted_keys(self, channel: ChannelRef | None = None) -> list[tuple[str, str]]:
        """Every (channel, paper key) the platform shows, duplicates included."""
        return [
            (m.channel, key)
            for m in self.messages
            if channel is None or m.channel == str(channel)
            for key in m.paper_keys
        ]
