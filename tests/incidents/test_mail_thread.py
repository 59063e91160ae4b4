"""Incident emails that replies can thread to (issue 15, outgoing): each carries the reference in its subject,
a signed Message-ID that names its incident and refers to the thread's first email, and marks itself as
automatic. The practice's replies go to the intake; the desk's never do. A resolution email's "It works" and
"Still broken" links open the page's confirm and reject forms, which stay POST-only."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents import services
from incidents.mail_thread import new_message_id, reference_of, referenced_incident, thread_root_id
from incidents.models import Incident, Status
from tests.factories import IncidentFactory
from tests.incidents.lifecycle_helpers import drive_to
from tests.security.payloads import standard_ladder


def headers(message):
    """The message's headers as the mail server receives them."""
    return message.message()


def html_of(message):
    return message.alternatives[0][0]


@pytest.fixture
def emails(
    user_client,
    incident_data,
    practice_user,
    agent,
    team_leader,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """Every email of a severity 1 incident's life, logged through the portal: the confirmation and the
    desk's alert, status changes, notes both ways and a digest, severity, progress, escalation, a
    resolution, its reminder and the practice's rejection."""
    standard_ladder()
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    minutes = timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES)
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post("/incidents/new/", {**incident_data, "severity": "1", "will_telephone": "on"})
    incident = Incident.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_verify(incident, actor=agent, note="Checked")
        services.incident_start_investigation(incident, actor=agent)
        services.incident_add_note(incident, actor=agent, text="We will connect at 14:00.")
        services.incident_add_note(incident, actor=practice_user, text="Fine by us.")
        services.incident_add_note(incident, actor=practice_user, text="Any time after 13:30.")
        services.send_note_digests(timezone.now() + minutes)
        services.incident_change_severity(incident, actor=agent, severity=2, reason="A workaround exists")
        services.incident_request_progress(incident, actor=practice_user)
        incident_escalate(incident, actor=practice_user, reason="Urgent for us")
        services.incident_resolve(incident, actor=agent, resolution="Restarted the service")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_resolution_reminders(now=timezone.now() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_reject(incident, actor=practice_user, reason="Still broken")
    return incident, list(mailoutbox)


def test_every_email_of_an_incident_names_it_in_brackets_and_in_a_signed_message_id(emails):
    incident, messages = emails

    assert [message.subject.split("] ")[1].split(":")[0] for message in messages] == [
        "Incident logged",
        f"SEVERITY 1 at {incident.practice.name}",
        "Now under review",
        "Now investigating",
        "New note from the Service Desk",
        "The practice added a note",
        "The practice added 1 note",
        "Severity changed to 2 – Major fault",
        "Progress update requested",
        "Escalated to Customer Service Team Leader",
        "Resolved",
        "Reminder",
        "Reopened",
    ]
    for message in messages:
        assert message.subject.startswith(f"[{incident.reference}] ")
        assert reference_of(headers(message)["Message-ID"]) == incident.reference, message.subject
    assert len({headers(message)["Message-ID"] for message in messages}) == len(messages)


def test_the_logged_email_starts_the_thread_and_every_later_one_refers_to_it(emails):
    incident, (first, *later) = emails

    root = headers(first)["Message-ID"]
    assert root == thread_root_id(incident.reference)
    assert headers(first)["In-Reply-To"] is None and headers(first)["References"] is None
    for message in later:
        assert headers(message)["In-Reply-To"] == root, message.subject
        assert headers(message)["References"] == root, message.subject
        assert referenced_incident(headers(message)["In-Reply-To"], "") == incident.reference


def test_every_incident_email_is_marked_automatic_so_that_nothing_answers_it(emails):
    _, messages = emails

    for message in messages:
        assert headers(message)["Auto-Submitted"] == "auto-generated", message.subject
        assert headers(message)["X-Auto-Response-Suppress"] == "All", message.subject


def test_practice_emails_reply_to_the_intake_above_a_marked_line_and_desk_emails_never_do(
    emails, practice_user
):
    incident, messages = emails
    line = f"Reply above this line to add a note to {incident.reference}"

    to_practice = [message for message in messages if message.to == [practice_user.email]]
    to_desk = [message for message in messages if practice_user.email not in message.to]
    assert len(to_practice) == 7 and len(to_desk) == 6
    for message in to_practice:
        assert headers(message)["Reply-To"] == settings.INBOUND_EMAIL_ADDRESS, message.subject
        assert message.body.startswith(line), message.subject
        assert line in html_of(message), message.subject
    for message in to_desk:
        assert headers(message)["Reply-To"] == settings.SERVICE_DESK_NOTIFY_EMAIL, message.subject
        assert settings.INBOUND_EMAIL_ADDRESS not in message.to
        assert line not in message.body and line not in html_of(message), message.subject


# --- Signed Message-IDs ------------------------------------------------------------------------------


def test_a_message_id_with_another_incidents_signature_or_a_changed_reference_names_no_incident(db):
    ours, theirs = IncidentFactory(), IncidentFactory()
    genuine = new_message_id(ours.reference)
    local, _, domain = genuine.strip("<>").partition("@")
    reference, nonce, signature = local.split(".")
    other_signature = new_message_id(theirs.reference).strip("<>").partition("@")[0].rsplit(".")[-1]

    assert reference_of(genuine) == ours.reference
    assert reference_of(f"<{reference}.{nonce}.{other_signature}@{domain}>") is None
    assert reference_of(f"<{theirs.reference}.{nonce}.{signature}@{domain}>") is None
    assert reference_of(f"<{reference}.thread.{signature}@{domain}>") is None
    assert reference_of(f"<{reference}.{nonce}@{domain}>") is None
    assert reference_of(None) is None
    # A forged In-Reply-To is passed over for the genuine reference further back.
    forged = f"<{theirs.reference}.{nonce}.{signature}@{domain}>"
    assert referenced_incident(forged, f"{thread_root_id(ours.reference)} {genuine}") == ours.reference


def test_a_message_id_signed_with_another_key_names_no_incident_until_that_key_is_a_fallback(db):
    incident = IncidentFactory()
    with override_settings(SECRET_KEY="an-old-key-" * 5):
        old = new_message_id(incident.reference)

    assert reference_of(old) is None
    with override_settings(SECRET_KEY_FALLBACKS=["an-old-key-" * 5]):
        assert reference_of(old) == incident.reference  # a key rotated out keeps the threads it signed


# --- It works / Still broken ----------------------------------------------------------------------------


class _LinksAndForms(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.links, self.forms, self._href = [], {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._href = attrs["href"]
            self.links.append([self._href, ""])
        elif tag == "form" and "id" in attrs:
            self.forms[attrs["id"]] = attrs

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._href:
            self.links[-1][1] += data


@pytest.fixture
def resolution_email(incident, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resolved = drive_to(incident, Status.RESOLVED, agent=agent)
    return resolved, mailoutbox[-1]


def test_the_resolution_email_gives_it_works_and_still_broken_links_in_text_and_html(resolution_email):
    incident, message = resolution_email
    page = f"{settings.SITE_URL}{incident.get_absolute_url()}"

    assert re.search(r"It works \(confirm the solution\):\n(\S+)", message.body)[1] == f"{page}#confirm"
    assert re.search(r"Still broken \(reject it with a reason\):\n(\S+)", message.body)[1] == f"{page}#reject"
    links = dict((text, href) for href, text in _LinksAndForms(html_of(message)).links)
    assert links["It works: confirm the solution"] == f"{page}#confirm"
    assert links["Still broken: reject it with a reason"] == f"{page}#reject"
    assert "does not confirm or reject the solution" in message.body


@pytest.mark.parametrize("anchor", ["confirm", "reject"])
def test_each_resolution_link_opens_the_page_at_its_form_and_following_it_changes_nothing(
    resolution_email, user_client, anchor
):
    incident, message = resolution_email
    (link,) = [url for url in re.findall(r"https?://\S+", message.body) if url.endswith(f"#{anchor}")]

    response = user_client.get(urlsplit(link).path)

    assert response.status_code == 200
    form = _LinksAndForms(response.content.decode()).forms[urlsplit(link).fragment]
    assert form["method"] == "post"
    assert form["action"] == reverse(f"incidents:{anchor}", args=[incident.reference])
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert user_client.get(form["action"]).status_code == 405  # the action itself is never a GET
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


# --- The desk's address is not the intake's ---------------------------------------------------------------


def test_the_desk_notifications_are_sent_to_the_notify_address_not_the_intake(
    incident, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_add_note(incident, actor=practice_user, text="The printer jammed again.")

    (message,) = mailoutbox
    assert message.to == [settings.SERVICE_DESK_NOTIFY_EMAIL] != [settings.INBOUND_EMAIL_ADDRESS]


def test_the_system_check_refuses_a_notify_address_that_is_the_intakes():
    call_command("check")  # the settings as they are pass

    same = f" {settings.INBOUND_EMAIL_ADDRESS.upper()} "
    with override_settings(SERVICE_DESK_NOTIFY_EMAIL=same), pytest.raises(SystemCheckError, match="E001"):
        call_command("check")
