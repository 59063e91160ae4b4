"""/escalations/ reads as words (issue 17, "Team leaders"): time left in support time ("3 h 10 min of support
time", "Overdue by 3 days 30 min of support time", a day being 8 h 30 min of support time), why a clock is
paused, who escalated each incident, when and why, and who acknowledged it; its queries do not grow with the
number of incidents."""

import re
from datetime import datetime

import pytest
import time_machine

from escalation.models import EscalationLevel
from escalation.services import escalate_overdue, incident_deescalate, incident_escalate
from incidents.services import incident_add_note
from servicedesk.lib.support_hours import LONDON, support_time_in_words
from tests.escalation.helpers import QUEUE_QUERIES
from tests.factories import IncidentFactory, StaffFactory
from tests.incidents.lifecycle_helpers import perform


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _at_fixed_dates():
    """Every test here runs wholly at fixed dates: its people, ladder and calendars are made early on
    16 November 2026, before the first incident (autouse fixtures come first); each step then travels to
    its own time."""
    with time_machine.travel(london(2026, 11, 16, 8, 0), tick=False):
        yield


@pytest.fixture
def leader(team_leader, standard_ladder):
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    return team_leader


def escalated(practice_user, product, *, logged_at, severity=2, reason="The practice is chasing."):
    """An incident logged at `logged_at` and escalated at once by the practice, with its reason."""
    with time_machine.travel(logged_at, tick=False):
        incident = IncidentFactory(reporter=practice_user, product=product, severity=severity)
        return incident_escalate(incident, actor=practice_user, reason=reason)


def card(page, incident):
    """The text of the incident's card, tags stripped and spaces collapsed, as a person reads it."""
    start = page.index(f'id="escalation-{incident.pk}"')
    block = page[start : page.index("</article>", start)]
    return " ".join(re.sub(r"<[^>]+>", "", block).split())


def queue_at(client, user, *when):
    """The queue as `user` reads it at `when`, signed in just then."""
    with time_machine.travel(london(*when), tick=False):
        client.force_login(user)
        response = client.get("/escalations/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (60, "1 h"),
        (190, "3 h 10 min"),
        (509, "8 h 29 min"),
        (510, "1 day"),
        (630, "1 day 2 h"),
        (1560, "3 days 30 min"),
        (2550, "5 days"),
    ],
)
def test_support_time_in_words_counts_days_of_8_h_30_min(minutes, words):
    assert support_time_in_words(minutes) == words


def test_time_left_reads_in_hours_and_minutes_of_support_time(client, leader, practice_user, product):
    # Severity 2: resolved within a day of support time (510 min), so due at 17:30 the same day.
    incident = escalated(practice_user, product, logged_at=london(2026, 11, 25, 9, 0))

    page = queue_at(client, leader, 2026, 11, 25, 14, 20)

    assert "3 h 10 min of support time (target Wed 25 Nov, 17:30)" in card(page, incident)
    assert "a day is 8 h 30 min of support time" in page


def test_time_overdue_counts_support_days_of_8_h_30_min(client, leader, practice_user, product):
    # Due Monday 16 November 17:30. Tuesday, Wednesday and Thursday are three support days (1530 min),
    # and Friday 09:00 to 09:30 half an hour more: 26 support hours overdue in all.
    late = escalated(practice_user, product, logged_at=london(2026, 11, 16, 9, 0))
    # Due Tuesday 17 November 17:30; by Friday 11:00, Wednesday and Thursday (1020 min) and two hours.
    later = escalated(practice_user, product, logged_at=london(2026, 11, 17, 9, 0))

    page = queue_at(client, leader, 2026, 11, 20, 11, 0)

    assert "Overdue by 3 days 2 h of support time" in card(page, late)
    assert "Overdue by 2 days 2 h of support time" in card(page, later)
    assert page.index(late.reference) < page.index(later.reference)  # the most overdue first

    page = queue_at(client, leader, 2026, 11, 20, 9, 30)
    assert "Overdue by 3 days 30 min of support time" in card(page, late)
    page = queue_at(client, leader, 2026, 11, 18, 11, 0)
    assert "Overdue by 1 day 2 h of support time" in card(page, late)


@pytest.mark.parametrize(
    ("action", "words"),
    [
        ("await_customer", "Paused: waiting for the practice"),
        ("schedule_fix", "Paused: waiting for the release with the fix"),
        ("resolve", "Paused: waiting for the practice to confirm the solution"),
    ],
)
def test_a_paused_clock_says_what_it_waits_for(client, leader, agent, practice_user, product, action, words):
    incident = escalated(practice_user, product, logged_at=london(2026, 11, 25, 9, 0))
    with time_machine.travel(london(2026, 11, 25, 10, 0), tick=False):
        for step in ["verify", "start_investigation", action]:
            incident = perform(step, incident, actor=agent)

    page = queue_at(client, leader, 2026, 11, 25, 11, 0)

    assert words in card(page, incident)
    assert "(target" not in card(page, incident)


