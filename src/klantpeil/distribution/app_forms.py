"""The distribution settings form: sender, fatigue rules, sending window and the
reminder rule of each survey instrument, checked field by field before anything is
saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.distribution.app_services import RuleEntry
from klantpeil.distribution.models import DistributionSettings, ReminderRule

WEEKDAYS = [
    ("0", gettext_lazy("Monday")),
    ("1", gettext_lazy("Tuesday")),
    ("2", gettext_lazy("Wednesday")),
    ("3", gettext_lazy("Thursday")),
    ("4", gettext_lazy("Friday")),
    ("5", gettext_lazy("Saturday")),
    ("6", gettext_lazy("Sunday")),
]


class SettingsForm(forms.ModelForm):
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Days on which messages are sent"),
    )

    class Meta:
        model = DistributionSettings
        fields = [
            "sender_name",
            "sender_address",
            "fatigue_days",
            "fatigue_per_year",
            "window_start",
            "window_end",
        ]
        labels = {
            "sender_name": gettext_lazy("Sender name"),
            "sender_address": gettext_lazy("Sender address"),
            "fatigue_days": gettext_lazy("At most one invitation per person per … days"),
            "fatigue_per_year": gettext_lazy("At most … invitations per person per year"),
            "window_start": gettext_lazy("Send from"),
            "window_end": gettext_lazy("Send until"),
        }
        widgets = {
            "window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, instruments: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = instruments
        self.fields["weekdays"].initial = list(self.instance.window_weekdays)
        rules = {r.instrument_id: r for r in ReminderRule.objects.all()}
        for instrument in instruments:
            rule = rules.get(instrument.pk) or ReminderRule()
            self.fields[f"reminders_{instrument.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=3,
                initial=rule.reminders,
                label=gettext_lazy("Reminders"),
            )
            self.fields[f"days_after_{instrument.pk}"] = forms.IntegerField(
                min_value=1,
                max_value=60,
                initial=rule.days_after,
                label=gettext_lazy("Days between sends"),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start is not None and end is not None and start >= end:
            self.add_error(
                "window_end",
                _("The window must end after it starts (%(start)s).")
                % {"start": start.strftime("%H:%M")},
            )
        return data

    def _post_clean(self) -> None:
        # The model's own check of the window is the form's clean() above, in words; the
        # instance is only filled in (validated again when the page is saved).
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields)

    def settings_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[name] for name in self._meta.fields}
        values["window_weekdays"] = "".join(sorted(data["weekdays"]))
        return values

    def rule_entries(self) -> list[RuleEntry]:
        data = self.cleaned_data
        return [
            RuleEntry(i.pk, data[f"reminders_{i.pk}"], data[f"days_after_{i.pk}"])
            for i in self.instruments
        ]


def reminder_rows(form: SettingsForm, instruments: list) -> list[dict]:
    return [
        {
            "instrument": i,
            "reminders": form[f"reminders_{i.pk}"],
            "days_after": form[f"days_after_{i.pk}"],
        }
        for i in instruments
    ]
