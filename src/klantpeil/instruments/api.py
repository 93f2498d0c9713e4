from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from klantpeil.api.errors import Error, storable
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.selectors import instruments, latest_version

router = Router(tags=["instruments"])


class Text(Schema):
    nl: str
    en: str


class QuestionOut(Schema):
    key: str
    type: str
    label: Text
    required: bool
    driver: str | None
    indicator: str | None
    choices: list[dict[str, Any]]
    minimum: float | None
    maximum: float | None
    channels: list[str]
    show_if: dict[str, Any] | None


class InstrumentOut(Schema):
    key: str
    method: str
    name: Text
    version: int
    standard: bool


class InstrumentDetail(InstrumentOut):
    questions: list[QuestionOut]


def _summary(instrument: Instrument, version_number: int) -> dict[str, Any]:
    return {
        "key": instrument.key,
        "method": instrument.method,
        "name": {"nl": instrument.name_nl, "en": instrument.name_en},
        "version": version_number,
        "standard": instrument.organisation_id is None,
    }


@router.get(
    "/instruments",
    response={200: list[InstrumentOut], 401: Error},
    summary="Instruments you can use",
)
def list_instruments(request: HttpRequest) -> list[dict]:
    result = []
    for instrument in instruments().prefetch_related("versions"):
        newest = max((v.number for v in instrument.versions.all()), default=0)
        result.append(_summary(instrument, newest))
    return result


@router.get(
    "/instruments/{key}",
    response={200: InstrumentDetail, 401: Error, 404: Error},
    summary="An instrument's newest version with its questions",
)
def get_instrument(request: HttpRequest, key: str) -> dict:
    if not storable(key):  # no key has a NUL in it, and PostgreSQL cannot even look
        raise Http404
    try:
        version = latest_version(key=key)
    except Instrument.DoesNotExist:
        raise Http404 from None
    return {
        **_summary(version.instrument, version.number),
        "questions": [
            {
                "key": q.key,
                "type": q.type,
                "label": {"nl": q.label_nl, "en": q.label_en},
                "required": q.required,
                "driver": q.driver or None,
                "indicator": q.indicator or None,
                "choices": q.choices,
                "minimum": q.minimum,
                "maximum": q.maximum,
                "channels": q.channels,
                "show_if": q.show_if,
            }
            for q in version.questions.all()
        ],
    }
