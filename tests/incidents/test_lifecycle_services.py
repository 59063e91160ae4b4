"""The incident lifecycle through its one writer, incidents/services.py (issue 3, items 1, 3 and 7).

Every row of the transition table is walked from each of its source states, every other
(action, state) pair is refused, and each side of the desk may only do its own part.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from incidents.models import Incident, Severity, Status, TimelineEvent
from incidents.services import (
    AGENT,
    CUSTOMER,
    TRANSITIONS,
    InvalidTransition,
    allowed_actions,
    incident_add_note,
    incident_assign,
    incident_change_severity,
    incident_confirm,
    incident_reject,
    incident_request_progress,
)
from tests.factories import IncidentFactory

from .lifecycle_helpers import (
    PATHS,
    SERVICES,
    assert_carries_reference_and_desk_contact,
    drive_to,
    make_release,
    perform,
    snapshot,
)

NOW = datetime(2030, 5, 14, 10, 30, tzinfo=UTC)

# The lifecycle as SPEC.md draws it, written out independently of the code's table.
SPEC_TABLE = {
    "verify": ({Status.LOGGED}, Status.UNDER_REVIEW, AGENT),
    "start_investigation": ({Status.UNDER_REVIEW, Status.AWAITING_CUSTOMER}, Status.INVESTIGATING, AGENT),
    "await_customer": ({Status.INVESTIGATING}, Status.AWAITING_CUSTOMER, AGENT),
    "schedule_fix": ({Status.INVESTIGATING}, Status.FIX_SCHEDULED, AGENT),
    "resolve": ({Status.INVESTIGATING, Status.FIX_SCHEDULED}, Status.RESOLVED, AGENT),
    "confirm": ({Status.RESOLVED}, Status.CLOSED, CUSTOMER),
    "confirm_by_phone": ({Status.RESOLVED}, Status.CLOSED, AGENT),
    "reject": ({Status.RESOLVED}, Status.INVESTIGATING, CUSTOMER),
    "close_not_relevant": (set(Status) - {Status.CLOSED}, Status.CLOSED, CUSTOMER),
    "reopen": ({Status.CLOSED}, Status.INVESTIGATING, CUSTOMER),  # within INCIDENT_REOPEN_DAYS
}

LEGAL = [(action, source) for action, rule in TRANSITIONS.items() for source in sorted(rule.sources)]
ILLEGAL = [
    (action, status)
    for action, rule in TRANSITIONS.items()
    for status in Status
    if status not in rule.sources
]
AGENT_ACTIONS = [action for action, rule in TRANSITIONS.items() if rule.who == AGENT]
CUSTOMER_ACTIONS = [action for action, rule in TRANSITIONS.items() if rule.who == CUSTOMER]
DESK_NOTIFIED = {"reject", "close_not_relevant", "reopen"}  # the practice acted: the desk is told


def _pair_id(value):
    return str(value)


def nearest_source(action):
    """The legal source of `action` reached in the fewest steps from logged."""
    return min(TRANSITIONS[action].sources, key=lambda status: len(PATHS[status]))


def resolved_or_nearest(action):
    """Resolved, where the practice's choices are, if `action` starts there; else its nearest source."""
    return Status.RESOLVED if Status.RESOLVED in TRANSITIONS[action].sources else nearest_source(action)


def actor_for(action, *, agent, customer):
    return agent if TRANSITIONS[action].who == AGENT else customer


def new_events(incident, after_pk):
    return list(TimelineEvent.objects.filter(incident=incident, pk__gt=after_pk).order_by("pk"))


def last_event_pk(incident):
    return TimelineEvent.objects.filter(incident=incident).order_by("-pk").values_list("pk", flat=True)[0]


# --- The table ------------------------------------------------------------------------------------


def test_transition_table_is_the_lifecycle_in_the_spec():
    table = {action: (set(rule.sources), rule.target, rule.who) for action, rule in TRANSITIONS.items()}
    assert table == SPEC_TABLE


def test_only_the_customer_can_close_a_resolved_incident_except_an_agent_recording_a_phone_call():
    closers = {action for action, rule in TRANSITIONS.items() if rule.target == Status.CLOSED}
    assert closers == {"confirm", "confirm_by_phone", "close_not_relevant"}
    assert {TRANSITIONS[a].who for a in closers - {"confirm_by_phone"}} == {CUSTOMER}


