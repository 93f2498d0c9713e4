"""What the respondent form shows: questions as form items with their options and errors.

Validation is not done here: the answers go through the same
``build_answers`` as the API and imports, so every path refuses the same
things with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from klantpeil.instruments.models import InstrumentVersion, Question, localised

SCALE_ENDS = {
    "grade": (1, 10),
    "nps": (0, 10),
    "ces": (1, 7),
    "likert": (1, 5),
}


@dataclass
class Item:
    number: int
    key: str
    type: str
    label: str
    help: str
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    value: str = ""
    error: str = ""
    low_label: str = ""
    high_label: str = ""

    @property
    def is_group(self) -> bool:
        """Radio buttons and check boxes are grouped in a fieldset with a legend."""
        return bool(self.options)

    @property
    def is_scale(self) -> bool:
        return self.type in SCALE_ENDS


def _options(question: Question) -> list[tuple[str, str]]:
    if question.type in SCALE_ENDS:
        low, high = SCALE_ENDS[question.type]
        return [(str(v), str(v)) for v in range(low, high + 1)]
    if question.type == "yes_no":
        return [("1", _("Yes")), ("0", _("No"))]
    if question.type in ("single_choice", "multiple_choice"):
        return [(c["key"], localised(c["label"]["nl"], c["label"]["en"])) for c in question.choices]
    return []


def asked_questions(version: InstrumentVersion, channel_kind: str | None) -> list[Question]:
    return [q for q in version.questions.all() if not q.channels or channel_kind in q.channels]


def form_items(
    questions: list[Question],
    raw: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Item]:
    raw, errors = raw or {}, errors or {}
    items = []
    for number, q in enumerate(questions, start=1):
        given = raw.get(q.key)
        selected = given if isinstance(given, list) else ([given] if given else [])
        low_high = {
            "grade": (_("very poor"), _("excellent")),
            "nps": (_("very unlikely"), _("very likely")),
            "ces": (_("strongly disagree"), _("strongly agree")),
            "likert": (_("strongly disagree"), _("strongly agree")),
        }.get(q.type, ("", ""))
        items.append(
            Item(
                number=number,
                key=q.key,
                type=q.type,
                label=q.label,
                help=localised(q.help_nl, q.help_en),
                required=q.required,
                options=_options(q),
                selected=[str(s) for s in selected],
                value="" if isinstance(given, list) else (given or ""),
                error=errors.get(q.key, ""),
                low_label=low_high[0],
                high_label=low_high[1],
            )
        )
    return items


def posted_answers(post: Any, questions: list[Question]) -> dict[str, Any]:
    """The answers in a POST, with check boxes as lists and empty fields left out."""
    answers: dict[str, Any] = {}
    for q in questions:
        if q.type == "multiple_choice":
            values = post.getlist(q.key)
            if values:
                answers[q.key] = values
        elif (value := post.get(q.key, "").strip()) != "":
            answers[q.key] = value
    return answers
