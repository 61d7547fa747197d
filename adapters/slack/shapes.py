"""The shape a signed body must have before bolt reads it: the fields bolt indexes without checking, as Slack sends them."""

from __future__ import annotations

from typing import Any

# Payload types whose `view` bolt reads as a modal (`"callback_id" in body["view"]`, then `body["view"]["type"]`).
VIEW_TYPES = ("view_submission", "view_closed")
# Payload types whose `actions[0]` bolt reads as the action.
ACTION_TYPES = ("block_actions", "interactive_message")


def shape_problem(body: dict[str, Any]) -> str | None:
    """What in `body` bolt would trip over, or None when it is shaped as Slack sends it.

    bolt's error handler builds every listener argument (slack_bolt.kwargs_injection.utils) from the
    body as it stands: `"event": null` or `"actions": []` raise there, inside the handler meant to
    answer the first error, and the request ends in a 500 with a traceback. So they are refused first.
    """
    kind = body.get("type")
    if "event" in body and not isinstance(body["event"], dict):
        return "event is not an object"
    if ("actions" in body or kind in ACTION_TYPES) and not _objects(body.get("actions")):
        return "actions is not a list of objects"
    view = body.get("view")
    modal = view is not None or kind in VIEW_TYPES  # `"view": null` only where bolt never reads it
    if modal and not (isinstance(view, dict) and isinstance(view.get("type"), str)):
        return "view is not an object with a type"
    steps = kind == "workflow_step_edit" or (isinstance(view, dict) and view.get("type") == "workflow_step")
    if steps and not isinstance(body.get("workflow_step"), dict):
        return "workflow_step is not an object"
    return None


def _objects(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)
