"""Answering a survey at /surveys/<token>/ (issue 5, item 4): the token rules (unknown, unsent, used,
expired), the default and admin-configured questions, validation, the NHS-number guard on comments,
and one response per invitation even under a double submission."""

import html
import importlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import django.apps
import pytest
import time_machine
from django.db import connection
from django.test import Client

from incidents.models import Incident
from servicedesk.lib.support_hours import LONDON
from surveys.models import Answer, Invitation, Question, Response, SurveyRound
from surveys.services import send_invitation
from tests.factories import IncidentFactory, UserFactory

OVERALL = "Overall, how satisfied are you with the Service Desk's handling of this incident?"
RESOLVED = "Was the incident resolved to your satisfaction?"
EASE = "How easy was it to log the incident?"
COMMENTS = "Any comments?"
NHS_NUMBER = "943 476 5919"  # passes the modulus-11 check

default_questions = importlib.import_module("surveys.migrations.0003_default_questions")


def make_invitation(customer, product, *, send=True):
    """An invitation of the round of 1 November 2026 about the customer's incident closed in October."""
    survey_round, _ = SurveyRound.objects.get_or_create(
        month=date(2026, 10, 1),
        defaults={"round_date": date(2026, 11, 1), "seed": 1, "population": 1, "eligible_count": 1},
    )
    incident = IncidentFactory(reporter=customer, product=product)
    closed = datetime(2026, 10, 14, 11, 0, tzinfo=LONDON)
    # Setup, not a transition: the lifecycle is tested elsewhere.
    Incident.objects.filter(pk=incident.pk).update(status="closed", closed_at=closed)
    invitation = Invitation.objects.create(round=survey_round, customer=customer, incident=incident)
    if send:
        assert send_invitation(invitation.pk)
    invitation.refresh_from_db()
    return invitation


@pytest.fixture
def invitation(practice_user, product, mailoutbox):
    """Emailed just now, so the link is open for SURVEY_LINK_DAYS."""
    return make_invitation(practice_user, product)


def url(invitation):
    return f"/surveys/{invitation.token}/"


def text_of(page):
    return html.unescape(page.content.decode())


def field(text):
    return f"question_{Question.objects.get(text=text).pk}"


def filled(overall="5", resolved="no", ease="3", comments="Quick and friendly.", more=None):
    """The form data of a complete answer to the default questions; pass None to leave one out."""
    data = {OVERALL: overall, RESOLVED: resolved, EASE: ease, COMMENTS: comments, **(more or {})}
    return {field(text): value for text, value in data.items() if value is not None}


def saved_answers(invitation):
    """{question text: (score, yes, text)} of the invitation's response."""
    response = Response.objects.get(invitation=invitation)
    return {a.question_text: (a.score, a.yes, a.text) for a in response.answers.all()}


def test_an_unknown_token_shows_the_not_recognised_page(client, db):
    page = client.get("/surveys/not-a-real-token-at-all/")

    assert page.status_code == 404
    assert "This survey link is not recognised" in text_of(page)


def test_an_invitation_whose_email_was_not_sent_yet_does_not_open(client, practice_user, product):
    unsent = make_invitation(practice_user, product, send=False)

    page = client.get(url(unsent))

    assert unsent.claimed_at is None
    assert page.status_code == 404
    assert "This survey link is not recognised" in text_of(page)


def test_the_survey_asks_the_active_default_questions(client, invitation):
    page = client.get(url(invitation))

    text = text_of(page)
    assert page.status_code == 200
    assert invitation.incident.reference in text and "closed on 14 October 2026" in text
    for question in (OVERALL, RESOLVED, EASE, COMMENTS):
        assert question in text
    for choice in ("1 – very poor", "3 – fair", "5 – excellent", "Yes", "No"):
        assert choice in text
    radios = re.findall(r"<input[^>]*>", text)
    assert sum('type="radio"' in tag and f'name="{field(OVERALL)}"' in tag for tag in radios) == 5
    assert f'name="{field(COMMENTS)}"' in text and "<textarea" in text
    assert "Send my answers" in text


def test_answers_are_saved_and_the_customer_is_thanked(client, invitation):
    sent = client.post(url(invitation), filled())

    assert sent.status_code == 302 and sent["Location"] == "/surveys/thank-you/"
    thanks = client.get(sent["Location"])
    assert thanks.status_code == 200 and "Thank you" in text_of(thanks)
    assert saved_answers(invitation) == {
        OVERALL: (5, None, ""),
        RESOLVED: (None, False, ""),
        EASE: (3, None, ""),
        COMMENTS: (None, None, "Quick and friendly."),
    }
    response = Response.objects.get(invitation=invitation)
    assert isinstance(response.answers.get(question_text=OVERALL).score, int)
    assert response.nhs_override is False


