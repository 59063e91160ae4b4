from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from escalation.services import escalate_overdue


class Command(BaseCommand):
    help = (
        "Escalate incidents past their ladder thresholds (the same sweep Celery beat runs every 5 minutes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at", help="Run as of this moment (YYYY-MM-DD HH:MM, Europe/London) instead of now."
        )

    def handle(self, *args, **options):
        at = None
        if options["at"]:
            try:
                at = timezone.make_aware(datetime.strptime(options["at"], "%Y-%m-%d %H:%M"))
            except ValueError:
                raise CommandError(f"--at must look like 2026-11-25 09:00; got {options['at']!r}.") from None
        self.stdout.write(f"{escalate_overdue(at)} incident(s) escalated.")
