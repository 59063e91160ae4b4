"""The NHS-number warning marks the match in a preview of the field's text (issue 16): under each refused
field, before the confirmation, the text as typed with the number in <mark> and the rest escaped; never for
remote-access connection details, which are not shown back."""

import re

import pytest

from tests.factories import IncidentFactory

NUMBER = "943 476 5919"
OTHER_NUMBER = "401 023 2137"


def preview_of(html, field_id):
    """The inner HTML of the preview under the field `field_id` (its id attribute, e.g. "id_description")."""
    found = re.search(rf'<div class="nhs-preview" id="{field_id}_nhs_preview">(.*?)</div>', html, re.S)
    assert found, f"no preview under {field_id}"
    return found.group(1)


def marked_text(preview):
    return re.search(r'<p class="nhs-preview-text">(.*?)</p>', preview, re.S).group(1)


# --- The log form -----------------------------------------------------------------------------------


def test_a_refused_description_is_previewed_under_it_with_the_number_marked(user_client, incident_data):
    response = user_client.post(
        "/incidents/new/", {**incident_data, "description": f"Search for {NUMBER} fails"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    preview = preview_of(html, "id_description")
    assert "Where we found it in “Description”" in preview
    assert marked_text(preview) == f"Search for <mark>{NUMBER}</mark> fails"
    # Under the field, before the confirmation that sits beside it.
    assert html.index('id="div_id_description"') < html.index("id_description_nhs_preview")
    assert html.index("id_description_nhs_preview") < html.index('id="nhs-confirm"')


def test_the_rest_of_the_text_is_escaped_and_its_line_breaks_kept(user_client, incident_data):
    typed = f'<script>alert("x")</script>\nPatient {NUMBER} & <b>bold</b>\n\nlast line'

    html = user_client.post("/incidents/new/", {**incident_data, "description": typed}).content.decode()

    assert marked_text(preview_of(html, "id_description")) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n"
        f"Patient <mark>{NUMBER}</mark> &amp; &lt;b&gt;bold&lt;/b&gt;\n\nlast line"
    )
    assert '<script>alert("x")' not in html
    assert "<b>bold</b>" not in html


@pytest.mark.parametrize(
    "written",
    [
        "(943) 476\u20135919",
        "9\u200b4\u200b3\u200b4\u200b7\u200b6\u200b5\u200b9\u200b1\u200b9",  # zero-width spaces between
        "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19",  # full-width digits
    ],
)
def test_a_disguised_number_is_marked_as_it_was_typed(user_client, incident_data, written):
    html = user_client.post(
        "/incidents/new/", {**incident_data, "summary": f"Ref {written}!"}
    ).content.decode()

    assert marked_text(preview_of(html, "id_summary")) == f"Ref <mark>{written}</mark>!"


def test_every_field_with_a_number_has_its_own_preview(user_client, incident_data):
    data = {**incident_data, "description": f"Patient {NUMBER}", "process": f"Typed {OTHER_NUMBER} twice"}

    html = user_client.post("/incidents/new/", data).content.decode()

    assert marked_text(preview_of(html, "id_description")) == f"Patient <mark>{NUMBER}</mark>"
    assert marked_text(preview_of(html, "id_process")) == f"Typed <mark>{OTHER_NUMBER}</mark> twice"
    assert "Where we found it in “Process”" in preview_of(html, "id_process")
    assert 'id="id_summary_nhs_preview"' not in html  # a field without a number has none


def test_two_numbers_in_one_field_are_both_marked(user_client, incident_data):
    text = f"First {NUMBER}, then {OTHER_NUMBER}."

    html = user_client.post("/incidents/new/", {**incident_data, "description": text}).content.decode()

    assert marked_text(preview_of(html, "id_description")) == (
        f"First <mark>{NUMBER}</mark>, then <mark>{OTHER_NUMBER}</mark>."
    )


def test_remote_access_details_are_never_previewed(user_client, incident_data):
    secret = f"TeamViewer {NUMBER} password hunter2"

    html = user_client.post(
        "/incidents/new/", {**incident_data, "remote_access_details": secret}
    ).content.decode()

    assert f"contains “{NUMBER}”, which looks like an NHS number" in html
    assert 'id="id_remote_access_details_nhs_preview"' not in html
    assert "<mark>" not in html


def test_once_confirmed_the_preview_is_gone_even_if_something_else_is_missing(user_client, incident_data):
    refused = user_client.post("/incidents/new/", {**incident_data, "description": f"Patient {NUMBER}"})
    shown = refused.context["form"]["nhs_numbers_shown"].value()

    data = {**incident_data, "description": f"Patient {NUMBER}", "summary": ""}
    again = user_client.post(
        "/incidents/new/", {**data, "nhs_numbers_shown": shown, "confirm_not_nhs_number": "on"}
    )

    html = again.content.decode()
    assert "Summary: This field is required." in html
    assert "nhs-preview" not in html


def test_the_details_form_of_an_emailed_incident_previews_a_refused_field(user_client, practice_user):
    emailed = IncidentFactory(reporter=practice_user, channel="email", product=None)
    url = f"/incidents/{emailed.reference}/details/"
    data = {
        **{k: v for k, v in user_client.get(url).context["form"].initial.items() if v is not None},
        "what_was_running": f"Looking up {NUMBER}",
    }

    html = user_client.post(url, data).content.decode()

    assert marked_text(preview_of(html, "id_what_was_running")) == f"Looking up <mark>{NUMBER}</mark>"


# --- The incident page's forms ------------------------------------------------------------------------


def test_a_refused_note_is_previewed_between_the_note_and_its_confirmation(user_client, incident):
    typed = f"<img src=x onerror=alert(1)> Patient {NUMBER}\nagain"

    response = user_client.post(f"/incidents/{incident.reference}/notes/", {"text": typed})

    html = response.content.decode()
    assert response.status_code == 400
    preview = preview_of(html, "id_text")
    assert "Where we found it in your note" in preview
    assert marked_text(preview) == f"&lt;img src=x onerror=alert(1)&gt; Patient <mark>{NUMBER}</mark>\nagain"
    assert "<img src=x" not in html
    assert html.index('id="div_id_text"') < html.index("id_text_nhs_preview") < html.index('id="nhs-confirm"')


def test_a_refused_reason_is_previewed(user_client, incident):
    response = user_client.post(
        f"/incidents/{incident.reference}/escalate/", {"escalate-reason": f"Patient {NUMBER} waiting"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    preview = preview_of(html, "id_escalate-reason")
    assert "Where we found it in the reason" in preview
    assert marked_text(preview) == f"Patient <mark>{NUMBER}</mark> waiting"


def test_remote_access_time_constraints_are_previewed_but_connection_details_never(user_client, incident):
    data = {
        "remote-allowed": "on",
        "remote-constraints": f"Not {NUMBER}",
        "remote-details": f"ID {OTHER_NUMBER}",
    }

    html = user_client.post(f"/incidents/{incident.reference}/remote-access/", data).content.decode()

    assert marked_text(preview_of(html, "id_remote-constraints")) == f"Not <mark>{NUMBER}</mark>"
    assert f"contains “{OTHER_NUMBER}”" in html
    assert "id_remote-details_nhs_preview" not in html
    assert f"<mark>{OTHER_NUMBER}</mark>" not in html


def test_the_practices_connection_details_are_never_previewed(user_client):
    response = user_client.post("/incidents/remote-access/", {"details": f"AnyDesk {NUMBER}"})

    html = response.content.decode()
    assert response.status_code == 400
    assert f"contains “{NUMBER}”" in html
    assert "nhs-preview" not in html
