"""Survey results for managers (issue 5): response rate and average scores per month, product and
severity, the comments, and a CSV export, at /surveys/results/ for staff allowed to view responses."""

import csv
import io
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.utils.html import escape

from incidents.models import Severity
from servicedesk.lib.support_hours import LONDON
from surveys.models import Answer, Invitation, Question, Response, SurveyRound
from tests.conftest import login
from tests.factories import IncidentFactory, ProductFactory, UserFactory

RESULTS = "/surveys/results/"
CSV = "/surveys/results.csv"
SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
SENT_AT = datetime(2026, 11, 1, 2, 5, tzinfo=LONDON)


# --- Building survey data -----------------------------------------------------------------------


def default_questions():
    """The default set from the data migration: overall score, resolved yes/no, ease score, comments."""
    overall, resolved, ease, comments = Question.objects.order_by("position")
    assert [q.kind for q in (overall, resolved, ease, comments)] == ["score", "yes_no", "score", "text"]
    return overall, resolved, ease, comments


def make_round(month):
    round_date = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return SurveyRound.objects.create(
        month=month, round_date=round_date, seed=1, population=0, eligible_count=0
    )


def invite(survey_round, product, severity, *, sent=True):
    """An invitation about a customer's incident; `sent` means its email went out (so the link opens)."""
    customer = UserFactory()
    incident = IncidentFactory(reporter=customer, product=product, severity=severity)
    return Invitation.objects.create(
        round=survey_round,
        customer=customer,
        incident=incident,
        claimed_at=SENT_AT if sent else None,
        sent_at=SENT_AT if sent else None,
        expires_at=SENT_AT + timedelta(days=28) if sent else None,
    )


def answer(invitation, overall, resolved, ease, comment=""):
    """The customer's answers, saved as the survey page saves them."""
    q_overall, q_resolved, q_ease, q_comments = default_questions()
    response = Response.objects.create(invitation=invitation)
    answers = [
        Answer(response=response, question=q_overall, question_text=q_overall.text, score=overall),
        Answer(response=response, question=q_resolved, question_text=q_resolved.text, yes=resolved),
        Answer(response=response, question=q_ease, question_text=q_ease.text, score=ease),
    ]
    if comment:  # the page saves no answer for a comment left empty
        answers.append(
            Answer(response=response, question=q_comments, question_text=q_comments.text, text=comment)
        )
    Answer.objects.bulk_create(answers)
    return response


def submit(client, invitation, overall, resolved, ease, comment, at):
    """The customer answers through the emailed link at the moment `at`."""
    q_overall, q_resolved, q_ease, q_comments = default_questions()
    with time_machine.travel(at, tick=False):
        response = client.post(
            f"/surveys/{invitation.token}/",
            {
                f"question_{q_overall.pk}": str(overall),
                f"question_{q_resolved.pk}": "yes" if resolved else "no",
                f"question_{q_ease.pk}": str(ease),
                f"question_{q_comments.pk}": comment,
            },
        )
    assert response.status_code == 302, response.content.decode()


@pytest.fixture
def other_product(db):
    return ProductFactory(name="Vision Appointments", current_version="2.1")


@pytest.fixture
def two_months(product, other_product):
    """Invitations over two months, two products and two severities, chosen so that no two rows of
    a table agree.

    September: P1/major 5,yes,4 · P1/minor 4,no,2 · P2/major unanswered · P2/minor never sent.
    October:   P2/major 2,yes,5 · P1/major, P1/minor, P2/minor unanswered.
    """
    major, minor = Severity.MAJOR_FAULT, Severity.MINOR_FAULT
    september, october = make_round(SEPTEMBER), make_round(OCTOBER)
    answer(invite(september, product, major), 5, True, 4, "Quick and friendly.")
    answer(invite(september, product, minor), 4, False, 2)
    invite(september, other_product, major)
    invite(september, other_product, minor, sent=False)  # drawn but not (yet) emailed: not invited
    answer(invite(october, other_product, major), 2, True, 5, "We had to chase twice.")
    invite(october, product, major)
    invite(october, product, minor)
    invite(october, other_product, minor)


class _Tables(HTMLParser):
    """The page's tables as {caption: [[cell text, ...] per body row]}."""

    def __init__(self):
        super().__init__()
        self.tables, self._caption, self._rows, self._row, self._cell = {}, None, None, None, None
        self._in_caption = self._in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._rows.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self.tables[self._caption.strip()] = self._rows

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def tables(response):
    parser = _Tables()
    parser.feed(response.content.decode())
    return {
        caption.removeprefix("Survey results by "): {row[0]: row[1:] for row in rows}
        for caption, rows in parser.tables.items()
    }


