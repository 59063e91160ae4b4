"""The ladder as the handbook describes it (issue 17, "Team leaders"): the first rung is "the Customer Service
Team Leader responsible for your product or service", the second, for managed services, the contract's
"allocated Customer Liaison Officer"; the level's general contacts stand in where no one is named for the
product or the contract. An escalation emails those people, /escalations/ shows each person theirs first,
and "Your service" and /contact/ name them to the practice, never another contract's."""

import re
from datetime import datetime

import pytest
import time_machine

from accounts.models import Contract
from escalation.models import EscalationLevel, LevelContact
from servicedesk.lib.support_hours import LONDON
from tests.escalation.helpers import QUEUE_QUERIES
from tests.factories import IncidentFactory, PracticeFactory, ProductFactory, StaffFactory, UserFactory
from tests.incidents.helpers import BANNER_QUERY

# Your service: the signed-in user; the contract, its calendar, its SLA targets, its severity wording; the
# ladder, its general contacts, and its contacts for products and for the practice's contract; the known
# issues' banner.
YOUR_SERVICE_QUERIES = 8 + BANNER_QUERY
# /contact/ signed in: the user (the session comes from the cache), their practice's contract; the levels,
# their general contacts, and their contacts for products and for the practice's contract; the banner.
CONTACT_QUERIES = 5 + BANNER_QUERY


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _at_fixed_dates():
    """Every test here runs wholly at fixed dates: its people, ladder and practices are made early on
    16 November 2026 (autouse fixtures come first); each step then travels to its own time."""
    with time_machine.travel(london(2026, 11, 16, 8, 0), tick=False):
        yield


@pytest.fixture
def ladder(standard_ladder):
    """Levels by position: 1 the team leaders, 2 the liaison officers (managed services only)."""
    return {level.position: level for level in EscalationLevel.objects.all()}


@pytest.fixture
def appointments(db):
    return ProductFactory(name="Synergy Appointments")


@pytest.fixture
def robin(team_leader, ladder):
    """The first rung's general contact: the team leader for every product without one of its own."""
    ladder[1].contacts.add(team_leader)
    return team_leader


@pytest.fixture
def drew(ladder, appointments, team_leader):
    """The team leader responsible for Synergy Appointments."""
    person = StaffFactory(full_name="Drew Fletcher", email="drew@servicedesk.example", phone="01632 960903")
    LevelContact.objects.create(level=ladder[1], person=person, product=appointments)
    return person


@pytest.fixture
def managed(db):
    return Contract.objects.create(name="Managed service", managed_service=True)


@pytest.fixture
def morgan(ladder, managed):
    """The managed-service contract's allocated Customer Liaison Officer."""
    person = StaffFactory(full_name="Morgan Ellis", email="morgan@servicedesk.example", phone="01632 960904")
    LevelContact.objects.create(level=ladder[2], person=person, contract=managed)
    return person


@pytest.fixture
def kit(ladder):
    """Another managed-service contract's liaison officer: never named to anyone else's practice."""
    other = Contract.objects.create(name="Other managed service", managed_service=True)
    person = StaffFactory(full_name="Kit Other", email="kit@servicedesk.example", phone="01632 960905")
    LevelContact.objects.create(level=ladder[2], person=person, contract=other)
    return person


@pytest.fixture
def lee(ladder):
    """The liaison level's general contact, for managed services without an allocated officer."""
    person = StaffFactory(full_name="Lee General", email="lee@servicedesk.example", phone="01632 960906")
    ladder[2].contacts.add(person)
    return person


@pytest.fixture
def hillview_user(managed):
    practice = PracticeFactory(name="Hillview Surgery", contract=managed)
    return UserFactory(practice=practice, full_name="Jordan Reid", email="jordan@hillview.example")


def ask_for_escalation(client, user, incident, when, django_capture_on_commit_callbacks):
    """The practice asks on the incident's page at `when`, signed in just then; its emails are sent."""
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.force_login(user)
        response = client.post(
            f"/incidents/{incident.reference}/escalate/", {"escalate-reason": "Nobody has called back."}
        )
    assert response.status_code == 302


