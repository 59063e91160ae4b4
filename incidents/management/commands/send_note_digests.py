from django.core.management.base import BaseCommand

from incidents.services import send_note_digests
from servicedesk.lib.commands import add_at_argument, parse_at


class Command(BaseCommand):
    help = "Email the desk one digest per incident of practice notes held back (the sweep Celery beat runs)."

    def add_arguments(self, parser):
        add_at_argument(parser)

    def handle(self, *args, **options):
        sent = send_note_digests(parse_at(options["at"]))
        self.stdout.write(f"{sent} digest(s) sent.")