@pytest.mark.parametrize("status", list(Status), ids=_pair_id)
def test_allowed_actions_offers_each_side_exactly_its_legal_moves(status, incident, agent):
    incident = drive_to(incident, status, agent=agent)
    for who in (AGENT, CUSTOMER):
        expected = {a for a, (sources, _, side) in SPEC_TABLE.items() if side == who and status in sources}
        assert set(allowed_actions(incident, who)) == expected


# --- Every legal transition -----------------------------------------------------------------------

EVENT_KINDS = {
    "schedule_fix": TimelineEvent.Kind.FIX_SCHEDULED,
    "confirm": TimelineEvent.Kind.CONFIRMED,
    "confirm_by_phone": TimelineEvent.Kind.CONFIRMED,
    "reject": TimelineEvent.Kind.REJECTED,
}

EVENT_TEXTS = {
    "verify": "Checked the details with the practice.",
    "start_investigation": "Looking at the print server.",
    "await_customer": "Which printer model do you use?",
    "schedule_fix": "due 14 March 2031",
    "resolve": "Reinstalled the printer driver.",
    "confirm": "Confirmed in the portal by Alex Morgan",
    "confirm_by_phone": "Confirmed by telephone by Dr Lee, practice manager",
    "reject": "Still cannot print prescriptions.",
    "close_not_relevant": "Closed as no longer relevant: We replaced the printer.",
    "reopen": "Reopened: The printer jams again.",
}


def expected_side_fields(action, before, release):
    """The fields besides status that `action` sets, as stored (values() names)."""
    return {
        "schedule_fix": {
            "software_fault": True,
            "release_id": release.pk if release else None,
            "workaround": "Print from the PDF preview meanwhile.",
        },
        "resolve": {
            "resolution": "Reinstalled the printer driver.",
            "resolution_is_workaround": False,
            "resolved_at": NOW,
            "last_reminder_at": None,
        },
        "confirm": {"closed_at": NOW},
        "confirm_by_phone": {"closed_at": NOW},
        "reject": {"reopened_count": before["reopened_count"] + 1, "resolved_at": None},
        "close_not_relevant": {"closed_at": NOW},
        "reopen": {"reopened_count": before["reopened_count"] + 1, "closed_at": None, "resolved_at": None},
    }.get(action, {})


@pytest.mark.parametrize(("action", "source"), LEGAL, ids=_pair_id)
def test_legal_transition_moves_the_incident_and_records_one_event(
    action, source, incident, agent, practice_user
):
    # A closed incident can be reopened only for a while after closing: close it the day before.
    with time_machine.travel(NOW - timedelta(days=1), tick=False) if action == "reopen" else nullcontext():
        incident = drive_to(incident, source, agent=agent)
    actor = actor_for(action, agent=agent, customer=practice_user)
    release = make_release(incident.product) if action == "schedule_fix" else None
    extra = {"release": release} if release else {}
    before, _ = snapshot(incident)
    after_pk = last_event_pk(incident)

    with time_machine.travel(NOW, tick=False):
        returned = perform(action, incident, actor=actor, **extra)

    incident.refresh_from_db()
    rule = TRANSITIONS[action]
    assert incident.status == returned.status == rule.target
    (event,) = new_events(incident, after_pk)
    assert event.kind == EVENT_KINDS.get(action, TimelineEvent.Kind.STATUS)
    assert event.actor == actor
    assert (event.old_value, event.new_value) == (source, rule.target)
    assert EVENT_TEXTS[action] in event.text
    assert event.public
    after, _ = snapshot(incident)
    side = expected_side_fields(action, before, release)
    # The entry is the desk's or the practice's latest ("practice replied", incidents/queues.py).
    side["desk_last_entry_at" if actor.is_staff else "practice_last_entry_at"] = NOW
    assert {name: after[name] for name in side} == side
    # The SLA clocks move with the status (tests/escalation covers them).
    clocks = {"responded_at", "resolution_due_at", "sla_time_used", "sla_running_since", "response_due_at"}
    changed = {name for name in after if after[name] != before[name]} - {"updated_at"} - clocks
    assert changed <= {"status", *side}


