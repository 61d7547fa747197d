"""Files in Slack: `/papers export` uploaded as a file, `@papers import` reading the file attached to the mention."""

from __future__ import annotations

import logging
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.limits import MAX_IMPORT_BYTES
from bot.errors import BadInput, PapersError
from bot.wording import plural

if TYPE_CHECKING:
    from adapters.slack.translator import Translator

log = logging.getLogger(__name__)

SLACK_FILE_HOSTS = ("files.slack.com",)
DOWNLOAD_SECONDS = 20


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect with the Authorization header: the token must not leave Slack's hosts."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def upload_export(client: WebClient, channel: str, user: str, reply: r.ExportFile) -> bool:
    """The export as a file in the channel (files_upload_v2); False when Slack refused it (the caller shows the lines)."""
    try:
        client.files_upload_v2(
            channel=channel,
            content=reply.content,
            filename=reply.filename,
            title=reply.filename,
            initial_comment=f"<@{user}> exported this channel's {plural(reply.count, 'subscription')} and schedule "
            "(`/papers import` with this file attached follows the same in another channel).",
        )
    except (SlackApiError, SlackRequestError, URLError) as error:
        detail = error.response.get("error") if isinstance(error, SlackApiError) else str(error)
        log.warning("uploading the export to %s failed: %s", channel, detail)
        return False
    return True


def uploaded(client: WebClient, channel: str, user: str, reply: r.Reply) -> bool:
    """An export goes up as a file in the channel; False (show the reply) for anything else or a refused upload."""
    return isinstance(reply, r.ExportFile) and reply.count > 0 and upload_export(client, channel, user, reply)


def imported(
    translator: Translator, client: WebClient, team: str, channel: str, user: str, files: list[dict[str, Any]]
) -> r.Reply:
    """`@papers import` with a file attached: the file's lines imported into this channel, checked as typed."""
    try:
        command = attached_import(client, files)
    except PapersError as error:
        return r.Problem(error.message, c.usage_line("import"))
    return translator.run(client, team, channel, user, user, command)


def attached_import(client: WebClient, files: list[dict[str, Any]]) -> c.Import:
    """The first attached file read as an import's lines; BadInput when it is too big, unreadable or not text."""
    if not files:
        return c.Import()
    attached = files[0]
    if int(attached.get("size") or 0) > MAX_IMPORT_BYTES:
        raise BadInput(f"That file is over {MAX_IMPORT_BYTES // 1024} KB; an export of one channel is far smaller.")
    url = str(attached.get("url_private_download") or attached.get("url_private") or "")
    if not _slack_file_url(client, url):
        raise BadInput("I can only read a file uploaded to Slack with the message.")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with _OPENER.open(request, timeout=DOWNLOAD_SECONDS) as response:
            data = response.read(MAX_IMPORT_BYTES + 1)
    except (URLError, OSError) as error:
        log.warning("reading the attached file %s failed: %s", attached.get("id"), error)
        raise BadInput("I could not read that file from Slack; please attach it again.") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise BadInput(f"That file is over {MAX_IMPORT_BYTES // 1024} KB; an export of one channel is far smaller.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("That file is not text; attach the .jsonl file /papers export gave.") from None
    return c.Import(tuple(line for line in text.splitlines() if line.strip()))


def _slack_file_url(client: WebClient, url: str) -> bool:
    """Only Slack's own file hosts (or the API host SLACK_API_URL points at) ever see the bot token."""
    try:
        parts, api = urlsplit(url), urlsplit(client.base_url)
    except ValueError:
        return False
    return (parts.scheme == "https" and parts.hostname in SLACK_FILE_HOSTS) or (
        parts.scheme == api.scheme and parts.netloc == api.netloc
    )
