"""Turning a raw answer (form field, API JSON, import cell) into a stored, typed value.

One implementation for every way answers arrive, so a grade of 11 is refused
the same way in the respondent form, the API and an import. Duck-typed on the
question (``type``, ``scale``, ``choices``) so it needs no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.utils.translation import gettext as _

from klantpeil.metrics.limits import FIRST_DAY, LAST_DAY, MAX_ABS_NUMBER, moment_in_range

YES = {"1", "yes", "ja", "true", "y", "j", "waar"}
NO = {"0", "no", "nee", "false", "n", "onwaar"}
NUMERIC_TYPES = {"grade", "nps", "ces", "likert", "number", "duration"}
# What "a comment" is, for every app: a non-empty answer to a text question whose
# indicator is "comment" (the standard surveys' open question; an organisation's own
# instrument marks its open question the same way). The comments page, the report's
# sample, the annotation run and the write path's "is there anything to annotate" all
# use this (textanalysis.selectors.comment_answers is its database form).
COMMENT_INDICATOR = "comment"
COMMENT_TYPE = "text"


class QuestionLike(Protocol):
    key: str
    type: str
    choices: list[dict[str, Any]]

    @property
    def scale(self) -> tuple[float, float] | None: ...


class AnswerError(ValueError):
    """The answer does not fit the question; ``reason`` is shown to the person who gave it."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        super().__init__(f"{key}: {reason} (got {value!r})")
        self.key = key
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class StoredValue:
    number: float | None = None
    text: str | None = None
    moment: datetime | None = None


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _as_number(question: QuestionLike, value: Any) -> float:
    if isinstance(value, bool):
        raise AnswerError(question.key, value, _("enter a number"))
    if isinstance(value, dict | list | tuple):
        raise AnswerError(question.key, value, _("enter a number"))
    try:
        if isinstance(value, int | float):
            number = float(value)
        else:
            # Dutch files write 7,5 for 7.5.
            number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise AnswerError(question.key, value, _("enter a number")) from None
    except OverflowError:  # an integer with hundreds of digits: a number, out of range
        number = math.inf if value > 0 else -math.inf
    else:
        if math.isnan(number) or math.isinf(number):
            raise AnswerError(question.key, value, _("enter a number"))
    # Finite and bounded even where the question sets no bound of its own.
    low, high = question.scale or (-math.inf, math.inf)
    scale = (max(low, -MAX_ABS_NUMBER), min(high, MAX_ABS_NUMBER))
    if not scale[0] <= number <= scale[1]:
        low, high = (f"{bound:g}" for bound in scale)
        raise AnswerError(
            question.key,
            value,
            _("must be between %(low)s and %(high)s") % {"low": low, "high": high},
        )
    if question.type in {"grade", "nps", "ces", "likert"} and number != int(number):
        raise AnswerError(question.key, value, _("must be a whole number"))
    return number


def _as_yes_no(question: QuestionLike, value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    word = str(value).strip().lower()
    if word in YES:
        return 1.0
    if word in NO:
        return 0.0
    raise AnswerError(question.key, value, _("answer yes or no"))


def _choice_keys(question: QuestionLike) -> list[str]:
    return [choice["key"] for choice in question.choices]


def _as_choice(question: QuestionLike, value: Any) -> str:
    key = str(value).strip()
    if key not in _choice_keys(question):
        raise AnswerError(
            question.key,
            value,
            _("must be one of %(choices)s") % {"choices": ", ".join(_choice_keys(question))},
        )
    return key


def _as_choices(question: QuestionLike, value: Any) -> str:
    items = value if isinstance(value, list | tuple) else str(value).split("|")
    keys = [_as_choice(question, item) for item in items if not is_empty(item)]
    if len(set(keys)) != len(keys):
        raise AnswerError(question.key, value, _("a choice is given twice"))
    return "|".join(keys)


def _as_moment(question: QuestionLike, value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise AnswerError(
                question.key, value, _("enter a date and time like 2026-03-31T14:05")
            ) from None
    if moment.tzinfo is None:
        raise AnswerError(question.key, value, _("the time zone is missing"))
    if not moment_in_range(moment):
        raise AnswerError(
            question.key,
            value,
            _("must lie from %(first)s to %(last)s")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return moment


def to_stored(question: QuestionLike, value: Any) -> StoredValue | None:
    """Validate ``value`` for ``question``; None means "not answered"."""
    if is_empty(value):
        return None
    kind = question.type
    if kind in NUMERIC_TYPES:
        return StoredValue(number=_as_number(question, value))
    if kind == "yes_no":
        return StoredValue(number=_as_yes_no(question, value))
    if kind == "single_choice":
        return StoredValue(text=_as_choice(question, value))
    if kind == "multiple_choice":
        return StoredValue(text=_as_choices(question, value))
    if kind == "timestamp":
        return StoredValue(moment=_as_moment(question, value))
    if kind == "text":
        # A number is text enough (a spreadsheet cell); an object or a list is not.
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise AnswerError(question.key, value, _("enter text"))
        # A NUL character means nothing in a comment, and PostgreSQL cannot store it.
        text = str(value).replace("\x00", "").strip()
        if len(text) > 5000:
            raise AnswerError(question.key, text[:40], _("is longer than 5,000 characters"))
        return StoredValue(text=text)
    raise AnswerError(question.key, value, f"unknown question type {kind}")


def is_asked(
    question: Any, stored: dict[str, StoredValue | None], channel_kind: str | None
) -> bool:
    """Whether ``question`` applies, given the channel and the answers so far (``show_if``)."""
    if question.channels and channel_kind not in question.channels:
        return False
    condition = question.show_if
    if not condition:
        return True
    given = stored.get(condition["question"])
    if given is None:
        return False
    expected = condition["equals"]
    if isinstance(expected, bool):
        return given.number == (1.0 if expected else 0.0)
    return expected in (given.text, given.number)


def is_comment(question: Any, text: str | None) -> bool:
    """Whether this answer (question, its text) is a comment; see COMMENT_INDICATOR."""
    return question.type == COMMENT_TYPE and question.indicator == COMMENT_INDICATOR and bool(text)


def has_comment(answers: Iterable[tuple[Any, StoredValue]]) -> bool:
    """Whether (question, stored value) pairs hold a non-empty open comment."""
    return any(is_comment(question, value.text) for question, value in answers)
