"""Agents move incidents along the lifecycle in Django admin: one action page per transition, bulk
actions on the list, and releases that resolve their incidents when they ship."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from incidents.models import Incident, Release, Severity, Status, TimelineEvent
from incidents.services import incident_schedule_fix
from tests.factories import IncidentFactory, ProductFactory, StaffFactory
from tests.incidents.helpers import admin_change_data
from tests.incidents.lifecycle_helpers import drive_to, make_release, snapshot
from tests.sample_files import png

CHANGELIST = "/admin/incidents/incident/"
RELEASES = "/admin/incidents/release/"
DESK_INBOX = settings.SERVICE_DESK_NOTIFY_EMAIL


def change_url(incident):
    return f"{CHANGELIST}{incident.pk}/change/"


def action_url(incident, action):
    return f"{CHANGELIST}{incident.pk}/act/{action}/"


def text_of(response):
    return response.content.decode()


@pytest.fixture
def act(agent_client, django_capture_on_commit_callbacks):
    """POST an action page as the agent, running what is queued on commit (the emails)."""

    def do(incident, action, data):
        with django_capture_on_commit_callbacks(execute=True):
            return agent_client.post(action_url(incident, action), data)

    return do


def at(incident, status, agent):
    return drive_to(incident, status, agent=agent)


def assert_done(response, incident):
    assert response.status_code == 302
    assert response.url == change_url(incident)


# --- The change page offers what the status allows ---------------------------------------------------


def offered(response, incident):
    prefix = f'href="{CHANGELIST}{incident.pk}/act/'
    html = text_of(response)
    return sorted(part.split("/", 1)[0] for part in html.split(prefix)[1:])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.LOGGED, ["verify"]),
        (Status.UNDER_REVIEW, ["mark_duplicate", "start_investigation"]),
        (Status.INVESTIGATING, ["await_customer", "mark_duplicate", "resolve", "schedule_fix"]),
        (Status.AWAITING_CUSTOMER, ["mark_duplicate", "start_investigation"]),
        (Status.FIX_SCHEDULED, ["mark_duplicate", "resolve"]),
        (Status.RESOLVED, ["confirm_by_phone"]),
    ],
)
def test_the_change_page_offers_the_allowed_actions(agent_client, incident, agent, status, expected):
    incident = at(incident, status, agent)

    response = agent_client.get(change_url(incident))

    assert response.status_code == 200
    always = ["assign", "change_severity", "escalate", "link_related", "note"]
    known_issue = ["declare_known_issue", "link_known_issue"]  # an open incident with a product (issue 19)
    assert offered(response, incident) == sorted([*expected, *always, *known_issue])


def test_a_closed_incident_offers_only_a_note_and_a_link(agent_client, incident, agent):
    incident = at(incident, Status.CLOSED, agent)

    assert offered(agent_client.get(change_url(incident)), incident) == ["link_related", "note"]


def test_the_logged_page_links_verify_by_name_and_not_resolve(agent_client, incident):
    html = text_of(agent_client.get(change_url(incident)))

    assert f'<a href="{action_url(incident, "verify")}">Verify</a>' in html
    assert action_url(incident, "resolve") not in html
    assert ">Resolve<" not in html


def test_status_is_read_only_in_the_change_form(agent_client, incident):
    page = text_of(agent_client.get(change_url(incident)))

    assert 'name="status"' not in page
    assert '<div class="readonly">Logged</div>' in page

    response = agent_client.post(change_url(incident), admin_change_data(incident, status="closed"))

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.LOGGED
    assert incident.closed_at is None


# --- Each action page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "field"),
    [
        (Status.LOGGED, "verify", "note"),
        (Status.UNDER_REVIEW, "start_investigation", "note"),
        (Status.INVESTIGATING, "await_customer", "question"),
        (Status.INVESTIGATING, "schedule_fix", "release"),
        (Status.INVESTIGATING, "resolve", "resolution"),
        (Status.RESOLVED, "confirm_by_phone", "confirmed_by"),
        (Status.LOGGED, "change_severity", "reason"),
        (Status.LOGGED, "assign", "assignee"),
        (Status.LOGGED, "note", "text"),
    ],
)
def test_each_action_page_shows_its_form_and_changes_nothing(
    agent_client, incident, agent, status, action, field
):
    incident = at(incident, status, agent)
    before = snapshot(incident)

    response = agent_client.get(action_url(incident, action))

    assert response.status_code == 200
    html = text_of(response)
    assert f'name="{field}"' in html
    assert f"currently <strong>{incident.get_status_display().lower()}</strong>" in html
    assert snapshot(incident) == before


def test_verify(act, incident, practice_user, agent, mailoutbox):
    response = act(incident, "verify", {"note": "Checked the details with the practice."})

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.UNDER_REVIEW
    event = incident.events.last()
    assert (event.actor, event.old_value, event.new_value) == (agent, Status.LOGGED, Status.UNDER_REVIEW)
    assert event.text == "Checked the details with the practice."
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert mailoutbox[0].subject == f"[{incident.reference}] Now under review"


def test_the_success_message_names_the_incident(agent_client, incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(action_url(incident, "verify"), {"note": ""}, follow=True)

    assert f"{incident.reference} verified." in text_of(response)


def test_start_investigation(act, incident, agent):
    incident = at(incident, Status.UNDER_REVIEW, agent)

    response = act(incident, "start_investigation", {"note": ""})

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


def test_await_customer_needs_a_question(act, incident, agent, mailoutbox):
    incident = at(incident, Status.INVESTIGATING, agent)
    before = snapshot(incident)

    response = act(incident, "await_customer", {"question": "  "})

    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_await_customer_asks_the_practice(act, incident, practice_user, agent, mailoutbox):
    incident = at(incident, Status.INVESTIGATING, agent)

    response = act(incident, "await_customer", {"question": "Which printer model do you use?"})

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.AWAITING_CUSTOMER
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert "Which printer model do you use?" in mailoutbox[0].body


def test_schedule_fix_offers_only_coming_releases_of_the_product(agent_client, incident, agent, product):
    incident = at(incident, Status.INVESTIGATING, agent)
    coming = make_release(product, version="5.5.0")
    shipped = make_release(product, version="5.4.9", shipped_on="2025-01-10")
    elsewhere = make_release(ProductFactory(name="Docman"), version="8.0.0")

    html = text_of(agent_client.get(action_url(incident, "schedule_fix")))

    offered = f'<option value="{coming.pk}">Synergy Clinical 5.5.0 (planned) – due 14 March 2031</option>'
    assert offered in html
    assert f'value="{shipped.pk}"' not in html
    assert f'value="{elsewhere.pk}"' not in html
    assert "Docman" not in html


def test_schedule_fix(act, incident, agent, product, practice_user, mailoutbox):
    incident = at(incident, Status.INVESTIGATING, agent)
    release = make_release(product, version="5.5.0", kind=Release.Kind.EMERGENCY)

    response = act(
        incident, "schedule_fix", {"release": release.pk, "workaround": "Print from the PDF preview."}
    )

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.FIX_SCHEDULED
    assert incident.release == release
    assert incident.software_fault is True
    assert incident.workaround == "Print from the PDF preview."
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert "Print from the PDF preview." in mailoutbox[0].body


def test_schedule_fix_refuses_another_products_release(act, incident, agent, mailoutbox):
    incident = at(incident, Status.INVESTIGATING, agent)
    elsewhere = make_release(ProductFactory(name="Docman"), version="8.0.0")
    before = snapshot(incident)

    response = act(incident, "schedule_fix", {"release": elsewhere.pk, "workaround": ""})

    assert response.status_code == 400
    assert "Select a valid choice." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_resolve_needs_a_resolution(act, incident, agent, mailoutbox):
    incident = at(incident, Status.INVESTIGATING, agent)
    before = snapshot(incident)

    response = act(incident, "resolve", {"resolution": "", "is_workaround": "on"})

    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


@pytest.mark.parametrize("workaround", [True, False])
def test_resolve_saves_the_solution_and_asks_the_practice_to_confirm(
    act, incident, agent, practice_user, mailoutbox, workaround
):
    incident = at(incident, Status.INVESTIGATING, agent)
    data = {"resolution": "Print from the PDF preview."} | ({"is_workaround": "on"} if workaround else {})

    response = act(incident, "resolve", data)

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolution == "Print from the PDF preview."
    assert incident.resolution_is_workaround is workaround
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert "please confirm or reject" in mailoutbox[0].subject
    assert f"{incident.get_absolute_url()}#confirm" in mailoutbox[0].body
    assert f"{incident.get_absolute_url()}#reject" in mailoutbox[0].body
    assert ("temporary workaround" in mailoutbox[0].body) is workaround


def test_resolve_a_scheduled_fix(act, incident, agent):
    incident = at(incident, Status.FIX_SCHEDULED, agent)

    assert_done(act(incident, "resolve", {"resolution": "Fixed in 9.1."}), incident)
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_confirm_by_phone_needs_the_name_of_who_confirmed(act, incident, agent, mailoutbox):
    incident = at(incident, Status.RESOLVED, agent)
    before = snapshot(incident)

    response = act(incident, "confirm_by_phone", {"confirmed_by": ""})

    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_confirm_by_phone_closes_and_records_who_confirmed(act, incident, agent, practice_user, mailoutbox):
    incident = at(incident, Status.RESOLVED, agent)

    response = act(incident, "confirm_by_phone", {"confirmed_by": "Dr Lee, practice manager"})

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.closed_at is not None
    event = incident.events.last()
    assert (event.kind, event.actor) == (TimelineEvent.Kind.CONFIRMED, agent)
    assert event.text == "Confirmed by telephone by Dr Lee, practice manager."
    assert [m.to for m in mailoutbox] == [[practice_user.email]]


def test_change_severity_needs_a_reason(act, incident, mailoutbox):
    before = snapshot(incident)

    response = act(incident, "change_severity", {"severity": "2", "reason": ""})

    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_change_severity(act, incident, agent, practice_user, mailoutbox):
    response = act(
        incident, "change_severity", {"severity": "2", "reason": "No one can print prescriptions."}
    )

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.severity == Severity.MAJOR_FAULT
    event = incident.events.last()
    assert event.kind == TimelineEvent.Kind.SEVERITY
    assert (event.old_value, event.new_value) == ("3 – Minor fault", "2 – Major fault")
    assert event.text == "No one can print prescriptions."
    assert [m.to for m in mailoutbox] == [[practice_user.email]]


def test_assign(act, incident, agent, team_leader, mailoutbox):
    response = act(incident, "assign", {"assignee": team_leader.pk})

    assert_done(response, incident)
    incident.refresh_from_db()
    assert incident.assignee == team_leader
    event = incident.events.last()
    assert (event.kind, event.public) == (TimelineEvent.Kind.ASSIGNED, False)
    assert mailoutbox == []  # internal: the practice is not told


def test_assign_offers_only_staff(agent_client, incident, practice_user, team_leader):
    html = text_of(agent_client.get(action_url(incident, "assign")))

    assert f'value="{team_leader.pk}"' in html
    assert f'value="{practice_user.pk}"' not in html


def test_an_internal_note_is_kept_from_the_practice(act, client, incident, practice_user, mailoutbox):
    response = act(incident, "note", {"text": "Suspect the practice's print server."})

    assert_done(response, incident)
    note = incident.events.last()
    assert (note.kind, note.public) == (TimelineEvent.Kind.NOTE, False)
    assert mailoutbox == []
    client.force_login(practice_user)
    portal = text_of(client.get(incident.get_absolute_url()))
    assert escape("Suspect the practice's print server.") not in portal
    assert "print server" not in portal


def test_a_public_note_is_emailed_and_shown_to_the_practice(act, client, incident, practice_user, mailoutbox):
    response = act(incident, "note", {"text": "Please restart the print spooler.", "public": "on"})

    assert_done(response, incident)
    assert incident.events.last().public is True
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert mailoutbox[0].subject == f"[{incident.reference}] New note from the Service Desk"
    assert "Please restart the print spooler." in mailoutbox[0].body
    client.force_login(practice_user)
    assert "Please restart the print spooler." in text_of(client.get(incident.get_absolute_url()))


def test_an_agent_note_with_an_attachment(act, incident):
    screenshot = SimpleUploadedFile("queue.png", png())

    response = act(incident, "note", {"text": "Queue view.", "public": "on", "files": [screenshot]})

    assert_done(response, incident)
    assert [a.original_name for a in incident.events.last().attachments.all()] == ["queue.png"]


def test_an_agent_note_with_a_disguised_file_is_refused(act, incident, mailoutbox):
    before = snapshot(incident)
    disguised = SimpleUploadedFile("queue.png", b"MZ\x90\x00" + b"\x00" * 32)

    response = act(incident, "note", {"text": "Queue view.", "public": "on", "files": [disguised]})

    assert response.status_code == 400
    assert "queue.png is not a file we accept." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "data", "message"),
    [
        (Status.LOGGED, "resolve", {"resolution": "Done."}, "Resolve is not possible while {ref} is logged."),
        (
            Status.LOGGED,
            "start_investigation",
            {"note": ""},
            "Start investigating is not possible while {ref} is logged.",
        ),
        (
            Status.INVESTIGATING,
            "confirm_by_phone",
            {"confirmed_by": "Dr Lee"},
            "Record a confirmation by telephone is not possible while {ref} is investigating.",
        ),
        (Status.CLOSED, "verify", {"note": ""}, "Verify is not possible while {ref} is closed."),
        (Status.CLOSED, "change_severity", {"severity": "1", "reason": "Down."}, "{ref} is closed."),
    ],
)
def test_an_illegal_action_is_refused_with_409_and_changes_nothing(
    act, incident, agent, mailoutbox, status, action, data, message
):
    incident = at(incident, status, agent)
    before = snapshot(incident)

    response = act(incident, action, data)

    assert response.status_code == 409
    assert message.format(ref=incident.reference) in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_an_unknown_action_is_not_found(agent_client, incident):
    assert agent_client.get(action_url(incident, "delete")).status_code == 404
    assert agent_client.post(action_url(incident, "close_not_relevant"), {"reason": "x"}).status_code == 404
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED


def test_an_unknown_incident_is_not_found(agent_client, incident):
    assert agent_client.get(f"{CHANGELIST}999999/act/verify/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_practice_user_is_sent_to_the_admin_login(client, practice_user, incident, method):
    client.force_login(practice_user)
    before = snapshot(incident)

    response = getattr(client, method)(action_url(incident, "verify"), {"note": ""})

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert snapshot(incident) == before


def test_staff_without_the_change_permission_are_refused(client, incident):
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(viewer)
    before = snapshot(incident)

    response = client.post(action_url(incident, "verify"), {"note": ""})

    assert response.status_code == 403
    assert snapshot(incident) == before


def test_staff_who_may_only_view_see_the_incident_read_only(client, incident):
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(viewer)

    response = client.get(f"/admin/incidents/incident/{incident.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(incident.summary) in page
    assert 'name="summary"' not in page  # shown, not editable


# --- Bulk actions on the list ---------------------------------------------------------------------------


@pytest.fixture
def bulk(agent_client, django_capture_on_commit_callbacks):
    def do(url, action, *objects):
        with django_capture_on_commit_callbacks(execute=True):
            return agent_client.post(
                url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True
            )

    return do


def test_bulk_verify_verifies_the_logged_and_reports_the_rest(bulk, incident, practice_user, agent, product):
    second = IncidentFactory(reporter=practice_user, product=product)
    investigating = at(IncidentFactory(reporter=practice_user, product=product), Status.INVESTIGATING, agent)

    response = bulk(CHANGELIST, "verify_selected", incident, second, investigating)

    assert response.status_code == 200
    statuses = dict(Incident.objects.values_list("pk", "status"))
    assert statuses == {
        incident.pk: Status.UNDER_REVIEW,
        second.pk: Status.UNDER_REVIEW,
        investigating.pk: Status.INVESTIGATING,
    }
    html = text_of(response)
    assert "2 incidents verified." in html
    assert f"Verify is not possible while {investigating.reference} is investigating." in html
    assert 'class="warning"' in html


def test_bulk_start_investigation(bulk, incident, agent):
    incident = at(incident, Status.UNDER_REVIEW, agent)

    response = bulk(CHANGELIST, "start_investigation_selected", incident)

    assert "1 incident under investigation." in text_of(response)
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


def test_bulk_assign_to_me(bulk, incident, practice_user, agent, product):
    second = IncidentFactory(reporter=practice_user, product=product)
    closed = at(IncidentFactory(reporter=practice_user, product=product), Status.CLOSED, agent)

    # The list of all incidents: the list as it opens shows only the open ones, so offers no closed one.
    response = bulk(f"{CHANGELIST}?state=all", "assign_to_me", incident, second, closed)

    assigned = dict(Incident.objects.values_list("pk", "assignee"))
    assert assigned == {incident.pk: agent.pk, second.pk: agent.pk, closed.pk: None}
    assert "2 incidents assigned." in text_of(response)
    assert f"{closed.reference} is closed." in text_of(response)


# --- Releases -------------------------------------------------------------------------------------------


@pytest.fixture
def scheduled(practice_user, outsider, product, agent):
    """A release with two incidents of two practices scheduled into it, and one that is elsewhere."""
    release = make_release(product, version="5.5.0")
    incidents = []
    for reporter in (practice_user, outsider):
        incident = at(IncidentFactory(reporter=reporter, product=product), Status.INVESTIGATING, agent)
        incidents.append(incident_schedule_fix(incident, actor=agent, release=release))
    other = at(IncidentFactory(reporter=practice_user, product=product), Status.FIX_SCHEDULED, agent)
    return release, incidents, other


def _confirm_shipping(agent_client, django_capture_on_commit_callbacks, release):
    """Answer "Yes, mark shipped" on the confirmation page the action leads to (issue 17)."""
    with django_capture_on_commit_callbacks(execute=True):
        return agent_client.post(f"{RELEASES}mark-shipped/", {"ids": str(release.pk)}, follow=True)


def test_marking_a_release_shipped_resolves_its_incidents_and_asks_to_confirm(
    bulk, scheduled, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    release, incidents, other = scheduled
    asked = bulk(RELEASES, "mark_shipped", release)
    assert "Yes, mark shipped" in text_of(asked)
    assert Release.objects.get(pk=release.pk).shipped_on is None

    response = _confirm_shipping(agent_client, django_capture_on_commit_callbacks, release)

    assert "Release Synergy Clinical 5.5.0 marked shipped: 2 incidents resolved" in text_of(response)
    release.refresh_from_db()
    assert release.shipped_on is not None
    for incident in incidents:
        incident.refresh_from_db()
        assert incident.status == Status.RESOLVED
        assert incident.resolution.startswith("Fixed in Synergy Clinical 5.5.0, released ")
    assert Incident.objects.get(pk=other.pk).status == Status.FIX_SCHEDULED
    assert sorted(m.to[0] for m in mailoutbox) == sorted(i.reporter.email for i in incidents)
    assert all("please confirm or reject" in m.subject for m in mailoutbox)


def test_marking_a_shipped_release_again_changes_nothing(
    scheduled, mailoutbox, agent_client, django_capture_on_commit_callbacks
):
    release, incidents, _ = scheduled
    _confirm_shipping(agent_client, django_capture_on_commit_callbacks, release)
    mailoutbox.clear()
    before = [snapshot(incident) for incident in incidents]
    shipped_on = Release.objects.get(pk=release.pk).shipped_on

    response = _confirm_shipping(agent_client, django_capture_on_commit_callbacks, release)

    assert "Release Synergy Clinical 5.5.0 had already shipped." in text_of(response)
    assert [snapshot(incident) for incident in incidents] == before
    assert Release.objects.get(pk=release.pk).shipped_on == shipped_on
    assert mailoutbox == []


def test_staff_who_may_only_view_releases_cannot_ship_one(client, scheduled, mailoutbox):
    release, incidents, _ = scheduled
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_release"))
    client.force_login(viewer)

    client.post(RELEASES, {"action": "mark_shipped", "_selected_action": [release.pk]})

    assert Release.objects.get(pk=release.pk).shipped_on is None
    assert all(Incident.objects.get(pk=i.pk).status == Status.FIX_SCHEDULED for i in incidents)


def test_the_release_list_counts_the_incidents_waiting(agent_client, scheduled):
    release, _, _ = scheduled

    html = text_of(agent_client.get(RELEASES))

    assert '<td class="field-scheduled_incidents">2</td>' in html


def test_a_resolution_holding_an_nhs_number_is_refused_until_confirmed(act, incident, agent, mailoutbox):
    investigating = at(incident, Status.INVESTIGATING, agent)
    data = {"resolution": "Record of 943 476 5919 repaired"}

    refused = act(investigating, "resolve", data)
    token = refused.context["form"]["nhs_numbers_shown"].value()
    accepted = act(
        investigating, "resolve", {**data, "nhs_numbers_shown": token, "confirm_not_nhs_number": "on"}
    )

    assert refused.status_code == 400
    assert "“943 476 5919”, which looks like an NHS number" in text_of(refused)
    assert_done(accepted, investigating)
    investigating.refresh_from_db()
    assert investigating.status == Status.RESOLVED
    assert investigating.events.filter(kind="nhs_override", actor=agent).exists()


def test_a_severity_change_is_named_in_the_email_and_on_the_practice_page(
    act, incident, agent, mailoutbox, practice_user
):
    act(incident, "change_severity", {"severity": "2", "reason": "Affects every prescription"})

    assert mailoutbox[-1].subject == f"[{incident.reference}] Severity changed to 2 – Major fault"
    assert "3 – Minor fault → 2 – Major fault" in mailoutbox[-1].body
    practice = Client()
    practice.force_login(practice_user)
    assert "3 – Minor fault → 2 – Major fault" in practice.get(incident.get_absolute_url()).content.decode()
