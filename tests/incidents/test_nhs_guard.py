"""Patient-identifiable data must not be stored: NHS numbers are refused unless the user vouches."""

import pytest

from incidents.forms import IncidentForm
from incidents.models import Incident, TimelineEvent
from tests.incidents.helpers import admin_change_data

VALID = "9434765919"
SPACED = "943 476 5919"
WRONG_CHECK_DIGIT = "9434765918"
# Everything a person types on the log form. The contact number too: an NHS number typed there would
# otherwise slip through.
FREE_TEXT_FIELDS = (
    "contact_name", "contact_number", "summary", "impact", "description", "version", "machine_name",
    "onscreen_messages", "what_was_running", "process", "worked_before_when", "what_changed",
    "recent_upgrades", "remote_access_constraints", "remote_access_details",
)  # fmt: skip
# The number as it looks on the screen, and as the message shows it (tests/servicedesk/test_nhs_numbers.py
# lists every separator and invisible character covered).
DISGUISED = [
    ("943.476.5919", "943.476.5919"),
    ("943/476/5919", "943/476/5919"),
    ("(943) 476\u20135919", "(943) 476\u20135919"),
    ("94 34 76 59 19", "94 34 76 59 19"),
    ("9\u200b4\u200b3\u200b4\u200b7\u200b6\u200b5\u200b9\u200b1\u200b9", VALID),
    ("\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19", SPACED),
]


def post_confirming(client, url, data):
    """Submit, see the warning, then tick the confirmation and submit again, as a person would."""
    warned = client.post(url, data)
    assert warned.status_code == (200 if "adminform" in warned.context else 400)  # admin re-renders with 200
    form = warned.context["adminform"].form if "adminform" in warned.context else warned.context["form"]
    token = form["nhs_numbers_shown"].value()
    assert token
    return client.post(url, {**data, "nhs_numbers_shown": token, "confirm_not_nhs_number": "on"})


# --- The portal's log form ----------------------------------------------------------------------


def _label(practice, name):
    label = str(IncidentForm(practice=practice).fields[name].label)
    return label[0].upper() + label[1:]


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
def test_an_nhs_number_in_any_free_text_field_is_refused(
    user_client, practice, incident_data, field, django_capture_on_commit_callbacks, mailoutbox
):
    incident_data[field] = f"Patient {SPACED}"

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/new/", incident_data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f"{_label(practice, field)} contains “{SPACED}”, which looks like an NHS number" in html
    assert 'name="confirm_not_nhs_number"' in html
    assert not Incident.objects.exists()
    assert mailoutbox == []


def test_a_number_with_a_wrong_check_digit_is_accepted(user_client, incident_data):
    incident_data["description"] = f"Error code {WRONG_CHECK_DIGIT} on screen"

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    assert Incident.objects.get().description == f"Error code {WRONG_CHECK_DIGIT} on screen"


def test_confirming_it_is_not_an_nhs_number_saves_and_records_the_override(
    user_client, practice, practice_user, incident_data
):
    incident_data["summary"] = f"Licence {SPACED} rejected"
    incident_data["onscreen_messages"] = f"Key {VALID} invalid"

    response = post_confirming(user_client, "/incidents/new/", incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.summary == f"Licence {SPACED} rejected"
    event = incident.events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE)
    assert event.actor == practice_user
    assert _label(practice, "summary") in event.text
    assert _label(practice, "onscreen_messages") in event.text
    assert "Not an NHS number (confirmed)" in user_client.get(response.url).content.decode()


def test_a_confirmation_ticked_before_any_warning_does_not_let_a_number_through(user_client, incident_data):
    incident_data["description"] = f"Patient {SPACED}"
    incident_data["confirm_not_nhs_number"] = "on"

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_number_added_after_the_warning_is_refused_even_when_confirmed(user_client, incident_data):
    incident_data["summary"] = f"Licence {SPACED} rejected"
    warned = user_client.post("/incidents/new/", incident_data)
    token = warned.context["form"]["nhs_numbers_shown"].value()
    incident_data.update(
        description="Also patient 401 023 2137", nhs_numbers_shown=token, confirm_not_nhs_number="on"
    )

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert "“401 023 2137”, which looks like an NHS number" in response.content.decode()
    assert not Incident.objects.exists()


def test_a_forged_confirmation_token_is_refused(user_client, incident_data):
    incident_data.update(
        summary=f"Licence {SPACED}", nhs_numbers_shown='["9434765919"]', confirm_not_nhs_number="on"
    )

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_no_override_is_recorded_when_there_was_nothing_to_confirm(user_client, incident_data):
    incident_data["confirm_not_nhs_number"] = "on"

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    assert Incident.objects.exists()
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.NHS_OVERRIDE).exists()


