from datetime import timedelta

from django.core.management.base import BaseCommand

from incidents.services import remove_orphan_files


class Command(BaseCommand):
    help = (
        "Delete uploaded files that no attachment refers to (left by a submission that failed after its "
        "files were written). Files younger than --min-age-minutes are left alone: their upload may be "
        "in progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min-age-minutes", type=int, default=60)

    def handle(self, *args, **options):
        removed = remove_orphan_files(min_age=timedelta(minutes=options["min_age_minutes"]))
        self.stdout.write(f"{removed} orphaned file(s) removed.")
