"""A contract's own words for its severities (admin: Severity wordings) are what its practices read."""

import pytest

from accounts.models import Contract
from incidents.models import SeverityWording
from incidents.services import incident_log
from incidents.templatetags.severity import wording
from incidents.wording import STANDARD, severity_wordings
from tests.factories import IncidentFactory, PracticeFactory, UserFactory


@pytest.fixture
def contract(db):
    contract = Contract.objects.create(name="Community hospitals")
    SeverityWording.objects.create(
        contract=contract, severity=3, name="Routine fault", description="Work goes on with a workaround."
    )
    return contract


def test_the_contracts_words_replace_the_standard_ones(contract, django_assert_num_queries):
    with django_assert_num_queries(1):
        wordings = severity_wordings(contract.pk)

    assert wordings[3].label == "3 – Routine fault" and wordings[3].own
    assert wordings[2] == STANDARD[2] and wordings[2].label == "2 – Major fault"
    assert severity_wordings(None) == STANDARD


def test_the_logged_email_names_the_severity_in_the_contracts_words(
    contract, product, django_capture_on_commit_callbacks, mailoutbox
):
    reporter = UserFactory(practice=PracticeFactory(contract=contract))
    incident = IncidentFactory.build(reporter=reporter, product=product, severity=3)

    with django_capture_on_commit_callbacks(execute=True):
        incident_log(incident, actor=reporter)

    (message,) = mailoutbox
    assert "Severity: 3 – Routine fault" in message.body
    assert "<li>Severity: 3 – Routine fault</li>" in message.alternatives[0][0]


def test_the_template_filter_falls_back_to_the_standard_words():
    assert str(wording(None, 1)) == "1 – System unavailable"
    assert str(wording({}, 4)) == "4 – Residual fault"


def test_agents_can_read_the_wordings_in_admin_and_only_administrators_change_them(agent_client, contract):
    listing = agent_client.get("/admin/incidents/severitywording/")
    assert listing.status_code == 200 and "Routine fault" in listing.content.decode()

    assert agent_client.get("/admin/incidents/severitywording/add/").status_code == 403


def test_agents_see_both_wordings_on_the_incidents_admin_page(agent_client, contract, product):
    incident = IncidentFactory(reporter=UserFactory(practice=PracticeFactory(contract=contract)), severity=3)

    page = agent_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()

    assert "3 – Minor fault" in page
    assert "Severity in the practice" in page and "3 – Routine fault: Work goes on with a workaround." in page


def test_the_practice_chooses_and_reads_the_severity_in_its_contracts_words(client, contract, product):
    from tests.conftest import login

    user = UserFactory(practice=PracticeFactory(contract=contract))
    incident = IncidentFactory(reporter=user, product=product, severity=3)
    login(client, user)

    form = client.get("/incidents/new/").content.decode()
    listing = client.get("/incidents/").content.decode()
    page = client.get(f"/incidents/{incident.reference}/").content.decode()

    assert "3 – Routine fault: Work goes on with a workaround." in form and "3 – Minor fault" not in form
    assert "3 – Routine fault" in listing and "3 – Minor fault" not in listing
    assert "Severity 3 – Routine fault" in page and "Work goes on with a workaround." in page
    assert "3 – Minor fault" not in page
