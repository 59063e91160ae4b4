from django.core.management.base import BaseCommand

from incidents.services import send_resolution_reminders
from servicedesk.lib.commands import add_at_argument, parse_at


class Command(BaseCommand):
    help = "Remind practices to confirm or reject resolutions (the same sweep Celery beat runs hourly)."

    def add_arguments(self, parser):
        add_at_argument(parser)

    def handle(self, *args, **options):
        sent = send_resolution_reminders(parse_at(options["at"]))
        self.stdout.write(f"{sent} reminder(s) sent.")
