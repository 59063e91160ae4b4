"""No NHS number in an account request: neither in what the requester types on the registration page nor
in the reason an agent gives for rejecting it (emailed to the requester and kept on the request); nor in
the email address typed at sign-in, which django-axes would keep."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog

from accounts.models import AccountRequest
from tests.accounts.helpers import ACCOUNT_REQUESTS_ADMIN_URL, REGISTER_URL, admin_sign_in, reject, sign_in


@pytest.fixture
def form_data(practice):
    return {
        "practice_id": practice.practice_id,
        "full_name": "Jamie Fox",
        "email": "jamie.fox@riverside.example",
        "phone": "01632 960777",
        "job_role": "Receptionist",
    }


@pytest.mark.parametrize(
    ("field", "value", "label", "shown"),
    [
        ("full_name", "Jamie Fox 943 476 5919", "Your name", "943 476 5919"),
        ("full_name", "Jamie 943.476.5919", "Your name", "943.476.5919"),
        ("job_role", "Receptionist (patient 9\u200b434765919)", "Job role", "9434765919"),
        ("phone", "943 476 5919", "Telephone number", "943 476 5919"),
        ("phone", "943-476-5919", "Telephone number", "943-476-5919"),
        ("email", "9434765919@riverside.example", "Email address", "9434765919"),
    ],
)
def test_an_nhs_number_in_any_registration_field_is_refused_naming_the_field(
    client, form_data, mailoutbox, field, value, label, shown
):
    response = client.post(REGISTER_URL, {**form_data, field: value})

    page = response.content.decode()
    assert response.status_code == 400
    assert f"{label} contains “{shown}”, which looks like an NHS number" in page
    assert not AccountRequest.objects.exists()
    assert mailoutbox == []


def test_registration_offers_the_telephone_not_a_confirmation(client, form_data, settings):
    response = client.post(REGISTER_URL, {**form_data, "job_role": "Receptionist 943 476 5919"})

    page = response.content.decode()
    assert f"telephone the Service Desk on {settings.SERVICE_DESK['phone']}" in page
    assert 'name="confirm_not_nhs_number"' not in page
    resubmitted = client.post(
        REGISTER_URL, {**form_data, "job_role": "Receptionist 943 476 5919", "confirm_not_nhs_number": "on"}
    )
    assert resubmitted.status_code == 400
    assert not AccountRequest.objects.exists()


def test_a_rejection_reason_with_an_nhs_number_is_refused_and_never_emailed(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    url = f"{ACCOUNT_REQUESTS_ADMIN_URL}{account_request.pk}/reject/"

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"reason": "Not staff: this is patient 943/476/5919"})

    assert response.status_code == 400
    assert "The reason contains “943/476/5919”, which looks like an NHS number" in response.content.decode()
    account_request.refresh_from_db()
    assert account_request.rejection_reason == ""
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []


def test_the_lists_reject_action_refuses_a_reason_with_an_nhs_number_too(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reject(agent_client, account_request, reason="Patient 943 476 5919 is not staff")

    assert response.status_code == 400
    assert "The reason contains “943 476 5919”, which looks like an NHS number" in response.content.decode()
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []


def test_a_rejection_reason_without_one_is_kept_and_emailed(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reject(agent_client, account_request, reason="Not a member of the practice's staff.")

    account_request.refresh_from_db()
    assert account_request.rejection_reason == "Not a member of the practice's staff."
    assert "Not a member of the practice's staff." in mailoutbox[0].body


@pytest.mark.parametrize("sign_in_with", [sign_in, admin_sign_in], ids=["portal", "admin"])
@pytest.mark.parametrize("typed", ["9434765919@riverside.example", "943 476 5919", "９４３.４７６.５９１９"])
def test_an_nhs_number_typed_as_the_email_at_sign_in_is_refused_and_not_kept(client, db, sign_in_with, typed):
    """django-axes keeps the address of every failed sign-in: one holding an NHS number is refused before
    any sign-in is tried, so nothing keeps it."""
    response = sign_in_with(client, typed, "Wrong-password-1!")

    assert response.status_code == 200
    assert "Email address contains “" in response.content.decode()
    assert "which looks like an NHS number" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()
