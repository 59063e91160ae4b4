from django.core.management.base import BaseCommand

from servicedesk.outbox import flush_pending_tasks


class Command(BaseCommand):
    help = "Queue again the tasks kept in the outbox (broker or mail server down); beat runs it every minute."

    def handle(self, *args, **options):
        queued, left = flush_pending_tasks()
        self.stdout.write(f"Queued {queued}; {left} still waiting.")
