"""Survey invitation emails (issue 5, item 3): one email per invitation with its link, the incident and
the closing date, sent once even when a task is duplicated, retried after a mail-server failure or
interrupted by a crash; staff can resend only the interrupted ones."""

import re
import smtplib
from datetime import date, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core.mail.backends import locmem
from django.core.management import call_command

from accounts.roles import TEAM_LEADERS
from incidents.models import Incident
from servicedesk.lib.support_hours import LONDON
from surveys.models import Invitation, Response, SurveyRound
from surveys.services import queue_invitation_emails
from surveys.tasks import sample_previous_month, send_survey_invitation
from tests.conftest import login
from tests.factories import IncidentFactory, UserFactory

SENDING = datetime(2026, 11, 2, 9, 0, tzinfo=LONDON)  # the link stays open for 28 days from here
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class DisconnectingBackend(locmem.EmailBackend):
    """A mail server that drops the connection the next `failures` times, then takes messages."""

    failures = 0

    def send_messages(self, messages):
        if DisconnectingBackend.failures > 0:
            DisconnectingBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class CrashAfterHandoverBackend(locmem.EmailBackend):
    """The mail server takes the message, then the worker dies before it can record the send."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise RuntimeError("worker lost after the mail server took the message")


@pytest.fixture(autouse=True)
def _at_sending_time():
    """Every test here runs wholly at the time of sending (the links it opens close 28 days later), whatever
    today's date: a test's own travels move on from there and come back to it."""
    with time_machine.travel(SENDING, tick=True):
        yield


@pytest.fixture(autouse=True)
def _reset_disconnecting_backend():
    yield
    DisconnectingBackend.failures = 0


def closed_in(customer, product, when):
    incident = IncidentFactory(reporter=customer, product=product)
    Incident.objects.filter(pk=incident.pk).update(status="closed", closed_at=when)  # setup, not a transition
    incident.refresh_from_db()
    return incident


@pytest.fixture
def october_round(practice, product):
    """The round of 1 November 2026 with two invitations, each about an incident closed in October."""
    survey_round = SurveyRound.objects.create(
        month=date(2026, 10, 1), round_date=date(2026, 11, 1), seed=7, population=2, eligible_count=2
    )
    for day in (14, 20):
        customer = UserFactory(practice=practice)
        incident = closed_in(customer, product, datetime(2026, 10, day, 11, 0, tzinfo=LONDON))
        Invitation.objects.create(round=survey_round, customer=customer, incident=incident)
    return survey_round


def invitations_of(survey_round):
    return list(survey_round.invitations.select_related("customer", "incident").order_by("pk"))


def run_queued(capture, action, when=SENDING):
    """Do `action` at `when` and run the tasks it queued on commit (eagerly, as the worker would)."""
    with time_machine.travel(when, tick=False), capture(execute=True):
        return action()


def link_to(invitation):
    return f"http://testserver/surveys/{invitation.token}/"


def test_each_invitation_is_emailed_with_its_link_incident_and_closing_date(
    october_round, mailoutbox, django_capture_on_commit_callbacks
):
    queued = run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    assert queued == 2 and len(mailoutbox) == 2
    by_recipient = {tuple(message.to): message for message in mailoutbox}
    for invitation, day in zip(invitations_of(october_round), (14, 20), strict=True):
        message = by_recipient[(invitation.customer.email,)]
        html = message.alternatives[0][0]
        assert invitation.incident.reference in message.subject
        for body in (message.body, html):
            assert link_to(invitation) in body
            assert invitation.incident.reference in body
            assert f"closed on {day} October 2026" in body
            assert "open until 30 November 2026" in body  # 28 days after sending
        assert invitation.sent_at is not None


def test_queueing_the_round_again_sends_nothing_more(
    october_round, mailoutbox, django_capture_on_commit_callbacks
):
    run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    again = run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    assert again == 0
    assert len(mailoutbox) == 2


def test_a_round_queued_twice_before_the_worker_runs_still_emails_each_customer_once(
    october_round, mailoutbox, django_capture_on_commit_callbacks
):
    def queue_twice():
        return queue_invitation_emails(october_round) + queue_invitation_emails(october_round)

    assert run_queued(django_capture_on_commit_callbacks, queue_twice) == 4  # duplicates reach the worker

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        i.customer.email for i in invitations_of(october_round)
    )


def test_the_task_run_twice_for_one_invitation_sends_one_email(october_round, mailoutbox):
    invitation = invitations_of(october_round)[0]

    with time_machine.travel(SENDING, tick=False):
        first = send_survey_invitation.delay(invitation.pk).get()
        second = send_survey_invitation.delay(invitation.pk).get()

    assert (first, second) == (True, False)
    assert [m.to for m in mailoutbox] == [[invitation.customer.email]]


def test_an_smtp_failure_leaves_the_invitation_unclaimed_so_the_retry_sends_exactly_once(
    october_round, client, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.DisconnectingBackend"
    DisconnectingBackend.failures = 1
    invitation = invitations_of(october_round)[0]

    with time_machine.travel(SENDING, tick=False), pytest.raises(Retry):  # the task asks to be retried
        send_survey_invitation.delay(invitation.pk)

    invitation.refresh_from_db()
    assert mailoutbox == []
    assert invitation.claimed_at is None and invitation.sent_at is None
    assert client.get(f"/surveys/{invitation.token}/").status_code == 404  # no email, no open link

    with time_machine.travel(SENDING + timedelta(seconds=30), tick=False):
        retried = send_survey_invitation.apply((invitation.pk,), retries=1).get()
        duplicate = send_survey_invitation.apply((invitation.pk,), retries=1).get()

    assert (retried, duplicate) == (True, False)
    assert [m.to for m in mailoutbox] == [[invitation.customer.email]]
    assert client.get(f"/surveys/{invitation.token}/").status_code == 200


def test_a_round_queued_while_the_mail_server_is_down_is_sent_once_when_queued_again(
    october_round, client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.DisconnectingBackend"
    DisconnectingBackend.failures = 1000  # down throughout
    invitation = invitations_of(october_round)[0]

    run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    invitation.refresh_from_db()
    assert mailoutbox == []
    assert invitation.claimed_at is None and invitation.sent_at is None and invitation.expires_at is None
    assert client.get(f"/surveys/{invitation.token}/").status_code == 404  # no email, no open link

    settings.EMAIL_BACKEND = LOCMEM  # the mail server is back
    queued = run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    assert queued == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        i.customer.email for i in invitations_of(october_round)
    )


def test_a_crash_after_the_claim_leaves_the_send_interrupted_and_a_retry_sends_no_second_email(
    october_round, client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.CrashAfterHandoverBackend"
    invitation = invitations_of(october_round)[0]

    with time_machine.travel(SENDING, tick=False), pytest.raises(RuntimeError):
        send_survey_invitation.delay(invitation.pk)

    invitation.refresh_from_db()
    assert len(mailoutbox) == 1
    assert invitation.claimed_at is not None and invitation.sent_at is None
    assert client.get(link_to(invitation)).status_code == 200  # the email that did go out works

    settings.EMAIL_BACKEND = LOCMEM
    with time_machine.travel(SENDING + timedelta(minutes=5), tick=False):
        retried = send_survey_invitation.delay(invitation.pk).get()
    requeued = run_queued(django_capture_on_commit_callbacks, lambda: queue_invitation_emails(october_round))

    assert retried is False
    assert requeued == 1  # only the other, never-sent invitation
    assert [m.to[0] for m in mailoutbox].count(invitation.customer.email) == 1


@pytest.fixture
def team_leader_client(client, team_leader):
    assert team_leader.groups.filter(name=TEAM_LEADERS).exists()
    assert team_leader.has_perms(["surveys.view_invitation", "surveys.change_invitation"])
    return login(client, team_leader)


def mark(invitation, *, claimed=None, sent=None):
    """Put an invitation in a send state (setup, not the sending path)."""
    expires = claimed + timedelta(days=28) if claimed else None
    Invitation.objects.filter(pk=invitation.pk).update(claimed_at=claimed, sent_at=sent, expires_at=expires)
    invitation.refresh_from_db()


@pytest.fixture
def interrupted_and_sent(october_round):
    interrupted, sent = invitations_of(october_round)
    mark(interrupted, claimed=SENDING)
    mark(sent, claimed=SENDING, sent=SENDING + timedelta(seconds=2))
    return interrupted, sent


def send_again(client, invitations):
    return client.post(
        "/admin/surveys/invitation/",
        {"action": "send_again", "_selected_action": [i.pk for i in invitations]},
        follow=True,
    )


def test_send_again_resends_only_the_interrupted_invitation(
    team_leader_client, interrupted_and_sent, mailoutbox, django_capture_on_commit_callbacks
):
    interrupted, sent = interrupted_and_sent

    page = run_queued(
        django_capture_on_commit_callbacks,
        lambda: send_again(team_leader_client, [interrupted, sent]),
        when=SENDING + timedelta(minutes=10),  # signed in at SENDING: within the idle timeout
    )

    assert page.status_code == 200
    assert "1 invitation email queued again." in page.text
    assert "1 left alone: only an interrupted send can be repeated" in page.text
    assert [m.to for m in mailoutbox] == [[interrupted.customer.email]]
    assert link_to(interrupted) in mailoutbox[0].body
    interrupted.refresh_from_db()
    assert interrupted.sent_at is not None
    assert Invitation.objects.get(pk=sent.pk).sent_at == SENDING + timedelta(seconds=2)  # untouched


def test_send_again_leaves_alone_an_interrupted_invitation_the_customer_already_answered(
    team_leader_client, interrupted_and_sent, mailoutbox, django_capture_on_commit_callbacks
):
    interrupted, _ = interrupted_and_sent
    Response.objects.create(invitation=interrupted)

    run_queued(
        django_capture_on_commit_callbacks,
        lambda: send_again(team_leader_client, [interrupted]),
        when=SENDING + timedelta(minutes=10),  # signed in at SENDING: within the idle timeout
    )

    assert mailoutbox == []


def test_the_round_list_shows_a_team_leader_the_invited_sent_and_answered_counts(
    team_leader_client, interrupted_and_sent
):
    _, sent = interrupted_and_sent
    Response.objects.create(invitation=sent)

    page = team_leader_client.get("/admin/surveys/surveyround/")

    assert page.status_code == 200
    assert "October 2026" in page.text
    cells = dict(re.findall(r'class="field-(invited|sent|responses)">(\d+)<', page.text))
    assert cells == {"invited": "2", "sent": "1", "responses": "1"}


def test_the_invitation_list_shows_a_team_leader_each_send_status(
    team_leader_client, interrupted_and_sent, practice, product
):
    survey_round = interrupted_and_sent[0].round
    waiting_customer = UserFactory(practice=practice)
    Invitation.objects.create(round=survey_round, customer=waiting_customer)

    page = team_leader_client.get("/admin/surveys/invitation/")
    interrupted_only = team_leader_client.get("/admin/surveys/invitation/?email=interrupted")

    assert page.status_code == 200
    assert "Sent 2 Nov 2026 09:00" in page.text
    assert "Send begun 2 Nov 2026 09:00, not confirmed: check before sending again" in page.text
    assert "Not sent yet" in page.text
    assert interrupted_only.status_code == 200
    assert interrupted_and_sent[0].customer.full_name in interrupted_only.text
    assert interrupted_and_sent[1].customer.full_name not in interrupted_only.text


@pytest.fixture
def eight_october_customers(practice, product):
    customers = [UserFactory(practice=practice) for _ in range(8)]
    for customer in customers:
        closed_in(customer, product, datetime(2026, 10, 15, 12, 0, tzinfo=LONDON))
    return customers


def command_output(*args):
    out = []
    call_command("sample_surveys", *args, stdout=type("W", (), {"write": out.append})())
    return "".join(out)


def test_the_sample_surveys_command_draws_the_round_and_emails_the_invitees(
    eight_october_customers, mailoutbox, django_capture_on_commit_callbacks
):
    output = run_queued(django_capture_on_commit_callbacks, lambda: command_output("--month", "2026-10"))

    survey_round = SurveyRound.objects.get(month=date(2026, 10, 1))
    invitations = invitations_of(survey_round)
    assert "invites 2 of 8 customers" in output and "Invitation emails queued: 2" in output
    assert sorted(m.to[0] for m in mailoutbox) == sorted(i.customer.email for i in invitations)
    assert all(i.sent_at is not None for i in invitations)


def test_the_sample_surveys_dry_run_sends_no_email(
    eight_october_customers, mailoutbox, django_capture_on_commit_callbacks
):
    output = run_queued(
        django_capture_on_commit_callbacks, lambda: command_output("--month", "2026-10", "--dry-run")
    )

    assert "would invite 2 of 8 customers" in output
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_the_monthly_task_on_1_december_draws_november_and_emails_the_invitees(
    practice, product, mailoutbox, django_capture_on_commit_callbacks
):
    november = [UserFactory(practice=practice) for _ in range(4)]
    for customer in november:
        closed_in(customer, product, datetime(2026, 11, 20, 16, 0, tzinfo=LONDON))
    closed_in(UserFactory(practice=practice), product, datetime(2026, 10, 31, 23, 30, tzinfo=LONDON))

    round_id = run_queued(
        django_capture_on_commit_callbacks,
        lambda: sample_previous_month.delay().get(),
        when=datetime(2026, 12, 1, 2, 0, tzinfo=LONDON),
    )

    survey_round = SurveyRound.objects.get(pk=round_id)
    (invitation,) = invitations_of(survey_round)
    assert (survey_round.month, survey_round.population) == (date(2026, 11, 1), 4)
    assert invitation.customer in november
    assert [m.to for m in mailoutbox] == [[invitation.customer.email]]
    assert link_to(invitation) in mailoutbox[0].body
    assert "closed on 20 November 2026" in mailoutbox[0].body
    assert "open until 29 December 2026" in mailoutbox[0].body
