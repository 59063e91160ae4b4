from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from servicedesk.lib.charts import bar_chart

from .forms import ResultsFilterForm, SurveyForm
from .models import Invitation, Question
from .results import GROUPINGS, comments, csv_rows, scored_questions, summary
from .services import AlreadyAnswered, survey_answer


def _get_invitation_for_token(token):
    """(invitation or None, page to show instead): a link opens only if its invitation was sent (or its send
    began), has not expired and has not been answered. Unknown tokens answer 404; used and expired links
    410, each with a page that says why."""
    invitation = (
        Invitation.objects.select_related("incident__product", "round", "response")
        .filter(token=token, claimed_at__isnull=False)
        .first()
    )
    if invitation is None:
        return None, ("surveys/invalid.html", 404)
    if hasattr(invitation, "response"):
        return invitation, ("surveys/used.html", 410)
    if invitation.expires_at <= timezone.now():
        return invitation, ("surveys/expired.html", 410)
    return invitation, None


@never_cache
@sensitive_post_parameters()
def answer(request, token):
    """The survey: anyone holding the emailed link may answer it, once, before it expires."""
    invitation, refusal = _get_invitation_for_token(token)
    if refusal:
        template, status = refusal
        return render(request, template, {"invitation": invitation}, status=status)
    questions = Question.objects.filter(active=True)
    form = SurveyForm(request.POST if request.method == "POST" else None, questions=questions)
    if form.is_valid():
        try:
            survey_answer(invitation, form.answers(), nhs_override=bool(form.nhs_override_fields))
        except AlreadyAnswered:  # a moment ago, in another tab or by a double submission
            invitation.refresh_from_db()
            return render(request, "surveys/used.html", {"invitation": invitation}, status=410)
        return redirect("surveys:thanks")
    context = {"invitation": invitation, "form": form}
    return render(request, "surveys/answer.html", context, status=400 if form.is_bound else 200)


def _require_results_access(request):
    """Survey results are for managers: staff holding the permission to view responses."""
    if not (request.user.is_staff and request.user.has_perm("surveys.view_response")):
        raise PermissionDenied("Survey results are for service-desk managers.")


@login_required
def results(request):
    _require_results_access(request)
    form = ResultsFilterForm(request.GET)  # no filter is valid: every month
    context = {"form": form}
    if not form.is_valid():
        return render(request, "surveys/results.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    questions = scored_questions()
    page = Paginator(comments(start, end), 50).get_page(request.GET.get("page"))
    tables = summary(start, end, questions)
    context.update(
        questions=questions,
        summary=[
            (GROUPINGS[name][0], rows, name, _rate_chart(GROUPINGS[name][0], rows))
            for name, rows in tables.items()
        ],
        question_charts=_question_charts(questions, tables["month"]),
        comments=page,
        query=request.GET.copy(),
    )
    return render(request, "surveys/results.html", context)


def _rate_chart(heading, rows):
    rates = [round(100 * row["responses"] / row["sent"]) if row["sent"] else None for row in rows]
    categories = [(str(row["label"]), str(row["label"])) for row in rows]
    return bar_chart(
        f"Response rate by {heading.lower()}", categories, [("Response rate", rates)], maximum=100,
        show=lambda value: f"{value}%",
    )  # fmt: skip


def _question_charts(questions, month_rows):
    """The period's average score per scored question and share answering yes per yes/no question, from
    the monthly cells (no further query); each bar's label is the question's short label, its full wording
    on hover."""
    charts = []
    for kind, title, maximum, show in [
        (Question.Kind.SCORE, "Average score by question (1 to 5)", 5, lambda value: f"{value:.1f}"),
        (Question.Kind.YES_NO, "Share answering yes by question", 100, lambda value: f"{value:.0f}%"),
    ]:
        chosen = [(index, q) for index, q in enumerate(questions) if q.kind == kind]
        values = []
        for index, _ in chosen:
            cells = [row["cells"][index] for row in month_rows if row["cells"][index]]
            answered = sum(cell["answered"] for cell in cells)
            total = sum(cell["value"] * cell["answered"] for cell in cells)
            values.append(
                (total / answered) * (100 if kind == Question.Kind.YES_NO else 1) if answered else None
            )
        if chosen:
            categories = [(q.label, q.text) for _, q in chosen]
            chart = bar_chart(title, categories, [(title, values)], maximum=maximum, show=show)
            charts.append((f"question-{kind}", chart))
    return charts


@login_required
def results_csv(request):
    _require_results_access(request)
    form = ResultsFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "surveys/results.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    response = StreamingHttpResponse(csv_rows(start, end), content_type="text/csv; charset=utf-8")
    name = "survey-responses"
    if start or end:
        name += f"-{start:%Y-%m}" if start else "-start"
        name += f"-to-{end:%Y-%m}" if end else "-to-now"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
