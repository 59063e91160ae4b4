"""Patient-identifiable data must not be stored: NHS numbers are refused unless the user vouches."""

import pytest

from incidents.forms import FREE_TEXT_FIELDS, IncidentForm
from incidents.models import Incident, TimelineEvent
from servicedesk.lib.nhs import find_nhs_numbers, is_valid_nhs_number
from tests.incidents.helpers import admin_change_data

VALID = "9434765919"
SPACED = "943 476 5919"
WRONG_CHECK_DIGIT = "9434765918"


def post_confirming(client, url, data):
    """Submit, see the warning, then tick the confirmation and submit again, as a person would."""
    warned = client.post(url, data)
    assert warned.status_code == (200 if "adminform" in warned.context else 400)  # admin re-renders with 200
    form = warned.context["adminform"].form if "adminform" in warned.context else warned.context["form"]
    token = form["nhs_numbers_shown"].value()
    assert token
    return client.post(url, {**data, "nhs_numbers_shown": token, "confirm_not_nhs_number": "on"})


# --- The detector -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        VALID,
        SPACED,
        f"Patient {SPACED} again",
        "943-476-5919",
        "4010232137",
        "943  476  5919",
        "943\n476 5919",
    ],
)
def test_nhs_numbers_are_found_written_together_or_spaced(text):
    assert len(find_nhs_numbers(text)) == 1


def test_the_number_is_reported_as_written():
    assert find_nhs_numbers(f"Record {SPACED} would not open") == [SPACED]


def test_a_wrong_check_digit_is_not_an_nhs_number():
    assert find_nhs_numbers(WRONG_CHECK_DIGIT) == []
    assert find_nhs_numbers("943 476 5918") == []


def test_a_remainder_of_eleven_gives_check_digit_zero():
    assert find_nhs_numbers("9434765080") == ["9434765080"]


@pytest.mark.parametrize("last_digit", range(10))
def test_a_check_digit_that_computes_to_ten_is_never_valid(last_digit):
    # 1*10 + 1*2 = 12, remainder 1, so the check digit would be 11 - 1 = 10: no NHS number starts so.
    number = f"100000001{last_digit}"

    assert not is_valid_nhs_number(number)
    assert find_nhs_numbers(number) == []


@pytest.mark.parametrize("text", [f"1{VALID}", f"{VALID}1", f"00{VALID}00", "Phone 019434765919"])
def test_ten_digits_inside_a_longer_run_are_ignored(text):
    assert find_nhs_numbers(text) == []


def test_empty_text_has_no_nhs_numbers():
    assert find_nhs_numbers("") == []
    assert find_nhs_numbers(None) == []


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
