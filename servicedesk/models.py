from django.db import models
from django.utils import timezone


class PendingTask(models.Model):
    """The outbox: a task that could not be handed to Celery (the broker was down) or whose email could
    not be sent (the mail server was down through every retry). `flush_pending_tasks` queues it again."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)  # kept when a failed flush puts it back
    attempts = models.PositiveIntegerField(
        default=0, help_text="Flushes that could not queue it; after 50 it waits for someone to look."
    )
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.task_name}{tuple(self.args)}"


class Reports(models.Model):
    """No table: the holder of the permission `servicedesk.view_reports` reads /reports/ (the Team leaders
    role holds it, accounts/roles.py). Django keeps permissions on models, so this one carries it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can read the service-desk reports")]

    def __str__(self):
        return "Reports"
