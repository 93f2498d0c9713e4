"""Writes of the text analysis: annotating open comments, importing social posts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Manager

from klantpeil.collection.models import Answer
from klantpeil.core.tenancy import require_organisation
from klantpeil.organisations.models import Organisation
from klantpeil.textanalysis import selectors
from klantpeil.textanalysis.models import CommentAnnotation, SocialPost
from klantpeil.textanalysis.sentiment import Annotation, annotate
from klantpeil.textanalysis.social_import import PostRecord, SocialImportError, adapter_for

BATCH = 2000


def _fields(a: Annotation) -> dict:
    return {
        "label": a.label,
        "score": round(a.score, 4),
        "language": a.language,
        "drivers": f" {' '.join(a.drivers)} ",
        "spans": [[s.start, s.end, s.weight] for s in a.spans],
        "method": a.method,
    }


def _annotate_rows(
    rows: list[tuple[int, int, int, str]], method: str | None, manager: Manager
) -> int:
    created = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        found = annotate([text for *_, text in chunk], method=method)
        created += len(
            manager.bulk_create(
                [
                    CommentAnnotation(
                        organisation_id=org,
                        answer_id=answer,
                        measurement_id=measurement,
                        **_fields(a),
                    )
                    for (answer, org, measurement, _), a in zip(chunk, found, strict=True)
                ],
                ignore_conflicts=True,
            )
        )
    return created


@transaction.atomic
def annotate_comments(*, method: str | None = None, limit: int | None = None) -> int:
    """Annotate the current organisation's open comments that have none yet; returns how many.

    Safe to run twice: an answer that has its annotation is not looked at again.
    """
    require_organisation()
    rows = list(
        selectors.pending_comments(Answer.objects).values_list(
            "id", "organisation_id", "measurement_id", "text"
        )[:limit]
    )
    return _annotate_rows(rows, method, CommentAnnotation.objects)


@transaction.atomic
def annotate_comments_of_all_organisations(*, method: str | None = None) -> int:
    """The bulk path (demo, backfill): every organisation's pending comments at once.

    Reads across organisations on purpose (``unscoped_all_tenants``); each annotation row
    carries its answer's organisation.
    """
    rows = list(
        selectors.pending_comments(Answer.unscoped_all_tenants).values_list(
            "id", "organisation_id", "measurement_id", "text"
        )
    )
    return _annotate_rows(rows, method, CommentAnnotation.unscoped_all_tenants)


@dataclass(frozen=True)
class SocialImportResult:
    created: int
    already_there: int
    replies_linked: int


@transaction.atomic
def import_social_posts(
    *,
    data: bytes,
    filename: str,
    own_handles: Iterable[str] = (),
    method: str | None = None,
) -> SocialImportResult:
    """Store the posts of one export for the current organisation, annotated.

    Idempotent on (platform, post id): a post imported before is left as it is.
    Replies are linked to their post when it is in this file or was imported before.
    Raises ``SocialImportError`` (nothing written) when the file cannot be read.
    """
    organisation = require_organisation()
    try:
        records = adapter_for(filename, data).parse(data, own_handles=own_handles)
    except SocialImportError as exc:  # the file's name in front, as every upload says it
        raise SocialImportError(f"{filename}: {exc}") from None
    return store_posts(records=records, method=method, organisation=organisation)


def store_posts(
    *, records: Sequence[PostRecord], method: str | None, organisation: Organisation
) -> SocialImportResult:
    """Create the posts not stored yet, parents before their replies (one query per level)."""
    known = dict(
        ((platform, external_id), pk)
        for platform, external_id, pk in SocialPost.objects.filter(
            external_id__in={r.external_id for r in records}
            | {r.parent_external_id for r in records if r.parent_external_id}
        ).values_list("platform", "external_id", "id")
    )
    unique = {(r.platform, r.external_id): r for r in reversed(records)}  # first one wins
    fresh = [r for key, r in reversed(unique.items()) if key not in known]
    already = len(records) - len(fresh)
    found = dict(zip(fresh, annotate([r.text for r in fresh], method=method), strict=True))
    in_file = {(r.platform, r.external_id) for r in fresh}
    created = linked = 0
    waiting = fresh
    while waiting:
        ready = [
            r
            for r in waiting
            if not r.parent_external_id
            or (r.platform, r.parent_external_id) in known
            or (r.platform, r.parent_external_id) not in in_file
        ]
        if not ready:  # a cycle of replies: store the rest unlinked
            ready = waiting
        posts = SocialPost.objects.bulk_create(
            [
                SocialPost(
                    organisation=organisation,
                    platform=r.platform,
                    external_id=r.external_id,
                    author=r.author,
                    from_organisation=r.from_organisation,
                    posted_at=r.posted_at,
                    text=r.text,
                    in_reply_to_id=known.get((r.platform, r.parent_external_id)),
                    **_fields(found[r]),
                )
                for r in ready
            ],
            batch_size=BATCH,
        )
        for r, post in zip(ready, posts, strict=True):
            known[(r.platform, r.external_id)] = post.pk
            linked += post.in_reply_to_id is not None
        created += len(posts)
        done = {id(r) for r in ready}
        waiting = [r for r in waiting if id(r) not in done]
    return SocialImportResult(created, already, linked)
