"""The analyst's planning form: targets and scenarios are typed one per line."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantpeil.fieldwork.services import ScenarioSpec, TargetSpec
from klantpeil.metrics.limits import FIRST_DAY, LAST_DAY, moment_in_range
from klantpeil.organisations.models import ChannelKind

SUPPORTED = {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
# Study.seed is a PositiveIntegerField: the largest integer every database stores there.
MAX_SEED = 2**31 - 1


def _supported_day(day) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(_("Choose a day from %(first)s to %(last)s."), params=SUPPORTED)


PROTOCOLS = [
    ("mystery-phone", _("Mystery call")),
    ("mystery-email", _("Mystery e-mail")),
    ("mystery-chat", _("Mystery chat")),
    ("mystery-social", _("Mystery social media")),
    ("mystery-counter", _("Mystery counter visit")),
]
PROTOCOL_CHANNEL = {
    "mystery-phone": ChannelKind.PHONE,
    "mystery-email": ChannelKind.EMAIL,
    "mystery-chat": ChannelKind.CHAT,
    "mystery-social": ChannelKind.SOCIAL,
    "mystery-counter": ChannelKind.COUNTER,
}


def _lines(text: str, parts: int, what: str) -> list[list[str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) < parts - 1 or len(cells) > parts or not all(cells[: parts - 1]):
            raise forms.ValidationError(
                _("Line %(line)s: expected %(what)s separated by semicolons."),
                params={"line": number, "what": what},
            )
        rows.append(cells + [""] * (parts - len(cells)))
    if not rows:
        raise forms.ValidationError(_("Give at least one line."))
    return rows


class StudyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    protocol = forms.ChoiceField(label=_("Protocol"), choices=PROTOCOLS)
    # <input type="date"> takes only ISO dates: a Dutch "13-12-2026" is dropped as
    # invalid and the default dates vanish.
    starts_on = forms.DateField(
        label=_("First day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_supported_day],
    )
    ends_on = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[_supported_day],
    )
    contacts = forms.IntegerField(label=_("Number of contacts"), min_value=1, max_value=20_000)
    also_for = forms.MultipleChoiceField(
        label=_("Also plan this study for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
        help_text=_(
            "Each organisation gets its own study with the same name, period, scenarios "
            "and number of contacts; start its targets' lines with its code and a colon."
        ),
    )
    targets = forms.CharField(
        label=_("Targets"),
        help_text=_(
            "One per line: name; phone number or address; unit code (optional). "
            "For another organisation: code: name; address; unit."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    scenarios = forms.CharField(
        label=_("Scenarios"),
        help_text=_("One per line: the question the shopper asks; the correct answer."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    shoppers = forms.MultipleChoiceField(
        label=_("Shoppers"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        min_value=0,
        max_value=MAX_SEED,
        help_text=_("The same seed gives the same plan."),
    )

    def __init__(self, *args, shopper_choices=(), other_organisations=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shoppers"].choices = [(str(u.pk), u.email) for u in shopper_choices]
        self.fields["also_for"].choices = [(o.slug, o.name) for o in other_organisations]
        if not other_organisations:
            del self.fields["also_for"]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.update(
                starts_on=today + timedelta(days=7),
                ends_on=today + timedelta(days=34),
                contacts=100,
                seed=secrets.randbelow(1_000_000),
            )

    def clean_targets(self) -> dict[str, list[TargetSpec]]:
        """Targets per organisation code ("" for this organisation)."""
        field = self.fields.get("also_for")
        others = {code for code, _name in field.choices} if field else set()
        per_organisation: dict[str, list[TargetSpec]] = {}
        for number, line in enumerate(self.cleaned_data["targets"].splitlines(), start=1):
            code, colon, rest = line.partition(":")
            owner = code.strip() if colon and code.strip() in others else ""
            text = rest if owner else line
            if not text.strip():
                continue
            try:
                (row,) = _lines(text, 3, _("name; address"))
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Line %(line)s: expected %(what)s separated by semicolons."),
                    params={"line": number, "what": _("name; address")},
                ) from None
            per_organisation.setdefault(owner, []).append(TargetSpec(*row))
        if "" not in per_organisation:
            raise forms.ValidationError(_("Give at least one target of this organisation."))
        return per_organisation

    def clean_scenarios(self) -> list[ScenarioSpec]:
        return [
            ScenarioSpec(*row)
            for row in _lines(self.cleaned_data["scenarios"], 2, _("question; correct answer"))
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The last day comes before the first day."))
        targets = data.get("targets") or {}
        for code in data.get("also_for") or []:
            if code not in targets:
                self.add_error(
                    "targets",
                    _("No targets for %(code)s: start their lines with “%(code)s:”.")
                    % {"code": code},
                )
        return data


class CallbackForm(forms.Form):
    came = forms.ChoiceField(choices=[("yes", _("yes")), ("no", _("no"))])
    came_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean_came_at(self):
        came_at = self.cleaned_data.get("came_at")
        if came_at is not None and not moment_in_range(came_at):
            raise forms.ValidationError(
                _("Choose a day from %(first)s to %(last)s."), params=SUPPORTED
            )
        return came_at
