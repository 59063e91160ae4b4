"""Where the log and note forms put their errors: the NHS-number warning and its confirmation beside the
field concerned, naming the matched text, and no message that repeats its field's label."""

import re

from incidents.models import Incident

NUMBER = "943 476 5919"
OTHER_NUMBER = "401 023 2137"


def page_of(response):
    return response.content.decode()


def next_field_after(html, field_id):
    """The id of the first field wrapper (crispy's div_id_..., or ours) that follows `field_id`'s."""
    start = html.index(f'id="div_id_{field_id}"') + 1
    return re.compile(r'id="div_id_(\w+)"').search(html, start).group(1)


def test_the_confirmation_sits_right_under_the_field_with_the_number(user_client, incident_data):
    response = user_client.post("/incidents/new/", {**incident_data, "description": f"Patient {NUMBER}"})

    html = page_of(response)
    assert response.status_code == 400
    assert next_field_after(html, "description") == "confirm_not_nhs_number"
    assert f"Description contains “{NUMBER}”, which looks like an NHS number." in html
    assert "tick “It is not an NHS number” under “Description”." in html
    assert f"It is not an NHS number: I confirm that “{NUMBER}” is not an NHS number" in html
    assert html.count('name="confirm_not_nhs_number"') == 1


def test_with_numbers_in_two_fields_the_second_says_where_the_confirmation_is(user_client, incident_data):
    response = user_client.post(
        "/incidents/new/",
        {**incident_data, "description": f"Patient {NUMBER}", "process": f"Typed {OTHER_NUMBER}"},
    )

    html = page_of(response)
    assert next_field_after(html, "description") == "confirm_not_nhs_number"  # the first with a number
    assert html.count("tick “It is not an NHS number” under “Description”.") == 4  # 2 in summary, 2 inline
    assert f"“{NUMBER}”, “{OTHER_NUMBER}” are not NHS numbers" in html


def test_the_error_summary_does_not_repeat_the_label(user_client, incident_data):
    response = user_client.post("/incidents/new/", {**incident_data, "description": f"Patient {NUMBER}"})

    html = page_of(response)
    assert "Description: Description contains" not in html
    assert f'href="#id_description">Description contains “{NUMBER}”' in html


def test_the_error_summary_still_names_a_field_whose_message_does_not(user_client, incident_data):
    response = user_client.post("/incidents/new/", {**incident_data, "summary": ""})

    assert 'href="#id_summary">Summary: This field is required.' in page_of(response)


def test_confirming_beside_the_field_logs_the_incident(user_client, incident_data):
    refused = user_client.post("/incidents/new/", {**incident_data, "description": f"Patient {NUMBER}"})
    shown = re.search(r'name="nhs_numbers_shown" value="([^"]+)"', page_of(refused)).group(1)

    response = user_client.post(
        "/incidents/new/",
        {
            **incident_data,
            "description": f"Patient {NUMBER}",
            "nhs_numbers_shown": shown,
            "confirm_not_nhs_number": "on",
        },
    )

    assert response.status_code == 302
    assert Incident.objects.get().description == f"Patient {NUMBER}"


def test_the_note_forms_confirmation_comes_before_its_files(user_client, incident):
    response = user_client.post(f"/incidents/{incident.reference}/notes/", {"text": f"Ref {NUMBER}"})

    html = page_of(response)
    assert response.status_code == 400
    assert next_field_after(html, "text") == "confirm_not_nhs_number"
    assert html.index('name="confirm_not_nhs_number"') < html.index('name="files"')
    assert f"Your note contains “{NUMBER}”" in html
    assert "tick “It is not an NHS number” under “Add a note”." in html
    assert "Add a note: " not in html


def test_the_error_summary_lists_problems_in_the_order_of_the_page(user_client, incident_data):
    data = {**incident_data, "contact_name": "", "product": "", "summary": "", "urgency": ""}
    html = page_of(user_client.post("/incidents/new/", data))

    summary = html[html.index('id="error-summary"') : html.index("</ul>", html.index('id="error-summary"'))]
    links = re.findall(r'href="#id_(\w+?)(?:_0)?"', summary)
    assert links == ["contact_name", "product", "summary", "urgency"]
