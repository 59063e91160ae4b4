"""The monthly customer-satisfaction draw: the round for closures in calendar month M (Europe/London),
dated the 1st of M+1, invites 25% of the customers with an incident closed in M (rounded up), drawn from
those not invited in another round less than six months before or after it. Rounds may be drawn out of
order (by hand, or catching up after an outage), so a draw looks at the rounds on both sides of its own.
"""

import math
import secrets
from datetime import date, datetime, time, timedelta
from random import Random
from smtplib import SMTPException

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident
from servicedesk.lib.mail import send_templated_email
from servicedesk.outbox import queue_on_commit

from .models import Answer, Invitation, Question, Response, SurveyRound

SAMPLE_SHARE = 0.25
EXCLUSION_MONTHS = 6


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_closed_incidents(month):
    """{customer id: id of their last incident closed in `month`}: the incident their survey asks about."""
    start = timezone.make_aware(datetime.combine(month, time.min))
    end = timezone.make_aware(datetime.combine(_add_months(month, 1), time.min))
    # A caller with no portal account (no reporter) has no address to invite.
    closed = Incident.objects.filter(closed_at__gte=start, closed_at__lt=end, reporter__isnull=False)
    return dict(closed.order_by("closed_at", "pk").values_list("reporter_id", "pk"))


def eligible(customers, round_date):
    """Those not invited in any other round dated less than six months before or after `round_date`."""
    # Read the window's invitations rather than pass every customer in an IN list: a month can have tens
    # of thousands of customers, more than SQLite accepts as query parameters.
    nearby = Invitation.objects.filter(
        round__round_date__gt=_add_months(round_date, -EXCLUSION_MONTHS),
        round__round_date__lt=_add_months(round_date, EXCLUSION_MONTHS),
    ).exclude(round__round_date=round_date)
    excluded = set(nearby.values_list("customer_id", flat=True))
    return [customer for customer in customers if customer not in excluded]


def draw(customers, size, seed):
    """The sample: reproducible from the seed and the (sorted) eligible customers."""
    # Seeded, so that the draw can be repeated for audit: not for secrets (the seed itself is random).
    return sorted(Random(seed).sample(customers, min(size, len(customers))))  # noqa: S311


def sample_month(month, *, seed=None, dry_run=False):
    """Draw the round for closures in `month` (any date in it), or return the round already drawn; with
    `dry_run`, nothing is saved. Running it again, or twice at once, gives the same round: the month is
    unique in the database, and a run that waited for another reads the round that one drew."""
    month = month.replace(day=1)
    if dry_run:
        return _already_drawn(month) or _draw_round(month, seed)[:2]
    try:
        with transaction.atomic():
            _take_turns()
            drawn = _already_drawn(month)
            if drawn:
                return drawn
            survey_round, chosen, last_incident = _draw_round(month, seed)
            survey_round.save()
            Invitation.objects.bulk_create(
                (Invitation(round=survey_round, customer_id=c, incident_id=last_incident[c]) for c in chosen),
                batch_size=1000,
            )
    except IntegrityError:  # another run drew this month first (SQLite, which takes no turns): theirs stands
        return _already_drawn(month)
    return survey_round, chosen


def _already_drawn(month):
    """(the month's round, the customers it invited), or None if it has not been drawn."""
    survey_round = SurveyRound.objects.filter(month=month).first()
    if survey_round is None:
        return None
    return survey_round, list(survey_round.invitations.values_list("customer_id", flat=True))


def _draw_round(month, seed):
    """The month's round (unsaved), the customers it invites and {customer: their last incident}."""
    round_date = _add_months(month, 1)
    last_incident = last_closed_incidents(month)
    people = sorted(last_incident)
    chosen_from = eligible(people, round_date)
    seed = secrets.randbits(63) if seed is None else seed
    chosen = draw(chosen_from, math.ceil(SAMPLE_SHARE * len(people)), seed)
    survey_round = SurveyRound(
        month=month, round_date=round_date, seed=seed, population=len(people), eligible_count=len(chosen_from)
    )
    return survey_round, chosen, last_incident


def _take_turns():
    """Draws take turns, each until its transaction ends: a draw reads the invitations of the rounds on
    both sides of its own, so two draws of different months at once could each invite someone twice.

    On PostgreSQL, a table lock that writers of rounds wait for and readers do not. SQLite lets only one
    transaction write at a time anyway: a second draw at once fails with "database is locked"."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(SurveyRound._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _queue_sends(invitation_ids):
    from .tasks import send_survey_invitation  # .tasks imports this module

    for pk in invitation_ids:
        queue_on_commit(send_survey_invitation, pk)
    return len(invitation_ids)


def queue_invitation_emails(survey_round):
    """Queue an email for each invitation of the round not yet claimed by a send; returns how many.
    Safe to repeat: each send claims its invitation first, so a queued duplicate sends nothing."""
    return _queue_sends(survey_round.invitations.filter(claimed_at__isnull=True).values_list("pk", flat=True))


def send_invitation(invitation_id):
    """Email one invitation, at most once; True if this call sent it.

    The invitation is claimed with a conditional update (committed at once) before anything is sent, so
    a retried or duplicated task finds it claimed and sends nothing. If the mail server refuses, the claim
    is released for the retry. If the process dies between the claim and the mail server's answer, the
    invitation stays claimed without `sent_at`: admin shows it as interrupted and staff may send it again.
    """
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation_id, claimed_at__isnull=True).update(
        claimed_at=now, expires_at=now + timedelta(days=settings.SURVEY_LINK_DAYS)
    )
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("customer", "round", "incident__product").get(
        pk=invitation_id
    )
    try:
        context = {"invitation": invitation, "question_count": Question.objects.filter(active=True).count()}
        send_templated_email("survey_invitation", [invitation.customer.email], context)
    except (SMTPException, OSError):
        Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(
            claimed_at=None, expires_at=None
        )
        raise
    Invitation.objects.filter(pk=invitation_id).update(sent_at=timezone.now())
    return True


def resend_interrupted(invitations):
    """Staff decided that interrupted sends never reached the customer: release and queue them again.
    Returns how many were queued. An answer proves the email arrived: answered ones are never sent again."""
    interrupted = invitations.filter(claimed_at__isnull=False, sent_at__isnull=True, response__isnull=True)
    released = list(interrupted.values_list("pk", flat=True))
    with transaction.atomic():
        Invitation.objects.filter(pk__in=released).update(claimed_at=None, expires_at=None)
        return _queue_sends(released)


class AlreadyAnswered(Exception):
    """The invitation has a response already: each is answered once."""


def survey_answer(invitation, answers, *, nhs_override=False):
    """Record a customer's answers to an invitation, (question, score, yes, text) each, all or none. Raises
    AlreadyAnswered if a response exists (the database holds one per invitation, so two submissions at
    once cannot both land). An answer proves an interrupted send did arrive, so it is marked sent."""
    try:
        with transaction.atomic():
            response = Response.objects.create(invitation=invitation, nhs_override=nhs_override)
            if invitation.sent_at is None:
                Invitation.objects.filter(pk=invitation.pk).update(sent_at=invitation.claimed_at)
            Answer.objects.bulk_create(
                Answer(response=response, question=q, question_text=q.text, score=s, yes=y, text=t)
                for q, s, y, t in answers
            )
    except IntegrityError:
        raise AlreadyAnswered from None
    return response
