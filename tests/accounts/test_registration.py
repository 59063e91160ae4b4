"""Asking for an account, an agent deciding in admin, and the one-time set-password link.

Approval and rejection emails are queued on commit (Celery runs them eagerly in tests), so requests that
send them run inside django_capture_on_commit_callbacks(execute=True).
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import AccountRequest, User
from tests.accounts.helpers import (
    ACCOUNT_REQUESTS_ADMIN_URL,
    REGISTER_DONE_URL,
    REGISTER_URL,
    approve,
    link_path,
    page_messages,
    page_text,
    reject,
    sign_in,
    signed_in_email,
)

NEW_PASSWORD = "Kestrel7!"


@pytest.fixture
def form_data(practice):
    return {
        "practice_id": practice.practice_id,
        "full_name": "Jamie Fox",
        "email": "Jamie.Fox@Riverside.example",
        "phone": "01632 960777",
        "job_role": "Receptionist",
    }


# --- The registration page ---------------------------------------------------------------------------


def test_register_page_shows_the_form(client, db):
    response = client.get(REGISTER_URL)

    assert response.status_code == 200
    for field in ["practice_id", "full_name", "email", "phone", "job_role"]:
        assert f'name="{field}"' in response.content.decode()


def test_a_valid_request_is_saved_as_pending_and_acknowledged(client, practice, form_data, mailoutbox):
    response = client.post(REGISTER_URL, form_data)

    assert response.status_code == 302
    assert response["Location"] == REGISTER_DONE_URL
    req = AccountRequest.objects.get()
    assert req.status == AccountRequest.Status.PENDING
    assert (req.practice, req.full_name, req.email, req.phone, req.job_role) == (
        practice,
        "Jamie Fox",
        "jamie.fox@riverside.example",
        "01632 960777",
        "Receptionist",
    )
    assert not User.objects.filter(email__iexact=form_data["email"]).exists()
    assert client.get(REGISTER_DONE_URL).status_code == 200


def test_practice_id_is_accepted_in_lower_case(client, practice, form_data):
    form_data["practice_id"] = practice.practice_id.lower()

    response = client.post(REGISTER_URL, form_data)

    assert response.status_code == 302
    assert AccountRequest.objects.get().practice == practice


def test_an_unknown_practice_id_is_a_clear_form_error_and_nothing_is_saved(client, practice, form_data):
    form_data["practice_id"] = "Z99999"

    response = client.post(REGISTER_URL, form_data)

    assert response.status_code == 400
    error = response.context["form"].errors["practice_id"][0]
    assert error.startswith("We do not recognise the practice ID Z99999.")
    assert settings.SERVICE_DESK["phone"] in error  # the Service Desk's number, to sort it out by phone
    assert "We do not recognise the practice ID Z99999." in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_a_second_request_for_the_same_email_is_acknowledged_the_same_and_saves_nothing(
    client, practice, form_data
):
    first = client.post(REGISTER_URL, form_data, follow=True)
    form_data["email"] = form_data["email"].upper()
    form_data["full_name"] = "Someone Else"

    second = client.post(REGISTER_URL, form_data, follow=True)

    assert second.redirect_chain == first.redirect_chain == [(REGISTER_DONE_URL, 302)]
    assert page_text(second) == page_text(first)
    assert AccountRequest.objects.count() == 1
    assert AccountRequest.objects.get().full_name == "Jamie Fox"


def test_a_request_for_an_existing_users_email_is_acknowledged_the_same_and_saves_nothing(
    client, practice, practice_user, form_data
):
    """The page must not reveal that the address already has an account."""
    stranger = client.post(REGISTER_URL, form_data, follow=True)
    form_data["email"] = practice_user.email.upper()

    response = client.post(REGISTER_URL, form_data, follow=True)

    assert response.redirect_chain == [(REGISTER_DONE_URL, 302)]
    assert page_text(response) == page_text(stranger)
    assert not AccountRequest.objects.filter(email__iexact=practice_user.email).exists()


def test_someone_rejected_may_ask_again(client, account_request, form_data):
    account_request.status = AccountRequest.Status.REJECTED
    account_request.save()

    client.post(REGISTER_URL, form_data)

    assert AccountRequest.objects.filter(status=AccountRequest.Status.PENDING).count() == 1


# --- The agent decides in admin ------------------------------------------------------------------------


def test_agents_see_pending_requests_in_admin(agent_client, account_request):
    response = agent_client.get(ACCOUNT_REQUESTS_ADMIN_URL, {"status__exact": "pending"})

    assert response.status_code == 200
    assert "jamie.fox@riverside.example" in response.content.decode()


def test_practice_staff_cannot_approve_requests(client, practice_user, account_request, mailoutbox):
    client.force_login(practice_user)

    response = client.post(
        ACCOUNT_REQUESTS_ADMIN_URL, {"action": "approve", "_selected_action": [account_request.pk]}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert not User.objects.filter(email=account_request.email).exists()
    assert mailoutbox == []


def test_approval_creates_a_user_without_a_password_and_emails_a_set_password_link(
    agent_client, agent, account_request, practice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = approve(agent_client, account_request)

    assert response.status_code == 200
    assert "1 request approved." in page_messages(response)
    user = User.objects.get(email="jamie.fox@riverside.example")
    assert user.practice == practice
    assert (user.full_name, user.phone, user.job_role) == ("Jamie Fox", "01632 960777", "Receptionist")
    assert user.is_active and not user.is_staff
    assert not user.has_usable_password()
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.APPROVED
    assert account_request.user == user
    assert account_request.decided_by == agent
    assert account_request.decided_at is not None

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["jamie.fox@riverside.example"]
    assert "set your password" in email.subject
    link = link_path(email.body, "/accounts/set-password/")
    html = email.alternatives[0][0]
    assert link in html
    # Nothing in the email could be a password: the only secret is the one-time link.
    assert "password:" not in email.body.lower()
    assert settings.SERVICE_DESK["phone"] in email.body  # the Service Desk's contact details in every email


def test_request_set_password_then_sign_in_end_to_end(
    client, agent, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    """The whole journey: register, agent approves, link, choose password, sign in to the incidents."""
    applicant = Client()
    applicant.post(
        REGISTER_URL,
        {
            "practice_id": account_request.practice.practice_id,
            "full_name": "Pat Lee",
            "email": "pat.lee@riverside.example",
            "phone": "01632 960888",
            "job_role": "GP",
        },
    )
    new_request = AccountRequest.objects.get(email="pat.lee@riverside.example")
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, new_request)
    link = link_path(mailoutbox[0].body, "/accounts/set-password/")

    landing = applicant.get(link)
    assert landing.status_code == 302  # Django takes the token out of the address bar
    form_page = applicant.get(landing["Location"])
    assert form_page.status_code == 200
    assert "Set your password" in form_page.content.decode()
    done = applicant.post(
        landing["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain == [("/accounts/login/", 302)]
    assert "Your password is set." in done.content.decode()
    assert signed_in_email(applicant) is None  # setting the password does not sign them in by itself

    response = sign_in(applicant, "Pat.Lee@riverside.example", NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert applicant.get("/incidents/").status_code == 200
    assert signed_in_email(applicant) == "pat.lee@riverside.example"


@pytest.fixture
def approved_link(agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve(agent_client, account_request)
    return link_path(mailoutbox[0].body, "/accounts/set-password/")


def set_password_through(client, link, password=NEW_PASSWORD):
    form_url = client.get(link)["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_the_set_password_link_works_only_once(approved_link):
    first, second = Client(), Client()
    assert set_password_through(first, approved_link).status_code == 302

    response = second.get(approved_link)

    assert response.status_code == 200
    page = response.content.decode()
    assert "This link no longer works" in page
    assert 'name="new_password1"' not in page
    user = User.objects.get(email="jamie.fox@riverside.example")
    assert user.check_password(NEW_PASSWORD)


def test_the_set_password_link_expires_after_the_days_the_email_promises(approved_link, mailoutbox):
    assert "expires in 3 days" in mailoutbox[0].body

    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1)):
        response = Client().get(approved_link)

    assert "This link no longer works" in response.content.decode()
    assert not User.objects.get(email="jamie.fox@riverside.example").has_usable_password()


def test_a_user_whose_link_expired_gets_a_new_one_from_ask_for_a_new_link(
    approved_link, mailoutbox, django_capture_on_commit_callbacks
):
    """The expired-link page offers "Ask for a new link" (the password reset page); that must send one.

    Django's PasswordResetForm silently skips users with an unusable password, which is exactly what an
    approved user who never set a password has.
    """
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        applicant = Client()
        expired = applicant.get(approved_link)
        assert 'href="/accounts/password_reset/"' in expired.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            applicant.post("/accounts/password_reset/", {"email": "jamie.fox@riverside.example"})

    assert len(mailoutbox) == 2, "the approved user who lost their link was sent nothing"
    assert mailoutbox[1].to == ["jamie.fox@riverside.example"]


def test_rejection_emails_the_requester_and_creates_no_user(
    agent_client, agent, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reject(agent_client, account_request)

    assert "1 request rejected." in page_messages(response)
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.REJECTED
    assert account_request.decided_by == agent
    assert account_request.user is None
    assert not User.objects.filter(email__iexact="jamie.fox@riverside.example").exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jamie.fox@riverside.example"]
    assert "We could not approve your request" in mailoutbox[0].body
    assert "/accounts/set-password/" not in mailoutbox[0].body


def test_approving_twice_is_refused_with_a_message(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approve(agent_client, account_request)

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(agent_client, account_request)

    assert response.status_code == 200
    assert page_messages(response) == ["The request from jamie.fox@riverside.example was already approved."]
    assert User.objects.filter(email__iexact="jamie.fox@riverside.example").count() == 1
    assert len(mailoutbox) == 1


def test_a_rejected_request_cannot_then_be_approved(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reject(agent_client, account_request)

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(agent_client, account_request)

    assert page_messages(response) == ["The request from jamie.fox@riverside.example was already rejected."]
    assert not User.objects.filter(email__iexact="jamie.fox@riverside.example").exists()
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.REJECTED
    assert len(mailoutbox) == 1


def test_approving_a_request_for_an_email_that_already_has_an_account_is_refused(
    agent_client, account_request, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    practice_user.email = account_request.email
    practice_user.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(agent_client, account_request)

    assert page_messages(response) == ["An account for jamie.fox@riverside.example already exists."]
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []
