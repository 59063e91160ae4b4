"""/reports/: the managers' monthly figures as charts and tables, each table also as CSV."""

import csv
from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Practice
from incidents.models import Product, Severity
from servicedesk.lib.charts import bar_chart
from servicedesk.lib.forms import BootstrapBoundField
from servicedesk.lib.spreadsheets import safe_cell

from .reports import month_label, monthly, short_month, tables

PERIODS = [
    ("last_month", "Last month"),
    ("last_quarter", "Last quarter"),
    ("last_12_months", "Last 12 months"),
    ("custom", "From and to dates"),
]
DEFAULT_PERIOD = "last_12_months"
LONGEST = timedelta(days=5 * 366)  # a bound on the work one request may ask for


def period_dates(period, today):
    """(first day, last day) of a quick choice: the last whole month or quarter, or the 12 months to today."""
    this_month = today.replace(day=1)
    if period == "last_month":
        end = this_month - timedelta(days=1)
        return end.replace(day=1), end
    if period == "last_quarter":
        quarter = this_month.replace(month=(this_month.month - 1) // 3 * 3 + 1)
        end = quarter - timedelta(days=1)
        return end.replace(day=1, month=end.month - 2), end
    year, month = divmod(this_month.year * 12 + this_month.month - 12, 12)  # 11 months back
    return date(year, month + 1, 1), today


class ReportForm(forms.Form):
    """The period and the filters; anything else in the query string is ignored."""

    bound_field_class = BootstrapBoundField

    period = forms.ChoiceField(choices=PERIODS, widget=forms.RadioSelect, initial=DEFAULT_PERIOD)
    # Text boxes rather than the browser's date picker, whose day, month and year are three stops each.
    start = forms.DateField(label="From", required=False, help_text="For example 1/10/2026.")
    end = forms.DateField(label="To", required=False, help_text="For example 31/12/2026.")
    product = forms.ModelChoiceField(
        Product.objects.order_by("name"), required=False, empty_label="All products"
    )
    severity = forms.TypedChoiceField(
        choices=[("", "All severities"), *Severity.choices], coerce=int, required=False, empty_value=None
    )
    practice = forms.CharField(
        label="Practice ID",
        required=False,
        max_length=10,
        help_text="The ODS code; empty for every practice.",
    )

    def clean_practice(self):
        code = self.cleaned_data["practice"].strip().upper()
        if not code:
            return None
        practice = Practice.objects.filter(practice_id=code).first()
        if practice is None:
            raise forms.ValidationError(f"There is no practice with the ID “{code}”.")
        return practice

    def clean(self):
        cleaned_data = super().clean()
        period = cleaned_data.get("period")
        if period and period != "custom":
            cleaned_data["start"], cleaned_data["end"] = period_dates(period, timezone.localdate())
            return cleaned_data
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if period == "custom" and not self.has_error("start") and not self.has_error("end"):
            if not (start and end):
                raise forms.ValidationError("Enter both a “From” and a “To” date, or choose a quick period.")
            if start > end:
                self.add_error("end", "“To” must not be before “From”.")
            elif end - start > LONGEST:
                self.add_error("end", "Choose a period of at most five years.")
        return cleaned_data

    def filters(self):
        data = self.cleaned_data
        return {"product": data["product"], "severity": data["severity"], "practice": data["practice"]}


def _percent(value):
    return f"{value}%"


def _charts(rows, levels):
    """One chart per table, in the tables' order (the CSV's slugs name both)."""
    months = [(short_month(row["month"]), month_label(row["month"])) for row in rows]

    def column(key):
        return [row[key] for row in rows]

    def hours(key):
        return [None if row[key] is None else round(row[key] / 60, 1) for row in rows]

    totals = [sum(row["escalations"][index] for row in rows) for index in range(len(levels))]
    return {
        "incidents": bar_chart("Incidents logged and closed per month", months,
                               [("Logged", column("logged")), ("Closed", column("closed"))]),
        "targets": bar_chart("Share of SLA targets met per month", months,
                             [("Response", column("response_share")),
                              ("Resolution", column("resolution_share"))],
                             maximum=100, show=_percent),
        "times": bar_chart("Median support hours to respond and to resolve", months,
                           [("To respond", hours("respond_minutes")),
                            ("To resolve", hours("resolve_minutes"))],
                           show=lambda value: f"{value} h"),
        "escalations": bar_chart("Escalations per ladder level over the period",
                                 [(level, level) for level in levels], [("Escalations", totals)]),
        "survey": bar_chart("Survey response rate per month", months,
                            [("Response rate", column("response_rate"))], maximum=100, show=_percent),
        "deflection": bar_chart("Suggestions opened, and then no incident logged, per month", months,
                                [("Opened", column("suggestions_opened")),
                                 ("Then not logged", column("suggestions_not_logged"))]),
    }  # fmt: skip


def _csv(table, form):
    """A table as a CSV attachment, every cell disarmed of spreadsheet formulas."""
    data = form.cleaned_data
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="report-{table.slug}-{data["start"]:%Y-%m-%d}-to-{data["end"]:%Y-%m-%d}.csv"'
    )
    response.write("\ufeff")  # a byte-order mark, so that Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(safe_cell(header) for header in table.headers)
    for month, cells in table.rows:
        writer.writerow(safe_cell(value) for value in [f"{month:%Y-%m}", *cells])
    return response


@login_required
def reports(request):
    """The monthly figures for holders of servicedesk.view_reports (the Team leaders role)."""
    if not (request.user.is_staff and request.user.has_perm("servicedesk.view_reports")):
        raise PermissionDenied("The reports are for team leaders and managers.")
    form = ReportForm(
        request.GET if "period" in request.GET else {**request.GET.dict(), "period": DEFAULT_PERIOD}
    )
    if not form.is_valid():
        return render(request, "reports/reports.html", {"form": form}, status=400)
    data = form.cleaned_data
    rows, levels = monthly(data["start"], data["end"], form.filters())
    report = tables(rows, levels)
    if request.GET.get("format") == "csv":
        chosen = next((table for table in report if table.slug == request.GET.get("table")), None)
        if chosen is None:
            return render(request, "reports/reports.html", {"form": form, "bad_table": True}, status=400)
        return _csv(chosen, form)
    charts = _charts(rows, levels)
    query = request.GET.copy()
    query.setdefault("period", DEFAULT_PERIOD)
    for key in ("format", "table"):
        query.pop(key, None)
    context = {
        "form": form,
        "sections": [(table, charts[table.slug]) for table in report],
        "start": data["start"],
        "end": data["end"],
        "query": query,
    }
    return render(request, "reports/reports.html", context)
