"""Scheduling a fix can create its release on the spot (issue 17): the release and the scheduling in one
POST, all or nothing, with a bad version or date refused beside its field."""

import datetime as dt

import pytest
import time_machine
from django.utils.html import escape

from incidents.models import Release, Status, TimelineEvent
from incidents.services import InvalidTransition, release_create
from tests.factories import ProductFactory
from tests.incidents.lifecycle_helpers import drive_to, make_release, snapshot

TODAY = dt.datetime(2030, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture(autouse=True)
def _fixed_clock():
    """Each test runs wholly on TODAY: the dates typed into the form are judged against it."""
    with time_machine.travel(TODAY, tick=False):
        yield


def action_url(incident):
    return f"/admin/incidents/incident/{incident.pk}/act/schedule_fix/"


@pytest.fixture
def investigating(incident, agent):
    return drive_to(incident, Status.INVESTIGATING, agent=agent)


@pytest.fixture
def post(agent_client, django_capture_on_commit_callbacks):
    def do(incident, **data):
        fields = {"release": "", "new_kind": "planned", "workaround": "", **data}
        with django_capture_on_commit_callbacks(execute=True):
            return agent_client.post(action_url(incident), fields)

    return do


def test_a_new_release_is_created_and_the_fault_scheduled_into_it_in_one_post(
    post, investigating, agent, practice_user, mailoutbox
):
    response = post(
        investigating,
        new_version="5.5.0",
        new_kind="emergency",
        new_target_date="2030-03-20",
        workaround="Print from the PDF preview.",
    )

    assert response.status_code == 302
    assert response.url == f"/admin/incidents/incident/{investigating.pk}/change/"
    release = Release.objects.get(version="5.5.0")
    assert (release.product, release.kind, release.target_date, release.shipped_on) == (
        investigating.product,
        Release.Kind.EMERGENCY,
        dt.date(2030, 3, 20),
        None,
    )
    investigating.refresh_from_db()
    assert (investigating.status, investigating.release, investigating.workaround) == (
        Status.FIX_SCHEDULED,
        release,
        "Print from the PDF preview.",
    )
    event = investigating.events.get(kind=TimelineEvent.Kind.FIX_SCHEDULED)
    assert event.text == "Scheduled for Synergy Clinical 5.5.0 (emergency), due 20 March 2030."
    (message,) = mailoutbox
    assert message.to == [practice_user.email]
    assert "5.5.0" in message.body


def test_the_form_offers_the_new_release_beside_the_existing_ones(agent_client, investigating):
    existing = make_release(investigating.product, version="5.4.9")
    make_release(ProductFactory(name="Synergy Pathology"), version="7.0.0")  # another product's

    html = agent_client.get(action_url(investigating)).content.decode()

    assert "A new release (give it below)" in html
    assert escape(str(existing)) in html
    assert "7.0.0" not in html
    for label in ("New release: version", "New release: planned or emergency", "New release: target date"):
        assert label in html
    assert 'type="date"' in html


def test_a_target_date_of_today_is_accepted(post, investigating):
    assert post(investigating, new_version="5.5.0", new_target_date="2030-03-04").status_code == 302

    assert Release.objects.get(version="5.5.0").target_date == dt.date(2030, 3, 4)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"new_version": "5.4.2", "new_target_date": "2030-04-01"}, "new_version", None),
        ({"new_version": "5.5.0", "new_target_date": "2030-03-03"}, "new_target_date", "has passed"),
        ({"new_version": "", "new_target_date": "2030-04-01"}, "new_version", "Give the new release"),
        ({"new_version": "5.5.0", "new_target_date": ""}, "new_target_date", "Give the new release"),
        ({"new_version": "5.5.0", "new_target_date": "1 April"}, "new_target_date", "Enter a valid date"),
        ({"new_version": "5.5.0", "new_target_date": "2030-04-01", "new_kind": "urgent"}, "new_kind", None),
    ],
)
def test_a_bad_new_release_is_refused_beside_its_field_and_nothing_is_saved(
    post, investigating, data, field, message
):
    make_release(investigating.product, version="5.4.2")
    before = snapshot(investigating)

    response = post(investigating, **data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if field == "new_version" and data["new_version"] == "5.4.2":
        message = "Synergy Clinical already has a release 5.4.2."
    assert message is None or message in errors[field][0]
    assert Release.objects.count() == 1
    assert snapshot(investigating) == before


def test_an_existing_release_and_a_new_one_together_are_refused(post, investigating):
    existing = make_release(investigating.product, version="5.4.9")
    before = snapshot(investigating)

    response = post(investigating, release=existing.pk, new_version="5.5.0", new_target_date="2030-04-01")

    assert response.status_code == 400
    assert "not both" in response.context["form"].errors["new_version"][0]
    assert not Release.objects.filter(version="5.5.0").exists()
    assert snapshot(investigating) == before


def test_the_same_version_of_another_product_is_no_clash(post, investigating):
    make_release(ProductFactory(name="Synergy Pathology"), version="5.5.0")

    assert post(investigating, new_version="5.5.0", new_target_date="2030-04-01").status_code == 302

    assert Release.objects.filter(version="5.5.0").count() == 2


def test_a_release_is_not_created_when_the_incident_cannot_be_scheduled(post, incident):
    """Still logged: the transition is refused (409), and the release created for it is rolled back."""
    before = snapshot(incident)

    response = post(incident, new_version="5.5.0", new_target_date="2030-04-01")

    assert response.status_code == 409
    assert "not possible while" in response.content.decode()
    assert not Release.objects.exists()
    assert snapshot(incident) == before


def test_choosing_an_existing_release_still_works(post, investigating):
    existing = make_release(investigating.product, version="5.4.9")

    assert post(investigating, release=existing.pk).status_code == 302

    investigating.refresh_from_db()
    assert investigating.release == existing
    assert Release.objects.count() == 1


def test_the_service_refuses_what_the_form_would(incident, agent, practice_user):
    """release_create holds the same rules for any caller (and the database holds the version's uniqueness
    against two agents creating it at once)."""
    make_release(incident.product, version="5.4.2")
    refusals = [
        ({"version": "5.4.2", "target_date": dt.date(2030, 4, 1)}, "already has a release 5.4.2"),
        ({"version": "5.5.0", "target_date": dt.date(2030, 3, 3)}, "target date has passed"),
        ({"version": "  ", "target_date": dt.date(2030, 4, 1)}, "Please give the release's version"),
    ]
    for kwargs, words in refusals:
        with pytest.raises(InvalidTransition, match=words):
            release_create(incident.product, actor=agent, kind=Release.Kind.PLANNED, **kwargs)
    with pytest.raises(InvalidTransition, match="Only the Service Desk"):
        release_create(
            incident.product,
            actor=practice_user,
            version="5.5.0",
            kind="planned",
            target_date=dt.date(2030, 4, 1),
        )
    assert Release.objects.count() == 1


def test_an_existing_release_whose_target_date_has_passed_says_so(agent_client, investigating):
    late = make_release(investigating.product, version="5.4.8", target_date=dt.date(2030, 3, 1))
    due = make_release(investigating.product, version="5.4.9", target_date=dt.date(2030, 3, 20))

    html = agent_client.get(action_url(investigating)).content.decode()

    assert escape(f"{late} – due 1 March 2030, which has passed") in html
    assert escape(f"{due} – due 20 March 2030") + "<" in html
