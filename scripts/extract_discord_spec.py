"""Keep the parts of Discord's OpenAPI spec (discord/discord-api-spec, specs/openapi.json, MIT) that our tests need.

    python scripts/extract_discord_spec.py path/to/openapi.json COMMIT DATE

writes tests/discord_spec/openapi-subset.json: the JSON request bodies of the operations papers-bot calls (and
those the helpers of issue 29 will: polls ride in a message, command registration carries integration_types and
contexts) with every schema they reach, and nothing else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "tests" / "discord_spec" / "openapi-subset.json"
OPERATIONS = [
    ("post", "/channels/{channel_id}/messages"),
    ("patch", "/channels/{channel_id}/messages/{message_id}"),
    ("post", "/channels/{channel_id}/messages/{message_id}/threads"),
    ("post", "/channels/{channel_id}/threads"),
    ("patch", "/channels/{channel_id}"),
    ("post", "/interactions/{interaction_id}/{interaction_token}/callback"),
    ("post", "/webhooks/{webhook_id}/{webhook_token}"),
    ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("patch", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("put", "/applications/{application_id}/commands"),
    ("put", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("post", "/users/@me/channels"),
]
ALSO = ["PollCreateRequest", "ApplicationCommandUpdateRequest", "ModalInteractionCallbackRequest"]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def extract(spec: dict[str, Any], commit: str, date: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        paths.setdefault(path, {})[method] = {"requestBody": {"content": {"application/json": {"schema": body}}}}
    schemas = spec["components"]["schemas"]
    wanted, todo = set(), [*refs(paths), *ALSO]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(refs(schemas[name]))
    return {
        "openapi": spec["openapi"],
        "info": spec["info"] | {"x-extracted-from": f"discord/discord-api-spec@{commit} specs/openapi.json ({date})"},
        "paths": paths,
        "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
    }


def main() -> None:
    source, commit, date = sys.argv[1:4]
    subset = extract(json.loads(Path(source).read_text()), commit, date)
    OUT.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n")
    print(f"{len(subset['paths'])} paths, {len(subset['components']['schemas'])} schemas -> {OUT}")


if __name__ == "__main__":
    main()
