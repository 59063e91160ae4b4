"""`make run` shows the survey: `manage.py seed_demo` draws two rounds, the earlier one answered (its
results visible to Robin, the demo team leader) and last month's with links printed to try."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from surveys.models import Answer, Invitation, Response, SurveyRound
from tests.conftest import login
from tests.surveys.test_results import comment_items, tables

LINK = re.compile(r"http://127\.0\.0\.1:8000(/surveys/[\w-]+/)")


@pytest.fixture
def seeded(db, settings, capsys, django_capture_on_commit_callbacks, mailoutbox):
    """The demo loaded as `make run` loads it; on_commit work (the invitation emails) runs as it would."""
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    return capsys.readouterr().out


def survey_emails(outbox):
    return [message for message in outbox if "survey" in message.subject]


def test_the_demo_draws_last_month_and_the_month_before_with_answers_in_the_earlier(seeded):
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    earlier_month = (last_month - timedelta(days=1)).replace(day=1)

    earlier, latest = SurveyRound.objects.order_by("month")

    assert (earlier.month, latest.month) == (earlier_month, last_month)
    assert earlier.invitations.filter(response__isnull=False).exists()
    assert not latest.invitations.filter(response__isnull=False).exists()


def test_the_printed_links_open_the_survey_and_match_the_emails(seeded, mailoutbox):
    links = LINK.findall(seeded)
    latest = SurveyRound.objects.order_by("-month").first()

    assert "Survey links of last month's round" in seeded
    assert sorted(links) == sorted(
        f"/surveys/{token}/" for token in latest.invitations.values_list("token", flat=True)
    )
    assert len(survey_emails(mailoutbox)) == len(links)
    for path in links:
        (email,) = [m for m in survey_emails(mailoutbox) if path in m.body]
        assert email.to == [Invitation.objects.get(token=path.split("/")[2]).customer.email]
        page = Client().get(path)
        assert page.status_code == 200 and "How did we do?" in page.content.decode()


def test_robin_sees_the_earlier_rounds_results(seeded, client):
    earlier = SurveyRound.objects.order_by("month").first()
    invited = earlier.invitations.count()
    responses = earlier.invitations.filter(response__isnull=False).count()

    page = login(client, User.objects.get(email="robin.lead@servicedesk.example")).get("/surveys/results/")

    assert page.status_code == 200
    invited_cell, responses_cell, *_ = tables(page)["month"][f"{earlier.month:%B %Y}"]
    assert (invited_cell, responses_cell) == (str(invited), str(responses))
    assert any("Quick and friendly" in item for item in comment_items(page))


def test_seeding_the_demo_again_adds_no_round_invitation_answer_or_email(
    seeded, settings, capsys, mailoutbox
):
    before = [model.objects.count() for model in (SurveyRound, Invitation, Response, Answer)]
    sent = len(mailoutbox)

    call_command("seed_demo")

    assert [model.objects.count() for model in (SurveyRound, Invitation, Response, Answer)] == before
    assert len(mailoutbox) == sent
    assert sorted(LINK.findall(capsys.readouterr().out)) == sorted(LINK.findall(seeded))  # the same links
