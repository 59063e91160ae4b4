"""Two pollers (or a poller and the pipe) reading the same message at the same moment make one incident.

Only PostgreSQL shows this: SQLite serialises writers on a file lock. Each thread has its own connection,
as two worker processes would; a barrier starts them together.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from inbound.intake import ingest
from inbound.models import InboundMessage, Outcome, Source
from incidents.models import Incident, TimelineEvent
from tests.factories import IncidentFactory

from .conftest import compose, reply_headers

READERS = 8

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL row locks and real concurrency; run with DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def _read_together(raw):
    barrier = threading.Barrier(READERS)

    def read(source):
        try:
            barrier.wait()
            return ingest(raw, source=source).pk
        finally:
            connection.close()

    sources = [Source.IMAP, Source.PIPE] * (READERS // 2)
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        return {future.result() for future in [pool.submit(read, source) for source in sources]}


def test_one_message_read_by_many_at_once_logs_one_incident(sam):
    rows = _read_together(bytes(compose(body="Read by every poller at once.")))
    assert len(rows) == 1 and InboundMessage.objects.get().outcome == Outcome.LOGGED
    assert Incident.objects.count() == 1


def test_one_reply_read_by_many_at_once_adds_one_note(sam):
    incident = IncidentFactory(reporter=sam)
    in_reply_to, references = reply_headers(incident)
    _read_together(bytes(compose(body="Only once, please.", In_Reply_To=in_reply_to, References=references)))
    assert incident.events.filter(kind=TimelineEvent.Kind.NOTE).count() == 1
