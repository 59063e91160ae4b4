"""What managers read: response rates and average scores per month, product and severity; the comments."""

import csv

from django.db.models import Count, Q, Sum
from django.utils import timezone

from incidents.models import Severity
from servicedesk.lib.spreadsheets import safe_cell as _cell

from .models import Answer, Invitation, Question

GROUPINGS = {
    "month": ("Month", "round__month"),
    "product": ("Product", "incident__product__name"),
    "severity": ("Severity", "incident__severity"),
}


def _in_range(start, end, prefix=""):
    bounds = {f"{prefix}round__month__gte": start, f"{prefix}round__month__lte": end}
    return Q(**{lookup: month for lookup, month in bounds.items() if month})


def _label(grouping, value):
    if value is None:
        return "Not recorded"
    if grouping == "month":
        return f"{value:%B %Y}"
    if grouping == "severity":
        return Severity(value).label
    return value


def scored_questions():
    """The questions with a score or a yes/no answer, which the tables average."""
    return list(Question.objects.filter(kind__in=[Question.Kind.SCORE, Question.Kind.YES_NO]))


def summary(start, end, questions):
    """{grouping: [row]}; a row has its label, invitations sent, responses and a cell per question: the
    average score, or the share answering yes, with how many answered it."""
    # Invited: the email went out, which an answer also proves.
    sent = Invitation.objects.filter(_in_range(start, end)).filter(
        Q(sent_at__isnull=False) | Q(response__isnull=False)
    )
    answers = Answer.objects.filter(
        _in_range(start, end, "response__invitation__"), question__in=[q.pk for q in questions]
    )
    by_pk = {question.pk: question for question in questions}
    tables = {}
    for grouping, (_, key) in GROUPINGS.items():
        rows = {}
        for row in sent.values(key).annotate(sent=Count("pk"), responses=Count("response")).order_by(key):
            rows[row[key]] = {**row, "label": _label(grouping, row[key]), "cells": {}}
        answer_key = f"response__invitation__{key}"
        per_question = answers.values(answer_key, "question_id").annotate(
            answered=Count("pk"), score_total=Sum("score"), yes=Count("pk", filter=Q(yes=True))
        )
        for row in per_question.order_by():
            target = rows.get(row[answer_key])
            if target is None or not row["answered"]:
                continue
            question = by_pk[row["question_id"]]
            total = row["score_total"] if question.kind == Question.Kind.SCORE else row["yes"]
            cell = {"value": total / row["answered"], "answered": row["answered"], "kind": question.kind}
            target["cells"][question.pk] = cell
        tables[grouping] = [
            {**row, "cells": [row["cells"].get(q.pk) for q in questions]} for row in rows.values()
        ]
    return tables


def comments(start=None, end=None):
    """The free-text answers, newest first, with what they are about."""
    return (
        Answer.objects.filter(
            _in_range(start, end, "response__invitation__"), question__kind=Question.Kind.TEXT
        )
        .exclude(text="")
        .select_related(
            "response__invitation__round",
            "response__invitation__incident__product",
            "response__invitation__incident__practice",
        )
        .order_by("-response__submitted_at", "-pk")
    )


class _Echo:
    def write(self, value):
        return value


def csv_rows(start=None, end=None):
    """The responses, one row each, with every question's answer: for StreamingHttpResponse."""
    questions = list(Question.objects.all())
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so that Excel reads the file as UTF-8 (accents, dashes)
    yield writer.writerow(
        ["Round", "Incident", "Practice ID", "Product", "Severity", "Submitted", "NHS-number confirmation"]
        + [_cell(q.text) for q in questions]
    )
    responses = (
        Invitation.objects.filter(_in_range(start, end), response__isnull=False)
        .select_related("round", "incident__product", "incident__practice", "response")
        .order_by("round__month", "response__submitted_at", "pk")
    )
    answers_by_response = {}
    answer_rows = Answer.objects.filter(_in_range(start, end, "response__invitation__")).values_list(
        "response_id", "question_id", "score", "yes", "text"
    )
    for response_id, question_id, score, yes, text in answer_rows.iterator(chunk_size=2000):
        value = score if score is not None else text if yes is None else ("Yes" if yes else "No")
        answers_by_response.setdefault(response_id, {})[question_id] = value
    for invitation in responses.iterator(chunk_size=2000):
        incident = invitation.incident
        answers = answers_by_response.get(invitation.response.pk, {})
        yield writer.writerow(
            _cell(value)
            for value in [
                f"{invitation.round.month:%Y-%m}",
                incident.reference if incident else "",
                incident.practice.practice_id if incident else "",
                incident.product.name if incident and incident.product else "",
                incident.get_severity_display() if incident else "",
                f"{timezone.localtime(invitation.response.submitted_at):%Y-%m-%d %H:%M}",
                "Yes" if invitation.response.nhs_override else "No",
                *[answers.get(q.pk) for q in questions],
            ]
        )
