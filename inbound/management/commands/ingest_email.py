"""`manage.py ingest_email < message.eml`: one message from a mail server's pipe (Postfix or Exim `|`
delivery), handled exactly as the IMAP poller handles it."""

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from inbound.intake import TryLater, ingest
from inbound.models import Source

# sysexits.h: the mail server keeps the message and tries again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one email (its raw bytes) on standard input and log an incident, add a note, or refuse it."

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            self.stderr.write("No message on standard input.")
            sys.exit(65)  # EX_DATAERR: the mail server bounces it
        try:
            row = ingest(raw, source=Source.PIPE)
        except TryLater as exc:
            self.stderr.write(f"Could not record the message now; the mail server should try again: {exc}")
            sys.exit(EX_TEMPFAIL)
        when = timezone.localtime(row.received_at)
        already = f"Already read on {when:%d %b %Y %H:%M}: " if row.seen_before else ""
        self.stdout.write(f"{already}{row.get_outcome_display()}. {row.reason}".strip())