def comment_items(response):
    """The text of each comment's list item, in page order."""
    html = response.content.decode()
    section = html.split("Comments</h2>", 1)[1]
    return [item.split("</li>", 1)[0] for item in section.split('<li class="border-bottom py-2">')[1:]]


def csv_of(response):
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def leader_client(client, team_leader):
    return login(client, team_leader)


# --- Who may see the results --------------------------------------------------------------------


@pytest.mark.parametrize("url", [RESULTS, CSV])
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", [RESULTS, CSV])
@pytest.mark.parametrize("persona", ["practice_user", "agent"])
def test_practice_users_and_agents_without_the_permission_are_refused(client, request, persona, url):
    user = request.getfixturevalue(persona)
    assert not user.has_perm("surveys.view_response")

    response = login(client, user).get(url)

    assert response.status_code == 403


def test_team_leaders_hold_the_permission_through_their_group_and_see_the_results(leader_client, team_leader):
    assert team_leader.is_staff
    assert team_leader.groups.get().name == "Team leaders"
    assert team_leader.has_perm("surveys.view_response")

    response = leader_client.get(RESULTS)

    assert response.status_code == 200
    assert "Customer satisfaction survey: results" in response.content.decode()


# --- The tables ---------------------------------------------------------------------------------


def test_the_tables_show_rates_and_averages_per_month_product_and_severity(leader_client, two_months):
    response = leader_client.get(RESULTS)

    assert response.status_code == 200
    # Columns: invited, responses, response rate, then overall score, resolved (% yes), ease of logging;
    # in brackets how many answered the question.
    assert tables(response) == {
        "month": {
            "September 2026": ["3", "2", "67%", "4.5 (2)", "50% yes (2)", "3.0 (2)"],
            "October 2026": ["4", "1", "25%", "2.0 (1)", "100% yes (1)", "5.0 (1)"],
        },
        "product": {
            "Synergy Clinical": ["4", "2", "50%", "4.5 (2)", "50% yes (2)", "3.0 (2)"],
            "Vision Appointments": ["3", "1", "33%", "2.0 (1)", "100% yes (1)", "5.0 (1)"],
        },
        "severity": {
            "2 – Major fault": ["4", "2", "50%", "3.5 (2)", "100% yes (2)", "4.5 (2)"],
            "3 – Minor fault": ["3", "1", "33%", "4.0 (1)", "0% yes (1)", "2.0 (1)"],
        },
    }


def test_the_columns_are_the_scored_questions(leader_client, two_months):
    html = leader_client.get(RESULTS).content.decode()

    overall, resolved, ease, comments = default_questions()
    for question in (overall, resolved, ease):
        assert f'<span class="visually-hidden">{escape(question.text)}</span></th>' in html
    assert f'<span class="visually-hidden">{escape(comments.text)}</span></th>' not in html  # listed instead


def test_an_invitation_not_yet_sent_is_not_counted_as_invited(leader_client, product):
    survey_round = make_round(OCTOBER)
    answer(invite(survey_round, product, Severity.MINOR_FAULT), 4, True, 4)
    invite(survey_round, product, Severity.MINOR_FAULT, sent=False)

    month = tables(leader_client.get(RESULTS))["month"]

    assert month == {"October 2026": ["1", "1", "100%", "4.0 (1)", "100% yes (1)", "4.0 (1)"]}


@pytest.mark.parametrize(
    "through_the_link", [True, False], ids=["answered-through-the-link", "answer-on-file"]
)
def test_an_answered_invitation_whose_send_was_interrupted_counts_as_invited(
    leader_client, product, through_the_link
):
    """The mail server took the message but the worker died before recording it: the link works, and an
    answer proves the email arrived, so the row's averages never include more answers than responses."""
    survey_round = make_round(OCTOBER)
    invite(survey_round, product, Severity.MINOR_FAULT)  # sent, not answered
    interrupted = invite(survey_round, product, Severity.MINOR_FAULT)
    Invitation.objects.filter(pk=interrupted.pk).update(sent_at=None)
    if through_the_link:
        submit(Client(), interrupted, 4, True, 4, "", datetime(2026, 11, 3, 9, 0, tzinfo=LONDON))
    else:
        answer(interrupted, 4, True, 4)

    result = tables(leader_client.get(RESULTS))

    assert result["month"] == {"October 2026": ["2", "1", "50%", "4.0 (1)", "100% yes (1)", "4.0 (1)"]}
    for grouping, rows in result.items():
        for label, (invited, responses, _rate, *cells) in rows.items():
            answering = [int(cell.rsplit("(", 1)[1].rstrip(")")) for cell in cells if cell != "–"]
            assert all(n <= int(responses) <= int(invited) for n in answering), (grouping, label, cells)


