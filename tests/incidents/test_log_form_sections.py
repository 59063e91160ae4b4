"""The log form in the handbook's sections, the product first, severity and urgency explained together."""

import re

from incidents.models import Channel
from tests.factories import IncidentFactory


def test_the_log_form_has_the_five_sections_in_order(user_client):
    html = user_client.get("/incidents/new/").content.decode()

    legends = re.findall(r"<legend[^>]*>\s*([^<]+?)\s*</legend>", html)
    sections = ["About you and the practice", "What happened", "The checklist", "Files", "Remote access"]
    assert [legend for legend in legends if legend in sections] == sections


def test_each_section_carries_the_handbooks_wording(user_client):
    html = user_client.get("/incidents/new/").content.decode()

    assert "available to approve remote access or system downtime" in html
    assert "what was running when the error occurred" in html
    assert "treated in the strictest confidence" in html
    assert "must not show or contain any patient-identifiable data" in html


def test_the_product_is_chosen_before_the_problem_is_described(user_client):
    html = user_client.get("/incidents/new/").content.decode()

    assert html.index('name="product"') < html.index('name="summary"') < html.index('name="description"')


def test_severity_and_urgency_are_explained_together(user_client):
    html = user_client.get("/incidents/new/").content.decode()

    block = html[html.index('class="severity-urgency"') :]
    assert block.index("Severity and urgency: two different questions") < block.index('name="severity"')
    assert block.index('name="severity"') < block.index('name="urgency"')
    assert "How soon your practice needs it working again." in html


def test_the_details_form_has_no_files_or_severity_sections(user_client, practice_user):
    emailed = IncidentFactory(reporter=practice_user, channel=Channel.EMAIL, product=None)
    html = user_client.get(f"/incidents/{emailed.reference}/details/").content.decode()

    assert "<legend" in html
    assert ">Files<" not in html
    assert 'name="severity"' not in html
    assert 'name="urgency"' in html


def test_the_form_names_its_draft_by_user_and_says_whether_it_is_fresh(
    user_client, practice_user, incident_data
):
    fresh = user_client.get("/incidents/new/").content.decode()
    refused = user_client.post("/incidents/new/", {**incident_data, "summary": ""}).content.decode()

    assert f'data-draft-key="incident-new:{practice_user.pk}"' in fresh
    assert 'data-draft-fresh="true"' in fresh
    assert 'data-draft-fresh="false"' in refused  # it shows what was typed: no draft is offered over it
    assert "Restore your draft" in fresh and "Discard" in fresh


def test_remote_access_details_are_never_kept_in_a_draft(user_client):
    html = user_client.get("/incidents/new/").content.decode()

    field = re.search(r'<textarea name="remote_access_details"[^>]*>', html).group()
    assert 'data-draft-skip="true"' in field


def test_the_confirmation_after_logging_tells_the_browser_to_drop_the_draft(
    user_client, incident_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/new/", incident_data, follow=True)

    assert "data-draft-sent" in response.content.decode()
