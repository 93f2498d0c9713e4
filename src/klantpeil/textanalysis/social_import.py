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

from klantpeil.dataio.limits import UPLOAD_LIMITS, Limits, megabytes

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

    def parse(
        self, data: bytes, *, own_handles: Iterable[str], limits: Limits = UPLOAD_LIMITS
    ) -> list[PostRecord]:
        """The posts of one export, or ``SocialImportError`` saying where and why; the file
        is held to ``limits`` (size, posts, characters in a field) while it is read."""
        ...


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


# The longest values a post's fields are stored with (textanalysis.models.SocialPost).
MAX_ID, MAX_AUTHOR, MAX_PLATFORM = 120, 120, 30
FIRST_POST_YEAR, LAST_POST_YEAR = 1990, 2100


def parse_moment(text: str) -> datetime:
    """ISO 8601 (``Z`` allowed) or ``dd-mm-yyyy hh:mm``; a time without zone is Dutch time."""
    if not isinstance(text, str):
        raise SocialImportError(f"{text!r} is not a date and time (use 2026-03-01T09:30:00+01:00)")
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
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 lies before the year 1 in UTC
            break
        # Pages show posts in Dutch time: 9999-12-31 23:30 UTC has none. No post is
        # older than the web or from the next century.
        if FIRST_POST_YEAR <= moment.year <= LAST_POST_YEAR:
            return moment
        raise SocialImportError(
            f"{text!r}: a post from between {FIRST_POST_YEAR} and {LAST_POST_YEAR}, please"
        )
    raise SocialImportError(f"{text!r} is not a date and time (use 2026-03-01T09:30:00+01:00)")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SocialImportError(
            f"not UTF-8 or Windows-1252 text (byte {exc.object[exc.start]:#04x} "
            f"at position {exc.start:,})"
        ) from None


def check_social_size(size: int, limits: Limits = UPLOAD_LIMITS) -> None:
    """Refuse an export larger than the limit, before a byte of it is read."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise SocialImportError(
            f"the file is {megabytes(size)}, more than the {megabytes(limits.max_bytes)} "
            "an upload may be"
        )


def _checked(record: PostRecord, where: str, limits: Limits) -> PostRecord:
    """The record, or the reason it cannot be stored, naming the place and the field."""
    problem = None
    if not record.external_id:
        problem = "id: empty (every post needs its own id)"
    for field, value, most in (
        ("id", record.external_id, MAX_ID),
        ("parent id", record.parent_external_id or "", MAX_ID),
        ("author", record.author, MAX_AUTHOR),
        ("platform", record.platform, MAX_PLATFORM),
        ("text", record.text, limits.max_cell_chars),
    ):
        if problem:
            break
        if len(value) > most:
            problem = f"{field}: {len(value):,} characters, more than {most:,}"
        else:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # "\ud800" is valid JSON, but no text
                problem = f"{field}: contains an unpaired surrogate (not text)"
    if problem:
        raise SocialImportError(f"{where}, {problem}")
    return record


def _text(value: object) -> str:
    """A field as stored: NUL characters mean nothing (some exports pad with them) and
    PostgreSQL cannot store them."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


