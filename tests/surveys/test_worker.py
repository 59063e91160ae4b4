"""The monthly survey runs on a real Celery worker through the Redis broker, as beat starts it in
production: the round is drawn, and each invitee gets one email with their own survey link."""

import importlib
from datetime import datetime, time, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_log
from servicedesk.celery import app as celery_app
from surveys.models import Invitation, SurveyRound
from surveys.tasks import sample_previous_month, send_survey_invitation
from tests.factories import IncidentFactory, UserFactory
from tests.servicedesk import test_celery_worker as worker_helpers

# The real-worker helpers of tests/servicedesk, used here as they are (the worker is tests/conftest.py's).
tasks_run = worker_helpers.tasks_run
needs_redis_broker = worker_helpers.needs_redis_broker
WAIT_SECONDS = worker_helpers.WAIT_SECONDS


def closed_in(customer, product, day):
    # Logged without the confirmation email, which the worker would otherwise send during the setup.
    incident = incident_log(
        IncidentFactory.build(reporter=customer, product=product), actor=customer, notify=False
    )
    closed_at = timezone.make_aware(datetime.combine(day, time(12, 0)))
    Incident.objects.filter(pk=incident.pk).update(status="closed", closed_at=closed_at)  # setup only
    return incident


def test_the_beat_entry_is_the_monthly_task():
    """The schedule's timing is checked with the draw in test_sampling; here, that it names a real task."""
    celery_app.loader.import_default_modules()

    assert settings.CELERY_BEAT_SCHEDULE["survey-sample"]["task"] == sample_previous_month.name
    assert sample_previous_month.name in celery_app.tasks
    assert send_survey_invitation.name in celery_app.tasks


@needs_redis_broker
@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_the_monthly_survey_runs_on_a_real_worker_and_emails_each_invitee_once(
    celery_worker_on_redis, tasks_run, practice, product
):
    assert not celery_app.conf.task_always_eager
    importlib.import_module("surveys.migrations.0003_default_questions").create(apps, None)  # after flushes
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    customers = [UserFactory(practice=practice) for _ in range(5)]
    for customer in customers:
        closed_in(customer, product, last_month.replace(day=15))
    closed_in(customers[0], product, last_month.replace(day=1))  # a second closure: still one customer
    # Invited two months ago, so not eligible now: 4 of the 5 may be drawn, 2 (25% of 5, rounded up) are.
    recently = SurveyRound.objects.create(
        month=(last_month.replace(day=1) - timedelta(days=1)).replace(day=1),
        round_date=last_month.replace(day=1),
        seed=1,
        population=1,
        eligible_count=1,
    )
    Invitation.objects.create(round=recently, customer=customers[4])
    later = UserFactory(practice=practice)
    closed_in(later, product, timezone.localdate())  # this month's closure waits for next month's round

    celery_app.send_task(settings.CELERY_BEAT_SCHEDULE["survey-sample"]["task"])

    emailed_on_worker = ("surveys.tasks.send_survey_invitation", False)  # False: not the main thread
    assert worker_helpers._wait_until(lambda: tasks_run.count(emailed_on_worker) >= 2), (
        f"the worker did not send two invitations within {WAIT_SECONDS}s: {tasks_run}"
    )
    assert ("surveys.tasks.sample_previous_month", False) in tasks_run
    assert worker_helpers._messages_waiting() == 0  # nothing else queued that could send more email
    survey_round = SurveyRound.objects.get(month=last_month.replace(day=1))
    assert survey_round.round_date == timezone.localdate().replace(day=1)
    assert (survey_round.population, survey_round.eligible_count) == (5, 4)
    invitations = list(survey_round.invitations.select_related("customer", "incident"))
    assert len(invitations) == 2
    assert customers[4] not in {invitation.customer for invitation in invitations}
    assert sorted(email for message in mail.outbox for email in message.to) == sorted(
        invitation.customer.email for invitation in invitations
    )
    for invitation in invitations:
        (message,) = [m for m in mail.outbox if m.to == [invitation.customer.email]]
        link = f"{settings.SITE_URL}/surveys/{invitation.token}/"
        assert link in message.body
        assert invitation.incident.reference in message.subject  # their last closure of the month
        assert invitation.sent_at is not None
        page = Client().get(f"/surveys/{invitation.token}/")
        assert page.status_code == 200 and "How did we do?" in page.content.decode()