def logged(user, product, when, summary):
    with time_machine.travel(when, tick=False):
        return IncidentFactory(reporter=user, product=product, summary=summary)


def read(client, user, url, when=(2026, 11, 16, 11, 0)):
    """The page as `user` (None: signed out) reads it at `when`, signed in just then."""
    with time_machine.travel(london(*when), tick=False):
        if user is not None:
            client.force_login(user)
        response = client.get(url)
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def section(page, heading):
    """The text of the queue's section under `heading` ("For you", "For others"), up to the next one."""
    start = page.index(heading)
    end = page.find("For others at your levels", start + 1)
    return page[start : end if end > 0 else len(page)]


def test_the_team_leader_for_the_product_is_emailed_and_sees_it_first(
    client, robin, drew, practice_user, product, appointments, mailoutbox, django_capture_on_commit_callbacks
):
    booking = logged(practice_user, appointments, london(2026, 11, 16, 9, 0), "Online booking is down")
    printing = logged(practice_user, product, london(2026, 11, 16, 9, 5), "Printing fails")

    ask_for_escalation(
        client, practice_user, booking, london(2026, 11, 16, 9, 30), django_capture_on_commit_callbacks
    )

    assert mailoutbox[-1].to == ["drew@servicedesk.example"], "the product's team leader, not the general one"
    assert booking.reference in mailoutbox[-1].subject

    ask_for_escalation(
        client, practice_user, printing, london(2026, 11, 16, 9, 40), django_capture_on_commit_callbacks
    )

    assert mailoutbox[-1].to == [robin.email], "no team leader for Synergy Clinical: the general contact"
    drews = read(client, drew, "/escalations/")
    robins = read(client, robin, "/escalations/")
    assert booking.reference in section(drews, "For you: 1 open escalation")
    assert printing.reference in section(drews, "For others at your levels: 1 open escalation")
    assert printing.reference in section(robins, "For you: 1 open escalation")
    assert booking.reference in section(robins, "For others at your levels: 1 open escalation")


def test_the_contracts_liaison_officer_is_told_at_the_second_rung(
    client, robin, morgan, kit, lee, hillview_user, product, mailoutbox, django_capture_on_commit_callbacks
):
    incident = logged(hillview_user, product, london(2026, 11, 16, 9, 0), "Records will not open")

    for minute in (10, 20):  # the team leader first, then the liaison officer
        ask_for_escalation(
            client,
            hillview_user,
            incident,
            london(2026, 11, 16, 9, minute),
            django_capture_on_commit_callbacks,
        )

    incident.refresh_from_db()
    assert incident.escalation_level.role_name == "Customer Liaison Officer"
    assert [m.to for m in mailoutbox[-2:]] == [[robin.email], ["morgan@servicedesk.example"]]
    assert incident.reference in section(read(client, morgan, "/escalations/"), "For you: 1 open escalation")
    kits = read(client, kit, "/escalations/")
    assert "For you:" not in kits and incident.reference in section(kits, "For others at your levels")

    # The liaison officer takes it on; someone at another level cannot even find it.
    with time_machine.travel(london(2026, 11, 16, 11, 0), tick=False):
        client.force_login(robin)
        assert client.post(f"/escalations/{incident.pk}/acknowledge/").status_code == 404
        client.force_login(morgan)
        assert client.post(f"/escalations/{incident.pk}/acknowledge/").status_code == 302
    incident.refresh_from_db()
    assert incident.escalation_acknowledged_at == london(2026, 11, 16, 11, 0)


