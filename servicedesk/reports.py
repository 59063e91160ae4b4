"""The managers' figures at /reports/, month by month: incidents logged and closed, SLA targets met, the
median times to respond and resolve in support time, reopenings, escalations per ladder level, the survey,
and the log form's suggestions opened and how often no incident followed (issue 19).

Each figure is one grouped query over the period, whatever the number of incidents; only the medians and
the resolution targets read a column of values per closed incident (a median is not an aggregate every
database has), and the response times need each contract's calendar, read in two queries.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from statistics import median

from django.db.models import Avg, Count, DateField, Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Contract, SupportCalendar, calendar_of
from escalation.models import EscalationLevel
from incidents.models import Incident, SlaTarget, TimelineEvent
from incidents.sla import DEFAULT_TARGETS
from knowledge.models import SuggestionOpened
from servicedesk.lib.support_hours import (
    LONDON,
    STANDARD,
    open_spans,
    support_time_between,
    support_time_in_words,
)
from surveys.models import Answer, Invitation, Question


def months_between(start, end):
    """The first days of the months from `start`'s to `end`'s, in order."""
    month, last = start.replace(day=1), end.replace(day=1)
    months = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _instants(start, end):
    """The period's bounds as instants: from the start of `start` to the end of `end`, London time."""
    return (
        datetime.combine(start, time(0), tzinfo=LONDON),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=LONDON),
    )


def _by_month(field):
    return TruncMonth(field, output_field=DateField(), tzinfo=LONDON)


def _incidents(filters, prefix=""):
    """The filters (product, severity, practice) as a Q on incidents, reached through `prefix`."""
    names = {"product": "product", "severity": "severity", "practice": "practice"}
    return Q(**{f"{prefix}{names[key]}": value for key, value in filters.items() if value})


def _share(part, whole):
    return round(100 * part / whole) if whole else None


def _calendars():
    """{contract id: calendar} for every contract, and the standard calendar for incidents without one."""
    spans, flags, standard = {}, {}, None
    rows = SupportCalendar.objects.values_list(
        "pk", "is_standard", "closed_on_english_holidays", "closed_on_irish_holidays",
        "hours__weekday", "hours__opens", "hours__closes",
    )  # fmt: skip
    for pk, is_standard, english, irish, *span in rows:
        flags[pk] = (english, irish)
        standard = pk if is_standard else standard
        spans.setdefault(pk, [])
        if span[0] is not None:
            spans[pk].append(span)
    built = {pk: calendar_of(spans[pk], *flags[pk]) for pk in flags}
    default = built.get(standard, STANDARD)
    by_contract = {
        pk: built.get(calendar_id, default)
        for pk, calendar_id in Contract.objects.values_list("pk", "support_calendar")
    }
    return by_contract, default


def _resolution_targets():
    """{(contract id or None, severity): resolution minutes}: the standard rows, then each contract's own."""
    targets = {(None, severity): minutes for severity, (_, minutes) in DEFAULT_TARGETS.items()}
    for contract_id, severity, minutes in SlaTarget.objects.values_list(
        "contract", "severity", "resolution_minutes"
    ):
        targets[(contract_id, severity)] = minutes
    return targets


def _minutes(durations):
    return round(median(durations) / timedelta(minutes=1)) if durations else None


def _logged(incidents, now):
    """Per month logged: the count and the response targets met and missed (a pending one counts once due)."""
    rows = (
        incidents.annotate(month=_by_month("created_at"))
        .values("month")
        .annotate(
            logged=Count("pk"),
            response_met=Count("pk", filter=Q(responded_at__lte=F("response_due_at"))),
            response_missed=Count(
                "pk",
                filter=Q(responded_at__gt=F("response_due_at"))
                | Q(responded_at__isnull=True, response_due_at__lte=now),
            ),
        )
        .order_by()
    )
    return {row.pop("month"): row for row in rows}


def _memo_spans():
    """open_spans remembered by day and calendar: the many responses of a period share their days."""
    memo = {}

    def spans(day, calendar):
        key = (day, id(calendar))
        if key not in memo:
            memo[key] = open_spans(day, calendar)
        return memo[key]

    return spans


