"""The screen before bolt: what a POST to /slack/events must be (size, UTF-8, signature, shape) before bolt reads it."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.shapes import shape_problem

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # Slack's payloads are a few KB; anything this big is not from Slack


def screen(verifier: SignatureVerifier, raw: bytes, headers: Mapping[str, str], query: str = "") -> int | None:
    """The status to refuse a request with, or None to hand it to bolt.

    It answers what bolt would turn into a 500 or a dropped connection: a body that is not UTF-8
    (400), a timestamp that is not a number or a signature that does not match (401), a signed body
    bolt cannot parse or would trip over (400). `headers` are looked up in lower case.
    """
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 400
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
        return 401
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return 401  # bolt checks again; this one spares parsing a forged body
    try:
        parsed = BoltRequest(body=body, query=query, headers={"content-type": headers.get("content-type", "")})
    except Exception as error:  # noqa: BLE001 signed, but not a body Slack sends: a payload that is not JSON, a list, too deep
        log.warning("refused a signed request bolt cannot parse: %s", type(error).__name__)
        return 400
    if not isinstance(parsed.body, dict):
        return 400
    problem = shape_problem(parsed.body)
    if problem:
        log.warning("refused a signed request bolt cannot read: %s", problem)
        return 400
    return None
