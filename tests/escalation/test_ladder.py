"""The escalation ladder: SPEC's six levels in order, the managed-service rung skipped for contracts
without one, and escalation by hand one rung at a time with a reason on the timeline."""

import pytest

from accounts.models import Contract
from escalation.models import EscalationLevel
from escalation.services import incident_deescalate, incident_escalate, ladder_for
from incidents.exceptions import InvalidTransition
from incidents.models import TimelineEvent
from tests.factories import IncidentFactory, StaffFactory

STANDARD_ROLES = [
    "Customer Service Team Leader",
    "Customer Service Manager",
    "Head of Customer Services",
    "Project Director",
    "Operational Services Director",
]


def test_the_standard_ladder_is_seeded_in_order(db):
    roles = list(EscalationLevel.objects.values_list("role_name", flat=True))

    assert roles == [STANDARD_ROLES[0], "Customer Liaison Officer", *STANDARD_ROLES[1:]]


def test_the_customer_liaison_officer_applies_only_to_managed_service_contracts(db):
    managed = Contract.objects.create(name="Managed", managed_service=True)
    plain = Contract.objects.create(name="Plain")

    assert [level.role_name for level in ladder_for(plain)] == STANDARD_ROLES
    assert [level.role_name for level in ladder_for(managed)][1] == "Customer Liaison Officer"


@pytest.fixture
def managed_incident(practice_user, product):
    practice = practice_user.practice
    practice.contract = Contract.objects.create(name="Managed", managed_service=True)
    practice.save()
    return IncidentFactory(reporter=practice_user, product=product)


def test_a_practice_user_asks_for_escalation_and_the_level_contacts_are_told(
    incident, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    leader = StaffFactory(email="leader@servicedesk.example")
    EscalationLevel.objects.get(position=1).contacts.add(leader)

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_escalate(incident, actor=practice_user, reason="No progress in two days")

    assert incident.escalation_level.role_name == "Customer Service Team Leader"
    event = incident.events.get(kind=TimelineEvent.Kind.ESCALATED)
    assert (event.old_value, event.new_value, event.text) == (
        "Service Desk", "Customer Service Team Leader", "No progress in two days",
    )  # fmt: skip
    assert mailoutbox[-1].to == ["leader@servicedesk.example"]
    assert incident.reference in mailoutbox[-1].subject


def test_escalation_skips_the_liaison_officer_without_a_managed_service(incident, agent):
    incident = incident_escalate(incident, actor=agent, reason="Customer unhappy")
    incident = incident_escalate(incident, actor=agent, reason="Still unhappy")

    assert incident.escalation_level.role_name == "Customer Service Manager"


def test_a_managed_service_incident_goes_to_its_liaison_officer_second(managed_incident, agent):
    incident = incident_escalate(managed_incident, actor=agent, reason="Customer unhappy")
    incident = incident_escalate(incident, actor=agent, reason="Still unhappy")

    assert incident.escalation_level.role_name == "Customer Liaison Officer"


def test_de_escalation_steps_down_and_finally_returns_to_the_desk(incident, agent):
    incident = incident_escalate(incident, actor=agent, reason="Urgent")
    incident = incident_escalate(incident, actor=agent, reason="More urgent")

    incident = incident_deescalate(incident, actor=agent, reason="Workaround in place")
    assert incident.escalation_level.role_name == "Customer Service Team Leader"
    incident = incident_deescalate(incident, actor=agent, reason="Resolved the concern")
    assert incident.escalation_level is None
    with pytest.raises(InvalidTransition, match="not escalated"):
        incident_deescalate(incident, actor=agent, reason="Again")


def test_the_top_of_the_ladder_cannot_be_passed(incident, agent):
    for _ in STANDARD_ROLES:
        incident = incident_escalate(incident, actor=agent, reason="Up")

    with pytest.raises(InvalidTransition, match="top of the escalation ladder"):
        incident_escalate(incident, actor=agent, reason="Further")


@pytest.mark.parametrize("who", ["outsider", "practice_user_deescalating", "no_reason"])
def test_escalation_refusals(incident, outsider, practice_user, agent, who):
    with pytest.raises(InvalidTransition):
        if who == "outsider":
            incident_escalate(incident, actor=outsider, reason="Not mine")
        elif who == "practice_user_deescalating":
            incident_escalate(incident, actor=agent, reason="Up")
            incident_deescalate(incident, actor=practice_user, reason="Down")
        else:
            incident_escalate(incident, actor=agent, reason="  ")


def test_de_escalation_tells_the_level_now_holding_it(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    manager = StaffFactory(email="manager@servicedesk.example")
    EscalationLevel.objects.get(position=1).contacts.add(manager)
    incident = incident_escalate(incident, actor=agent, reason="Urgent")
    incident = incident_escalate(incident, actor=agent, reason="More urgent")

    with django_capture_on_commit_callbacks(execute=True):
        incident_deescalate(incident, actor=agent, reason="Team leader can handle it")

    assert mailoutbox[-1].to == ["manager@servicedesk.example"]
    assert mailoutbox[-1].subject == f"[{incident.reference}] De-escalated to Customer Service Team Leader"
