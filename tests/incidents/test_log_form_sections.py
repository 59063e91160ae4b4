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
