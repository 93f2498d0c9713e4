"""A draft mapping for another tool's export: what the file's columns most likely are.

The draft is what ``klantpeil import --suggest-mapping`` prints and the web import
shows as a form; a person confirms it. Columns are matched to questions by their
name and the question text the tool wrote (known names first, then word stems,
then text similarity with the questions' labels); each question column's observed
values suggest a value translation (LimeSurvey codes, answer words) and a scale
conversion (:func:`klantpeil.metrics.scales.guess_conversion`); date columns get
the first format that reads all their values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from klantpeil.dataio.formats import SourceTable
from klantpeil.dataio.imports import CHANNEL_WORDS, PLACEHOLDER_DATES
from klantpeil.instruments.models import SCALES
from klantpeil.metrics import scales

SAMPLE_ROWS = 5_000  # enough to see a column's scale; a 100,000-row file stays quick
SIMILAR = 0.72  # text similarity that counts as the same question

DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)

# Names and word stems other tools and offices use, in Dutch and English.
RESERVED_NAMES = {
    "occurred_at": ("datum", "date", "timestamp", "tijdstip", "contactdatum", "submitdate"),
    "channel": ("kanaal", "channel", "contactkanaal"),
    "unit": ("afdeling", "unit", "team", "vestiging", "department"),
    "external_id": ("id", "response id", "respondent id", "responseid", "respons id"),
    "language": ("taal", "language"),
}
STEMS = (
    (
        "overall_grade",
        ("rapportcijfer", "cijfer", "grade", "satisf", "tevreden", "rate the contact"),
    ),
    ("nps", ("aanbevel", "recommend", "aanraden", "nps")),
    ("ces", ("makkelijk gemaakt", "effort", "moeite", "made it easy", "ces")),
    ("solved_first_contact", ("opgelost", "solved", "resolved", "fcr")),
    ("comment", ("opmerking", "comment", "toelichting", "iets kwijt", "anything else")),
    ("waiting_time", ("wachttijd", "waiting time")),
    ("accessibility", ("bereik", "reach us", "accessib")),
    ("reliability_promise", ("beloofd", "promised")),
    ("channel", ("kanaal", "channel")),
    ("unit", ("afdeling", "vestiging")),
)
# Five-point answer words, lowest first (satisfaction, ease, agreement).
LIKERT_WORDS = (
    (
        "very dissatisfied",
        "dissatisfied",
        "neither satisfied nor dissatisfied",
        "satisfied",
        "very satisfied",
    ),
    ("zeer ontevreden", "ontevreden", "neutraal", "tevreden", "zeer tevreden"),
    ("zeer moeilijk", "moeilijk", "neutraal", "makkelijk", "zeer makkelijk"),
    ("very difficult", "difficult", "neutral", "easy", "very easy"),
    ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"),
    ("helemaal mee oneens", "mee oneens", "neutraal", "mee eens", "helemaal mee eens"),
)
_CODE = re.compile(r"^A[O]?0*(\d+)$", re.IGNORECASE)  # LimeSurvey answer codes A1, AO01


@dataclass(frozen=True)
class QuestionInfo:
    key: str
    type: str
    labels: tuple[str, ...]
    scale: tuple[float, float] | None


def questions_from_definition(definition: dict[str, Any]) -> list[QuestionInfo]:
    """Questions of a shipped instrument definition (no database needed)."""
    return [
        QuestionInfo(
            q["key"],
            q["type"],
            tuple(q["label"].values()),
            SCALES.get(q["type"]) or ((q["min"], q["max"]) if q.get("min") is not None else None),
        )
        for q in definition["questions"]
    ]


def questions_from_version(version: Any) -> list[QuestionInfo]:
    return [
        QuestionInfo(q.key, q.type, (q.label_nl, q.label_en), q.scale)
        for q in version.questions.all()
    ]


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\(.*?\)", " ", text)  # "(1 = very poor, 5 = excellent)"
    text = re.sub(r"^\s*\d+[.)]\s*", "", text)  # Formbricks numbers its headlines "1. …"
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _candidates(
    column: str, text: str, questions: list[QuestionInfo]
) -> list[tuple[float, str, str]]:
    """(score, target, why) for every target this column could be."""
    found = []
    names = {_plain(column), _plain(text)} - {""}
    keys = {q.key for q in questions}
    for name in names:
        if name.replace(" ", "_") in keys:
            found.append((1.0, name.replace(" ", "_"), "the column is named after the question"))
        for target, words in RESERVED_NAMES.items():
            if name in words:
                found.append((0.95, target, "a known column name"))
    for q in questions:
        for label in q.labels:
            for name in names:
                ratio = SequenceMatcher(None, name, _plain(label)).ratio()
                if ratio >= SIMILAR:
                    found.append((0.5 + ratio / 2, q.key, f"text like the question ({ratio:.0%})"))
    for target, stems in STEMS:
        if (target in keys or target in RESERVED_NAMES) and any(
            stem in name for name in names for stem in stems
        ):
            found.append((0.6, target, "a word of the question"))
    return found


def _date_format(values: list[str]) -> str:
    for fmt in DATE_FORMATS:
        try:
            for value in values:
                datetime.strptime(value, fmt)
        except ValueError:
            continue
        return fmt
    return ""


def _numbers(values: Iterable[str]) -> list[float] | None:
    try:
        return [float(v.replace(",", ".")) for v in values]
    except ValueError:
        return None


def _value_map(values: list[str]) -> dict[str, str]:
    """Codes or answer words turned into numbers, when every value is one."""
    distinct = sorted(set(values))
    if distinct and all(_CODE.match(v) for v in distinct):
        return {v: str(int(_CODE.match(v).group(1))) for v in distinct}
    lowered = {v.lower() for v in distinct}
    for words in LIKERT_WORDS:
        if lowered <= set(words):
            # The whole scale, so answers the sample did not hold translate too.
            every = {w[0].upper() + w[1:]: str(i) for i, w in enumerate(words, start=1)}
            return every | {v: str(words.index(v.lower()) + 1) for v in distinct}
    return {}


def suggest_mapping(source: SourceTable, instrument: str, questions: list[QuestionInfo]) -> dict:
    """The draft mapping (as the JSON ``--mapping`` reads) for ``source``."""
    fmt, table = source.format, source.table
    by_key = {q.key: q for q in questions}
    columns: dict[str, str] = {}
    drop: list[str] = []
    notes: dict[str, str] = {}
    candidates = []
    for column in table.columns:
        if column in fmt.known.targets:
            candidates.append((2.0, column, fmt.known.targets[column], f"{fmt.key}'s own column"))
        elif column in fmt.known.drop:
            continue
        else:
            for score, target, why in _candidates(column, source.texts.get(column, ""), questions):
                candidates.append((score, column, target, why))
    taken: set[str] = set()
    for _score, column, target, why in sorted(candidates, key=lambda c: -c[0]):
        if column in columns or target in taken:
            continue
        columns[column] = target
        taken.add(target)
        notes[column] = why
    for column in table.columns:
        if column not in columns:
            drop.append(column)
            notes[column] = (
                f"{fmt.key}'s own column, not an answer"
                if column in fmt.known.drop
                else "no question matched: dropped (map it by hand if it is one)"
            )
    observed: dict[str, list[str]] = {c: [] for c in columns}
    for _number, cells in table.numbered():
        if _number - table.first_row_number >= SAMPLE_ROWS:
            break
        for column in columns:
            value = cells.get(column)
            text = "" if value is None else str(value).strip()
            if text:
                observed[column].append(text)
    values: dict[str, dict[str, str]] = {}
    conversions: dict[str, str] = {}
    dates: dict[str, str] = {}
    for column, target in columns.items():
        seen = observed[column]
        if target == "occurred_at":
            fmt_found = fmt.known.dates.get(column) or _date_format(seen)
            if fmt_found and all(_parses(v, fmt_found) for v in seen):
                dates[column] = fmt_found
            placeholder = [v for v in seen if _placeholder(v, fmt_found)]
            if placeholder:
                notes[column] += (
                    f"; {len(placeholder)} placeholder date(s) such as {placeholder[0]}:"
                    " the tool kept no date"
                )
            continue
        if target == "channel":
            values[column] = {v: CHANNEL_WORDS.get(v.lower(), v.lower()) for v in sorted(set(seen))}
            unknown = [v for v in values[column] if v.lower() not in CHANNEL_WORDS.values()]
            if any(values[column][v] == v.lower() for v in unknown):
                notes[column] += "; fill in the channel (phone, email, counter …) of each value"
            continue
        if target == "language":
            values[column] = {v: v.lower()[:2] for v in sorted(set(seen)) if v != v.lower()[:2]}
            if not values[column]:
                del values[column]
            continue
        question = by_key.get(target)
        if question is None:
            continue
        translated = _value_map(seen)
        if translated:
            values[column] = translated
            seen = [translated[v] for v in seen]
        numbers = _numbers(seen)
        if numbers is not None and question.scale is not None:
            guess = scales.guess_conversion(numbers, question.scale)
            if guess != "identity":
                conversions[column] = guess
                low, high = min(numbers), max(numbers)
                notes[column] += f"; observed {low:g}–{high:g}, so {guess} (check it)"
    return {
        "format": fmt.key,
        "format_label": str(fmt.label),
        "instrument": instrument,
        "columns": columns,
        "drop": drop,
        "scales": conversions,
        "values": values,
        "dates": dates,
        "notes": notes,
    }


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _placeholder(value: str, fmt: str) -> bool:
    if not fmt:
        return any(value.startswith(d.isoformat()) for d in PLACEHOLDER_DATES)
    try:
        return datetime.strptime(value, fmt).date() in PLACEHOLDER_DATES
    except ValueError:
        return False
