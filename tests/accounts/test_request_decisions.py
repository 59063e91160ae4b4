"""An agent decides a request for an account on its own admin page (Approve, and Reject with a reason) or
several at once from the list; the requester is told by email when they ask, and the desk's inbox too.

Emails are queued on commit (Celery runs them eagerly in tests), so requests that send them run inside
django_capture_on_commit_callbacks(execute=True).
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from accounts.models import AccountRequest, User
from tests.accounts.helpers import (
    ACCOUNT_REQUESTS_ADMIN_URL,
    REGISTER_URL,
    approve,
    link_path,
    page_messages,
    page_text,
    reject,
)
from tests.factories import StaffFactory

WAITING_LIST = f"{ACCOUNT_REQUESTS_ADMIN_URL}?status__exact=pending"
REASON = "We could not confirm that you work at Riverside. Please ask your practice manager to call us."


def change_url(req):
    return f"{ACCOUNT_REQUESTS_ADMIN_URL}{req.pk}/change/"


def approve_url(req):
    return f"{ACCOUNT_REQUESTS_ADMIN_URL}{req.pk}/approve/"


def reject_url(req):
    return f"{ACCOUNT_REQUESTS_ADMIN_URL}{req.pk}/reject/"


@pytest.fixture
def second_request(practice):
    return AccountRequest.objects.create(
        practice=practice,
        full_name="Pat Lee",
        email="pat.lee@riverside.example",
        phone="01632 960888",
        job_role="GP",
    )


@pytest.fixture
def viewer(db):
    """Staff who may read account requests but not decide them."""
    user = StaffFactory(full_name="Vic Viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_accountrequest"))
    return user


# --- The request's own page ----------------------------------------------------------------------------


def test_a_waiting_requests_page_offers_approve_and_reject(agent_client, account_request):
    response = agent_client.get(change_url(account_request))

    page = page_text(response)
    assert response.status_code == 200
    assert "<h1>Account request</h1>" in page
    assert f'formaction="{approve_url(account_request)}"' in page
    assert 'value="Approve"' in page
    assert f'<a href="{reject_url(account_request)}" class="deletelink"' in page
    assert "Approve creates Jamie Fox’s account and emails jamie.fox@riverside.example a link" in page
    assert 'name="_save"' not in page  # nothing on it is edited
    assert 'name="rejection_reason"' not in page  # asked for by Reject


def test_the_approve_button_creates_the_account_and_emails_the_link(
    agent_client, agent, account_request, practice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(approve_url(account_request), follow=True)

    assert response.redirect_chain == [(WAITING_LIST, 302)]
    assert page_messages(response) == [
        "Account request from Jamie Fox approved: jamie.fox@riverside.example has been emailed a link to "
        "set a password, and can then sign in."
    ]
    user = User.objects.get(email="jamie.fox@riverside.example")
    assert (user.practice, user.full_name, user.is_active, user.is_staff) == (
        practice,
        "Jamie Fox",
        True,
        False,
    )
    assert not user.has_usable_password()
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.APPROVED
    assert (account_request.user, account_request.decided_by) == (user, agent)
    assert [message.to for message in mailoutbox] == [["jamie.fox@riverside.example"]]
    link_path(mailoutbox[0].body, "/accounts/set-password/")
    history = agent_client.get(f"{ACCOUNT_REQUESTS_ADMIN_URL}{account_request.pk}/history/")
    assert "Approved: a set-password link was emailed." in page_text(history)


def test_the_reject_button_asks_for_the_reason_on_a_page_of_its_own(agent_client, account_request):
    response = agent_client.get(reject_url(account_request))

    page = page_text(response)
    assert response.status_code == 200
    assert "<h1>Reject the account request from Jamie Fox</h1>" in page
    assert "Jamie Fox (Receptionist) asked for an account for Riverside Medical Centre" in page
    assert '<textarea name="reason"' in page
    assert 'value="Reject and email the reason"' in page
    assert f'<a href="{change_url(account_request)}" class="closelink">Cancel</a>' in page
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING


def test_rejecting_with_a_reason_emails_it_and_creates_no_account(
    agent_client, agent, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reject_url(account_request), {"reason": REASON}, follow=True)

    assert response.redirect_chain == [(WAITING_LIST, 302)]
    assert page_messages(response) == [
        "Account request from Jamie Fox rejected: jamie.fox@riverside.example has been emailed the reason."
    ]
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.REJECTED
    assert (account_request.rejection_reason, account_request.decided_by) == (REASON, agent)
    assert not User.objects.filter(email__iexact=account_request.email).exists()
    assert [message.to for message in mailoutbox] == [["jamie.fox@riverside.example"]]
    assert REASON in mailoutbox[0].body
    assert REASON in mailoutbox[0].alternatives[0][0]
    history = agent_client.get(f"{ACCOUNT_REQUESTS_ADMIN_URL}{account_request.pk}/history/")
    assert "Rejected: the reason was emailed." in page_text(history)


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_rejecting_without_a_reason_is_refused_with_the_form_again(
    agent_client, account_request, mailoutbox, django_capture_on_commit_callbacks, reason
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reject_url(account_request), {"reason": reason})

    page = page_text(response)
    assert response.status_code == 400
    assert "Please correct the error below." in page
    assert "Give the reason for rejecting: it is emailed to the requester." in page
    assert '<textarea name="reason"' in page
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []


# --- A request already decided ---------------------------------------------------------------------------


@pytest.fixture
def approved_request(agent_client, account_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(approve_url(account_request), follow=True)  # its message read
    account_request.refresh_from_db()
    return account_request


def test_a_decided_requests_page_has_no_buttons(agent_client, approved_request):
    response = agent_client.get(change_url(approved_request))

    page = page_text(response)
    assert response.status_code == 200
    assert approve_url(approved_request) not in page
    assert reject_url(approved_request) not in page
    assert 'value="Approve"' not in page


def test_approving_a_decided_request_again_answers_with_a_message(
    agent_client, approved_request, mailoutbox, django_capture_on_commit_callbacks
):
    sent = len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(approve_url(approved_request), follow=True)

    assert response.redirect_chain == [(change_url(approved_request), 302)]
    assert page_messages(response) == ["The request from jamie.fox@riverside.example was already approved."]
    assert User.objects.filter(email__iexact=approved_request.email).count() == 1
    assert len(mailoutbox) == sent


@pytest.mark.parametrize("method", ["get", "post"])
def test_rejecting_a_decided_request_answers_with_a_message(
    agent_client, approved_request, mailoutbox, django_capture_on_commit_callbacks, method
):
    sent = len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(agent_client, method)(
            reject_url(approved_request), {"reason": REASON}, follow=True
        )

    assert response.redirect_chain == [(change_url(approved_request), 302)]
    assert page_messages(response) == [
        "The request from jamie.fox@riverside.example was already approved: there is nothing to reject."
    ]
    approved_request.refresh_from_db()
    assert approved_request.status == AccountRequest.Status.APPROVED
    assert approved_request.rejection_reason == ""
    assert len(mailoutbox) == sent


# --- Who may decide, and how ---------------------------------------------------------------------------


def test_staff_without_the_change_permission_see_the_request_but_are_refused_the_decisions(
    client, viewer, account_request, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(viewer)

    page = client.get(change_url(account_request))
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(approve_url(account_request))
        asked = client.get(reject_url(account_request))
        rejected = client.post(reject_url(account_request), {"reason": REASON})

    assert page.status_code == 200
    assert approve_url(account_request) not in page_text(page)
    assert reject_url(account_request) not in page_text(page)
    assert (approved.status_code, asked.status_code, rejected.status_code) == (403, 403, 403)
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert not User.objects.filter(email__iexact=account_request.email).exists()
    assert mailoutbox == []


def test_approving_by_get_is_not_allowed(agent_client, account_request, mailoutbox):
    response = agent_client.get(approve_url(account_request))

    assert response.status_code == 405
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []


def test_a_request_that_does_not_exist_is_not_found(agent_client, db):
    assert agent_client.post("/admin/accounts/accountrequest/987654/approve/").status_code == 404
    assert agent_client.get("/admin/accounts/accountrequest/987654/reject/").status_code == 404


# --- The list's actions: several at once ---------------------------------------------------------------


def test_the_lists_approve_action_says_how_many_in_words(
    agent_client, account_request, second_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = approve(agent_client, account_request, second_request)

    assert page_messages(response) == ["2 requests approved."]
    assert sorted(message.to[0] for message in mailoutbox) == [account_request.email, second_request.email]


def test_the_lists_reject_action_asks_for_one_reason_for_all_the_selected(
    agent_client, account_request, second_request, mailoutbox
):
    response = agent_client.post(
        ACCOUNT_REQUESTS_ADMIN_URL,
        {"action": "reject", "_selected_action": [account_request.pk, second_request.pk], "index": "0"},
    )

    page = page_text(response)
    assert response.status_code == 200
    assert "<h1>Reject 2 account requests</h1>" in page
    assert "Jamie Fox, jamie.fox@riverside.example, for Riverside Medical Centre" in page
    assert "Pat Lee, pat.lee@riverside.example, for Riverside Medical Centre" in page
    assert '<input type="hidden" name="action" value="reject">' in page
    assert '<textarea name="reason"' in page
    assert AccountRequest.objects.filter(status=AccountRequest.Status.PENDING).count() == 2
    assert mailoutbox == []


def test_the_lists_reject_action_without_a_reason_is_refused(agent_client, account_request, mailoutbox):
    response = reject(agent_client, account_request, reason="")

    assert response.status_code == 400
    assert "Give the reason for rejecting: it is emailed to the requester." in page_text(response)
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.PENDING
    assert mailoutbox == []


def test_the_lists_reject_action_rejects_each_with_the_reason_and_says_how_many(
    agent_client, account_request, second_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reject(agent_client, account_request, second_request, reason=REASON)

    assert page_messages(response) == ["2 requests rejected."]
    assert set(AccountRequest.objects.values_list("status", "rejection_reason")) == {("rejected", REASON)}
    assert len(mailoutbox) == 2
    assert all(REASON in message.body for message in mailoutbox)


def test_one_request_approved_is_said_in_the_singular(
    agent_client, account_request, second_request, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(approve_url(second_request), follow=True)  # its message read
        response = approve(agent_client, account_request, second_request)

    assert page_messages(response) == [
        "The request from pat.lee@riverside.example was already approved.",
        "1 request approved.",
    ]


# --- Asking: the requester's acknowledgement and the desk's notice ------------------------------------


@pytest.fixture
def form_data(practice):
    return {
        "practice_id": practice.practice_id,
        "full_name": "Jamie Fox",
        "email": "Jamie.Fox@Riverside.example",
        "phone": "01632 960777",
        "job_role": "Receptionist",
    }


def test_asking_emails_the_requester_an_acknowledgement_and_the_desk_a_notice(
    client, form_data, practice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER_URL, form_data)

    req = AccountRequest.objects.get()
    acknowledgement, notice = mailoutbox
    assert acknowledgement.to == ["jamie.fox@riverside.example"]
    assert acknowledgement.subject == "We have your request for a Primary Care Service Desk account"
    assert f"for {practice.name} ({practice.practice_id})" in acknowledgement.body
    assert "will email you once it is decided" in acknowledgement.body
    assert "we never send or ask for a password by email" in acknowledgement.body
    assert settings.SERVICE_DESK["phone"] in acknowledgement.body
    assert f"for {practice.name} ({practice.practice_id})" in acknowledgement.alternatives[0][0]

    assert notice.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]
    assert notice.subject == f"Account request from Jamie Fox, {practice.name}"
    assert "Email: jamie.fox@riverside.example" in notice.body
    assert "Telephone: 01632 960777" in notice.body
    assert "Job role: Receptionist" in notice.body
    assert link_path(notice.body, "/admin/") == change_url(req)
    assert change_url(req) in notice.alternatives[0][0]


def test_asking_again_or_for_an_address_with_an_account_emails_nobody(
    client, form_data, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER_URL, form_data)
    sent = len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(REGISTER_URL, form_data)
        existing = client.post(REGISTER_URL, {**form_data, "email": practice_user.email})

    assert (again.status_code, existing.status_code) == (302, 302)  # the same acknowledgement page
    assert sent == 2
    assert len(mailoutbox) == sent


# --- Queries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("decided", [False, True], ids=["waiting", "decided"])
def test_the_request_page_takes_a_fixed_number_of_queries(
    agent_client, account_request, agent, django_assert_num_queries, decided
):
    if decided:
        account_request.status = AccountRequest.Status.REJECTED
        account_request.decided_by = agent
        account_request.rejection_reason = REASON
        account_request.save()
    agent_client.get(change_url(account_request))  # the session and permissions warmed as on any visit

    # The signed-in user (the session is cached), the request with its practice, deciding agent and account
    # in one, and the user's own and group permissions.
    with django_assert_num_queries(4):
        response = agent_client.get(change_url(account_request))

    assert response.status_code == 200
