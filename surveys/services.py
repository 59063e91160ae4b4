"""The monthly customer-satisfaction draw (issue 5's rule, exactly).

- The round for closures in calendar month M (Europe/London) is dated the 1st of month M+1.
- Population: the distinct customers (incident reporters) with at least one incident closed in M.
- A customer invited in a round dated d is not eligible for any round dated before d + 6 months.
- Sample: 25% of the population, rounded up, drawn uniformly from the eligible (all if fewer).
"""

import math
import secrets
from datetime import date, datetime, time
from random import Random

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident

from .models import Invitation, SurveyRound

SAMPLE_SHARE = 0.25
EXCLUSION_MONTHS = 6


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def population(month):
    """Ids of the customers with an incident closed in `month` (a date on its first day), in order."""
    closed = Incident.objects.filter(
        closed_at__gte=_start_of(month), closed_at__lt=_start_of(_add_months(month, 1))
    )
    return sorted(set(closed.values_list("reporter_id", flat=True)))


def eligible(customers, round_date):
    """Those not invited in a round dated d with round_date < d + 6 months, i.e. d > round_date - 6 months."""
    recent = Invitation.objects.filter(
        customer_id__in=customers, round__round_date__gt=_add_months(round_date, -EXCLUSION_MONTHS)
    ).exclude(round__round_date__gte=round_date)
    excluded = set(recent.values_list("customer_id", flat=True))
    return [customer for customer in customers if customer not in excluded]


def draw(customers, size, seed):
    """The sample: reproducible from the seed and the (sorted) eligible customers."""
    # Seeded, so that the draw can be repeated for audit: not for secrets (the seed itself is random).
    return sorted(Random(seed).sample(customers, min(size, len(customers))))  # noqa: S311


def sample_month(month, *, seed=None, dry_run=False):
    """Draw the round for closures in `month` (any date in it), or return the round already drawn.

    Running it again, or twice at once, gives the same round: the month is unique in the database, and
    the loser of a race reads the winner's round. With `dry_run`, nothing is saved.
    """
    month = month.replace(day=1)
    existing = SurveyRound.objects.filter(month=month).first()
    if existing:
        return existing, list(existing.invitations.values_list("customer_id", flat=True))
    round_date = _add_months(month, 1)
    people = population(month)
    chosen_from = eligible(people, round_date)
    seed = secrets.randbits(63) if seed is None else seed
    chosen = draw(chosen_from, math.ceil(SAMPLE_SHARE * len(people)), seed)
    survey_round = SurveyRound(
        month=month, round_date=round_date, seed=seed, population=len(people), eligible_count=len(chosen_from)
    )
    if dry_run:
        return survey_round, chosen
    try:
        with transaction.atomic():
            survey_round.save()
            Invitation.objects.bulk_create(Invitation(round=survey_round, customer_id=c) for c in chosen)
    except IntegrityError:  # another run drew this month first: theirs stands
        survey_round = SurveyRound.objects.get(month=month)
        chosen = list(survey_round.invitations.values_list("customer_id", flat=True))
    return survey_round, chosen
