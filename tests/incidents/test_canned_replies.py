"""Canned replies: administrators keep them in admin; an agent inserts one into a note, a resolution or the
triage form's first reply, without JavaScript, filled in for the incident; the NHS guard checks the result."""

import pytest
from django.contrib.auth.models import Permission

from incidents.models import CannedReply, Status
from tests.factories import StaffFactory
from tests.incidents.lifecycle_helpers import drive_to, snapshot

CANNED = "/admin/incidents/cannedreply/"
NHS_NUMBER = "943 476 5919"  # passes the modulus-11 check


def action_url(incident, action):
    return f"/admin/incidents/incident/{incident.pk}/act/{action}/"


@pytest.fixture
def restart():
    return CannedReply.objects.create(
        title="Restart the print spooler",
        text="Hello {practice},\n\nAbout {reference} ({product}): please restart the print spooler."
        "\n\n{agent}",
    )


@pytest.fixture
def administrator(db):
    keeper = StaffFactory(full_name="Morgan Admin")
    codes = ["view_cannedreply", "add_cannedreply", "change_cannedreply"]
    keeper.user_permissions.set(Permission.objects.filter(codename__in=codes))
    return keeper


def insert(client, incident, action, reply, **typed):
    return client.post(
        action_url(incident, action), {**typed, "canned_reply": reply.pk, "insert_canned_reply": "Insert"}
    )


def test_insert_fills_the_note_without_saving(agent_client, incident, restart, mailoutbox):
    before, events = snapshot(incident), incident.events.count()

    response = insert(agent_client, incident, "note", restart, text="old draft")

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["text"] == (
        f"Hello {incident.practice.name},\n\nAbout {incident.reference} (Synergy Clinical): please restart "
        "the print spooler.\n\nCasey Agent"
    )
    assert form.initial["public"] is False  # as it was sent: the box was not ticked
    assert "old draft" not in response.content.decode()
    assert snapshot(incident) == before and incident.events.count() == events
    assert mailoutbox == []


def test_placeholders_are_filled_with_escaped_values(agent_client, incident, restart):
    incident.practice.name = "Elm <b>Surgery</b> & Co"
    incident.practice.save()

    html = insert(agent_client, incident, "note", restart).content.decode()

    assert "Hello Elm &lt;b&gt;Surgery&lt;/b&gt; &amp; Co," in html
    assert "<b>Surgery</b>" not in html


def test_insert_keeps_what_else_was_typed_in_a_resolution(agent_client, incident, agent, restart):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)

    response = insert(agent_client, incident, "resolve", restart, resolution="", is_workaround="on")

    assert response.status_code == 200
    assert response.context["form"].initial["is_workaround"] is True
    assert "please restart the print spooler" in response.context["form"].initial["resolution"]
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


def test_insert_into_the_triage_reply(agent_client, incident, restart):
    response = insert(agent_client, incident, "triage", restart, severity="2", assignee="")

    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["severity"] == "2"
    assert form.initial["reply"].startswith(f"Hello {incident.practice.name}")
    incident.refresh_from_db()
    assert incident.status == Status.LOGGED


def test_insert_with_nothing_chosen_says_so(agent_client, incident):
    response = agent_client.post(
        action_url(incident, "note"), {"text": "kept", "canned_reply": "", "insert_canned_reply": "Insert"}
    )

    assert response.status_code == 200
    assert "Choose a canned reply to insert." in response.content.decode()
    assert response.context["form"].initial["text"] == "kept"


def test_sending_an_inserted_reply_adds_the_note(
    agent_client, incident, restart, mailoutbox, django_capture_on_commit_callbacks
):
    text = insert(agent_client, incident, "note", restart).context["form"].initial["text"]

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            action_url(incident, "note"), {"text": text, "public": "on", "canned_reply": restart.pk}
        )

    assert response.status_code == 302
    assert incident.events.filter(kind="note", text=text.strip(), public=True).exists()
    assert len(mailoutbox) == 1


def test_an_nhs_number_in_the_result_is_refused(agent_client, incident, mailoutbox):
    # Kept before the guard, or typed into the practice's details: the guard checks the text that is sent.
    slipped = CannedReply.objects.create(title="Old", text=f"Patient {NHS_NUMBER}, {{reference}}.")
    text = insert(agent_client, incident, "note", slipped).context["form"].initial["text"]
    events = incident.events.count()

    response = agent_client.post(action_url(incident, "note"), {"text": text, "public": "on"})

    assert response.status_code == 400
    assert "looks like an NHS number" in response.content.decode()
    assert incident.events.count() == events
    assert mailoutbox == []


# --- Keeping them in admin ----------------------------------------------------------------------------------


def test_administrators_keep_canned_replies(client, administrator):
    client.force_login(administrator)

    response = client.post(
        f"{CANNED}add/", {"title": "Thanks", "text": "Thank you, {practice}. {agent}, Service Desk"}
    )

    assert response.status_code == 302
    assert CannedReply.objects.get().title == "Thanks"


def test_an_unknown_placeholder_is_refused_by_name(client, administrator):
    client.force_login(administrator)

    response = client.post(
        f"{CANNED}add/", {"title": "Bad", "text": "Dear {patient_name}, about {reference}"}
    )

    assert response.status_code == 200
    assert "“{patient_name}” is not a placeholder we can fill." in response.content.decode()
    assert not CannedReply.objects.exists()


def test_an_nhs_number_in_a_canned_reply_is_refused(client, administrator):
    client.force_login(administrator)

    response = client.post(f"{CANNED}add/", {"title": "Bad", "text": f"See patient {NHS_NUMBER}."})

    assert response.status_code == 200
    assert "looks like an NHS number" in response.content.decode()
    assert not CannedReply.objects.exists()


def test_agents_choose_canned_replies_but_do_not_keep_them(agent_client, restart, incident):
    assert agent_client.get(f"{CANNED}add/").status_code == 403
    assert "Restart the print spooler" in agent_client.get(action_url(incident, "note")).content.decode()


def test_insert_on_a_form_without_canned_replies_is_an_ordinary_post(agent_client, incident, agent):
    """Only the note, resolve and triage forms take a canned reply; a crafted Insert on another action's
    form is checked and refused like any other post of it, not a server error."""
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    before = snapshot(incident)

    response = agent_client.post(action_url(incident, "await_customer"), {"insert_canned_reply": "Insert"})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert snapshot(incident) == before