def test_an_answer_about_no_recorded_incident_is_shown_as_not_recorded(leader_client, product):
    survey_round = make_round(OCTOBER)
    invitation = invite(survey_round, product, Severity.MINOR_FAULT)
    Invitation.objects.filter(pk=invitation.pk).update(incident=None)
    answer(invitation, 5, True, 5, "Fine.")

    result = tables(leader_client.get(RESULTS))

    assert result["product"] == {"Not recorded": ["1", "1", "100%", "5.0 (1)", "100% yes (1)", "5.0 (1)"]}
    assert result["severity"] == {"Not recorded": ["1", "1", "100%", "5.0 (1)", "100% yes (1)", "5.0 (1)"]}
    assert "Fine." in comment_items(leader_client.get(RESULTS))[0]


def test_with_no_invitations_the_page_says_so(leader_client):
    html = leader_client.get(RESULTS).content.decode()

    assert html.count("No invitations were sent in these months.") == 3
    assert "No comments in these months." in html


# --- Comments -----------------------------------------------------------------------------------


def test_comments_are_listed_newest_first_with_their_incident_and_html_escaped(
    leader_client, product, other_product
):
    survey_round = make_round(OCTOBER)
    oldest, hostile, newest = (invite(survey_round, product, Severity.MINOR_FAULT) for _ in range(3))
    customer = Client()  # the customers answer from their own browsers, not logged in
    submit(customer, oldest, 4, True, 4, "Helpful on the phone.", datetime(2026, 11, 3, 9, 0, tzinfo=LONDON))
    submit(customer, newest, 2, False, 3, "Slow to call back.", datetime(2026, 11, 9, 9, 0, tzinfo=LONDON))
    submit(
        customer, hostile, 3, True, 3, "<script>alert(1)</script>", datetime(2026, 11, 5, 9, 0, tzinfo=LONDON)
    )

    response = leader_client.get(RESULTS)

    items = comment_items(response)
    assert len(items) == 3
    expected = [
        (newest, "Slow to call back."),
        (hostile, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (oldest, "Helpful on the phone."),
    ]
    for item, (invitation, text) in zip(items, expected, strict=True):
        assert text in item
        assert invitation.incident.reference in item
        assert "October 2026" in item
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_answers_without_a_comment_list_nothing(leader_client, product):
    answer(invite(make_round(OCTOBER), product, Severity.MINOR_FAULT), 5, True, 5)

    response = leader_client.get(RESULTS)

    assert comment_items(response) == []
    assert "No comments in these months." in response.content.decode()


def test_comments_come_fifty_a_page_and_the_next_page_keeps_the_filter(leader_client, product):
    survey_round = make_round(OCTOBER)
    for n in range(51):
        answer(invite(survey_round, product, Severity.MINOR_FAULT), 4, True, 4, f"Comment number {n}")

    first = leader_client.get(RESULTS, {"start": "2026-10"})

    assert len(comment_items(first)) == 50
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?start=2026-10&amp;page=2"' in first.content.decode()
    second = leader_client.get(RESULTS, {"start": "2026-10", "page": "2"})
    assert len(comment_items(second)) == 1 and "Comment number 0" in comment_items(second)[0]  # the oldest


# --- Filtering by month -------------------------------------------------------------------------


def test_the_month_filter_restricts_every_table_and_the_comments(leader_client, two_months):
    response = leader_client.get(RESULTS, {"start": "2026-10", "end": "2026-10"})

    assert response.status_code == 200
    assert tables(response) == {
        "month": {"October 2026": ["4", "1", "25%", "2.0 (1)", "100% yes (1)", "5.0 (1)"]},
        "product": {
            "Synergy Clinical": ["2", "0", "0%", "–", "–", "–"],
            "Vision Appointments": ["2", "1", "50%", "2.0 (1)", "100% yes (1)", "5.0 (1)"],
        },
        "severity": {
            "2 – Major fault": ["2", "1", "50%", "2.0 (1)", "100% yes (1)", "5.0 (1)"],
            "3 – Minor fault": ["2", "0", "0%", "–", "–", "–"],
        },
    }
    items = comment_items(response)
    assert len(items) == 1 and "We had to chase twice." in items[0]


@pytest.mark.parametrize(
    ("query", "months"),
    [
        ({"end": "2026-09"}, ["September 2026"]),
        ({"start": "2026-10"}, ["October 2026"]),
        ({"start": "2026-09", "end": "2026-10"}, ["September 2026", "October 2026"]),
        ({"start": "2026-11"}, []),
    ],
    ids=["to-september", "from-october", "both", "after-every-round"],
)
def test_either_end_of_the_month_range_may_be_left_open(leader_client, two_months, query, months):
    response = leader_client.get(RESULTS, query)

    assert response.status_code == 200
    assert list(tables(response).get("month", {})) == months


@pytest.mark.parametrize("url", [RESULTS, CSV])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13"}, "From month: Enter a valid date."),
        ({"end": "last month"}, "To month: Enter a valid date."),
        ({"start": "2026-11", "end": "2026-10"}, "“From month” must not be after “To month”."),
    ],
    ids=["no-such-month", "not-a-month", "start-after-end"],
)
def test_a_bad_month_filter_is_refused_with_a_clear_message(leader_client, two_months, url, query, message):
    response = leader_client.get(url, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert "September 2026" not in html  # no results shown for a filter that could not be read


# --- CSV export ---------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_response_with_every_answer(leader_client, two_months):
    response = leader_client.get(CSV)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="survey-responses.csv"'
    header, *rows = csv_of(response)
    overall, resolved, ease, comments = default_questions()
    assert header[-4:] == [overall.text, resolved.text, ease.text, comments.text]
    assert header[:2] == ["Round", "Incident"]
    answered = {(row[0], row[3], row[4]): row[-4:] for row in rows}
    assert len(rows) == 3  # three responses; unanswered and unsent invitations have no row
    assert answered == {
        ("2026-09", "Synergy Clinical", "2 – Major fault"): ["5", "Yes", "4", "Quick and friendly."],
        ("2026-09", "Synergy Clinical", "3 – Minor fault"): ["4", "No", "2", ""],
        ("2026-10", "Vision Appointments", "2 – Major fault"): ["2", "Yes", "5", "We had to chase twice."],
    }
    references = {row[1] for row in rows}
    assert references == set(
        Invitation.objects.filter(response__isnull=False).values_list("incident__reference", flat=True)
    )


def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_disarmed(leader_client, product):
    survey_round = make_round(OCTOBER)
    hostile = ['=HYPERLINK("http://evil.example")', "+44 1632 960000", "-1 for the wait", "@SUM(A1:A9)"]
    for text in hostile:
        answer(invite(survey_round, product, Severity.MINOR_FAULT), 3, True, 3, text)
    answer(invite(survey_round, product, Severity.MINOR_FAULT), 3, True, 3, "Fine, thanks = good")

    comments = [row[-1] for row in csv_of(leader_client.get(CSV))[1:]]

    assert comments == [f"'{text}" for text in hostile] + ["Fine, thanks = good"]


def test_the_csv_respects_the_month_filter_and_names_it(leader_client, two_months):
    response = leader_client.get(CSV, {"start": "2026-10", "end": "2026-10"})

    assert response["Content-Disposition"] == 'attachment; filename="survey-responses-2026-10-to-2026-10.csv"'
    rows = csv_of(response)[1:]
    assert [(row[0], row[-1]) for row in rows] == [("2026-10", "We had to chase twice.")]


def test_the_results_page_links_to_the_csv_with_the_same_filter(leader_client, two_months):
    html = leader_client.get(RESULTS, {"start": "2026-09", "end": "2026-09"}).content.decode()

    assert 'href="/surveys/results.csv?start=2026-09&amp;end=2026-09"' in html


# --- Query count --------------------------------------------------------------------------------

# user, the user's own permissions and their groups' permissions (the access check), the
# scored questions, the comment count (paginator), then per grouping (month, product, severity) the
# invitations sent with their responses and the answer totals per question (6), and the page of comments
# with their response, invitation, round, incident, practice and product joined in (the session comes
# from the cache).
RESULTS_QUERIES = 12


@pytest.mark.parametrize("count", [3, 30])
def test_the_results_page_query_count_does_not_grow_with_the_responses(
    leader_client, product, other_product, django_assert_num_queries, count
):
    september, october = make_round(SEPTEMBER), make_round(OCTOBER)
    for n in range(count):
        invitation = invite(
            (september, october)[n % 2], (product, other_product)[n % 2], Severity.MINOR_FAULT + n % 2
        )
        answer(invitation, n % 5 + 1, n % 2 == 0, 3, f"Comment number {n}")

    with django_assert_num_queries(RESULTS_QUERIES):
        response = leader_client.get(RESULTS)

    assert len(comment_items(response)) == count
    assert sum(int(row[1]) for row in tables(response)["month"].values()) == count
