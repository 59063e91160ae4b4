"""SLA targets per severity: standard defaults from a data migration, overridden per contract."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Contract
from incidents.models import SlaTarget
from incidents.sla import sla_terms


@pytest.mark.parametrize(
    ("severity", "response", "resolution"),
    [(1, 30, 240), (2, 60, 510), (3, 240, 2550), (4, 510, 10200), (5, 510, 5100)],
)
def test_every_severity_has_a_standard_target(db, severity, response, resolution):
    _, targets = sla_terms(None)

    assert targets[severity] == (response, resolution)


def test_a_contract_target_overrides_the_standard_for_its_severity_only(db):
    contract = Contract.objects.create(name="Premium")
    SlaTarget.objects.create(contract=contract, severity=2, response_minutes=15, resolution_minutes=120)

    assert sla_terms(contract.pk)[1][2] == (15, 120)
    assert sla_terms(contract.pk)[1][3] == (240, 2550)
    assert sla_terms(Contract.objects.create(name="Plain").pk)[1][2] == (60, 510)


def test_a_second_standard_target_for_a_severity_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaTarget.objects.create(contract=None, severity=1, response_minutes=10, resolution_minutes=20)


def test_admin_refuses_a_resolution_target_shorter_than_the_response_target(admin_client, db):
    response = admin_client.post(
        "/admin/incidents/slatarget/add/",
        {"severity": "3", "response_minutes": "600", "resolution_minutes": "60", "contract": ""},
    )

    assert response.status_code == 200
    assert "cannot be shorter than the response target" in response.content.decode()
