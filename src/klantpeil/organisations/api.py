from django.http import HttpRequest
from ninja import Router, Schema

from klantpeil.api.errors import Error
from klantpeil.organisations.models import Channel, Unit

router = Router(tags=["organisation"])


class UnitOut(Schema):
    code: str
    name: str


class ChannelOut(Schema):
    kind: str
    name: str


@router.get("/units", response={200: list[UnitOut], 401: Error}, summary="The organisation's units")
def list_units(request: HttpRequest) -> list[Unit]:
    return list(Unit.objects.all())


@router.get(
    "/channels", response={200: list[ChannelOut], 401: Error}, summary="The organisation's channels"
)
def list_channels(request: HttpRequest) -> list[dict]:
    return [{"kind": c.kind, "name": str(c)} for c in Channel.objects.all()]
