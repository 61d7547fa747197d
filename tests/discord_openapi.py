"""Discord's published OpenAPI request schemas (the parts in tests/discord_spec/) as a validator for what we send."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from tests.discord_api import Call

SPEC_FILE = Path(__file__).resolve().parent / "discord_spec" / "openapi-subset.json"


@cache
def spec() -> dict[str, Any]:
    """The kept spec, with one leniency: a snowflake may be a JSON number as well as the string the spec says.
    discord.py sends numbers in a few bodies (`recipient_id` of a DM, an attachment's `id`), which Discord reads."""
    loaded = json.loads(SPEC_FILE.read_text())
    strict = loaded["components"]["schemas"]["SnowflakeType"]
    loaded["components"]["schemas"]["SnowflakeType"] = {"anyOf": [strict, {"type": "integer", "minimum": 0}]}
    return loaded  # type: ignore[no-any-return]


def schema(name: str) -> dict[str, Any]:
    """One named schema of the spec (`PollCreateRequest`, `CreateForumThreadRequest`, ...)."""
    return spec()["components"]["schemas"][name]  # type: ignore[no-any-return]


def _schema_of(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref", "")
    return schema(ref.rsplit("/", 1)[1]) if ref.startswith("#/components/schemas/") else ref_or_schema


@cache
def forms(method: str, path_template: str) -> tuple[Draft202012Validator, ...]:
    """The request's forms: one validator per branch of a union body (a channel PATCH is a DM's, a guild
    channel's or a thread's), else one."""
    operation = spec()["paths"][path_template][method.lower()]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    branches = body.get("anyOf") or body.get("oneOf") or [body]
    # The spec's refs are `#/components/schemas/...`: give each schema the components to resolve them in.
    return tuple(Draft202012Validator(_schema_of(b) | {"components": spec()["components"]}) for b in branches)


def _problems(form: Draft202012Validator, payload: Any) -> tuple[bool, list[str]]:
    """(whether the body's `type` is another form's, the errors as lines, the best match first)."""
    errors = list(form.iter_errors(payload))
    lines = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors]
    best = best_match(errors)
    if best is not None:
        lines.insert(0, f"best match: {'/'.join(map(str, best.absolute_path))}: {best.message[:300]}")
    return any(list(e.absolute_path) == ["type"] for e in errors), lines


def _known(form: Draft202012Validator, payload: Any) -> int:
    return len(set(payload) & set(form.schema.get("properties", {}))) if isinstance(payload, dict) else 0


# Limits Discord's documentation gives where the spec allows more: a bot's message holds 2,000 characters (the spec's
# 4,000 are a Nitro user's), a poll answer 55 (the spec gives its text the question's 300), a forum tag's name 20 (50).
CONTENT, POLL_ANSWER, TAG_NAME = 2000, 55, 20


def documented(payload: Any) -> list[str]:
    """Where a body breaks a documented limit that the spec does not state."""
    if not isinstance(payload, dict):
        return []
    found = []
    messages = [payload, payload.get("data"), payload.get("message")]  # as sent, an interaction's, a forum post's
    for message in (m for m in messages if isinstance(m, dict)):
        if len(message.get("content") or "") > CONTENT:
            found.append(f"content: longer than a bot's {CONTENT} characters")
        poll = message.get("poll") if isinstance(message.get("poll"), dict) else {}
        for i, answer in enumerate(poll.get("answers") or []):
            if len(((answer or {}).get("poll_media") or {}).get("text") or "") > POLL_ANSWER:
                found.append(f"poll/answers/{i}: longer than {POLL_ANSWER} characters")
    for i, tag in enumerate(payload.get("available_tags") or []):
        if len((tag or {}).get("name") or "") > TAG_NAME:
            found.append(f"available_tags/{i}/name: longer than {TAG_NAME} characters")
    return found


def problems(method: str, path_template: str, payload: Any) -> list[str]:
    """What the spec says is wrong with a request body (nothing: it is valid in its form). Of a union's forms, those
    that know the most of the body's fields judge it: the spec allows fields it does not list, so a guild channel's
    PATCH would otherwise pass as a DM's, which knows only `name`. Of the forms that refuse it, the one whose
    `type` (the union's discriminator) fits says why. Then the documented limits the spec leaves out."""
    candidates = forms(method, path_template)
    most = max(_known(form, payload) for form in candidates)
    found = [_problems(form, payload) for form in candidates if _known(form, payload) == most]
    if any(not lines for _, lines in found):
        return documented(payload)
    return min(found, key=lambda f: (f[0], len(f[1])))[1]


def assert_valid(method: str, path_template: str, payload: Any) -> None:
    """`assert_valid("POST", "/channels/{channel_id}/messages", body)`: fails with the spec's complaints."""
    found = problems(method, path_template, payload)
    assert not found, f"{method} {path_template} breaks Discord's OpenAPI spec:\n" + "\n".join(found[:10])


def template_of(method: str, path: str) -> str | None:
    """The spec's path template for a path as called (`/channels/200/threads` -> `/channels/{channel_id}/threads`);
    of several, the one with the most literal segments (`@original` before `{message_id}`)."""
    parts = path.strip("/").split("/")
    fits = []
    for template, operations in spec()["paths"].items():
        pieces = template.strip("/").split("/")
        if method.lower() not in operations or len(pieces) != len(parts):
            continue
        if all(p == q or (p.startswith("{") and q) for p, q in zip(pieces, parts, strict=True)):
            fits.append((sum(not p.startswith("{") for p in pieces), template))
    return max(fits)[1] if fits else None


def assert_calls_valid(calls: list[Call]) -> Counter[str]:
    """Every JSON body sent (POST, PATCH, PUT) checked against its operation's schema; how many of each were
    checked (`POST /channels/{channel_id}/threads`, and for an interaction callback its `type` too)."""
    checked: Counter[str] = Counter()
    for call in calls:
        if call.method not in ("POST", "PATCH", "PUT") or not isinstance(call.body, dict | list):
            continue
        template = template_of(call.method, call.path)
        assert template is not None, f"{call.method} {call.path}: not an operation kept from the spec"
        body = json.loads(json.dumps(call.body))
        target = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else body
        if isinstance(target, dict):
            target.pop("files_sent", None)  # the stand-in's note of the files of a multipart body
        assert_valid(call.method, template, body)
        kind = f" type {body['type']}" if template.endswith("/callback") else ""
        checked[f"{call.method} {template}{kind}"] += 1
    return checked
