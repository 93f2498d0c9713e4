"""The report button: ask for a report, watch it being made, download it."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from klantpeil.accounts.permissions import READ_DATA, role_required
from klantpeil.metrics.periods import parse_period
from klantpeil.reports import selectors, services
from klantpeil.reports.build import FORMATS
from klantpeil.reports.models import ReportRun


def _last_quarter() -> str:
    today = timezone.localdate()
    quarter = (today.month - 1) // 3
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


class ReportForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=40,
        help_text=gettext_lazy(
            "A month (2026-09, sep 2026), quarter (2026-Q3, Q3 2026) or year (2026)"
        ),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ReportRun.Format.choices)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("nl", gettext_lazy("Dutch")), ("en", gettext_lazy("English"))],
    )

    def clean_period(self) -> str:
        try:
            period = parse_period(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError(
                gettext_lazy("Use a month (2026-09), quarter (2026-Q3) or year (2026).")
            ) from None
        if period.kind == "range":
            # The report's pages (trend, comparison, benchmark) are built per calendar
            # month, quarter or year.
            raise forms.ValidationError(
                gettext_lazy("A report covers a month, quarter or year, not a range of days.")
            )
        return period.label


@role_required(READ_DATA)
def reports(request: HttpRequest, org: str) -> HttpResponse:
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            run = services.request_report(
                period=form.cleaned_data["period"],
                fmt=form.cleaned_data["format"],
                lang=form.cleaned_data["language"],
                user=request.user,
            )
            return redirect("app:reports:report", org=org, pk=run.pk)
    else:
        form = ReportForm(
            initial={
                # The dashboards' active period when the page links here with it.
                "period": request.GET.get("period") or _last_quarter(),
                "format": "pdf",
                "language": translation.get_language()[:2],
            }
        )
    return render(
        request,
        "reports/reports.html",
        {"form": form, "runs": selectors.recent_reports(user=request.user)},
    )


def _run_or_404(pk: int, user) -> ReportRun:
    try:
        return selectors.report_by_id(pk=pk, user=user)
    except ReportRun.DoesNotExist:
        raise Http404 from None


@role_required(READ_DATA)
def report(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """The report's state; htmx polls it every second until it is finished."""
    run = _run_or_404(pk, request.user)
    template = "reports/_status.html" if request.htmx else "reports/detail.html"
    response = render(request, template, {"run": run})
    if request.htmx and run.finished:
        response["HX-Trigger"] = "report-finished"
    return response


@role_required(READ_DATA)
def download(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    run = _run_or_404(pk, request.user)
    if run.status != ReportRun.Status.DONE:
        raise Http404
    response = HttpResponse(bytes(run.content), content_type=FORMATS[run.format])
    response["Content-Disposition"] = f'attachment; filename="{run.filename}"'
    return response
