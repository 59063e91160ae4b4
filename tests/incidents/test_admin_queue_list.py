"""The desk's incident list in admin is a work queue (issue 17): it opens on the open incidents, the nearest
due first; filters for assignee, "practice replied", escalation and channel; severity 1 and overdue rows
marked in words as well as colour."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.services import incident_escalate
from incidents.models import Channel, Incident, Severity
from incidents.services import (
    incident_await_customer,
    incident_close_not_relevant,
    incident_start_investigation,
)
from tests.factories import IncidentFactory, StaffFactory
from tests.incidents.helpers import CHANGELIST_QUERIES
from tests.incidents.queue_helpers import CHANGELIST, cells, references, rows, taken_on


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return references(response.content.decode())


@pytest.fixture
def make(practice_user, product):
    def make(summary="Printer will not print", **fields):
        return IncidentFactory(reporter=practice_user, product=product, summary=summary, **fields)

    return make


def test_the_list_opens_on_the_open_incidents_with_the_closed_behind_a_filter(
    agent_client, make, practice_user
):
    still_open = make()
    closed = incident_close_not_relevant(make(), actor=practice_user, reason="Fixed itself.")

    assert listed(agent_client) == [still_open.reference]
    assert listed(agent_client, state="closed") == [closed.reference]
    assert sorted(listed(agent_client, state="all")) == sorted([still_open.reference, closed.reference])
    # A status chosen in the status filter is not hidden behind "Open".
    assert listed(agent_client, status__exact="closed") == [closed.reference]
    page = agent_client.get(CHANGELIST).content.decode()
    assert '<li class="selected">\n    <a href="?state=open">Open</a></li>' in page


def test_the_list_puts_what_is_due_first_and_paused_clocks_last(agent_client, make, agent):
    now = timezone.now()
    paused_earlier, paused_later = make(), make()
    for incident in (paused_earlier, paused_later):
        incident_start_investigation(taken_on(incident, agent, agent), actor=agent)
        incident_await_customer(incident, actor=agent, question="Which PC is it?")
    in_ten_hours, in_an_hour, response_in_three_hours, answer_overdue = make(), make(), make(), make()
    for incident in (in_ten_hours, in_an_hour):
        taken_on(incident, agent, agent)
    due = {
        in_ten_hours: {"resolution_due_at": now + timedelta(hours=10)},
        in_an_hour: {"resolution_due_at": now + timedelta(hours=1)},
        # Not yet answered: the response is what falls due next.
        response_in_three_hours: {
            "response_due_at": now + timedelta(hours=3),
            "resolution_due_at": now + timedelta(hours=30),
        },
        answer_overdue: {"response_due_at": now - timedelta(hours=2)},
    }
    for incident, times in due.items():
        Incident.objects.filter(pk=incident.pk).update(**times)

    assert listed(agent_client) == [
        incident.reference
        for incident in (
            answer_overdue, in_an_hour, response_in_three_hours, in_ten_hours, paused_later, paused_earlier,
        )
    ]  # fmt: skip


def test_the_assignee_filter_offers_me_unassigned_and_anyone(agent_client, make, agent):
    mine, nobodys = taken_on(make(), agent, agent), make()
    theirs = taken_on(make(), agent, StaffFactory())

    assert listed(agent_client, assignee="me") == [mine.reference]
    assert listed(agent_client, assignee="none") == [nobodys.reference]
    assert sorted(listed(agent_client)) == sorted(i.reference for i in (mine, nobodys, theirs))
    page = agent_client.get(CHANGELIST).content.decode()
    assert '<a href="?assignee=me">Me</a>' in page and ">Anyone</a>" in page


def test_the_escalated_and_channel_filters(agent_client, make, agent):
    escalated = incident_escalate(make(), actor=agent, reason="The practice cannot print prescriptions.")
    by_phone = make(channel=Channel.PHONE)

    assert listed(agent_client, escalated="yes") == [escalated.reference]
    assert listed(agent_client, escalated="no") == [by_phone.reference]
    assert listed(agent_client, channel__exact="phone") == [by_phone.reference]


def test_severity_one_and_overdue_rows_say_so_in_words(agent_client, make):
    severity_one = make(severity=Severity.SYSTEM_UNAVAILABLE)
    late = make()
    Incident.objects.filter(pk=late.pk).update(response_due_at=timezone.now() - timedelta(minutes=5))
    make()  # neither

    shown = rows(agent_client.get(CHANGELIST).content.decode())
    assert '<strong class="severity-one">1 – System unavailable</strong>' in shown[severity_one.reference]
    assert '<strong class="overdue">OVERDUE</strong>' in shown[late.reference]
    assert sum("severity-one" in row or "overdue" in row for row in shown.values()) == 2


def test_a_practice_reply_is_tagged_in_the_status_column(agent_client, make, agent):
    waiting = make()
    answered = taken_on(make(), agent, agent)

    page = agent_client.get(CHANGELIST).content.decode()
    statuses = dict(zip(references(page), cells(page, "status_shown"), strict=True))
    assert statuses[waiting.reference] == "Logged Practice replied"
    assert statuses[answered.reference] == "Under review"


def test_the_search_keeps_to_the_open_incidents_unless_asked(agent_client, make, practice_user):
    still_open = make(summary="Printer jams on labels")
    closed = incident_close_not_relevant(make(summary="Printer offline"), actor=practice_user, reason="Gone.")
    make(summary="Cannot log in")

    assert listed(agent_client, q="printer") == [still_open.reference]
    assert sorted(listed(agent_client, q="printer", state="all")) == sorted(
        [still_open.reference, closed.reference]
    )
    assert listed(agent_client, q=still_open.reference.lower()) == [still_open.reference]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"assignee": "me"},
        {"replied": "yes"},
        {"sla": "due_soon"},
        {"escalated": "yes"},
        {"state": "closed"},
    ],
)
def test_each_queue_takes_the_same_queries_however_many_incidents(
    agent_client, make, agent, outsider, django_assert_num_queries, params
):
    for _ in range(2):
        taken_on(make(), agent, agent)
    agent_client.get(CHANGELIST)  # the session, now in the cache
    for _ in range(2):
        with django_assert_num_queries(CHANGELIST_QUERIES):
            assert agent_client.get(CHANGELIST, params).status_code == 200
        IncidentFactory.create_batch(15, reporter=outsider)