def test_a_managed_service_without_an_allocated_officer_reaches_the_general_contact(
    client, robin, morgan, lee, product, mailoutbox, django_capture_on_commit_callbacks
):
    unallocated = Contract.objects.create(name="Managed, not allocated", managed_service=True)
    user = UserFactory(practice=PracticeFactory(contract=unallocated))
    incident = logged(user, product, london(2026, 11, 16, 9, 0), "Slow to open records")

    for minute in (10, 20):
        ask_for_escalation(
            client, user, incident, london(2026, 11, 16, 9, minute), django_capture_on_commit_callbacks
        )

    assert mailoutbox[-1].to == ["lee@servicedesk.example"]
    assert incident.reference in section(read(client, lee, "/escalations/"), "For you: 1 open escalation")
    assert incident.reference in section(read(client, morgan, "/escalations/"), "For others at your levels")


def test_an_inactive_team_leader_gives_way_to_the_general_contact(
    client, robin, drew, practice_user, appointments, mailoutbox, django_capture_on_commit_callbacks
):
    drew.is_active = False
    drew.save()
    incident = logged(practice_user, appointments, london(2026, 11, 16, 9, 0), "Online booking is down")

    ask_for_escalation(
        client, practice_user, incident, london(2026, 11, 16, 9, 30), django_capture_on_commit_callbacks
    )

    assert mailoutbox[-1].to == [robin.email]
    assert incident.reference in section(read(client, robin, "/escalations/"), "For you: 1 open escalation")


def test_your_service_names_the_practices_own_people(
    client, robin, drew, morgan, kit, lee, hillview_user, practice_user
):
    hillview = read(client, hillview_user, "/help/your-service/")
    riverside = read(client, practice_user, "/help/your-service/")

    assert "For Synergy Appointments: Drew Fletcher, 01632 960903" in hillview
    assert "For any other product: Robin Lead" in hillview
    assert "For your contract: Morgan Ellis, 01632 960904" in hillview
    assert "Lee General" not in hillview, "the contract's own officer, not the general contact"
    assert "Kit Other" not in hillview and "kit@servicedesk.example" not in hillview
    # Standard support has no liaison rung: nobody from it is named.
    assert (
        "For Synergy Appointments: Drew Fletcher" in riverside
        and "For any other product: Robin Lead" in riverside
    )
    for name in ("Morgan Ellis", "Kit Other", "Lee General", "Customer Liaison Officer"):
        assert name not in riverside


def test_the_contact_page_names_the_readers_own_liaison_officer_only(
    client, robin, drew, morgan, kit, lee, hillview_user, practice_user
):
    signed_out = read(client, None, "/contact/")
    hillview = read(client, hillview_user, "/contact/")
    riverside = read(client, practice_user, "/contact/")

    assert "For your contract: Morgan Ellis" in hillview and "Lee General" not in hillview
    for page in (signed_out, riverside):
        assert (
            "For Synergy Appointments: Drew Fletcher" in page and "For any other product: Robin Lead" in page
        )
        assert "Lee General" in page, "the liaison rung's general contact, for managed services"
        assert "Morgan Ellis" not in page
    for page in (signed_out, hillview, riverside):
        assert "Kit Other" not in page


def test_a_level_with_only_general_contacts_names_them_plainly(client, robin, practice_user):
    page = read(client, practice_user, "/help/your-service/")

    assert "Customer Service Team Leader Robin Lead" in page
    assert "For any other product" not in page


def test_the_pages_read_a_fixed_number_of_queries(
    client, robin, drew, morgan, kit, lee, hillview_user, django_assert_num_queries
):
    with time_machine.travel(london(2026, 11, 16, 11, 0), tick=False):
        client.force_login(hillview_user)
        client.get("/contact/")
        for n in range(3):  # more products with team leaders, more contracts with officers
            leader = StaffFactory(full_name=f"Leader {n}")
            LevelContact.objects.create(
                level=drew.level_contacts.get().level, person=leader, product=ProductFactory()
            )
            LevelContact.objects.create(
                level=morgan.level_contacts.get().level,
                person=leader,
                contract=hillview_user.practice.contract,
            )
        with django_assert_num_queries(YOUR_SERVICE_QUERIES):
            page = client.get("/help/your-service/").content.decode()
        with django_assert_num_queries(CONTACT_QUERIES):
            client.get("/contact/")
    assert page.count("For your contract: ") == 4 and "Leader 2" in page


