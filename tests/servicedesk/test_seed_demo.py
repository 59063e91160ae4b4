"""`make run` loads the demo with `manage.py seed_demo`: it must be repeatable and show the lifecycle."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from escalation.models import LevelContact
from escalation.services import contacts_for
from incidents.models import CannedReply, Incident, Status


def test_seed_demo_refuses_with_debug_off_unless_told(db):
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_twice_gives_the_same_data_with_incidents_along_the_lifecycle(db, capsys):
    call_command("seed_demo", "--allow-without-debug")
    first = (User.objects.count(), Incident.objects.count())
    call_command("seed_demo", "--allow-without-debug")

    assert (User.objects.count(), Incident.objects.count()) == first
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert {Status.LOGGED, Status.RESOLVED, Status.FIX_SCHEDULED} <= statuses
    output = capsys.readouterr().out
    assert "alex.morgan@riverside.example" in output
    assert "casey.agent@servicedesk.example" in output
    assert User.objects.get(email="alex.morgan@riverside.example").check_password("Demo-Portal-2026!")
    escalated = Incident.objects.get(escalation_level__isnull=False)
    assert escalated.escalation_level.contacts.filter(email="robin.lead@servicedesk.example").exists()
    # The handbook's ladder: a team leader per product, the managed-service contract's liaison officer.
    contacts = {
        (c.level.position, c.person.email, str(c.product or ""), str(c.contract or ""))
        for c in LevelContact.objects.select_related("level", "person", "product", "contract")
    }
    assert contacts == {
        (1, "robin.lead@servicedesk.example", "Synergy Clinical", ""),
        (1, "drew.fletcher@servicedesk.example", "Synergy Appointments", ""),
        (2, "morgan.ellis@servicedesk.example", "", "Managed service"),
    }
    assert [p.email for p in contacts_for(escalated.escalation_level, escalated)] == [
        "robin.lead@servicedesk.example"
    ]
    # The desk's canned replies, each filled in without a placeholder left over.
    incident = Incident.objects.filter(status=Status.LOGGED).first()
    agent = User.objects.get(email="casey.agent@servicedesk.example")
    filled = [reply.fill(incident, agent) for reply in CannedReply.objects.order_by("title")]
    assert len(filled) == 4 and not any("{" in text for text in filled)
