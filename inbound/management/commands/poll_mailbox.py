"""`manage.py poll_mailbox`: one run of the IMAP poller, as Celery beat runs it every INBOUND_POLL_SECONDS."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from inbound.imap import poll


class Command(BaseCommand):
    help = "Read the intake mailbox once (INBOUND_IMAP_*): log incidents, add notes, refuse or hold mail."

    def handle(self, *args, **options):
        if not settings.INBOUND_IMAP_HOST:
            self.stderr.write("INBOUND_IMAP_HOST is not set: there is no mailbox to read.")
            sys.exit(2)
        result = poll()
        self.stdout.write(str(result))
        if result.error:
            sys.exit(1)
