"""Agents triage a new incident in one form on its change page, and read each action's confirmation in
words (issue 17)."""

import re

import pytest

from incidents import services
from incidents.models import CannedReply, Severity, Status
from tests.factories import StaffFactory
from tests.incidents.lifecycle_helpers import snapshot

CHANGELIST = "/admin/incidents/incident/"


def change_url(incident):
    return f"{CHANGELIST}{incident.pk}/change/"


def triage_url(incident):
    return f"{CHANGELIST}{incident.pk}/act/triage/"


def text_of(response):
    return response.content.decode()


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def triage(agent_client, django_capture_on_commit_callbacks):
    """POST the triage form as the agent, following the redirect, running what is queued (the emails)."""

    def do(incident, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return agent_client.post(triage_url(incident), data, follow=True)

    return do


def test_the_change_page_offers_triage_while_the_incident_is_logged(agent_client, incident, agent):
    incident.severity = Severity.MINOR_FAULT
    incident.save()

    html = text_of(agent_client.get(change_url(incident)))

    assert f'action="{triage_url(incident)}"' in html
    assert re.search(r'<input type="radio" name="severity" value="3"[^>]*checked', html)
    assert re.search(rf'<option value="{agent.pk}" selected>', html)
    # The handbook's wording of each severity, beside its choice.
    assert "1 – System unavailable:" in html and "5 – Other faults" in html
    assert 'aria-describedby="id_reply_helptext"' in html


def test_no_triage_form_once_verified(agent_client, incident, agent):
    services.incident_verify(incident, actor=agent)

    assert triage_url(incident) not in text_of(agent_client.get(change_url(incident)))


def test_triage_in_one_post(triage, incident, agent, practice_user, mailoutbox):
    before = incident.events.count()

    response = triage(
        incident, severity="2", assignee=str(agent.pk), reply="We are looking at your printer queue now."
    )

    assert response.redirect_chain == [(change_url(incident), 302)]
    assert f"{incident.reference} verified and assigned to you; the practice was emailed your reply." in (
        messages_of(response)
    )
    incident.refresh_from_db()
    assert (incident.status, incident.severity, incident.assignee) == (Status.UNDER_REVIEW, 2, agent)
    kinds = list(incident.events.order_by("pk").values_list("kind", flat=True)[before:])
    assert kinds == ["status", "severity", "assigned", "note"]
    note = incident.events.get(kind="note")
    assert note.public and note.text == "We are looking at your printer queue now."
    assert len(mailoutbox) == 1  # one email for the four changes
    email = mailoutbox[0]
    assert email.to == [practice_user.email]
    assert email.subject == f"[{incident.reference}] Now under review"
    assert "We are looking at your printer queue now." in email.body
    assert "Severity: 2 – Major fault" in email.body


def test_triage_without_a_reply_or_a_new_severity(triage, incident, agent, mailoutbox):
    colleague = StaffFactory(full_name="Sam Patel")

    response = triage(incident, severity=str(incident.severity), assignee=str(colleague.pk), reply="")

    assert f"{incident.reference} verified and assigned to Sam Patel." in messages_of(response)
    incident.refresh_from_db()
    assert incident.status == Status.UNDER_REVIEW and incident.assignee == colleague
    assert not incident.events.filter(kind__in=["severity", "note"]).exists()
    assert len(mailoutbox) == 1


def test_a_refused_triage_saves_nothing(
    agent_client, incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    other = StaffFactory(full_name="Sam Patel")
    services.incident_verify(incident, actor=other)  # verified in another tab meanwhile
    before = snapshot(incident)
    events = incident.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            triage_url(incident), {"severity": "1", "assignee": str(agent.pk), "reply": "On it."}
        )

    assert response.status_code == 409
    assert f"Verify is not possible while {incident.reference} is under review." in text_of(response)
    assert snapshot(incident) == before
    assert incident.events.count() == events
    incident.refresh_from_db()
    assert incident.severity != 1 and incident.assignee is None
    assert mailoutbox == []


def test_an_nhs_number_in_the_reply_is_refused_beside_it(agent_client, incident, agent, mailoutbox):
    before = snapshot(incident)

    response = agent_client.post(
        triage_url(incident), {"severity": "3", "assignee": str(agent.pk), "reply": "Patient 943 476 5919."}
    )

    assert response.status_code == 400
    html = text_of(response)
    assert 'id="error-summary"' in html and 'href="#id_reply"' in html
    assert 'id="id_reply_error"' in html
    assert "looks like an NHS number" in html
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Confirmations in words ------------------------------------------------------------------------------


@pytest.fixture
def act(agent_client, django_capture_on_commit_callbacks):
    def do(incident, action, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = agent_client.post(f"{CHANGELIST}{incident.pk}/act/{action}/", data, follow=True)
        return messages_of(response)

    return do


def test_each_action_is_confirmed_in_words(act, incident, agent):
    colleague = StaffFactory(full_name="Sam Patel")
    ref = incident.reference

    assert act(incident, "verify", {"note": ""}) == [f"{ref} verified."]
    assert act(incident, "assign", {"assignee": colleague.pk}) == [f"{ref} assigned to Sam Patel."]
    assert act(incident, "assign", {"assignee": agent.pk}) == [f"{ref} assigned to you."]
    assert act(incident, "start_investigation", {"note": ""}) == [f"{ref} is being investigated."]
    assert act(incident, "await_customer", {"question": "Which printer?"}) == [
        f"{ref} is waiting for the practice."
    ]
    assert act(incident, "note", {"text": "Checked the spooler.", "public": "on"}) == [
        f"Note added to {ref} (the practice was emailed)."
    ]
    assert act(incident, "note", {"text": "Spooler looks fine."}) == [
        f"Internal note added to {ref} (not shown to the practice)."
    ]
    assert act(incident, "change_severity", {"severity": "2", "reason": "Two rooms."}) == [
        f"{ref} is now severity 2 – Major fault."
    ]
    assert act(incident, "start_investigation", {"note": ""}) == [f"{ref} is being investigated."]
    assert act(incident, "resolve", {"resolution": "Restarted the spooler."}) == [
        f"{ref} resolved; the practice has been asked to confirm."
    ]


# The change page of a logged incident (tests/incidents/test_admin_purge.py's CHANGE_PAGE_QUERIES, with the
# triage form's staff and canned replies), and once there are canned replies, the practice and product that
# fill them in, read once for all of them.
LOGGED_CHANGE_PAGE_QUERIES = 15
WITH_CANNED_REPLIES = LOGGED_CHANGE_PAGE_QUERIES + 2


def test_the_triage_forms_queries_do_not_grow_with_canned_replies(
    agent_client, incident, django_assert_num_queries
):
    agent_client.get(change_url(incident))
    with django_assert_num_queries(LOGGED_CHANGE_PAGE_QUERIES):
        assert agent_client.get(change_url(incident)).status_code == 200

    CannedReply.objects.create(title="One", text="About {reference}, {practice}.")
    with django_assert_num_queries(WITH_CANNED_REPLIES):
        assert agent_client.get(change_url(incident)).status_code == 200

    for number in range(5):
        CannedReply.objects.create(title=f"More {number}", text="{product} for {practice}, {agent}.")
    with django_assert_num_queries(WITH_CANNED_REPLIES):
        html = agent_client.get(change_url(incident)).content.decode()
    assert html.count("data-text=") == 6


def test_triage_to_severity_one_still_alerts_the_desk(
    triage, incident, agent, practice_user, mailoutbox, settings
):
    settings.SERVICE_DESK_ALERT_EMAILS = ["on-call@servicedesk.example.org"]

    triage(incident, severity="1", assignee=str(agent.pk), reply="")

    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [practice_user.email, "on-call@servicedesk.example.org"]
    )
    practice_email = next(m for m in mailoutbox if m.to == [practice_user.email])
    assert "Severity: 1 – System unavailable" in practice_email.body


def test_the_confirmation_does_not_claim_an_email_nobody_receives(triage, incident, practice_user, agent):
    """The reporter hears only of resolutions: the reply is on the incident's page, but the agent is told
    nobody was emailed, so that they telephone."""
    practice_user.email_updates = "resolutions"
    practice_user.save()

    response = triage(incident, severity="3", assignee=str(agent.pk), reply="We are on it.")

    assert messages_of(response) == [
        f"{incident.reference} verified and assigned to you; your reply is on its page, but nobody at the "
        "practice is emailed: telephone them."
    ]
