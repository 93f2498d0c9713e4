from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from klantpeil.api.errors import ApiError, Error
from klantpeil.collection.ingest import BatchError, Problem
from klantpeil.organisations.models import Channel
from klantpeil.organisations.selectors import channel_volumes, unit_tree
from klantpeil.organisations.services import VolumeEntry, VolumeError, set_channel_volumes

router = Router(tags=["organisation"])


class UnitOut(Schema):
    code: str
    name: str
    parent: str | None = Field(
        None, description="the code of the unit it is part of; null for a top-level unit"
    )


class ChannelOut(Schema):
    kind: str
    name: str


@router.get(
    "/units",
    response={200: list[UnitOut], 401: Error},
    summary="The organisation's units",
    description="Every unit with its stable code and the code of the unit it is part of, "
    "top-level units first and each unit before its sub-units. A filter on a unit "
    "(unit=CODE) counts the unit and all its sub-units.",
)
def list_units(request: HttpRequest) -> list[dict]:
    tree = unit_tree()
    return [
        {
            "code": node.code,
            "name": node.name,
            "parent": tree.rows[node.parent_id][1] if node.parent_id in tree.rows else None,
        }
        for node in tree.nodes()
    ]


@router.get(
    "/channels", response={200: list[ChannelOut], 401: Error}, summary="The organisation's channels"
)
def list_channels(request: HttpRequest) -> list[dict]:
    return [{"kind": c.kind, "name": str(c)} for c in Channel.objects.all()]


# --- contact volumes per channel and month (the weights of the weighted KPIs) ---------

MONTH_PATTERN = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"


class VolumeIn(Schema):
    channel: str = Field(description="A channel kind of the organisation: phone, email, …")
    month: str = Field(pattern=MONTH_PATTERN, description="The calendar month, YYYY-MM")
    contacts: int | None = Field(
        description="Contacts the channel handled that month, 0 or more; null clears the month"
    )


class VolumesIn(Schema):
    volumes: list[VolumeIn] = Field(max_length=10_000)


class VolumeOut(Schema):
    channel: str
    month: str = Field(description="YYYY-MM")
    contacts: int


class VolumesOut(Schema):
    volumes: list[VolumeOut]


def _volume_rows(since: date | None, until: date | None) -> dict:
    rows = channel_volumes(since=since, until=until)
    return {
        "volumes": [
            {"channel": kind, "month": f"{month:%Y-%m}", "contacts": contacts}
            for (kind, month), contacts in sorted(rows.items(), key=lambda r: (r[0][1], r[0][0]))
        ]
    }


def _month(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ApiError(422, "invalid", f"{text!r} is not a month; use YYYY-MM", field) from None


@router.get(
    "/channel-volumes",
    response={200: VolumesOut, 401: Error, 422: Error},
    summary="Contact volumes per channel and month (what the weighted KPIs weigh to)",
    description="The months entered, oldest first; `since` and `until` (YYYY-MM) narrow them.",
)
def get_channel_volumes(
    request: HttpRequest, since: str | None = None, until: str | None = None
) -> dict:
    return _volume_rows(_month(since, "since"), _month(until, "until"))


@router.put(
    "/channel-volumes",
    response={200: VolumesOut, 400: Error, 401: Error, 403: Error, 422: Error},
    summary="Set contact volumes per channel and month",
    description=(
        "Each item sets one channel's contacts in one month (null clears it); months not "
        "named keep their figure. All or nothing: with any problem (a channel the "
        "organisation does not have, a negative number, a month twice) nothing is "
        "written and every problem is listed. Answers with the months sent."
    ),
)
def put_channel_volumes(request: HttpRequest, body: VolumesIn) -> dict:
    entries = [
        VolumeEntry(v.channel, datetime.strptime(v.month, "%Y-%m").date(), v.contacts)
        for v in body.volumes
    ]
    try:
        set_channel_volumes(entries=entries)
    except VolumeError as exc:
        raise BatchError(
            [
                Problem(p.index, f"volumes.{p.index}.{p.field}", p.message, p.value)
                for p in exc.problems
            ]
        ) from None
    months = [e.month for e in entries]
    if not months:
        return {"volumes": []}
    sent = {(e.channel, e.month) for e in entries}
    rows = _volume_rows(min(months), max(months))
    rows["volumes"] = [
        r
        for r in rows["volumes"]
        if (r["channel"], datetime.strptime(r["month"], "%Y-%m").date()) in sent
    ]
    return rows
