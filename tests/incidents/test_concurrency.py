"""Many practices submitting at once must never share a reference (issue 2, item 6).

Only PostgreSQL shows this: SQLite serialises writers on a file lock, so the same test there would
prove nothing. Each thread has its own database connection, as separate web processes would.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from incidents.models import Incident, Severity
from incidents.services import incident_log
from tests.factories import ProductFactory, UserFactory

SUBMISSIONS = 50
WORKERS = 25

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL row locks and real concurrency; run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def _log_one(n, reporter, product):
    """What the portal view does for one submission, in a thread with its own connection."""
    try:
        incident = Incident(
            reporter=reporter,
            channel="portal",
            severity=Severity.MINOR_FAULT,
            contact_name=reporter.full_name,
            contact_number="01632 960555",
            product=product,
            summary=f"Concurrent problem {n}",
            description="Logged at the same moment as many others.",
        )
        return incident_log(incident, actor=reporter).reference
    finally:
        connection.close()


def _log_concurrently():
    reporters = UserFactory.create_batch(5)
    product = ProductFactory()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [
            pool.submit(_log_one, n, reporters[n % len(reporters)], product) for n in range(SUBMISSIONS)
        ]
        # .result() re-raises any exception from a thread, so a failed submission fails the test.
        return [future.result() for future in futures]


def test_fifty_concurrent_submissions_get_fifty_distinct_references():
    references = _log_concurrently()

    assert len(references) == SUBMISSIONS
    assert len(set(references)) == SUBMISSIONS
    assert Incident.objects.count() == SUBMISSIONS
    assert set(Incident.objects.values_list("reference", flat=True)) == set(references)


def test_concurrent_references_are_consecutive_without_gaps_or_duplicates():
    references = _log_concurrently()

    prefix = settings.INCIDENT_REFERENCE_PREFIX
    assert all(ref.startswith(prefix) and len(ref) == len(prefix) + 6 for ref in references)
    numbers = sorted(int(ref.removeprefix(prefix)) for ref in references)
    assert numbers == list(range(numbers[0], numbers[0] + SUBMISSIONS))
