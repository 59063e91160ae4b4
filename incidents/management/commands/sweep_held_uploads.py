from datetime import timedelta

from django.core.management.base import BaseCommand

from incidents.held_uploads import sweep_held_uploads


class Command(BaseCommand):
    help = (
        "Delete files kept for refused log and note forms once older than --hours (HELD_UPLOAD_HOURS "
        "by default). Safe to run at any time, twice, or alongside the scheduled sweep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None)

    def handle(self, *args, **options):
        hours = options["hours"]
        removed = sweep_held_uploads(older_than=timedelta(hours=hours) if hours is not None else None)
        self.stdout.write(f"{removed} held file(s) removed.")