def test_a_yes_is_saved_as_true_and_the_comment_may_be_left_out(client, invitation):
    sent = client.post(url(invitation), filled(resolved="yes", comments=""))

    assert sent.status_code == 302
    answers = saved_answers(invitation)
    assert answers[RESOLVED] == (None, True, "")
    assert COMMENTS not in answers


def test_a_used_link_says_it_has_already_been_answered(client, invitation):
    client.post(url(invitation), filled())

    again = client.post(url(invitation), filled(overall="1"))
    reopened = client.get(url(invitation))

    for page in (again, reopened):
        assert page.status_code == 410
        assert "This survey has already been answered" in text_of(page)
    assert Response.objects.count() == 1
    assert saved_answers(invitation)[OVERALL] == (5, None, "")


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=3)], ids=["at-expiry", "days-later"])
def test_an_expired_link_says_the_survey_has_closed(client, invitation, after):
    with time_machine.travel(invitation.expires_at + after, tick=False):
        opened = client.get(url(invitation))
        sent = client.post(url(invitation), filled())

    for page in (opened, sent):
        assert page.status_code == 410
        assert "This survey has closed" in text_of(page)
    assert not Response.objects.exists()


def test_the_link_still_works_one_second_before_it_closes(client, invitation):
    with time_machine.travel(invitation.expires_at - timedelta(seconds=1), tick=False):
        opened = client.get(url(invitation))
        sent = client.post(url(invitation), filled())

    assert opened.status_code == 200
    assert sent.status_code == 302
    assert Response.objects.filter(invitation=invitation).exists()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: filled(overall=None, resolved=None, ease=None), id="only-a-comment"),
        pytest.param(dict, id="empty-form"),
    ],
)
def test_missing_required_answers_are_listed_and_nothing_is_saved(client, invitation, data):
    page = client.post(url(invitation), data())

    text = text_of(page)
    assert page.status_code == 400
    assert "There is a problem" in text
    for question in (OVERALL, RESOLVED, EASE):
        assert f"{question}: This field is required." in text
    assert f"{COMMENTS}: This field is required." not in text
    assert not Response.objects.exists()


@pytest.mark.parametrize("score", ["0", "6", "five"])
def test_a_score_outside_1_to_5_is_refused(client, invitation, score):
    page = client.post(url(invitation), filled(overall=score))

    assert page.status_code == 400
    assert f"Select a valid choice. {score} is not one of the available choices." in text_of(page)
    assert not Response.objects.exists()


def hidden_value(page, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page.content.decode()).group(0)
    return html.unescape(re.search(r'value="([^"]*)"', tag).group(1))


def test_a_comment_with_an_nhs_number_is_saved_only_after_the_customer_confirms_it_is_not_one(
    client, invitation
):
    comment = f"Our licence number {NHS_NUMBER} was wrong."

    warned = client.post(url(invitation), filled(comments=comment))

    text = text_of(warned)
    assert warned.status_code == 400
    assert f"contains “{NHS_NUMBER}”, which looks like an NHS number" in text
    assert 'name="confirm_not_nhs_number"' in text
    assert not Response.objects.exists()

    confirmed = client.post(
        url(invitation),
        filled(comments=comment)
        | {
            "confirm_not_nhs_number": "on",
            "nhs_numbers_shown": hidden_value(warned, "nhs_numbers_shown"),
        },
    )

    assert confirmed.status_code == 302
    assert saved_answers(invitation)[COMMENTS] == (None, None, comment)
    assert Response.objects.get(invitation=invitation).nhs_override is True


@pytest.mark.parametrize(
    "written",
    ["943.476.5919", "9\u200b434\u200b765\u200b919", "(943) 476\u20135919", "\uff19\uff14\uff13 476 5919"],
)
def test_a_disguised_nhs_number_in_a_comment_is_refused_too(client, invitation, written):
    warned = client.post(url(invitation), filled(comments=f"Patient {written} again"))

    assert warned.status_code == 400
    assert "”, which looks like an NHS number" in text_of(warned)
    assert not Response.objects.exists()