def test_the_queue_query_count_does_not_grow(
    client, robin, drew, morgan, hillview_user, practice_user, product, appointments, ladder,
    django_assert_num_queries, django_capture_on_commit_callbacks,
):  # fmt: skip
    ladder[2].contacts.add(drew)  # on two levels: a general contact of the second
    incident = logged(hillview_user, appointments, london(2026, 11, 16, 9, 0), "First")
    ask_for_escalation(
        client, hillview_user, incident, london(2026, 11, 16, 9, 5), django_capture_on_commit_callbacks
    )
    with time_machine.travel(london(2026, 11, 16, 11, 0), tick=False):
        client.force_login(drew)
        client.get("/escalations/")
        with django_assert_num_queries(QUEUE_QUERIES):
            client.get("/escalations/")
    # More of every kind: other products, other practices and contracts, at both of drew's levels.
    for n, (user, item) in enumerate(
        [(practice_user, product), (practice_user, appointments), (hillview_user, product)]
    ):
        more = logged(user, item, london(2026, 11, 16, 9, 10 + n), f"More {n}")
        ask_for_escalation(
            client, user, more, london(2026, 11, 16, 9, 20 + n), django_capture_on_commit_callbacks
        )
    ask_for_escalation(
        client, hillview_user, incident, london(2026, 11, 16, 9, 30), django_capture_on_commit_callbacks
    )
    LevelContact.objects.create(level=ladder[1], person=StaffFactory(), product=ProductFactory())

    with time_machine.travel(london(2026, 11, 16, 11, 0), tick=False):
        client.force_login(drew)
        with django_assert_num_queries(QUEUE_QUERIES):
            page = client.get("/escalations/").content.decode()
    assert page.count("<article") == 4  # the first incident is now with the liaison officer, at level 2
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "More 1" in section(text, "For you: 1 open escalation")
    assert "First" in section(text, "For others at your levels: 3 open escalations")


def _level_form(level, contacts):
    """The level's change form in admin, with these contacts for a product or a contract."""
    data = {
        "position": level.position,
        "role_name": level.role_name,
        "thresholds-TOTAL_FORMS": "0",
        "thresholds-INITIAL_FORMS": "0",
        "specific_contacts-TOTAL_FORMS": str(len(contacts)),
        "specific_contacts-INITIAL_FORMS": "0",
    }
    for n, (person, product, contract) in enumerate(contacts):
        data[f"specific_contacts-{n}-person"] = person.pk
        data[f"specific_contacts-{n}-product"] = product.pk if product else ""
        data[f"specific_contacts-{n}-contract"] = contract.pk if contract else ""
    return data


def test_an_administrator_names_the_team_leader_for_a_product_on_the_levels_page(
    admin_client, ladder, appointments, managed
):
    leader = StaffFactory(full_name="Drew Fletcher")
    url = f"/admin/escalation/escalationlevel/{ladder[1].pk}/change/"

    assert "Contacts for a product or a contract" in admin_client.get(url).content.decode()
    both = admin_client.post(url, _level_form(ladder[1], [(leader, appointments, managed)]))
    neither = admin_client.post(url, _level_form(ladder[1], [(leader, None, None)]))
    assert both.status_code == neither.status_code == 200
    assert "Choose a product or a contract: exactly one of the two." in both.content.decode()
    assert "Choose a product or a contract: exactly one of the two." in neither.content.decode()
    assert not LevelContact.objects.exists()

    assert admin_client.post(url, _level_form(ladder[1], [(leader, appointments, None)])).status_code == 302
    contact = LevelContact.objects.get()
    assert (contact.level, contact.person, contact.product, contact.contract) == (
        ladder[1], leader, appointments, None,
    )  # fmt: skip
