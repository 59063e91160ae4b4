"""Linked incidents (issue 17): an agent marks an incident a duplicate of another, or links related ones.
The practice sees the link without learning another practice's reference; the main incident's public
updates and its resolution reach its duplicates' practices, each asked to confirm as for one incident."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from incidents.models import CannedReply, IncidentLink, Status, TimelineEvent
from incidents.services import (
    incident_add_note,
    incident_confirm,
    incident_link_related,
    incident_mark_duplicate,
    incident_resolve,
)
from tests.conftest import login
from tests.factories import IncidentFactory
from tests.incidents.helpers import DETAIL_QUERIES
from tests.incidents.lifecycle_helpers import drive_to, snapshot

CHANGELIST = "/admin/incidents/incident/"


def action_url(incident, action):
    return f"{CHANGELIST}{incident.pk}/act/{action}/"


def text_of(response):
    return response.content.decode()


@pytest.fixture
def main(other_incident, agent):
    """Hillview Surgery's incident, which the desk is working on."""
    return drive_to(other_incident, Status.INVESTIGATING, agent=agent)


@pytest.fixture
def duplicate(incident, agent):
    """Riverside Medical Centre's report of the same fault."""
    return drive_to(incident, Status.INVESTIGATING, agent=agent)


@pytest.fixture
def act(agent_client, django_capture_on_commit_callbacks):
    def do(incident, action, data):
        with django_capture_on_commit_callbacks(execute=True):
            return agent_client.post(action_url(incident, action), data)

    return do


@pytest.fixture
def practice_client(practice_user):
    """The practice's own browser, beside the agent's (agent_client)."""
    return login(Client(), practice_user)


@pytest.fixture
def linked(duplicate, main, agent):
    incident_mark_duplicate(duplicate, actor=agent, main=main)
    return duplicate, main


def linked_events(incident):
    return list(
        incident.events.filter(kind=TimelineEvent.Kind.LINKED).values_list("public", "text", "new_value")
    )


# --- Marking a duplicate in admin --------------------------------------------------------------------


def test_marking_a_duplicate_links_them_and_writes_both_timelines(act, duplicate, main, agent):
    response = act(duplicate, "mark_duplicate", {"reference": main.reference.lower()})

    assert response.status_code == 302
    assert response.url == f"{CHANGELIST}{duplicate.pk}/change/"
    link = IncidentLink.objects.get()
    assert (link.from_incident, link.to_incident, link.kind, link.created_by) == (
        duplicate,
        main,
        IncidentLink.Kind.DUPLICATE_OF,
        agent,
    )
    # Another practice's incident: the duplicate's practice reads of the link without the main's reference
    # (kept for the desk beside the entry), and the main's practice is not told of the duplicate at all.
    assert linked_events(duplicate) == [
        (
            True,
            "Linked to an incident the Service Desk is working on: its updates will appear here too.",
            main.reference,
        )
    ]
    assert linked_events(main) == [
        (False, f"{duplicate.reference} was marked as a duplicate of this incident.", duplicate.reference)
    ]


def test_a_duplicate_of_the_same_practices_incident_names_it_on_both_timelines(
    act, duplicate, practice_user, agent
):
    same = drive_to(
        IncidentFactory(reporter=practice_user, product=duplicate.product), Status.INVESTIGATING, agent=agent
    )

    assert act(duplicate, "mark_duplicate", {"reference": same.reference}).status_code == 302

    assert linked_events(duplicate) == [
        (
            True,
            f"Marked as a duplicate of {same.reference}: its updates will appear here too.",
            same.reference,
        )
    ]
    assert linked_events(same) == [
        (True, f"{duplicate.reference} was marked as a duplicate of this incident.", duplicate.reference)
    ]


def test_the_change_page_offers_both_link_actions(agent_client, duplicate):
    html = text_of(agent_client.get(f"{CHANGELIST}{duplicate.pk}/change/"))

    assert f'<a href="{action_url(duplicate, "mark_duplicate")}">Mark as a duplicate of…</a>' in html
    assert f'<a href="{action_url(duplicate, "link_related")}">Link a related incident</a>' in html


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("PC999999", "No incident has the reference PC999999."),
        ("", "This field is required."),
        ("own", "That is this incident&#x27;s own reference"),
    ],
)
def test_an_unknown_reference_or_its_own_is_refused_beside_the_field(
    act, duplicate, main, reference, message
):
    before = snapshot(duplicate), snapshot(main)
    reference = duplicate.reference if reference == "own" else reference

    response = act(duplicate, "mark_duplicate", {"reference": reference})

    assert response.status_code == 400
    assert message in text_of(response)
    assert not IncidentLink.objects.exists()
    assert (snapshot(duplicate), snapshot(main)) == before


