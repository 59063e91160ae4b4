"""Software faults scheduled into releases, and what shipping a release does (issue 3, item 5)."""

from datetime import date

import pytest
from django.conf import settings

from incidents.models import Release, Status, TimelineEvent
from incidents.services import InvalidTransition, incident_schedule_fix, release_ship
from tests.factories import IncidentFactory, ProductFactory

from .lifecycle_helpers import (
    assert_carries_reference_and_desk_contact,
    drive_to,
    make_release,
    perform,
    snapshot,
)

SHIPPED = date(2030, 6, 3)


@pytest.fixture
def release(product):
    return make_release(product, version="5.5.0")


def test_a_fault_cannot_be_scheduled_into_another_products_release(incident, agent):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    other = make_release(ProductFactory(name="Synergy Pathology"), version="2.0.0")
    before = snapshot(incident)

    with pytest.raises(
        InvalidTransition, match="Synergy Pathology 2.0.0 .* is not a release of Synergy Clinical"
    ):
        incident_schedule_fix(incident, actor=agent, release=other)

    assert snapshot(incident) == before


def test_a_fault_cannot_be_scheduled_into_a_release_that_has_shipped(incident, agent, product):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    shipped = make_release(product, version="5.4.2", shipped_on=date(2030, 1, 10))
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="has already shipped"):
        incident_schedule_fix(incident, actor=agent, release=shipped)

    assert snapshot(incident) == before


def test_a_fault_cannot_be_scheduled_into_a_release_that_shipped_after_the_form_was_loaded(
    incident, agent, release
):
    """The agent picked the release, and it shipped before they pressed the button: shipping has already
    resolved its incidents, so one scheduled now would wait for a release that never comes."""
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    as_the_form_saw_it = Release.objects.get(pk=release.pk)
    release_ship(release, actor=agent, shipped_on=SHIPPED)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="has already shipped"):
        incident_schedule_fix(incident, actor=agent, release=as_the_form_saw_it)

    assert snapshot(incident) == before


def test_an_emergency_release_of_the_same_product_can_take_a_fault(incident, agent, product):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    hotfix = make_release(product, version="5.4.3", kind="emergency")

    incident_schedule_fix(incident, actor=agent, release=hotfix, workaround="Restart the spooler.")

    incident.refresh_from_db()
    assert (incident.status, incident.release, incident.software_fault) == (
        Status.FIX_SCHEDULED,
        hotfix,
        True,
    )
    assert incident.workaround == "Restart the spooler."


def test_the_practice_is_told_the_workaround_when_a_fix_is_scheduled(
    incident, agent, practice_user, release, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        incident_schedule_fix(
            incident, actor=agent, release=release, workaround="Print from the PDF preview."
        )

    (message,) = mailoutbox
    assert message.to == [practice_user.email]
    assert "Print from the PDF preview." in message.body
    assert "5.5.0" in message.body


def _scheduled(reporter, product, release, agent):
    incident = drive_to(
        IncidentFactory(reporter=reporter, product=product), Status.INVESTIGATING, agent=agent
    )
    return perform("schedule_fix", incident, actor=agent, release=release)


def test_shipping_a_release_resolves_its_scheduled_incidents_and_asks_each_practice_to_confirm(
    agent, practice_user, outsider, product, release, mailoutbox, django_capture_on_commit_callbacks
):
    ours = _scheduled(practice_user, product, release, agent)
    theirs = _scheduled(outsider, product, release, agent)

    with django_capture_on_commit_callbacks(execute=True):
        resolved = release_ship(release, actor=agent, shipped_on=SHIPPED)

    release.refresh_from_db()
    assert release.shipped_on == SHIPPED
    assert sorted(i.pk for i in resolved) == sorted([ours.pk, theirs.pk])
    for incident in (ours, theirs):
        incident.refresh_from_db()
        assert incident.status == Status.RESOLVED
        assert incident.resolution == "Fixed in Synergy Clinical 5.5.0, released 3 June 2030."
        assert incident.resolved_at is not None
        event = incident.events.order_by("-pk").first()
        assert (event.actor, event.old_value, event.new_value) == (
            agent,
            Status.FIX_SCHEDULED,
            Status.RESOLVED,
        )
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    assert set(by_recipient) == {(practice_user.email,), (outsider.email,)}
    for incident, reporter in ((ours, practice_user), (theirs, outsider)):
        message = by_recipient[(reporter.email,)]
        assert "please confirm" in message.subject.lower()
        assert "5.5.0" in message.body
        assert f"{settings.SITE_URL}{incident.get_absolute_url()}" in message.body
        assert_carries_reference_and_desk_contact(message, incident)


def test_shipping_leaves_incidents_of_other_releases_and_other_states_alone(
    agent, practice_user, product, release, mailoutbox, django_capture_on_commit_callbacks
):
    other_release = make_release(product, version="6.0.0")
    elsewhere = _scheduled(practice_user, product, other_release, agent)
    resolved_early = perform("resolve", _scheduled(practice_user, product, release, agent), actor=agent)
    investigating = drive_to(
        IncidentFactory(reporter=practice_user, product=product), Status.INVESTIGATING, agent=agent
    )
    untouched = [snapshot(i) for i in (elsewhere, resolved_early, investigating)]

    with django_capture_on_commit_callbacks(execute=True):
        resolved = release_ship(release, actor=agent, shipped_on=SHIPPED)

    assert resolved == []
    assert [snapshot(i) for i in (elsewhere, resolved_early, investigating)] == untouched
    assert mailoutbox == []


def test_shipping_a_release_twice_changes_nothing_and_sends_nothing(
    agent, practice_user, product, release, mailoutbox, django_capture_on_commit_callbacks
):
    incident = _scheduled(practice_user, product, release, agent)
    with django_capture_on_commit_callbacks(execute=True):
        release_ship(release, actor=agent, shipped_on=SHIPPED)
    after_first = snapshot(incident)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = release_ship(release, actor=agent, shipped_on=date(2030, 7, 1))

    assert again == []
    release.refresh_from_db()
    assert release.shipped_on == SHIPPED
    assert snapshot(incident) == after_first
    assert incident.events.filter(new_value=Status.RESOLVED).count() == 1
    assert mailoutbox == []


def test_a_shipped_release_resolution_can_still_be_rejected_by_the_practice(
    agent, practice_user, product, release
):
    incident = _scheduled(practice_user, product, release, agent)
    release_ship(release, actor=agent, shipped_on=SHIPPED)

    perform("reject", incident, actor=practice_user)

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.events.filter(kind=TimelineEvent.Kind.REJECTED).count() == 1


def test_the_release_list_query_count_does_not_grow(client, agent, product, django_assert_num_queries):
    client.force_login(agent)
    Release.objects.create(product=product, version="1.1", target_date=date(2027, 1, 1))
    client.get("/admin/incidents/release/")
    # user, the user's and their groups' permissions, product filter, two counts, the rows and waiting
    # counts (the session comes from the cache)
    with django_assert_num_queries(7):
        assert client.get("/admin/incidents/release/").status_code == 200
    Release.objects.bulk_create(
        Release(product=product, version=f"2.{n}", target_date=date(2027, 2, 1)) for n in range(20)
    )
    with django_assert_num_queries(7):
        assert client.get("/admin/incidents/release/").status_code == 200