def test_who_escalated_when_and_why_and_who_acknowledged(client, leader, agent, practice_user, product):
    incident = escalated(
        practice_user,
        product,
        logged_at=london(2026, 11, 25, 9, 5),
        reason="No prescriptions can be printed.",
    )

    page = queue_at(client, leader, 2026, 11, 25, 10, 0)
    text = card(page, incident)
    assert "Escalated By Alex Morgan of Riverside Medical Centre, Wed 25 Nov 2026, 09:05" in text
    assert "“No prescriptions can be printed.”" in text
    assert "Acknowledged Not yet" in text
    assert "Severity 2 – Major fault" in text and "Status: Logged" in text  # tags, in words

    with time_machine.travel(london(2026, 11, 25, 10, 15), tick=False):
        client.post(f"/escalations/{incident.pk}/acknowledge/")
    page = queue_at(client, leader, 2026, 11, 25, 10, 20)
    assert "Acknowledged By you, Wed 25 Nov 2026, 10:15" in card(page, incident)
    assert f'action="/escalations/{incident.pk}/acknowledge/"' not in page

    colleague = StaffFactory(full_name="Kim Lead")
    EscalationLevel.objects.get(position=1).contacts.add(colleague)
    page = queue_at(client, colleague, 2026, 11, 25, 10, 30)
    assert "Acknowledged By Robin Lead (Service Desk), Wed 25 Nov 2026, 10:15" in card(page, incident)


def test_an_automatic_escalation_says_so_and_why(client, leader, practice_user, product):
    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):
        incident = IncidentFactory(reporter=practice_user, product=product, severity=1)
    with time_machine.travel(london(2026, 11, 25, 9, 31), tick=False):
        assert escalate_overdue() == 1

    text = card(queue_at(client, leader, 2026, 11, 25, 9, 40), incident)

    assert "Escalated Automatically, on a missed SLA target, Wed 25 Nov 2026, 09:31" in text
    assert "Automatic: 31 min of support time on the clock at severity 1" in text
    assert "the response target passed unmet" in text


def test_the_latest_move_is_the_one_shown(client, leader, agent, practice_user, product):
    """Escalated above the leader and brought back down: the de-escalation is why it is with them now, and
    the acknowledgement at the level above does not count here."""
    incident = escalated(practice_user, product, logged_at=london(2026, 11, 25, 9, 0), reason="First ask")
    with time_machine.travel(london(2026, 11, 25, 9, 30), tick=False):
        incident = incident_escalate(incident, actor=agent, reason="Needs the manager")
    with time_machine.travel(london(2026, 11, 25, 10, 0), tick=False):
        incident = incident_deescalate(
            incident, actor=agent, reason="The manager asked the team leader to own it"
        )

    text = card(queue_at(client, leader, 2026, 11, 25, 10, 30), incident)

    assert "De-escalated By Casey Agent (Service Desk), Wed 25 Nov 2026, 10:00" in text
    assert "“The manager asked the team leader to own it”" in text
    assert "First ask" not in text
    assert "Acknowledged Not yet" in text


def test_the_queue_query_count_does_not_grow(
    client, leader, agent, practice_user, product, django_assert_num_queries
):
    # Also a contact of the next level for this practice (no managed service: the Customer Service Manager).
    EscalationLevel.objects.get(role_name="Customer Service Manager").contacts.add(leader)
    escalated(practice_user, product, logged_at=london(2026, 11, 25, 9, 0))
    with time_machine.travel(london(2026, 11, 25, 11, 0), tick=False):
        client.force_login(leader)
        client.get("/escalations/")
        with django_assert_num_queries(QUEUE_QUERIES):
            client.get("/escalations/")
    # More of every kind: escalated automatically, by the practice and by staff, acknowledged, with notes.
    with time_machine.travel(london(2026, 11, 24, 9, 0), tick=False):
        IncidentFactory(reporter=practice_user, product=product, severity=1)
    with time_machine.travel(london(2026, 11, 24, 9, 31), tick=False):
        assert escalate_overdue() == 1
    for n in range(3):
        incident = escalated(practice_user, product, logged_at=london(2026, 11, 24, 9, n), severity=3)
        with time_machine.travel(london(2026, 11, 24, 10, n), tick=False):
            incident_add_note(incident, actor=agent, text=f"Looking at it ({n}).")
            client.post(f"/escalations/{incident.pk}/acknowledge/")
            if n:
                incident_escalate(incident, actor=agent, reason="Needs the manager")

    with (
        time_machine.travel(london(2026, 11, 25, 11, 0), tick=False),
        django_assert_num_queries(QUEUE_QUERIES),
    ):
        page = client.get("/escalations/").content.decode()
    assert page.count("<article") == 5
    assert "Automatically, on a missed SLA target" in page and "By you," in page
    assert "Needs the manager" in page
