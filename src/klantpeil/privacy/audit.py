"""The organisation's change log: one function, :func:`record`, that every write of the
set-up pages and team actions calls inside its own transaction, so a change and its
entry are saved together or not at all."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from klantpeil.organisations.models import Organisation
from klantpeil.privacy.models import ChangeRecord


def _json(value: Any) -> Any:
    """``value`` as plain JSON (dates, decimals and UUIDs as text), so what is stored is
    exactly what the page shows back."""
    if value is None:
        return None
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    *,
    organisation: Organisation,
    actor: Any,
    action: str,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = "",
    object_label: str = "",
    before: Any = None,
    after: Any = None,
) -> ChangeRecord:
    """Write one entry: ``actor`` (a user, or None for the command line) did ``action``
    ("settings.norms", "team.invite" …) to ``obj`` (or the object named by
    ``object_type``/``object_id``/``object_label``), which was ``before`` and is
    ``after`` (JSON-able dicts; None for "did not exist" / "no longer exists")."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
        object_label = object_label or str(obj)
    entry = ChangeRecord(
        organisation=organisation,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=str(getattr(actor, "email", "") or ""),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id or ""),
        object_label=object_label[:254],
        before=_json(before),
        after=_json(after),
    )
    entry.save()
    return entry


def changes() -> QuerySet[ChangeRecord]:
    """The current organisation's change log, newest first."""
    return ChangeRecord.objects.select_related("actor").order_by("-at", "-id")
