"""The incident page's note keeps a draft in the browser tab, as the log form does (issue 16): the page names
the draft by user and incident and says whether the form is fresh; the confirmation of a sent note tells the
browser to drop that draft only (static/js/portal.js, static/js/form_draft.js)."""

from tests.factories import IncidentFactory

NUMBER = "943 476 5919"


def test_the_note_form_names_its_draft_by_user_and_incident(user_client, practice_user, incident, product):
    other = IncidentFactory(reporter=practice_user, product=product)

    page = user_client.get(incident.get_absolute_url()).content.decode()
    other_page = user_client.get(other.get_absolute_url()).content.decode()

    assert f'data-draft-key="incident-note:{practice_user.pk}:{incident.reference}"' in page
    assert f'data-draft-key="incident-note:{practice_user.pk}:{other.reference}"' in other_page
    assert f'data-draft-owner="{practice_user.pk}"' in page
    assert 'data-draft-fresh="true"' in page
    assert "You have a draft of a note" in page and "Restore your draft" in page
    assert "js/form_draft" in page


def test_a_refused_note_is_not_fresh(user_client, incident):
    refused = user_client.post(f"/incidents/{incident.reference}/notes/", {"text": f"Patient {NUMBER}"})

    assert refused.status_code == 400
    assert 'data-draft-fresh="false"' in refused.content.decode()  # it shows what was typed


def test_the_confirmation_of_a_sent_note_names_its_draft(user_client, practice_user, incident):
    sent = user_client.post(f"/incidents/{incident.reference}/notes/", {"text": "Still frozen"}, follow=True)

    html = sent.content.decode()
    assert "Your note has been added" in html
    assert f'data-draft-sent="draft-sent incident-note:{practice_user.pk}:{incident.reference}"' in html


def test_the_confirmation_of_a_logged_incident_names_the_log_forms_draft(
    user_client, practice_user, incident_data
):
    logged = user_client.post("/incidents/new/", incident_data, follow=True)

    html = logged.content.decode()
    assert "Its reference is" in html
    assert f'data-draft-sent="draft-sent incident-new:{practice_user.pk}"' in html