@pytest.mark.parametrize(
    ("main_status", "duplicate_status", "words"),
    [
        (Status.RESOLVED, Status.INVESTIGATING, "is already resolved: resolve"),
        (Status.CLOSED, Status.INVESTIGATING, "is already closed: resolve"),
        (
            Status.INVESTIGATING,
            Status.LOGGED,
            "is logged, so it cannot be marked as a duplicate. Verify it first.",
        ),
        (Status.INVESTIGATING, Status.RESOLVED, "is resolved, so it cannot be marked as a duplicate."),
    ],
)
def test_closed_and_unverified_incidents_are_refused_with_a_reason(
    act, incident, other_incident, agent, main_status, duplicate_status, words
):
    duplicate = drive_to(incident, duplicate_status, agent=agent)
    main = drive_to(other_incident, main_status, agent=agent)
    before = snapshot(duplicate), snapshot(main)

    response = act(duplicate, "mark_duplicate", {"reference": main.reference})

    assert response.status_code == 409
    assert words in text_of(response)
    assert not IncidentLink.objects.exists()
    assert (snapshot(duplicate), snapshot(main)) == before


def test_a_duplicates_main_is_never_itself_a_duplicate(act, linked, practice_user, agent):
    duplicate, main = linked
    third = drive_to(
        IncidentFactory(reporter=practice_user, product=main.product), Status.INVESTIGATING, agent=agent
    )

    onto_a_duplicate = act(third, "mark_duplicate", {"reference": duplicate.reference})
    a_main_made_duplicate = act(main, "mark_duplicate", {"reference": third.reference})

    assert onto_a_duplicate.status_code == 409
    assert f"{duplicate.reference} is itself a duplicate" in text_of(onto_a_duplicate)
    assert a_main_made_duplicate.status_code == 409
    assert f"{main.reference} has duplicates of its own" in text_of(a_main_made_duplicate)
    assert IncidentLink.objects.count() == 1


def test_a_pair_is_linked_once_whichever_way_round(act, linked):
    duplicate, main = linked

    again = act(main, "link_related", {"reference": duplicate.reference})

    assert again.status_code == 409
    assert f"{main.reference} and {duplicate.reference} are already linked." in text_of(again)
    assert IncidentLink.objects.count() == 1