# --- The admin add form -------------------------------------------------------------------------


def test_admin_add_form_refuses_an_nhs_number(client, agent, admin_incident_data):
    client.force_login(agent)
    admin_incident_data["description"] = f"Caller read out {SPACED}"

    response = client.post("/admin/incidents/incident/add/", admin_incident_data)

    assert response.status_code == 200
    assert f"Description contains “{SPACED}”, which looks like an NHS number" in response.content.decode()
    assert not Incident.objects.exists()


def test_admin_add_form_records_the_agents_override(client, agent, admin_incident_data):
    client.force_login(agent)
    admin_incident_data["description"] = f"Caller read out {SPACED}"

    response = post_confirming(client, "/admin/incidents/incident/add/", admin_incident_data)

    assert response.status_code == 302
    event = Incident.objects.get().events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE)
    assert event.actor == agent
    assert "Description" in event.text


def test_admin_change_form_records_the_agents_override(client, agent, incident):
    client.force_login(agent)
    data = admin_change_data(incident, description=f"Caller read out {SPACED}")
    url = f"/admin/incidents/incident/{incident.pk}/change/"

    refused = client.post(url, data)
    accepted = post_confirming(client, url, data)

    assert refused.status_code == 200
    assert f"Description contains “{SPACED}”" in refused.content.decode()
    assert accepted.status_code == 302
    incident.refresh_from_db()
    assert incident.description == f"Caller read out {SPACED}"
    event = incident.events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE)
    assert event.actor == agent
    assert "Description" in event.text


# --- Numbers disguised by punctuation, invisible characters or other digits ------------------------------


@pytest.mark.parametrize(("written", "shown"), DISGUISED)
def test_a_disguised_number_is_refused_on_the_log_form(user_client, incident_data, written, shown):
    incident_data["description"] = f"Patient {written} cannot book"

    response = user_client.post("/incidents/new/", incident_data)

    assert response.status_code == 400
    assert f"Description contains “{shown}”, which looks like an NHS number" in response.content.decode()
    assert not Incident.objects.exists()


def test_a_disguised_number_may_still_be_confirmed_as_not_an_nhs_number(
    user_client, practice_user, incident_data
):
    incident_data["summary"] = "Licence 943.476.5919 rejected"

    response = post_confirming(user_client, "/incidents/new/", incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.summary == "Licence 943.476.5919 rejected"
    assert incident.events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE).actor == practice_user


@pytest.mark.parametrize(("written", "shown"), DISGUISED)
def test_a_disguised_number_is_refused_in_a_note(user_client, incident, written, shown):
    response = user_client.post(f"/incidents/{incident.reference}/notes/", {"text": f"Patient {written}"})

    assert response.status_code == 400
    assert f"contains “{shown}”, which looks like an NHS number" in response.content.decode()
    assert not incident.events.filter(kind=TimelineEvent.Kind.NOTE).exists()


def test_a_disguised_number_is_refused_in_an_agents_note_on_an_action(agent_client, incident):
    url = f"/admin/incidents/incident/{incident.pk}/act/verify/"

    response = agent_client.post(url, {"note": "Seen for patient 943.476.5919"})

    assert response.status_code == 400
    assert "contains “943.476.5919”, which looks like an NHS number" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "logged"


# --- The purge reason, kept in the audit entry -------------------------------------------------------


@pytest.mark.parametrize("reason", [f"Named patient {SPACED}", "Named patient 943/476/5919"])
def test_a_purge_reason_that_repeats_an_nhs_number_is_refused_and_nothing_is_purged(
    agent_client, incident, practice_user, reason
):
    from incidents.services import incident_add_note

    event = incident_add_note(incident, actor=practice_user, text="Mrs Example's record")
    url = f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/"

    response = agent_client.post(url, {"reason": reason})

    assert response.status_code == 400
    page = response.content.decode()
    assert "The reason contains “" in page and "”, which looks like an NHS number" in page
    assert 'name="confirm_not_nhs_number"' not in page
    event.refresh_from_db()
    assert event.purged_at is None and event.text == "Mrs Example's record"
    assert not incident.events.filter(kind=TimelineEvent.Kind.PURGED).exists()


@pytest.mark.parametrize(("written", "shown"), DISGUISED)
def test_a_disguised_number_is_refused_in_a_reason_for_closing(user_client, incident, written, shown):
    response = user_client.post(
        f"/incidents/{incident.reference}/close/", {"close-reason": f"Patient {written}"}
    )

    assert response.status_code == 400
    assert f"The reason contains “{shown}”, which looks like an NHS number" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "logged"
