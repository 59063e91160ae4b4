class InvalidTransition(Exception):
    """A change the incident's current state does not allow, or this person may not make.

    The message is written for the person who asked, in the portal or in admin.
    """


class StorageFull(InvalidTransition):
    """Files that would take an incident or its practice past its storage quota; the message says which.
    A refusal like any other to callers that handle refusals; the portal answers it with 413."""
