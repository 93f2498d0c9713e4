"""Message templates: the variables they may use, their checks, and the defaults.

A template is text with ``{{ variable }}`` placeholders, and nothing else: no tags,
no filters (an organisation's wording must not reach into the server). The variables:

==================  ==========================================================
``{{ link }}``          the respondent's single-use survey link (required)
``{{ organisation }}``  the organisation's name (required)
``{{ opt_out_link }}``  the page where the respondent stops all invitations (required)
``{{ expires_at }}``    the last day the link works, written in the message's language
==================  ==========================================================

The three required ones must appear in the plain text and (when given) in the HTML
body of an organisation's own template; the defaults below have them. In HTML every
value is escaped. A subject is for e-mail only and may use every variable but the
links.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _

from klantpeil.core.errors import FieldErrors

VARIABLES = ("link", "organisation", "opt_out_link", "expires_at")
REQUIRED = ("link", "organisation", "opt_out_link")
PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
TAG = re.compile(r"\{%|%\}|\{#|#\}")
SMS_MAX_LENGTH = 640  # four concatenated SMS parts with link and opt-out link


class TemplateError(FieldErrors):
    """``errors`` maps a field (subject, text_body, html_body) to its reason."""


@dataclass(frozen=True)
class Wording:
    subject: str
    text_body: str
    html_body: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _field_problem(field: str, value: str, *, required: tuple[str, ...]) -> str | None:
    if TAG.search(value):
        return _("only {{ variable }} placeholders are allowed, no {% %} tags or {# #} comments")
    used = [name for name in PLACEHOLDER.findall(value)]
    unknown = [name for name in used if name not in VARIABLES]
    if unknown:
        known = ", ".join(f"{{{{ {v} }}}}" for v in VARIABLES)
        return _("unknown variable %(name)s; known are %(known)s") % {
            "name": f"{{{{ {unknown[0]} }}}}",
            "known": known,
        }
    stray = PLACEHOLDER.sub("", value)
    if "{{" in stray or "}}" in stray:
        return _("a placeholder is not closed: write {{ variable }}")
    missing = [name for name in required if name not in used]
    if missing:
        return _("must contain %(name)s") % {"name": f"{{{{ {missing[0]} }}}}"}
    return None


def validate_template(channel: str, wording: Wording) -> None:
    """Raise :class:`TemplateError` naming every field that is wrong."""
    errors: dict[str, str] = {}
    if channel == "email":
        if not wording.subject.strip():
            errors["subject"] = _("an e-mail needs a subject")
        elif "\n" in wording.subject or "\r" in wording.subject:
            errors["subject"] = _("must be one line")
        elif problem := _field_problem("subject", wording.subject, required=()):
            errors["subject"] = problem
        elif {"link", "opt_out_link"} & set(PLACEHOLDER.findall(wording.subject)):
            errors["subject"] = _("links belong in the body, not in the subject")
    elif wording.subject.strip():
        errors["subject"] = _("an SMS has no subject")
    if not wording.text_body.strip():
        errors["text_body"] = _("is required")
    elif problem := _field_problem("text_body", wording.text_body, required=REQUIRED):
        errors["text_body"] = problem
    elif channel == "sms" and len(wording.text_body) > SMS_MAX_LENGTH:
        errors["text_body"] = _("an SMS holds at most %(n)s characters") % {"n": SMS_MAX_LENGTH}
    if wording.html_body.strip():
        if channel == "sms":
            errors["html_body"] = _("an SMS has no HTML body")
        elif problem := _field_problem("html_body", wording.html_body, required=REQUIRED):
            errors["html_body"] = problem
    if errors:
        raise TemplateError(errors)


def _fill(value: str, context: Mapping[str, str], *, html: bool) -> str:
    def one(match: re.Match) -> str:
        text = str(context.get(match.group(1), ""))
        return escape(text) if html else text

    return PLACEHOLDER.sub(one, value)


def _text_as_html(text: str, context: Mapping[str, str]) -> str:
    """An HTML body from the plain text: paragraphs, links clickable, values escaped."""
    filled = escape(_fill(text, context, html=False))
    for name in ("link", "opt_out_link"):
        url = escape(str(context.get(name, "")))
        if url:
            filled = filled.replace(url, f'<a href="{url}">{url}</a>')
    paragraphs = [p.replace("\n", "<br>") for p in filled.split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def render(wording: Wording, context: Mapping[str, str], *, language: str) -> Rendered:
    """The message as sent: subject and text filled, HTML filled and escaped."""
    text = _fill(wording.text_body, context, html=False)
    if wording.html_body.strip():
        body = _fill(wording.html_body, context, html=True)
    else:
        body = _text_as_html(wording.text_body, context)
    html = (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(_fill(wording.subject, context, html=False))}</title></head>"
        f'<body style="font-family: sans-serif; line-height: 1.5">{body}</body></html>'
    )
    return Rendered(subject=_fill(wording.subject, context, html=False), text=text, html=html)


# The defaults: formal Dutch ("u") and English. (channel, kind, language) → wording.
DEFAULTS: dict[tuple[str, str, str], Wording] = {
    ("email", "invitation", "nl"): Wording(
        subject="Hoe was uw contact met {{ organisation }}?",
        text_body=(
            "Geachte heer, mevrouw,\n\n"
            "U had onlangs contact met {{ organisation }}. Wij horen graag hoe u dat hebt "
            "ervaren. De vragenlijst duurt ongeveer twee minuten.\n\n"
            "Vul de vragenlijst in: {{ link }}\n\n"
            "De link werkt tot en met {{ expires_at }}.\n\n"
            "Met vriendelijke groet,\n{{ organisation }}\n\n"
            "Wilt u geen uitnodigingen meer ontvangen? Meld u af: {{ opt_out_link }}"
        ),
    ),
    ("email", "reminder", "nl"): Wording(
        subject="Herinnering: hoe was uw contact met {{ organisation }}?",
        text_body=(
            "Geachte heer, mevrouw,\n\n"
            "Enkele dagen geleden vroegen wij u naar uw contact met {{ organisation }}. "
            "Heeft u nog twee minuten? Uw mening helpt ons verbeteren.\n\n"
            "Vul de vragenlijst in: {{ link }}\n\n"
            "De link werkt tot en met {{ expires_at }}.\n\n"
            "Met vriendelijke groet,\n{{ organisation }}\n\n"
            "Wilt u geen uitnodigingen meer ontvangen? Meld u af: {{ opt_out_link }}"
        ),
    ),
    ("email", "invitation", "en"): Wording(
        subject="How was your contact with {{ organisation }}?",
        text_body=(
            "Dear customer,\n\n"
            "You were recently in contact with {{ organisation }}. We would like to hear "
            "how you experienced it. The survey takes about two minutes.\n\n"
            "Take the survey: {{ link }}\n\n"
            "The link works until {{ expires_at }}.\n\n"
            "Kind regards,\n{{ organisation }}\n\n"
            "Rather not receive invitations? Unsubscribe: {{ opt_out_link }}"
        ),
    ),
    ("email", "reminder", "en"): Wording(
        subject="Reminder: how was your contact with {{ organisation }}?",
        text_body=(
            "Dear customer,\n\n"
            "A few days ago we asked about your contact with {{ organisation }}. "
            "Do you have two minutes? Your view helps us improve.\n\n"
            "Take the survey: {{ link }}\n\n"
            "The link works until {{ expires_at }}.\n\n"
            "Kind regards,\n{{ organisation }}\n\n"
            "Rather not receive invitations? Unsubscribe: {{ opt_out_link }}"
        ),
    ),
    ("sms", "invitation", "nl"): Wording(
        subject="",
        text_body=(
            "{{ organisation }}: hoe was uw contact met ons? Vul de korte vragenlijst in: "
            "{{ link }} Afmelden: {{ opt_out_link }}"
        ),
    ),
    ("sms", "reminder", "nl"): Wording(
        subject="",
        text_body=(
            "{{ organisation }}: herinnering, uw mening over ons contact: {{ link }} "
            "Afmelden: {{ opt_out_link }}"
        ),
    ),
    ("sms", "invitation", "en"): Wording(
        subject="",
        text_body=(
            "{{ organisation }}: how was your contact with us? Take the short survey: "
            "{{ link }} Unsubscribe: {{ opt_out_link }}"
        ),
    ),
    ("sms", "reminder", "en"): Wording(
        subject="",
        text_body=(
            "{{ organisation }}: a reminder, your view on our contact: {{ link }} "
            "Unsubscribe: {{ opt_out_link }}"
        ),
    ),
}


def default_wording(channel: str, kind: str, language: str) -> Wording:
    return DEFAULTS.get((channel, kind, language)) or DEFAULTS[(channel, kind, "nl")]
