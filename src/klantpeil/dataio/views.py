"""Import, export and API tokens in the app (organisation scope from TenantMiddleware)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from klantpeil.accounts.models import ApiToken, TokenScope
from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, role_required
from klantpeil.accounts.services import issue_api_token, revoke_api_token
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core import numbers
from klantpeil.dataio.exports import AnonymousExportError, export_rows, write_csv, write_xlsx
from klantpeil.dataio.imports import Mapping, import_measurements
from klantpeil.dataio.limits import UPLOAD_LIMITS, megabytes
from klantpeil.dataio.reading import FileProblem, check_size
from klantpeil.instruments.selectors import instruments
from klantpeil.organisations.models import ChannelKind

MAX_UPLOAD = UPLOAD_LIMITS.max_bytes


def _upload_hint() -> str:
    return _("At most {size}, {rows} rows and {characters} characters in one cell.").format(
        size=megabytes(UPLOAD_LIMITS.max_bytes),
        rows=numbers.decimal(UPLOAD_LIMITS.max_rows, 0),
        characters=numbers.decimal(UPLOAD_LIMITS.max_cell_chars, 0),
    )


# Shown under every upload field, in the reader's language: the limits the file is
# held to while it is read.
UPLOAD_HINT = lazy(_upload_hint, str)()


def _instrument_choices() -> list[tuple[str, str]]:
    return [(i.key, i.name) for i in instruments()]


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"), help_text=UPLOAD_HINT)
    instrument = forms.ChoiceField(label=gettext_lazy("Instrument"), initial="customer-survey")
    mapping = forms.FileField(label=gettext_lazy("Column mapping (JSON, optional)"), required=False)
    mapping_text = forms.CharField(
        label=gettext_lazy("Column mapping as text (JSON, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "“Suggest a mapping” fills this in from your file; check it, then choose the file "
            "again and check it with this mapping."
        ),
        max_length=UPLOAD_LIMITS.max_mapping_chars,
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Only check, import nothing"), required=False)
    strict = forms.BooleanField(
        label=gettext_lazy("Refuse the file on warnings too (placeholder dates, a 1–5 scale …)"),
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = _instrument_choices()


class ExportForm(forms.Form):
    instrument = forms.ChoiceField(label=gettext_lazy("Instrument"), initial="customer-survey")
    period = forms.CharField(
        label=gettext_lazy("Period"),
        required=False,
        help_text=gettext_lazy("e.g. 2026-09, 2026-Q3 or 2026; empty for all"),
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=[("xlsx", "Excel (XLSX)"), ("csv", "CSV")]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = _instrument_choices()
        self.fields["channel"].choices = [("", _("All channels")), *ChannelKind.choices]


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What is the token for?"), max_length=120)
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"), choices=TokenScope.choices, initial=TokenScope.READ
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=3660, initial=365
    )


@role_required(MANAGE_DATA)
def import_view(request: HttpRequest, org: str) -> HttpResponse:
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        mapping = None
        try:
            # The size before a byte is read; the other limits while the file is read.
            check_size(upload.size, upload.name)
        except FileProblem as exc:
            form.add_error("file", str(exc))
        else:
            try:
                if form.cleaned_data["mapping"]:
                    mapping_file = form.cleaned_data["mapping"]
                    check_size(mapping_file.size, mapping_file.name)
                    mapping = Mapping.from_json(
                        mapping_file.read().decode("utf-8-sig"), mapping_file.name
                    )
            except FileProblem as exc:
                form.add_error("mapping", str(exc))
            except UnicodeDecodeError as exc:
                form.add_error(
                    "mapping",
                    _("%(name)s: not UTF-8 text (%(reason)s at byte %(position)s)")
                    % {
                        "name": form.cleaned_data["mapping"].name,
                        "reason": exc.reason,
                        "position": exc.start,
                    },
                )
            else:
                if mapping is None and form.cleaned_data["mapping_text"].strip():
                    try:
                        mapping = Mapping.from_json(
                            form.cleaned_data["mapping_text"], _("the mapping")
                        )
                    except FileProblem as exc:
                        form.add_error("mapping_text", str(exc))
                if request.POST.get("action") == "suggest" and not form.errors:
                    return _suggested(request, form, upload)
                if not form.errors:
                    report = import_measurements(
                        data=upload.read(),
                        name=upload.name,
                        instrument=form.cleaned_data["instrument"],
                        mapping=mapping,
                        dry_run=form.cleaned_data["dry_run"],
                        strict=form.cleaned_data["strict"],
                    )
    return render(
        request,
        "dataio/import.html",
        {"form": form, "report": report},
        status=422 if report and not report.ok else 200,
    )


def _suggested(request: HttpRequest, form: ImportForm, upload: Any) -> HttpResponse:
    """The import page again with a draft mapping for the uploaded file in the text field,
    set to a dry run: the next step checks the file with it."""
    import json

    from klantpeil.dataio.formats import normalise
    from klantpeil.dataio.reading import read_raw_table
    from klantpeil.dataio.suggest import questions_from_version, suggest_mapping
    from klantpeil.instruments.selectors import latest_version

    instrument = form.cleaned_data["instrument"]
    try:
        source = normalise(read_raw_table(upload.read(), upload.name))
    except FileProblem as exc:
        form.add_error("file", str(exc))
        return render(request, "dataio/import.html", {"form": form}, status=422)
    draft = suggest_mapping(
        source, instrument, questions_from_version(latest_version(key=instrument))
    )
    fresh = ImportForm(
        initial={
            "instrument": instrument,
            "mapping_text": json.dumps(draft, ensure_ascii=False, indent=2),
            "dry_run": True,
        }
    )
    return render(
        request,
        "dataio/import.html",
        {"form": fresh, "suggested": source.format.label, "suggested_file": upload.name},
    )


@role_required(READ_DATA)
def export_view(request: HttpRequest, org: str) -> HttpResponse:
    form = ExportForm(request.GET or None)
    if request.GET and "format" not in request.GET:
        # Linked from a dashboard with its active filters: fill them in, export on "submit".
        form = ExportForm(
            initial={k: request.GET[k] for k in ("period", "channel") if k in request.GET}
        )
    if request.GET and form.is_valid():
        data = form.cleaned_data
        filters = MeasurementFilter(period=data["period"] or None, channel=data["channel"] or None)
        try:
            header, rows = export_rows(filters, data["instrument"])
            if data["format"] == "xlsx":
                content = write_xlsx(header, rows)
                kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            else:
                content = write_csv(header, rows)
                kind = "text/csv; charset=utf-8"
        except AnonymousExportError as exc:
            form.add_error("instrument", str(exc))
        except ValueError as exc:
            form.add_error("period", str(exc))
        else:
            name = (
                f"klantpeil-{org}-{data['instrument']}-{data['period'] or 'all'}.{data['format']}"
            )
            response = HttpResponse(content, content_type=kind)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(request, "dataio/export.html", {"form": form})


@role_required(MANAGE_DATA)
def tokens_view(request: HttpRequest, org: str) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        issued = issue_api_token(
            organisation=request.organisation,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            scope=form.cleaned_data["scope"],
            created_by=request.user,
        )
        secret = issued.secret
        form = TokenForm()
    return render(
        request,
        "dataio/tokens.html",
        {"form": form, "secret": secret, "tokens": ApiToken.objects.all()},
    )


@require_POST
@role_required(MANAGE_DATA)
def revoke_token_view(request: HttpRequest, org: str, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects, pk=token_id)
    revoke_api_token(token=token)
    messages.success(request, _("The token %(name)s no longer works.") % {"name": token.name})
    return redirect("app:tokens", org=org)
