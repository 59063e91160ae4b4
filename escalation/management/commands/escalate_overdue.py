from django.core.management.base import BaseCommand

from escalation.services import escalate_overdue
from servicedesk.lib.commands import add_at_argument, parse_at


class Command(BaseCommand):
    help = (
        "Escalate incidents past their ladder thresholds (the same sweep Celery beat runs every 5 minutes)."
    )

    def add_arguments(self, parser):
        add_at_argument(parser)

    def handle(self, *args, **options):
        self.stdout.write(f"{escalate_overdue(parse_at(options['at']))} incident(s) escalated.")
