"""The limits Discord checks a message's body against, and the `errors` it answers 50035 with when one is broken."""

from __future__ import annotations

from typing import Any

from tests.discord_polls import poll_errors

LIMITS = {
    "content": 2000,
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "name": 256,
    "value": 1024,
    "footer": 2048,
    "author": 256,
    "total": 6000,
    "custom_id": 100,
    "label": 80,
    "rows": 5,
    "per_row": 5,
}


def form_errors(message: dict[str, Any]) -> dict[str, Any]:
    """What Discord lists under `errors` when a message breaks its limits (empty: it is accepted)."""
    errors: dict[str, Any] = {}
    too_long = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}
    if len(message.get("content") or "") > LIMITS["content"]:
        errors["content"] = too_long
    embeds = message.get("embeds") or []
    if len(embeds) > LIMITS["embeds"]:
        errors["embeds"] = too_long
    total = 0
    for i, embed in enumerate(embeds):
        texts = {
            "title": embed.get("title") or "",
            "description": embed.get("description") or "",
            "footer": (embed.get("footer") or {}).get("text") or "",
            "author": (embed.get("author") or {}).get("name") or "",
        }
        total += sum(map(len, texts.values()))
        for key, text in texts.items():
            if len(text) > LIMITS[key]:
                errors.setdefault("embeds", {}).setdefault(str(i), {})[key] = too_long
        fields = embed.get("fields") or []
        if len(fields) > LIMITS["fields"]:
            errors.setdefault("embeds", {}).setdefault(str(i), {})["fields"] = too_long
        for j, f in enumerate(fields):
            total += len(f.get("name") or "") + len(f.get("value") or "")
            for key in ("name", "value"):
                if len(f.get(key) or "") > LIMITS[key]:
                    errors.setdefault("embeds", {}).setdefault(str(i), {}).setdefault("fields", {})[f"{j}.{key}"] = (
                        too_long
                    )
    if total > LIMITS["total"]:
        errors["embeds.total"] = {"_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED"}]}
    errors |= poll_errors(message.get("poll"))
    rows = message.get("components") or []
    if len(rows) > LIMITS["rows"] or any(len(r.get("components") or []) > LIMITS["per_row"] for r in rows):
        errors["components"] = too_long
    for r in rows:
        for c in r.get("components") or []:
            if len(c.get("custom_id") or "") > LIMITS["custom_id"] or len(c.get("label") or "") > LIMITS["label"]:
                errors["components"] = too_long
    return errors


__all__ = ["LIMITS", "form_errors"]
