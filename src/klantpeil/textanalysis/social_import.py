"""Reading social-media exports into posts: a small adapter interface. Plain module.

An adapter turns one export file into :class:`PostRecord` rows. Two ship:

- ``csv``: the column layout most monitoring tools (Hootsuite, Sprout, Coosto,
  OBI4wan) can export, with common column names recognised: id (``id``, ``post
  id``, ``message id``), parent (``in reply to``, ``parent id``, ``reply to``),
  author (``author``, ``from``, ``user``, ``username``), time (``created at``,
  ``date``, ``timestamp``, ``published``), text (``text``, ``message``,
  ``content``, ``body``), platform (``platform``, ``network``, ``source``) and
  ``from organisation`` (yes/no, 1/0, true/false); ``;`` or ``,`` separated;
- ``x-json``: the X (Twitter) API v2 JSON (``data`` with ``id``, ``text``,
  ``created_at``, ``author_id``, ``referenced_tweets``; ``includes.users`` for
  user names).

Posts by the organisation are recognised by the ``from organisation`` column or
by the author being one of the organisation's own handles. A future connector
(an API poller) implements the same :class:`SocialAdapter` protocol.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class SocialImportError(ValueError):
    """The file is not a readable export; the message says where and why."""


@dataclass(frozen=True)
class PostRecord:
    external_id: str
    parent_external_id: str | None
    author: str
    from_organisation: bool
    posted_at: datetime
    text: str
    platform: str


class SocialAdapter(Protocol):
    name: str

    def parse(self, data: bytes, *, own_handles: Iterable[str]) -> list[PostRecord]: ...


_ALIASES = {
    "external_id": ("id", "post id", "post_id", "message id", "message_id", "tweet id"),
    "parent": ("in reply to", "in_reply_to", "parent id", "parent_id", "reply to", "reply_to"),
    "author": ("author", "from", "user", "username", "screen name", "handle"),
    "posted_at": ("created at", "created_at", "date", "timestamp", "published", "time"),
    "text": ("text", "message", "content", "body", "post"),
    "platform": ("platform", "network", "source", "channel"),
    "from_organisation": ("from organisation", "from_organisation", "own", "is_own", "owned"),
}
_TRUE = {"1", "yes", "ja", "true", "waar", "y", "j"}


def parse_moment(text: str) -> datetime:
    """ISO 8601 (``Z`` allowed) or ``dd-mm-yyyy hh:mm``; a time without zone is Dutch time."""
    value = text.strip().replace("Z", "+00:00")
    for parse in (
        datetime.fromisoformat,
        lambda v: datetime.strptime(v, "%d-%m-%Y %H:%M"),
        lambda v: datetime.strptime(v, "%d-%m-%Y %H:%M:%S"),
    ):
        try:
            moment = parse(value)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=AMSTERDAM)
        return moment.astimezone(UTC)
    raise SocialImportError(f"{text!r} is not a date and time (use 2026-03-01T09:30:00+01:00)")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


class CsvAdapter:
    name = "csv"

    def parse(self, data: bytes, *, own_handles: Iterable[str]) -> list[PostRecord]:
        text = _decode(data)
        delimiter = (
            ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
        columns = {
            field: next((header[a] for a in aliases if a in header), None)
            for field, aliases in _ALIASES.items()
        }
        missing = [f for f in ("external_id", "posted_at", "text") if columns[f] is None]
        if missing:
            raise SocialImportError(
                "missing columns: "
                + ", ".join(missing)
                + f" (found: {', '.join(header) or 'none'})"
            )
        own = {h.lower().lstrip("@") for h in own_handles}
        records = []
        for line, row in enumerate(reader, start=2):

            def get(field: str, row: dict = row) -> str:
                column = columns[field]
                return (row.get(column) or "").strip() if column else ""

            author = get("author")
            try:
                posted_at = parse_moment(get("posted_at"))
            except SocialImportError as exc:
                raise SocialImportError(f"line {line}: {exc}") from None
            flag = get("from_organisation").lower()
            records.append(
                PostRecord(
                    external_id=get("external_id"),
                    parent_external_id=get("parent") or None,
                    author=author,
                    from_organisation=flag in _TRUE or author.lower().lstrip("@") in own,
                    posted_at=posted_at,
                    text=get("text"),
                    platform=get("platform").lower() or "other",
                )
            )
        return records


class XJsonAdapter:
    name = "x-json"

    def parse(self, data: bytes, *, own_handles: Iterable[str]) -> list[PostRecord]:
        try:
            document = json.loads(_decode(data))
        except json.JSONDecodeError as exc:
            raise SocialImportError(f"not JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise SocialImportError('expected an X API v2 document with a "data" list')
        users = {
            u["id"]: u.get("username", u["id"])
            for u in document.get("includes", {}).get("users", [])
        }
        own = {h.lower().lstrip("@") for h in own_handles}
        records = []
        for item in document["data"]:
            parent = next(
                (
                    r["id"]
                    for r in item.get("referenced_tweets", [])
                    if r.get("type") == "replied_to"
                ),
                None,
            )
            author = users.get(item.get("author_id"), item.get("author_id", ""))
            records.append(
                PostRecord(
                    external_id=str(item["id"]),
                    parent_external_id=str(parent) if parent else None,
                    author=author,
                    from_organisation=author.lower() in own,
                    posted_at=parse_moment(item["created_at"]),
                    text=item.get("text", ""),
                    platform="x",
                )
            )
        return records


ADAPTERS: dict[str, Callable[[], SocialAdapter]] = {"csv": CsvAdapter, "x-json": XJsonAdapter}


def adapter_for(filename: str, data: bytes) -> SocialAdapter:
    """The adapter for a file: JSON content goes to ``x-json``, anything else to ``csv``."""
    if filename.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        return XJsonAdapter()
    return CsvAdapter()