def _response_times(incidents):
    """{month logged: [support time to the first response]}."""
    by_contract, default = _calendars()
    spans = _memo_spans()
    times = {}
    rows = incidents.filter(responded_at__isnull=False).values_list(
        "created_at", "responded_at", "practice__contract"
    )
    for created_at, responded_at, contract_id in rows.iterator(chunk_size=2000):
        calendar = by_contract.get(contract_id, default)
        month = timezone.localtime(created_at, LONDON).date().replace(day=1)
        taken = support_time_between(created_at, responded_at, calendar, spans=spans)
        times.setdefault(month, []).append(taken)
    return times


def _closed(incidents):
    """Per month closed: the count, the reopened ones, the resolution targets met, and the support time the
    resolution clock ran (paused time excluded) for the median."""
    targets = _resolution_targets()
    months = {}
    rows = incidents.annotate(month=_by_month("closed_at")).values_list(
        "month", "practice__contract", "severity", "sla_time_used", "reopened_count"
    )
    for month, contract_id, severity, used, reopened in rows.iterator(chunk_size=2000):
        row = months.setdefault(month, {"closed": 0, "reopened": 0, "resolution_met": 0, "used": []})
        target = targets.get((contract_id, severity), targets[(None, severity)])
        row["closed"] += 1
        row["reopened"] += reopened > 0
        row["resolution_met"] += used <= timedelta(minutes=target)
        row["used"].append(used)
    return months


def _escalations(filters, start_at, end_at):
    """{month: {level name: escalations to it}}, and the ladder's names in order."""
    rows = (
        TimelineEvent.objects.filter(
            _incidents(filters, "incident__"),
            kind=TimelineEvent.Kind.ESCALATED,
            created_at__gte=start_at,
            created_at__lt=end_at,
        )
        .annotate(month=_by_month("created_at"))
        .values_list("month", "new_value")
        .annotate(count=Count("pk"))
        .order_by()
    )
    months = {}
    for month, level, count in rows:
        months.setdefault(month, {})[level] = count
    return months, list(EscalationLevel.objects.values_list("role_name", flat=True))


def _survey(filters, start, end):
    """{round month: {invited, responses, score}}: the average of the 1-5 scores given that month."""
    in_range = Q(round__month__gte=start.replace(day=1), round__month__lte=end)
    sent = (
        Invitation.objects.filter(in_range, _incidents(filters, "incident__"))
        .filter(Q(sent_at__isnull=False) | Q(response__isnull=False))
        .values_list("round__month")
        .annotate(invited=Count("pk"), responses=Count("response"))
        .order_by()
    )
    months = {month: {"invited": invited, "responses": responses} for month, invited, responses in sent}
    scores = (
        Answer.objects.filter(
            _incidents(filters, "response__invitation__incident__"),
            response__invitation__round__month__gte=start.replace(day=1),
            response__invitation__round__month__lte=end,
            question__kind=Question.Kind.SCORE,
            score__isnull=False,
        )
        .values_list("response__invitation__round__month")
        .annotate(score=Avg("score"))
        .order_by()
    )
    for month, score in scores:
        months.setdefault(month, {"invited": 0, "responses": 0})["score"] = score
    return months


# An offer opened on the log form "deflected" an incident if its user logged none in the hour after.
DEFLECTION_WINDOW = timedelta(hours=1)


def _suggestions(filters, start_at, end_at, now):
    """{month opened: {opened, not_logged}}: the log form's offers opened (issue 19), and those whose user
    then logged no incident (as reporter or as the one who typed it) within DEFLECTION_WINDOW; an offer
    opened less than that long before `now` is not yet counted as not logged. Worked out at read time, in
    one query. Only the practice filter applies: an offer has no product or severity."""
    logged_after = Incident.objects.filter(
        Q(reporter=OuterRef("user")) | Q(logged_by=OuterRef("user")),
        created_at__gt=OuterRef("opened_at"),
        created_at__lte=OuterRef("opened_at") + DEFLECTION_WINDOW,
    )
    opened = SuggestionOpened.objects.filter(opened_at__gte=start_at, opened_at__lt=end_at)
    if filters.get("practice"):
        opened = opened.filter(practice=filters["practice"])
    rows = (
        opened.annotate(month=_by_month("opened_at"), logged_after=Exists(logged_after))
        .values("month")
        .annotate(
            opened=Count("pk"),
            not_logged=Count("pk", filter=Q(logged_after=False, opened_at__lte=now - DEFLECTION_WINDOW)),
        )
        .order_by()
    )
    return {row.pop("month"): row for row in rows}


