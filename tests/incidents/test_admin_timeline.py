"""The timeline on an incident's admin change page reads like the portal's: newest first, a heading per
day in Europe/London, public entries told apart from internal ones; one page at a time (issue 17)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents import services
from incidents.models import Status
from tests.incidents.lifecycle_helpers import drive_to

LONDON = ZoneInfo("Europe/London")
# The change page of an incident past triage: as a logged one's (tests/incidents/test_admin_purge.py's
# CHANGE_PAGE_QUERIES) without the triage form's staff to assign and canned replies.
CHANGE_PAGE_QUERIES_AFTER_TRIAGE = 13


@pytest.fixture(autouse=True)
def traveller():
    """Every test here runs wholly at fixed dates: its people and incident are made on 16 November 2026
    (autouse fixtures come first); each step then moves on, and the agent signs in when they read."""
    with time_machine.travel(dt.datetime(2026, 11, 16, 8, 0, tzinfo=LONDON), tick=False) as traveller:
        yield traveller


def change_url(incident):
    return f"/admin/incidents/incident/{incident.pk}/change/"


def test_the_timeline_is_grouped_by_day_and_tells_public_from_internal(traveller, client, incident, agent):
    traveller.move_to(dt.datetime(2026, 11, 16, 10, 15, tzinfo=LONDON))
    services.incident_verify(incident, actor=agent)
    services.incident_add_note(incident, actor=agent, text="Looked at the <spooler>.", public=False)
    traveller.move_to(dt.datetime(2026, 11, 17, 23, 30, tzinfo=LONDON))
    services.incident_add_note(incident, actor=agent, text="Please restart the PC.", public=True)
    client.force_login(agent)

    html = client.get(change_url(incident)).content.decode()

    days = re.findall(r'<h3 class="timeline-day">([^<]+)</h3>', html)
    assert days == ["Tuesday 17 November 2026", "Monday 16 November 2026"]  # newest first, as the portal
    tuesday, monday = html.split('<h3 class="timeline-day">')[1:]
    assert "Please restart the PC." in tuesday and ">23:30<" in tuesday
    assert "Public" in tuesday and "Internal" not in tuesday
    assert "Looked at the &lt;spooler&gt;." in monday and ">10:15<" in monday
    assert monday.count("Internal — not shown to the practice") == 1
    assert "Logged → Under review" in monday


def test_a_late_evening_in_summer_is_told_on_its_london_day(traveller, client, incident, agent):
    traveller.move_to(dt.datetime(2027, 7, 1, 23, 30, tzinfo=LONDON))  # 22:30 UTC, still 1 July in London
    services.incident_add_note(incident, actor=agent, text="Evening check.", public=True)
    client.force_login(agent)

    html = client.get(change_url(incident)).content.decode()

    assert '<h3 class="timeline-day">Thursday 1 July 2027</h3>' in html


def test_the_timeline_is_paginated_with_its_purge_links(traveller, client, incident, agent, settings):
    from incidents import admin as incidents_admin

    for number in range(incidents_admin.ADMIN_TIMELINE_PAGE_SIZE + 1):
        traveller.shift(dt.timedelta(minutes=1))
        services.incident_add_note(incident, actor=agent, text=f"Note {number}", public=False)
    client.force_login(agent)

    html = client.get(change_url(incident)).content.decode()
    earlier = client.get(change_url(incident) + "?timeline=2").content.decode()

    assert "Note 50" in html and "Note 0<" not in html
    assert "?timeline=2#timeline" in html
    assert "purge this entry" in html
    assert "Note 0" in earlier and "Show the latest entries" in earlier


def test_the_change_page_query_count_does_not_grow(
    traveller, client, incident, agent, django_assert_num_queries
):
    drive_to(incident, Status.INVESTIGATING, agent=agent)
    client.force_login(agent)
    client.get(change_url(incident))
    with django_assert_num_queries(CHANGE_PAGE_QUERIES_AFTER_TRIAGE):
        assert client.get(change_url(incident)).status_code == 200

    for day in range(4):
        traveller.shift(dt.timedelta(days=1))
        services.incident_add_note(incident, actor=agent, text=f"Day {day}", public=bool(day % 2))
    client.force_login(agent)  # signed in at the moment it reads
    client.get(change_url(incident))
    with django_assert_num_queries(CHANGE_PAGE_QUERIES_AFTER_TRIAGE):
        assert client.get(change_url(incident)).status_code == 200