class CsvAdapter:
    name = "csv"

    def parse(
        self, data: bytes, *, own_handles: Iterable[str], limits: Limits = UPLOAD_LIMITS
    ) -> list[PostRecord]:
        check_social_size(len(data), limits)
        text = _decode(data)
        delimiter = (
            ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            fieldnames = next(reader, [])
        except csv.Error as exc:
            raise SocialImportError(f"line 1: not readable as CSV ({exc})") from None
        header: dict[str, int] = {}
        for index, name in enumerate(fieldnames):
            header[name.strip().lower()] = index  # the last of a repeated name, as before
        columns = {
            field: next((header[a] for a in aliases if a in header), None)
            for field, aliases in _ALIASES.items()
        }
        missing = [f for f in ("external_id", "posted_at", "text") if columns[f] is None]
        if missing:
            raise SocialImportError(
                "missing columns: "
                + ", ".join(missing)
                + f" (found: {', '.join(header)[:500] or 'none'})"
            )
        own = {h.lower().lstrip("@") for h in own_handles}
        records = []
        line = 1
        try:
            for line, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue  # an empty line, as spreadsheets leave at the end
                if limits.max_rows is not None and len(records) >= limits.max_rows:
                    raise SocialImportError(
                        f"line {line}: more than {limits.max_rows:,} posts; split the file"
                    )
                for index, cell in enumerate(row):
                    if len(cell) > limits.max_cell_chars:
                        column = fieldnames[index] if index < len(fieldnames) else index + 1
                        raise SocialImportError(
                            f"line {line}, column {column!r}: a cell of {len(cell):,} "
                            f"characters, more than {limits.max_cell_chars:,}"
                        )

                def get(field: str, row: list[str] = row) -> str:
                    index = columns[field]
                    return _text(row[index]) if index is not None and index < len(row) else ""

                author = get("author")
                try:
                    posted_at = parse_moment(get("posted_at"))
                except SocialImportError as exc:
                    raise SocialImportError(
                        f"line {line}, column {fieldnames[columns['posted_at']]!r}: {exc}"
                    ) from None
                flag = get("from_organisation").lower()
                record = PostRecord(
                    external_id=get("external_id"),
                    parent_external_id=get("parent") or None,
                    author=author,
                    from_organisation=flag in _TRUE or author.lower().lstrip("@") in own,
                    posted_at=posted_at,
                    text=get("text"),
                    platform=get("platform").lower() or "other",
                )
                records.append(_checked(record, f"line {line}", limits))
        except csv.Error as exc:
            raise SocialImportError(f"line {line + 1}: not readable as CSV ({exc})") from None
        return records


def _id(value: object) -> str | None:
    """An X id as text: X sends strings, some tools numbers; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _text(value) or None
    return None


class XJsonAdapter:
    name = "x-json"

    def parse(
        self, data: bytes, *, own_handles: Iterable[str], limits: Limits = UPLOAD_LIMITS
    ) -> list[PostRecord]:
        check_social_size(len(data), limits)
        try:
            document = json.loads(_decode(data))
        except json.JSONDecodeError as exc:
            raise SocialImportError(f"not JSON: {exc}") from None
        except RecursionError:
            raise SocialImportError("not JSON that can be read: nested too deeply") from None
        except ValueError as exc:  # a number of more than 4,300 digits
            raise SocialImportError(
                f"not JSON that can be read: {str(exc).split(':')[0]}"
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("data"), list):
            raise SocialImportError('expected an X API v2 document with a "data" list')
        items = document["data"]
        if limits.max_rows is not None and len(items) > limits.max_rows:
            raise SocialImportError(
                f'"data" holds {len(items):,} posts, more than {limits.max_rows:,}; split the file'
            )
        includes = document.get("includes", {})
        people = includes.get("users", []) if isinstance(includes, dict) else None
        if not isinstance(people, list):
            raise SocialImportError('"includes.users" must be a list of users')
        users: dict[str, str] = {}
        for number, user in enumerate(people, start=1):
            user_id = _id(user.get("id")) if isinstance(user, dict) else None
            if user_id is None:
                raise SocialImportError(f'"includes.users" item {number}: no "id"')
            name = user.get("username", user_id)
            users[user_id] = name if isinstance(name, str) else user_id
        own = {h.lower().lstrip("@") for h in own_handles}
        records = []
        for number, item in enumerate(items, start=1):
            where = f"post {number}"
            if not isinstance(item, dict):
                raise SocialImportError(f"{where}: not an object")
            external_id = _id(item.get("id"))
            if external_id is None:
                raise SocialImportError(f"{where}, id: missing (got {item.get('id')!r:.60})")
            where = f"post {number} (id {external_id[:40]})"
            references = item.get("referenced_tweets", [])
            if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
                raise SocialImportError(f"{where}, referenced_tweets: not a list of objects")
            parent = next(
                (_id(r.get("id")) for r in references if r.get("type") == "replied_to"), None
            )
            author_id = _id(item.get("author_id", ""))
            author = users.get(author_id, author_id) if author_id else ""
            text = item.get("text", "")
            if not isinstance(text, str):
                raise SocialImportError(f"{where}, text: not text ({type(text).__name__})")
            try:
                posted_at = parse_moment(item.get("created_at"))
            except SocialImportError as exc:
                raise SocialImportError(f"{where}, created_at: {exc}") from None
            record = PostRecord(
                external_id=external_id,
                parent_external_id=parent,
                author=_text(author),
                from_organisation=_text(author).lower() in own,
                posted_at=posted_at,
                text=text.replace("\x00", ""),
                platform="x",
            )
            records.append(_checked(record, where, limits))
        return records


ADAPTERS: dict[str, Callable[[], SocialAdapter]] = {"csv": CsvAdapter, "x-json": XJsonAdapter}


def adapter_for(filename: str, data: bytes) -> SocialAdapter:
    """The adapter for a file: JSON content goes to ``x-json``, anything else to ``csv``."""
    if filename.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"["):
        return XJsonAdapter()
    return CsvAdapter()
