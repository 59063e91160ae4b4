"""Helpers for admin actions."""

from django.contrib import messages


def act_on_each(modeladmin, request, objects, act, *, refused, done, noun):
    """Run `act` on each object; report each refusal (an exception of the `refused` class) as a warning,
    then how many succeeded. Each object stands alone: one refusal does not undo the others."""
    succeeded = 0
    for obj in objects:
        try:
            act(obj)
            succeeded += 1
        except refused as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {noun}(s) {done}.", messages.SUCCESS)
