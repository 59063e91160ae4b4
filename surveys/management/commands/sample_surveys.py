from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from surveys.services import queue_invitation_emails, sample_month


class Command(BaseCommand):
    help = "Draw the survey round for a month's closures (the same function Celery beat runs monthly)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month of the closures, e.g. 2026-10.")
        parser.add_argument("--dry-run", action="store_true", help="Show the draw without saving it.")

    def handle(self, *args, **options):
        try:
            month = datetime.strptime(options["month"], "%Y-%m").date()
        except ValueError:
            raise CommandError(f"--month must look like 2026-10; got {options['month']!r}.") from None
        with transaction.atomic():
            survey_round, chosen = sample_month(month, dry_run=options["dry_run"])
            queued = 0 if options["dry_run"] else queue_invitation_emails(survey_round)
        verb = "would invite" if options["dry_run"] else "invites"
        self.stdout.write(
            f"{survey_round}: {verb} {len(chosen)} of {survey_round.population} customers "
            f"({survey_round.eligible_count} eligible), seed {survey_round.seed}."
        )
        if not options["dry_run"]:
            self.stdout.write(f"Invitation emails queued: {queued} (any already sent are not sent again).")