def test_the_database_refuses_a_self_link_and_a_reversed_pair(duplicate, main, agent):
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentLink.objects.create(from_incident=main, to_incident=main, kind="related", created_by=agent)
    IncidentLink.objects.create(from_incident=duplicate, to_incident=main, kind="related", created_by=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentLink.objects.create(
            from_incident=main, to_incident=duplicate, kind="related", created_by=agent
        )


def test_an_unknown_incident_or_action_is_a_404(agent_client, duplicate):
    assert agent_client.get(f"{CHANGELIST}999999/act/mark_duplicate/").status_code == 404
    assert agent_client.get(action_url(duplicate, "mark_triplicate")).status_code == 404


def test_a_practice_user_cannot_reach_the_action(client, practice_user, duplicate, main):
    login(client, practice_user)

    response = client.post(action_url(duplicate, "mark_duplicate"), {"reference": main.reference})

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
    assert not IncidentLink.objects.exists()


# --- Related incidents ---------------------------------------------------------------------------------


def test_linking_a_related_incident_writes_both_timelines_and_leaks_nothing(
    act, practice_client, practice_user, duplicate, main, agent
):
    incident_resolve(duplicate, actor=agent, resolution="Rebooted the print server.")
    incident_confirm(duplicate, actor=practice_user)  # closed: a past fault is still worth linking

    response = act(duplicate, "link_related", {"reference": main.reference})

    assert response.status_code == 302
    assert IncidentLink.objects.get().kind == IncidentLink.Kind.RELATED
    # Of another practice: each entry is the desk's alone.
    assert linked_events(duplicate) == [(False, f"Linked as related to {main.reference}.", main.reference)]
    assert linked_events(main) == [
        (False, f"Linked as related to {duplicate.reference}.", duplicate.reference)
    ]
    page = text_of(practice_client.get(duplicate.get_absolute_url()))
    assert "Related to an incident the Service Desk is working on." in page
    assert main.reference not in page


def test_a_related_incident_of_the_same_practice_is_named_with_a_link(
    act, practice_client, incident, practice_user
):
    earlier = IncidentFactory(reporter=practice_user, product=incident.product, summary="Printer offline")
    act(incident, "link_related", {"reference": earlier.reference})

    page = text_of(practice_client.get(incident.get_absolute_url()))

    assert (
        f'Related to <a href="{earlier.get_absolute_url()}">{earlier.reference}</a> (Printer offline).'
        in page
    )


# --- What the practice sees ----------------------------------------------------------------------------


def test_the_practice_sees_the_link_without_another_practices_reference(user_client, linked):
    duplicate, main = linked

    page = text_of(user_client.get(duplicate.get_absolute_url()))

    assert "This incident is linked to an incident the Service Desk is working on" in page
    assert main.reference not in page
    assert main.summary not in page


def test_the_main_incidents_practice_is_not_shown_another_practices_duplicate(client, outsider, linked):
    duplicate, main = linked

    page = text_of(login(client, outsider).get(main.get_absolute_url()))

    assert duplicate.reference not in page
    assert "Linked incidents" not in page


def test_a_duplicate_of_the_practices_own_incident_links_to_it(user_client, duplicate, practice_user, agent):
    same = drive_to(
        IncidentFactory(reporter=practice_user, product=duplicate.product, summary="Scanner jams"),
        Status.INVESTIGATING,
        agent=agent,
    )
    incident_mark_duplicate(duplicate, actor=agent, main=same)

    page = text_of(user_client.get(duplicate.get_absolute_url()))
    main_page = text_of(user_client.get(same.get_absolute_url()))

    assert f'a duplicate of <a href="{same.get_absolute_url()}">{same.reference}</a> (Scanner jams)' in page
    assert f'<a href="{duplicate.get_absolute_url()}">{duplicate.reference}</a>' in main_page
    assert "is a duplicate of this incident" in main_page


@pytest.mark.parametrize("links", [0, 3])
def test_the_incident_page_query_count_is_pinned_with_links(
    user_client, incident, practice_user, outsider, agent, django_assert_num_queries, links
):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    for number in range(links):
        reporter = practice_user if number % 2 else outsider
        incident_link_related(
            incident, actor=agent, other=IncidentFactory(reporter=reporter, product=incident.product)
        )
    user_client.get(incident.get_absolute_url())

    with django_assert_num_queries(DETAIL_QUERIES):
        assert user_client.get(incident.get_absolute_url()).status_code == 200


# --- Updates of the main incident reach its duplicates ---------------------------------------------------


def test_a_public_note_on_the_main_reaches_the_duplicates_practice(
    act, linked, practice_user, outsider, agent, mailoutbox
):
    duplicate, main = linked

    response = act(main, "note", {"text": "We have found the cause and are testing a fix.", "public": "on"})

    assert response.status_code == 302
    note = duplicate.events.get(kind=TimelineEvent.Kind.NOTE)
    assert (note.public, note.actor, note.text) == (
        True,
        agent,
        "We have found the cause and are testing a fix.",
    )
    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {practice_user.email, outsider.email}
    message = by_recipient[practice_user.email]
    assert duplicate.reference in message.subject
    assert main.reference not in message.subject + message.body
    assert "We have found the cause" in message.body


def test_an_internal_note_on_the_main_stays_with_the_main(act, linked, mailoutbox):
    duplicate, main = linked

    act(main, "note", {"text": "Looks like the spooler again."})

    assert not duplicate.events.filter(kind=TimelineEvent.Kind.NOTE).exists()
    assert mailoutbox == []


def test_a_note_on_the_duplicate_does_not_reach_the_main(
    linked, agent, mailoutbox, django_capture_on_commit_callbacks
):
    duplicate, main = linked

    with django_capture_on_commit_callbacks(execute=True):
        incident_add_note(duplicate, actor=agent, text="Riverside rebooted the server.")

    assert not main.events.filter(kind=TimelineEvent.Kind.NOTE).exists()
    assert len(mailoutbox) == 1


def test_resolving_the_main_resolves_the_duplicate_and_asks_its_practice_to_confirm(
    act, linked, practice_user, outsider, mailoutbox
):
    duplicate, main = linked

    response = act(main, "resolve", {"resolution": "Installed the corrected print driver."})

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.resolution) == (
        Status.RESOLVED,
        "Installed the corrected print driver.",
    )
    resolved = {message.to[0]: message for message in mailoutbox}
    assert set(resolved) == {practice_user.email, outsider.email}
    assert "please confirm or reject" in resolved[practice_user.email].subject
    assert duplicate.reference in resolved[practice_user.email].subject


def test_the_duplicates_practice_confirms_it_on_its_own(linked, practice_user, agent):
    """The same confirmation rule as for one incident: the duplicate closes when its practice confirms,
    and the main waits for its own practice."""
    duplicate, main = linked
    incident_resolve(main, actor=agent, resolution="Installed the corrected print driver.")

    incident_confirm(duplicate, actor=practice_user)

    duplicate.refresh_from_db()
    main.refresh_from_db()
    assert (duplicate.status, main.status) == (Status.CLOSED, Status.RESOLVED)


