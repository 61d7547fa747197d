"""Polls in the Discord stand-in (tests/discord_api.py): Discord's limits on a poll created, a poll as a message
carries it, and the messages that hold one (read again, voted on, ended)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

POLL_LIMITS = {"question": 300, "answers": 10, "answer": 55, "hours": 768}  # Discord's, for a poll created


def poll_errors(poll: Any) -> dict[str, Any]:
    """What Discord says of a poll over its limits: the question, the number of answers, each answer, the duration."""
    if not isinstance(poll, dict):
        return {}
    too_long = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}
    errors: dict[str, Any] = {}
    if not 1 <= len((poll.get("question") or {}).get("text") or "") <= POLL_LIMITS["question"]:
        errors["question"] = too_long
    answers = poll.get("answers") or []
    if not 1 <= len(answers) <= POLL_LIMITS["answers"]:
        errors["answers"] = too_long
    for i, a in enumerate(answers):
        if not 1 <= len((a.get("poll_media") or {}).get("text") or "") <= POLL_LIMITS["answer"]:
            errors.setdefault("answers", {})[str(i)] = too_long
    if not 1 <= float(poll.get("duration") or 24) <= POLL_LIMITS["hours"]:
        errors["duration"] = {"_errors": [{"code": "NUMBER_TYPE_MAX"}]}
    return {"poll": errors} if errors else {}


def poll_message(created: dict[str, Any]) -> dict[str, Any]:
    """A poll as a message carries it, from the poll a request created (`duration` hours become an `expiry`)."""
    expiry = datetime.now(UTC) + timedelta(hours=float(created.get("duration") or 24))
    return {
        "question": created["question"],
        "answers": [{"answer_id": i, **a} for i, a in enumerate(created.get("answers") or [], 1)],
        "expiry": expiry.isoformat(),
        "allow_multiselect": bool(created.get("allow_multiselect")),
        "layout_type": created.get("layout_type", 1),
        "results": {"is_finalized": False, "answer_counts": []},
    }


class PollMessages:
    """The stand-in's messages that hold a poll (`polls`, message id -> message); `finalise_at_once`: whether
    ending a poll makes its count final at once (Discord's comes a moment later)."""

    polls: dict[str, dict[str, Any]]
    finalise_at_once: bool

    def keep_poll(self, message: dict[str, Any]) -> dict[str, Any]:
        """An interaction's answer or follow-up; one holding a poll is kept, as its message can be read later."""
        if message.get("poll"):
            self.polls[message["id"]] = message
        return message

    def vote(self, message_id: str, answer_id: int, count: int) -> None:
        """`count` people voted for this answer of the poll (what Discord's clients would do)."""
        counts = self.polls[message_id]["poll"]["results"]["answer_counts"]
        counts[:] = [c for c in counts if c["id"] != answer_id] + (
            [{"id": answer_id, "count": count, "me_voted": False}] if count else []
        )

    def poll_route(self, message_id: str, ended: bool) -> tuple[int, dict[str, Any]]:
        """GET a message, or end its poll (POST .../polls/{id}/expire): (status, body) as Discord answers."""
        message = self.polls.get(message_id)
        if message is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        poll = message["poll"]
        if ended and poll["results"]["is_finalized"]:
            return 400, {"message": "This poll has already expired", "code": 520001}
        if ended:
            poll["expiry"] = datetime.now(UTC).isoformat()
            poll["results"]["is_finalized"] = self.finalise_at_once
        return 200, message
