"""Every email the portal sends marks itself as automatic (issue 15), so that an out-of-office or any other
automatic answer is not sent back to it, and the desk's intake can tell its own mail from a person's.
Incident emails are checked in tests/incidents/test_mail_thread.py; these are the others, each sent
through the flow that sends it."""

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AccountRequest
from accounts.tasks import send_second_factor_enrolled_email
from surveys.models import Invitation, SurveyRound
from surveys.services import queue_invitation_emails
from tests.accounts.helpers import approve, reject


def _account_request(practice):
    return AccountRequest.objects.create(
        practice=practice,
        full_name="Jamie Fox",
        email="jamie.fox@riverside.example",
        phone="01632 960777",
        job_role="Receptionist",
    )


def password_reset(request):
    user = request.getfixturevalue("practice_user")
    request.getfixturevalue("client").post("/accounts/password_reset/", {"email": user.email})


def account_approved(request):
    approve(request.getfixturevalue("agent_client"), _account_request(request.getfixturevalue("practice")))


def account_rejected(request):
    reject(request.getfixturevalue("agent_client"), _account_request(request.getfixturevalue("practice")))


def account_requested(request):
    """The requester's acknowledgement and the desk's notice."""
    practice = request.getfixturevalue("practice")
    data = {
        "practice_id": practice.practice_id,
        "full_name": "Jamie Fox",
        "email": "jamie.fox@riverside.example",
        "phone": "01632 960777",
        "job_role": "Receptionist",
    }
    request.getfixturevalue("client").post("/accounts/register/", data)


def second_factor_enrolled(request):
    send_second_factor_enrolled_email(request.getfixturevalue("agent").pk)


def survey_invitation(request):
    incident = request.getfixturevalue("incident")
    month = timezone.localdate().replace(day=1)
    survey_round = SurveyRound.objects.create(
        month=month, round_date=month, seed=7, population=1, eligible_count=1
    )
    Invitation.objects.create(round=survey_round, customer=incident.reporter, incident=incident)
    queue_invitation_emails(survey_round)


@pytest.mark.parametrize(
    "flow",
    [
        password_reset,
        account_requested,
        account_approved,
        account_rejected,
        second_factor_enrolled,
        survey_invitation,
    ],
)
def test_every_email_the_portal_sends_is_marked_automatic(
    flow, request, incident, mailoutbox, django_capture_on_commit_callbacks
):
    """The survey's incident is logged before the flow runs, so that its own emails are not among these."""
    with django_capture_on_commit_callbacks(execute=True):
        flow(request)

    assert len(mailoutbox) == (2 if flow is account_requested else 1)
    for message in mailoutbox:
        headers = message.message()
        assert headers["Auto-Submitted"] == "auto-generated"
        assert headers["X-Auto-Response-Suppress"] == "All"
        assert settings.INBOUND_EMAIL_ADDRESS not in str(headers["Reply-To"])  # a reply is no incident
