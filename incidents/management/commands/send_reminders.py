from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.services import send_resolution_reminders


class Command(BaseCommand):
    help = "Remind practices to confirm or reject resolutions (the same sweep Celery beat runs hourly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="Run as of this moment (YYYY-MM-DD HH:MM, Europe/London) instead of now, e.g. to catch up.",
        )

    def handle(self, *args, **options):
        at = None
        if options["at"]:
            try:
                at = timezone.make_aware(datetime.strptime(options["at"], "%Y-%m-%d %H:%M"))
            except ValueError:
                raise CommandError(f"--at must look like 2026-11-25 09:00; got {options['at']!r}.") from None
        sent = send_resolution_reminders(at)
        self.stdout.write(f"{sent} reminder(s) sent.")