def test_a_refused_comment_is_previewed_under_it_with_the_number_marked(client, invitation):
    warned = client.post(url(invitation), filled(comments=f"<i>Ask</i> about {NHS_NUMBER} please"))

    page = warned.content.decode()
    preview = page[page.index(f'id="id_{field(COMMENTS)}_nhs_preview"') :]
    assert f"Where we found it in “{COMMENTS}”" in html.unescape(preview)
    assert f"&lt;i&gt;Ask&lt;/i&gt; about <mark>{NHS_NUMBER}</mark> please" in preview
    assert page.index(f'id="id_{field(COMMENTS)}_nhs_preview"') < page.index('name="confirm_not_nhs_number"')


def test_a_question_made_inactive_in_admin_is_no_longer_asked(admin_client, client, invitation):
    ease = Question.objects.get(text=EASE)
    changed = admin_client.post(
        f"/admin/surveys/question/{ease.pk}/change/",
        {"text": ease.text, "help_text": "", "kind": ease.kind, "position": ease.position, "required": "on"},
    )
    assert changed.status_code == 302

    page = client.get(url(invitation))
    sent = client.post(url(invitation), filled(ease=None))

    assert page.status_code == 200 and EASE not in text_of(page)
    assert sent.status_code == 302
    assert set(saved_answers(invitation)) == {OVERALL, RESOLVED, COMMENTS}


def test_a_new_active_question_is_asked_and_its_answer_saved(client, invitation):
    Question.objects.create(
        text="Would you recommend the Service Desk to another practice?", kind="yes_no", position=25
    )
    recommend = "Would you recommend the Service Desk to another practice?"

    page = client.get(url(invitation))
    unanswered = client.post(url(invitation), filled())
    sent = client.post(url(invitation), filled(more={recommend: "yes"}))

    text = text_of(page)
    assert recommend in text
    assert text.index(RESOLVED) < text.index(recommend) < text.index(EASE)  # in the position given
    assert unanswered.status_code == 400  # required by default
    assert sent.status_code == 302
    assert saved_answers(invitation)[recommend] == (None, True, "")


def test_an_answered_questions_kind_is_fixed_and_it_cannot_be_deleted(admin_client, client, invitation):
    overall = Question.objects.get(text=OVERALL)
    unanswered = Question.objects.create(text="Anything else?", kind="text", position=50, required=False)
    client.post(url(invitation), filled())

    answered_page = admin_client.get(f"/admin/surveys/question/{overall.pk}/change/")
    unanswered_page = admin_client.get(f"/admin/surveys/question/{unanswered.pk}/change/")
    delete_page = admin_client.get(f"/admin/surveys/question/{overall.pk}/delete/")
    delete_post = admin_client.post(f"/admin/surveys/question/{overall.pk}/delete/", {"post": "yes"})

    assert answered_page.status_code == 200
    assert 'name="kind"' not in answered_page.text
    assert "Score from 1 (very poor) to 5 (excellent)" in answered_page.text
    assert "/delete/" not in answered_page.text
    assert 'name="kind"' in unanswered_page.text and "/delete/" in unanswered_page.text
    assert (delete_page.status_code, delete_post.status_code) == (403, 403)
    assert Question.objects.filter(pk=overall.pk).exists()


def test_survey_tokens_are_long_and_random(practice, product, mailoutbox):
    first = make_invitation(UserFactory(practice=practice), product)
    second = make_invitation(UserFactory(practice=practice), product)

    assert first.token != second.token
    for token in (first.token, second.token):
        assert len(token) >= 43  # 32 random bytes
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_save_one_response(practice, product, mailoutbox):
    default_questions.create(django.apps.apps, None)  # flushed by transactional tests: seed again
    invitation = make_invitation(UserFactory(practice=practice), product)
    data = filled()
    barrier = threading.Barrier(2)

    def submit():
        browser = Client()
        barrier.wait()
        try:
            return browser.post(url(invitation), data).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(f.result() for f in [pool.submit(submit), pool.submit(submit)])

    assert statuses == [302, 410]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 4


# the invitation with its incident, product, round and response; the active questions
SURVEY_PAGE_QUERIES = 2


def test_the_survey_page_query_count_does_not_grow_with_more_questions(
    client, invitation, django_assert_num_queries
):
    with django_assert_num_queries(SURVEY_PAGE_QUERIES):
        assert client.get(url(invitation)).status_code == 200
    for position in range(5):
        Question.objects.create(
            text=f"Extra question {position}", kind=Question.Kind.SCORE, position=100 + position
        )

    with django_assert_num_queries(SURVEY_PAGE_QUERIES):
        page = client.get(url(invitation))

    assert "Extra question 4" in page.content.decode()