def test_schedule_fix_event_names_the_release(incident, agent):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    release = make_release(incident.product, version="5.5.0")

    perform("schedule_fix", incident, actor=agent, release=release)

    event = incident.events.get(kind=TimelineEvent.Kind.FIX_SCHEDULED)
    assert "Synergy Clinical 5.5.0 (planned)" in event.text


def test_resolving_with_a_temporary_workaround_is_marked_and_told_to_the_practice(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        perform("resolve", incident, actor=agent, resolution="Use the old print queue.", is_workaround=True)

    incident.refresh_from_db()
    assert incident.resolution_is_workaround
    assert incident.resolution == "Use the old print queue."
    (message,) = mailoutbox
    assert "temporary workaround" in message.body


def test_each_rejection_counts_as_another_reopening(incident, agent, practice_user):
    incident = drive_to(incident, Status.RESOLVED, agent=agent)
    incident = perform("reject", incident, actor=practice_user)
    incident = perform("resolve", incident, actor=agent)
    incident = perform("reject", incident, actor=practice_user)

    assert incident.reopened_count == 2  # what a page showing the returned incident would say
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.reopened_count == 2
    assert incident.resolved_at is None


def test_rejecting_through_a_stale_copy_still_counts_every_reopening(incident, agent, practice_user):
    """A page loaded before an earlier rejection and re-resolution must not reset the count."""
    incident = drive_to(incident, Status.RESOLVED, agent=agent)
    stale = Incident.objects.get(pk=incident.pk)  # reopened_count 0, as the open page last saw it
    perform("reject", incident, actor=practice_user)
    perform("resolve", incident, actor=agent)

    perform("reject", stale, actor=practice_user)

    incident.refresh_from_db()
    assert incident.reopened_count == 2


# --- Every illegal transition ---------------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=_pair_id)
def test_illegal_transition_is_refused_with_a_clear_message_and_changes_nothing(
    action, status, incident, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, status, agent=agent)
    actor = actor_for(action, agent=agent, customer=practice_user)
    before = snapshot(incident)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition) as refused:
        perform(action, incident, actor=actor)

    message = str(refused.value)
    assert TRANSITIONS[action].label in message
    assert incident.reference in message
    assert Status(status).label.lower() in message
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", AGENT_ACTIONS)
def test_practice_staff_cannot_take_the_desks_actions(action, incident, agent, practice_user):
    incident = drive_to(incident, nearest_source(action), agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Only the Service Desk can do that"):
        perform(action, incident, actor=practice_user)

    assert snapshot(incident) == before


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_an_agent_cannot_confirm_reject_or_close_for_the_practice_in_the_portal(action, incident, agent):
    incident = drive_to(incident, nearest_source(action), agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Only staff of the incident's practice"):
        perform(action, incident, actor=agent)

    assert snapshot(incident) == before


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_staff_of_another_practice_cannot_confirm_reject_or_close(action, incident, agent, outsider):
    incident = drive_to(incident, Status.RESOLVED, agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Only staff of the incident's practice"):
        perform(action, incident, actor=outsider)

    assert snapshot(incident) == before


@pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
def test_a_colleague_in_the_same_practice_can_confirm_reject_or_close(action, incident, agent, colleague):
    incident = drive_to(incident, resolved_or_nearest(action), agent=agent)

    perform(action, incident, actor=colleague)

    incident.refresh_from_db()
    assert incident.status == TRANSITIONS[action].target
    assert incident.events.order_by("-pk").first().actor == colleague


def test_a_team_leader_can_take_the_desks_actions(incident, team_leader):
    perform("verify", incident, actor=team_leader)

    incident.refresh_from_db()
    assert incident.status == Status.UNDER_REVIEW


REQUIRED = [
    ("await_customer", "question"),
    ("resolve", "resolution"),
    ("reject", "reason"),
    ("close_not_relevant", "reason"),
    ("confirm_by_phone", "confirmed_by"),
]


@pytest.mark.parametrize("blank", ["", "   \n\t "], ids=["empty", "whitespace"])
@pytest.mark.parametrize(("action", "field"), REQUIRED, ids=_pair_id)
def test_a_transition_that_needs_a_reason_refuses_a_blank_one(
    action, field, blank, incident, agent, practice_user
):
    incident = drive_to(incident, nearest_source(action), agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Please give"):
        perform(
            action, incident, actor=actor_for(action, agent=agent, customer=practice_user), **{field: blank}
        )

    assert snapshot(incident) == before


# --- Emails from transitions ----------------------------------------------------------------------


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_transition_emails_the_other_side_with_the_reference_and_desk_phone(
    action, incident, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, nearest_source(action), agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        perform(action, incident, actor=actor_for(action, agent=agent, customer=practice_user))

    (message,) = mailoutbox
    desk = settings.SERVICE_DESK_NOTIFY_EMAIL
    assert message.to == ([desk] if action in DESK_NOTIFIED else [practice_user.email])
    assert_carries_reference_and_desk_contact(message, incident)


def test_resolution_email_asks_the_reporter_to_confirm_with_a_link_to_the_incident_page(
    incident, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        perform("resolve", incident, actor=agent)

    (message,) = mailoutbox
    link = f"{settings.SITE_URL}/incidents/{incident.reference}/"
    assert message.to == [practice_user.email]
    assert "confirm" in message.subject.lower()
    assert link in message.body
    assert f'href="{link}' in message.alternatives[0][0]
    assert "Reinstalled the printer driver." in message.body


@pytest.mark.parametrize("action", sorted(DESK_NOTIFIED))
def test_practice_rejection_or_closure_goes_to_the_assigned_agent_when_there_is_one(
    action, incident, agent, team_leader, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    incident = drive_to(incident, Status.RESOLVED, agent=agent)
    incident_assign(incident, actor=agent, assignee=team_leader)
    if action == "reopen":
        incident = perform("confirm", incident, actor=practice_user)  # closed, keeping its assignee

    with django_capture_on_commit_callbacks(execute=True):
        perform(action, incident, actor=practice_user)

    (message,) = mailoutbox
    assert message.to == [team_leader.email]
    assert SERVICES[action][1]["reason"] in message.body


# --- Severity -------------------------------------------------------------------------------------


def test_agent_changes_severity_with_a_reason_the_practice_is_told(
    incident, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(
            incident, actor=agent, severity=Severity.MAJOR_FAULT, reason="All prescriptions are blocked."
        )

    incident.refresh_from_db()
    assert incident.severity == Severity.MAJOR_FAULT
    event = incident.events.get(kind=TimelineEvent.Kind.SEVERITY)
    assert (event.actor, event.old_value, event.new_value) == (agent, "3 – Minor fault", "2 – Major fault")
    assert event.text == "All prescriptions are blocked."
    assert event.public
    (message,) = mailoutbox
    assert message.to == [practice_user.email]
    assert "All prescriptions are blocked." in message.body
    assert_carries_reference_and_desk_contact(message, incident)


def test_raising_to_severity_one_also_alerts_the_desk(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(
            incident, actor=agent, severity=Severity.SYSTEM_UNAVAILABLE, reason="Nobody can log in."
        )

    assert sorted(address for m in mailoutbox for address in m.to) == sorted(
        [incident.reporter.email, *settings.SERVICE_DESK_ALERT_EMAILS]
    )


@pytest.mark.parametrize("reason", ["", "  "], ids=["empty", "whitespace"])
def test_severity_change_without_a_reason_is_refused(incident, agent, reason):
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="reason for the new severity"):
        incident_change_severity(incident, actor=agent, severity=Severity.MAJOR_FAULT, reason=reason)

    assert snapshot(incident) == before


def test_practice_staff_cannot_change_the_severity(incident, practice_user):
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Only the Service Desk can change the severity"):
        incident_change_severity(
            incident, actor=practice_user, severity=Severity.MAJOR_FAULT, reason="Urgent"
        )

    assert snapshot(incident) == before


def test_setting_the_same_severity_records_and_sends_nothing(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    before = snapshot(incident)

    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(incident, actor=agent, severity=incident.severity, reason="Checked")

    assert snapshot(incident) == before
    assert mailoutbox == []


def test_a_closed_incidents_severity_cannot_change(incident, agent):
    incident = drive_to(incident, Status.CLOSED, agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="is closed"):
        incident_change_severity(incident, actor=agent, severity=Severity.MAJOR_FAULT, reason="Late")

    assert snapshot(incident) == before


# --- Assignment -----------------------------------------------------------------------------------


def test_assigning_to_an_agent_is_an_internal_event_and_emails_nobody(
    incident, agent, team_leader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_assign(incident, actor=agent, assignee=team_leader)

    incident.refresh_from_db()
    assert incident.assignee == team_leader
    event = incident.events.get(kind=TimelineEvent.Kind.ASSIGNED)
    assert (event.actor, event.old_value, event.new_value) == (agent, "nobody", "Robin Lead")
    assert not event.public
    assert mailoutbox == []


def test_unassigning_records_who_had_it(incident, agent, team_leader):
    incident_assign(incident, actor=agent, assignee=team_leader)

    incident_assign(incident, actor=agent, assignee=None)

    incident.refresh_from_db()
    assert incident.assignee is None
    last = incident.events.filter(kind=TimelineEvent.Kind.ASSIGNED).order_by("-pk").first()
    assert (last.old_value, last.new_value) == ("Robin Lead", "nobody")


def test_an_incident_cannot_be_assigned_to_practice_staff(incident, agent, practice_user):
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="assigned by and to Service Desk staff"):
        incident_assign(incident, actor=agent, assignee=practice_user)

    assert snapshot(incident) == before


def test_practice_staff_cannot_assign_an_incident(incident, agent, practice_user):
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="assigned by and to Service Desk staff"):
        incident_assign(incident, actor=practice_user, assignee=agent)

    assert snapshot(incident) == before


def test_assigning_to_the_current_assignee_records_nothing(incident, agent):
    incident_assign(incident, actor=agent, assignee=agent)

    incident_assign(incident, actor=agent, assignee=agent)

    assert incident.events.filter(kind=TimelineEvent.Kind.ASSIGNED).count() == 1


# --- Progress requests ----------------------------------------------------------------------------


def test_first_progress_request_notifies_the_desk(
    incident, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        notified, when = incident_request_progress(incident, actor=practice_user)

    assert (notified, when) == (True, NOW)
    incident.refresh_from_db()
    assert incident.last_progress_request_at == NOW
    event = incident.events.get(kind=TimelineEvent.Kind.PROGRESS_REQUESTED)
    assert event.actor == practice_user
    assert "Alex Morgan asked for a progress update" in event.text
    (message,) = mailoutbox
    assert message.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]
    assert_carries_reference_and_desk_contact(message, incident)


def test_progress_request_goes_to_the_assigned_agent(
    incident, agent, colleague, mailoutbox, django_capture_on_commit_callbacks
):
    incident_assign(incident, actor=agent, assignee=agent)

    with django_capture_on_commit_callbacks(execute=True):
        notified, _ = incident_request_progress(incident, actor=colleague)

    assert notified
    (message,) = mailoutbox
    assert message.to == [agent.email]


def test_a_repeat_progress_request_within_four_hours_says_when_and_notifies_nobody(
    incident, practice_user, colleague, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        incident_request_progress(incident, actor=practice_user)
    events_before = incident.events.count()

    with (
        time_machine.travel(NOW + timedelta(hours=3, minutes=59), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notified, last = incident_request_progress(incident, actor=colleague)

    assert (notified, last) == (False, NOW)
    assert incident.events.count() == events_before
    assert mailoutbox == []


def test_a_progress_request_after_four_hours_notifies_again(
    incident, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        incident_request_progress(incident, actor=practice_user)
    later = NOW + timedelta(hours=4)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        notified, when = incident_request_progress(incident, actor=practice_user)

    assert (notified, when) == (True, later)
    assert incident.events.filter(kind=TimelineEvent.Kind.PROGRESS_REQUESTED).count() == 2
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("who", ["outsider", "agent"])
def test_only_the_practice_can_ask_for_progress(
    who, request, incident, mailoutbox, django_capture_on_commit_callbacks
):
    before = snapshot(incident)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidTransition, match="Only staff of the incident's practice"),
    ):
        incident_request_progress(incident, actor=request.getfixturevalue(who))

    assert snapshot(incident) == before
    assert mailoutbox == []


def test_progress_cannot_be_requested_on_a_closed_incident(incident, agent, practice_user):
    incident = drive_to(incident, Status.CLOSED, agent=agent)
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="is closed"):
        incident_request_progress(incident, actor=practice_user)

    assert snapshot(incident) == before


# --- Notes ----------------------------------------------------------------------------------------


def test_a_practice_note_is_always_public_and_emails_the_desk(
    incident, colleague, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = incident_add_note(incident, actor=colleague, text="It fails on every PC.", public=False)

    event.refresh_from_db()
    assert (event.kind, event.actor, event.public) == (TimelineEvent.Kind.NOTE, colleague, True)
    assert event.text == "It fails on every PC."
    (message,) = mailoutbox
    assert message.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]
    assert "It fails on every PC." in message.body
    assert_carries_reference_and_desk_contact(message, incident)


def test_an_internal_desk_note_is_hidden_and_emails_nobody(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = incident_add_note(incident, actor=agent, text="Looks like the driver bug.", public=False)

    event.refresh_from_db()
    assert not event.public
    assert event.text == "Looks like the driver bug."
    assert mailoutbox == []


def test_a_public_desk_note_emails_the_reporter(
    incident, agent, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = incident_add_note(incident, actor=agent, text="Please restart the spooler.", public=True)

    event.refresh_from_db()
    assert event.public
    (message,) = mailoutbox
    assert message.to == [practice_user.email]
    assert "Please restart the spooler." in message.body
    assert_carries_reference_and_desk_contact(message, incident)


def test_staff_of_another_practice_cannot_add_a_note(
    incident, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    before = snapshot(incident)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidTransition, match="Only staff of the incident's practice"),
    ):
        incident_add_note(incident, actor=outsider, text="Not mine to say.")

    assert snapshot(incident) == before
    assert mailoutbox == []


def test_an_empty_note_without_files_is_refused(incident, practice_user):
    before = snapshot(incident)

    with pytest.raises(InvalidTransition, match="Write a note or attach a file"):
        incident_add_note(incident, actor=practice_user, text="   ")

    assert snapshot(incident) == before


# --- Concurrent confirm and reject (PostgreSQL) ---------------------------------------------------

RACES = 5
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _race(barrier, service, incident_pk, actor, **kwargs):
    """One browser request: load the page's incident, then act at the same moment as the other."""
    try:
        incident = Incident.objects.get(pk=incident_pk)
        barrier.wait(timeout=10)
        try:
            service(incident, actor=actor, **kwargs)
        except InvalidTransition as refused:
            return refused
        return "won"
    finally:
        connection.close()


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL row locks and real concurrency (SQLite serialises writers); "
    "run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirm_and_reject_exactly_one_wins(agent, practice_user, colleague, product):
    for _ in range(RACES):
        incident = drive_to(
            IncidentFactory(reporter=practice_user, product=product), Status.RESOLVED, agent=agent
        )
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            confirm = pool.submit(_race, barrier, incident_confirm, incident.pk, practice_user)
            reject = pool.submit(_race, barrier, incident_reject, incident.pk, colleague, reason="Not fixed.")
            outcomes = {"confirm": confirm.result(), "reject": reject.result()}

        winners = [name for name, outcome in outcomes.items() if outcome == "won"]
        assert len(winners) == 1, outcomes
        (loser,) = set(outcomes) - set(winners)
        assert isinstance(outcomes[loser], InvalidTransition)
        assert "not possible while" in str(outcomes[loser])
        incident.refresh_from_db()
        winning_kind = TimelineEvent.Kind.CONFIRMED if winners == ["confirm"] else TimelineEvent.Kind.REJECTED
        expected_status = Status.CLOSED if winners == ["confirm"] else Status.INVESTIGATING
        assert incident.status == expected_status
        decisions = incident.events.filter(
            kind__in=[TimelineEvent.Kind.CONFIRMED, TimelineEvent.Kind.REJECTED]
        )
        assert list(decisions.values_list("kind", flat=True)) == [winning_kind]
        assert incident.reopened_count == (1 if winners == ["reject"] else 0)
