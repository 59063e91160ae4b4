"""The admin home page is the desk's dashboard (issue 17): a count per queue, each a link to the admin list
that shows exactly the incidents (or requests, or emails) it counted."""

import re
from html import unescape

import pytest

from accounts.models import AccountRequest
from inbound.models import InboundMessage, Outcome, Source
from incidents import queues
from tests.conftest import login
from tests.factories import IncidentFactory, PracticeFactory, StaffFactory
from tests.incidents.queue_helpers import cells, incidents_in_every_queue, references

# The dashboard: the user and their permissions (their own and their groups'), the counts of every incident
# queue in one query over the open incidents, the known issues not yet fixed with their open incidents (issue
# 19: one query), the account requests waiting, the held emails, and the signed-in user's recent actions
# (Django's sidebar).
DASHBOARD_QUERIES = 8

_QUEUE = re.compile(
    r'<a class="desk-queue" href="([^"]+)">\s*<span class="desk-queue-count">(\d+)</span>\s*'
    r'<span class="desk-queue-label">([^<]+)</span>'
)


def dashboard(client):
    """{label: (count, link)} of the dashboard's queues, as the page shows them."""
    response = client.get("/admin/")
    assert response.status_code == 200
    return {
        unescape(label): (int(count), unescape(url))
        for url, count, label in _QUEUE.findall(response.content.decode())
    }


@pytest.fixture
def waiting_elsewhere(practice):
    """Two account requests waiting and one decided; two held emails and one acted on."""
    for n, status in enumerate(["pending", "pending", "approved"]):
        AccountRequest.objects.create(
            practice=practice, full_name=f"Requester {n} {status}", email=f"req{n}@example.org",
            phone="01632 960001", job_role="Receptionist", status=status,
        )  # fmt: skip
    for n, outcome in enumerate([Outcome.HELD, Outcome.HELD, Outcome.NOTE]):
        InboundMessage.objects.create(
            sha256=f"{n:064d}", source=Source.PIPE, sender=f"sender{n}-{outcome}@example.org", size=100,
            outcome=outcome,
        )  # fmt: skip


def test_each_incident_queue_counts_what_its_link_lists(agent_client, practice_user, agent, product):
    made, expected = incidents_in_every_queue(practice_user, agent, product)
    shown = dashboard(agent_client)

    for queue in queues.QUEUES:
        count, link = shown[queue.label]
        wanted = sorted(made[name].reference for name in expected[queue.key])
        assert count == len(wanted), queue.label
        listed = references(agent_client.get(link).content.decode())
        assert sorted(listed) == wanted, queue.label


def test_the_other_queues_count_what_their_links_list(agent_client, waiting_elsewhere):
    shown = dashboard(agent_client)

    count, link = shown["Account requests waiting"]
    assert count == 2
    assert sorted(cells(agent_client.get(link).content.decode(), "full_name")) == [
        "Requester 0 pending", "Requester 1 pending",
    ]  # fmt: skip
    count, link = shown["Inbound emails held"]
    assert count == 2
    assert sorted(cells(agent_client.get(link).content.decode(), "sender")) == [
        "sender0-held@example.org", "sender1-held@example.org",
    ]  # fmt: skip


def test_the_dashboard_keeps_the_list_of_records_below_it(agent_client):
    page = agent_client.get("/admin/").content.decode()

    assert page.index("Incidents to work") < page.index('href="/admin/incidents/incident/"')
    assert 'href="/admin/accounts/accountrequest/"' in page


def test_the_dashboard_takes_the_same_queries_however_many_incidents(
    agent_client, practice_user, agent, product, waiting_elsewhere, django_assert_num_queries
):
    incidents_in_every_queue(practice_user, agent, product)
    agent_client.get("/admin/")  # the session, now in the cache
    with django_assert_num_queries(DASHBOARD_QUERIES):
        agent_client.get("/admin/")
    IncidentFactory.create_batch(20, reporter=practice_user, product=product)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert dashboard(agent_client)["New: logged, not yet verified"][0] == 22


def test_staff_see_only_the_counts_of_lists_they_may_open(client, db):
    from django.contrib.auth.models import Permission

    clerk = StaffFactory()
    clerk.user_permissions.add(Permission.objects.get(codename="view_accountrequest"))
    AccountRequest.objects.create(
        practice=PracticeFactory(), full_name="Kim Lee", email="kim@example.org", phone="01632 960001",
        job_role="Receptionist",
    )  # fmt: skip

    shown = dashboard(login(client, clerk))

    assert list(shown) == ["Account requests waiting"]
    assert shown["Account requests waiting"][0] == 1
