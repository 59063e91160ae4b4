"""The survey results page's charts (issue 17, "Team leaders"): the response rate by month, product and
severity and the period's score per question, as SVG whose figures are also in the tables; each question
by a short label, its full wording on hover and for screen readers. Made wholly on 2 November 2026."""

import re
from datetime import datetime

import pytest
import time_machine
from django.utils.html import escape

from incidents.models import Severity
from servicedesk.lib.support_hours import LONDON
from surveys.models import Question
from tests.factories import ProductFactory
from tests.surveys.test_results import OCTOBER, SEPTEMBER, answer, default_questions, invite, make_round

RESULTS = "/surveys/results/"


@pytest.fixture(autouse=True)
def _at_fixed_dates():
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def answered(product):
    """September: scores 5 and 4, yes and no, ease 4 and 2, one unanswered; October: 2, yes, 5 and one
    unanswered. Over the period: satisfaction 3.7, resolved 67% yes, ease 3.7."""
    other = ProductFactory(name="Vision Appointments")
    september, october = make_round(SEPTEMBER), make_round(OCTOBER)
    answer(invite(september, product, Severity.MAJOR_FAULT), 5, True, 4)
    answer(invite(september, product, Severity.MINOR_FAULT), 4, False, 2)
    invite(september, other, Severity.MAJOR_FAULT)
    answer(invite(october, other, Severity.MAJOR_FAULT), 2, True, 5)
    invite(october, product, Severity.MAJOR_FAULT)


def page(client, user):
    client.force_login(user)
    response = client.get(RESULTS)
    assert response.status_code == 200
    return response.content.decode()


def chart(html, chart_id):
    """A chart's rows as (label, value) pairs, in order."""
    svg = html.split(f'aria-labelledby="{chart_id}-title"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]*)</text>', svg)
    values = re.findall(r'<text class="chart-value"[^>]*>([^<]*)</text>', svg)
    return list(zip(labels, values, strict=True))


def test_the_response_rate_is_charted_by_month_product_and_severity(client, team_leader, answered):
    html = page(client, team_leader)

    assert chart(html, "rate-month") == [("September 2026", "67%"), ("October 2026", "50%")]
    assert chart(html, "rate-product") == [("Synergy Clinical", "67%"), ("Vision Appointments", "50%")]
    assert chart(html, "rate-severity") == [("2 – Major fault", "50%"), ("3 – Minor fault", "100%")]


def test_each_question_is_charted_by_its_short_label_with_the_full_wording_on_hover(
    client, team_leader, answered
):
    html = page(client, team_leader)
    overall, resolved, ease, _ = default_questions()

    assert chart(html, "question-score") == [("Satisfaction", "3.7"), ("Ease of logging", "3.7")]
    assert chart(html, "question-yes_no") == [("Resolved well", "67%")]
    assert f"<title>{escape(overall.text)}</title>" in html
    for question in (overall, resolved, ease):
        header = f'<abbr title="{escape(question.text)}" aria-hidden="true">{escape(question.label)}</abbr>'
        assert header + f'<span class="visually-hidden">{escape(question.text)}</span>' in html


def test_a_question_without_a_short_label_shows_its_first_words(client, team_leader, answered):
    Question.objects.filter(short_label="Satisfaction").update(short_label="")

    html = page(client, team_leader)

    assert chart(html, "question-score")[0] == ("Overall, how satisfied are…", "3.7")


def test_labels_are_escaped(client, team_leader, answered):
    Question.objects.filter(short_label="Satisfaction").update(short_label="<b>Happy?</b>")

    html = page(client, team_leader)

    assert "<b>Happy?</b>" not in html
    assert chart(html, "question-score")[0] == ("&lt;b&gt;Happy?&lt;/b&gt;", "3.7")