def monthly(start, end, filters, now=None):
    """One row per month from `start` to `end` (dates) with every figure, and the ladder's level names.
    `filters`: {"product": id, "severity": n, "practice": id}, empty values ignored."""
    now = now or timezone.now()
    start_at, end_at = _instants(start, end)
    incidents = Incident.objects.filter(_incidents(filters))
    logged_in = incidents.filter(created_at__gte=start_at, created_at__lt=end_at)
    logged, response_times = _logged(logged_in, now), _response_times(logged_in)
    closed = _closed(incidents.filter(closed_at__gte=start_at, closed_at__lt=end_at))
    escalations, levels = _escalations(filters, start_at, end_at)
    survey = _survey(filters, start, end)
    suggestions = _suggestions(filters, start_at, end_at, now)
    rows = []
    for month in months_between(start, end):
        row = {
            "month": month,
            **_row(logged.get(month, {}), closed.get(month, {}), response_times.get(month)),
        }
        row["escalations"] = [escalations.get(month, {}).get(level, 0) for level in levels]
        row.update(_survey_row(survey.get(month, {})))
        opened = suggestions.get(month, {})
        row["suggestions_opened"] = opened.get("opened", 0)
        row["suggestions_not_logged"] = opened.get("not_logged", 0)
        row["deflection_share"] = _share(row["suggestions_not_logged"], row["suggestions_opened"])
        rows.append(row)
    return rows, levels


def _row(logged, closed, response_times):
    met, missed = logged.get("response_met", 0), logged.get("response_missed", 0)
    closed_count = closed.get("closed", 0)
    return {
        "logged": logged.get("logged", 0),
        "closed": closed_count,
        "reopened": closed.get("reopened", 0),
        "reopened_share": _share(closed.get("reopened", 0), closed_count),
        "response_met": met,
        "response_counted": met + missed,
        "response_share": _share(met, met + missed),
        "resolution_met": closed.get("resolution_met", 0),
        "resolution_share": _share(closed.get("resolution_met", 0), closed_count),
        "respond_minutes": _minutes(response_times or []),
        "resolve_minutes": _minutes(closed.get("used", [])),
    }


def _survey_row(survey):
    invited, responses = survey.get("invited", 0), survey.get("responses", 0)
    score = survey.get("score")
    return {
        "invited": invited,
        "responses": responses,
        "response_rate": _share(responses, invited),
        "score": round(score, 1) if score is not None else None,
    }


@dataclass
class Table:
    slug: str  # its name in ?table= for the CSV
    caption: str
    headers: list
    rows: list  # [(month, [cell])]; a cell is text, a number or None (no figure)


def _percent(share):
    return None if share is None else f"{share}%"


def _words(minutes):
    return None if minutes is None else support_time_in_words(minutes)


def tables(rows, levels):
    """The report's tables, in the page's order, from monthly()'s rows."""

    def table(slug, caption, headers, cells):
        return Table(slug, caption, ["Month", *headers], [(row["month"], cells(row)) for row in rows])

    return [
        table("incidents", "Incidents logged and closed", ["Logged", "Closed", "Reopened", "Reopened share"],
              lambda r: [r["logged"], r["closed"], r["reopened"], _percent(r["reopened_share"])]),
        table("targets", "SLA targets met",
              ["Responses on time", "Responses due", "Response target met", "Resolutions on time",
               "Closed", "Resolution target met"],
              lambda r: [r["response_met"], r["response_counted"], _percent(r["response_share"]),
                         r["resolution_met"], r["closed"], _percent(r["resolution_share"])]),
        table("times", "Median support time to respond and to resolve", ["To respond", "To resolve"],
              lambda r: [_words(r["respond_minutes"]), _words(r["resolve_minutes"])]),
        table("escalations", "Escalations per ladder level", levels, lambda r: r["escalations"]),
        table("survey", "Satisfaction survey",
              ["Invited", "Responses", "Response rate", "Average score (1 to 5)"],
              lambda r: [r["invited"], r["responses"], _percent(r["response_rate"]), r["score"]]),
        table("deflection", "Suggestions opened on the log form",
              ["Suggestions opened", "Then did not log an incident within an hour", "Share not logged"],
              lambda r: [r["suggestions_opened"], r["suggestions_not_logged"],
                         _percent(r["deflection_share"])]),
    ]  # fmt: skip


def month_label(month):
    return f"{month:%B %Y}"


def short_month(month):
    return f"{month:%b %Y}"
