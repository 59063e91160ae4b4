from django.core.management.base import BaseCommand

from accounts.roles import ROLES, setup_roles


class Command(BaseCommand):
    help = "Create or refresh the staff role groups and their admin permissions (safe to run again)."

    def handle(self, *args, **options):
        setup_roles()
        self.stdout.write(f"Roles ready: {', '.join(ROLES)}.")
