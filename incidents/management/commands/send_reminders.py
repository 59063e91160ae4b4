from django.core.management.base import BaseCommand

from incidents.services import send_resolution_reminders


class Command(BaseCommand):
    help = "Remind practices to confirm or reject resolutions (the same sweep Celery beat runs hourly)."

    def handle(self, *args, **options):
        sent = send_resolution_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
