"""The "practice replied" marker (issue 17): each incident knows when the practice last added something and
when the desk last did, so "waiting on the desk" is a query (the list's "practice replied" filter)."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from incidents.models import Incident
from incidents.services import (
    incident_add_note,
    incident_assign,
    incident_close_not_relevant,
    incident_log,
    incident_read_remote_access,
    incident_resolve,
    incident_start_investigation,
    practice_update_remote_access,
)
from tests.conftest import login
from tests.factories import IncidentFactory, StaffFactory
from tests.incidents.queue_helpers import CHANGELIST, references, taken_on

REPLIED = {"replied": "yes"}


def waiting_on_the_desk(agent_client):
    return references(agent_client.get(CHANGELIST, REPLIED).content.decode())


def desk_note(agent_client, incident, text, public):
    data = {"text": text, **({"public": "on"} if public else {})}
    response = agent_client.post(f"{CHANGELIST}{incident.pk}/act/note/", data)
    assert response.status_code == 302


@pytest.fixture
def taken(incident, agent):
    """An incident the desk has verified and taken on: its entry is the latest."""
    return taken_on(incident, agent, agent)


def test_a_portal_note_marks_the_incident_and_a_desk_note_clears_it(
    client, taken, practice_user, agent, django_capture_on_commit_callbacks
):
    agent_client = login(client, agent)
    assert waiting_on_the_desk(agent_client) == []

    login(client, practice_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/incidents/{taken.reference}/notes/", {"text": "It happened again at 9."})
    assert response.status_code == 302
    agent_client = login(client, agent)
    assert waiting_on_the_desk(agent_client) == [taken.reference]

    with django_capture_on_commit_callbacks(execute=True):
        desk_note(agent_client, taken, "Looking at the server logs now.", public=True)
    assert waiting_on_the_desk(agent_client) == []


def test_an_internal_desk_note_clears_it_too(agent_client, taken, practice_user):
    incident_add_note(taken, actor=practice_user, text="Any news?")
    assert waiting_on_the_desk(agent_client) == [taken.reference]

    desk_note(agent_client, taken, "Asked the product team; nothing to tell the practice yet.", public=False)

    assert waiting_on_the_desk(agent_client) == []
    taken.refresh_from_db()
    assert taken.desk_last_entry_at > taken.practice_last_entry_at


def test_reading_and_routing_are_no_answer(agent_client, taken, practice_user, agent, team_leader):
    incident_add_note(taken, actor=practice_user, text="Any news?")

    incident_assign(taken, actor=agent, assignee=StaffFactory())  # reassigned: still unanswered
    incident_read_remote_access(taken, actor=team_leader)

    assert waiting_on_the_desk(agent_client) == [taken.reference]


def test_a_new_portal_incident_waits_on_the_desk_and_one_logged_by_the_desk_does_not(
    agent_client, practice_user, agent, product
):
    portal = IncidentFactory(reporter=practice_user, product=product)
    by_phone = IncidentFactory.build(reporter=practice_user, product=product, channel="phone")
    incident_log(by_phone, actor=agent, notify=False)

    assert waiting_on_the_desk(agent_client) == [portal.reference]


def test_a_rejection_or_a_remote_access_change_by_the_practice_marks_it(
    agent_client, taken, practice_user, agent, product
):
    incident_start_investigation(taken, actor=agent)
    incident_resolve(taken, actor=agent, resolution="Restarted the print spooler.")
    assert waiting_on_the_desk(agent_client) == []

    response = login(agent_client, practice_user).post(
        f"/incidents/{taken.reference}/reject/", {"reject-reason": "It fails again after a restart."}
    )
    assert response.status_code == 302
    assert waiting_on_the_desk(login(agent_client, agent)) == [taken.reference]

    other = taken_on(IncidentFactory(reporter=practice_user, product=product), agent, agent)
    practice_update_remote_access(practice_user.practice, actor=practice_user, details="AnyDesk 123 456 789")
    assert sorted(waiting_on_the_desk(agent_client)) == sorted([taken.reference, other.reference])


def test_a_closed_incident_waits_on_nobody(agent_client, incident, practice_user):
    incident_close_not_relevant(incident, actor=practice_user, reason="Fixed itself.")

    assert waiting_on_the_desk(agent_client) == []
    assert references(agent_client.get(CHANGELIST, {**REPLIED, "state": "all"}).content.decode()) == []


def _last_entries():
    rows = Incident.objects.values_list("pk", "practice_last_entry_at", "desk_last_entry_at")
    return {pk: (practice, desk) for pk, practice, desk in rows}


def test_the_migration_fills_both_times_from_the_timeline(incident, practice_user, agent):
    migration = importlib.import_module("incidents.migrations.0013_last_entries_and_open_queue")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        taken_on(incident, agent, agent)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        incident_add_note(incident, actor=practice_user, text="Thank you.")
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        incident_assign(incident, actor=agent, assignee=StaffFactory())  # reassigned: no answer
    by_phone = IncidentFactory.build(reporter=practice_user, product=incident.product, channel="phone")
    incident_log(by_phone, actor=agent, notify=False)
    kept = _last_entries()
    assert kept[incident.pk] == (start + timedelta(minutes=2), start + timedelta(minutes=1))
    assert kept[by_phone.pk] == (None, by_phone.events.get().created_at)  # logged by the desk
    Incident.objects.update(practice_last_entry_at=None, desk_last_entry_at=None)

    migration.fill_last_entries(apps, None)

    assert _last_entries() == kept