def test_a_duplicate_waiting_on_its_practice_is_taken_up_and_resolved(
    incident, main, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    waiting = drive_to(incident, Status.AWAITING_CUSTOMER, agent=agent)
    incident_mark_duplicate(waiting, actor=agent, main=main)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(main, actor=agent, resolution="Installed the corrected print driver.")

    waiting.refresh_from_db()
    assert waiting.status == Status.RESOLVED
    moves = list(waiting.events.filter(kind=TimelineEvent.Kind.STATUS).values_list("new_value", flat=True))
    assert moves[-2:] == [Status.INVESTIGATING, Status.RESOLVED]
    # Its practice hears once, of the resolution to confirm, not first of the investigation restarting.
    told = [message.subject for message in mailoutbox if message.to == [practice_user.email]]
    assert len(told) == 1 and "Resolved" in told[0], told


def test_a_closed_duplicate_is_left_alone(
    linked, practice_user, agent, mailoutbox, django_capture_on_commit_callbacks
):
    duplicate, main = linked
    incident_resolve(duplicate, actor=agent, resolution="Rebooted the print server.")  # on its own
    incident_confirm(duplicate, actor=practice_user)
    before = snapshot(duplicate)

    with django_capture_on_commit_callbacks(execute=True):
        incident_add_note(main, actor=agent, text="A fix is being tested.")
        incident_resolve(main, actor=agent, resolution="Installed the corrected print driver.")

    assert snapshot(duplicate) == before
    assert practice_user.email not in [message.to[0] for message in mailoutbox]


def test_a_canned_reply_filled_in_for_the_main_names_nothing_of_its_practice_at_the_duplicate(
    act, linked, practice_user, agent, mailoutbox
):
    """A canned reply is filled in for the incident it is written on: the main's reference and practice. Its
    duplicate at another practice reads its own reference and name there instead, on its page and by email."""
    duplicate, main = linked
    reply = CannedReply.objects.create(title="Update", text="{reference} at {practice}: a fix is on its way.")

    act(main, "note", {"text": reply.fill(main, agent), "public": "on"})
    act(main, "resolve", {"resolution": f"{main.reference} ({main.practice.practice_id}) is fixed."})

    duplicate.refresh_from_db()
    note = duplicate.events.get(kind=TimelineEvent.Kind.NOTE)
    assert note.text == f"{duplicate.reference} at {duplicate.practice.name}: a fix is on its way."
    assert duplicate.resolution == f"{duplicate.reference} ({duplicate.practice.practice_id}) is fixed."
    told = " ".join(m.subject + m.body for m in mailoutbox if m.to == [practice_user.email])
    assert "a fix is on its way" in told
    for theirs in (main.reference, main.practice.name, main.practice.practice_id):
        assert theirs not in told + note.text + duplicate.resolution


def test_a_main_closed_without_a_fix_lets_its_duplicates_go_with_a_word_to_the_desk(
    linked, outsider, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    """The main's practice no longer needs a fix; the duplicate's practice still does. The duplicate is
    unlinked and its timeline tells the desk (not the practice) to answer it on its own; later updates of the
    former main no longer reach it."""
    from incidents.services import incident_close_not_relevant

    duplicate, main = linked
    incident_close_not_relevant(main, actor=outsider, reason="We replaced the printer.")

    assert not IncidentLink.objects.filter(from_incident=duplicate).exists()
    entry = duplicate.events.filter(kind=TimelineEvent.Kind.LINKED).latest("pk")
    assert entry.public is False
    assert "needs its own answer" in entry.text
    duplicate.refresh_from_db()
    assert duplicate.status == Status.INVESTIGATING
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident_add_note(main, actor=agent, text="For the record: the driver is fixed in 5.5.")
    assert practice_user.email not in [message.to[0] for message in mailoutbox]


def test_scheduling_the_mains_fix_tells_the_duplicates_practice_with_the_workaround(
    linked, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    from incidents.models import Release
    from incidents.services import incident_schedule_fix

    duplicate, main = linked
    release = Release.objects.create(product=main.product, version="5.5.0", target_date=date(2031, 3, 14))

    with django_capture_on_commit_callbacks(execute=True):
        incident_schedule_fix(main, actor=agent, release=release, workaround="Print from the PDF preview.")

    note = duplicate.events.filter(kind=TimelineEvent.Kind.NOTE).latest("pk")
    assert note.public
    assert note.text == (
        f"A fix is scheduled for {release}, due 14 March 2031. Until then: Print from the PDF preview."
    )
    assert practice_user.email in [message.to[0] for message in mailoutbox]
