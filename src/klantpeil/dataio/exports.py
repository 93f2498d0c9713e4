"""Exporting measurements as CSV or XLSX, one row per measurement, one column per question.

Text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage
return at the start) is prefixed with an apostrophe (OWASP's advice), so an
open comment like ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.collection import selectors
from klantpeil.collection.models import Measurement
from klantpeil.instruments.selectors import latest_version


class AnonymousExportError(ValueError):
    """The instrument's responses are anonymous and never leave one by one."""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIXED_COLUMNS = [
    "id",
    "occurred_at",
    "channel",
    "unit",
    "instrument",
    "instrument_version",
    "source",
    "language",
    "external_id",
]


def defuse(value: Any) -> Any:
    """Make text safe to open in a spreadsheet; numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def export_rows(
    filters: selectors.MeasurementFilter, instrument: str
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows (typed values) of the current organisation's measurements.

    Anonymous surveys (the employee survey) are refused: one row per response would
    show single employees' answers, which are only ever shown as aggregates of five.
    """
    version = latest_version(key=instrument)
    if version.instrument.method in selectors.ANONYMOUS_METHODS:
        raise AnonymousExportError(
            _("Employee survey answers are anonymous and cannot be exported one by one.")
        )
    keys = [q.key for q in version.questions.all()]
    queryset = selectors.with_answers(
        selectors.filtered_measurements(dataclasses.replace(filters, instrument=instrument))
    ).order_by("occurred_at", "id")

    def rows() -> Iterator[list[Any]]:
        measurement: Measurement
        for measurement in queryset.iterator(chunk_size=2_000):
            answers = selectors.answers_as_dict(measurement)
            yield [
                measurement.pk,
                _local(measurement.occurred_at),
                measurement.channel.kind if measurement.channel else "",
                measurement.unit.code if measurement.unit else "",
                instrument,
                measurement.instrument_version.number,
                measurement.source,
                measurement.language,
                defuse(measurement.external_id),
                *[_cell(answers.get(key)) for key in keys],
            ]

    return [*FIXED_COLUMNS, *keys], rows()


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, list):
        return defuse("|".join(value))
    if isinstance(value, datetime):
        return _local(value)
    return defuse(value)


def write_csv(header: list[str], rows: Iterator[list[Any]], *, dutch: bool = True) -> bytes:
    """CSV as Dutch Excel opens it (``;``, decimal comma, BOM), or plain international CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v, dutch) for v in row])
    text = buffer.getvalue()
    return ("\ufeff" + text).encode("utf-8") if dutch else text.encode("utf-8")


def _csv_value(value: Any, dutch: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M" if dutch else "%Y-%m-%dT%H:%M")
    if isinstance(value, float):
        # Every digit (repr is the shortest text that reads back exactly; ":g" kept
        # six, so 12345.678 came back as 12345.7), without a needless ".0".
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return text.replace(".", ",") if dutch else text
    return str(value)


def write_xlsx(header: list[str], rows: Iterator[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("measurements")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
