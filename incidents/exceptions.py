class InvalidTransition(Exception):
    """A change the incident's state does not allow, or this person may not make; the message is for them."""


class StorageFull(InvalidTransition):
    """Files that would take an incident or its practice past its storage quota; the message says which.
    A refusal like any other to callers that handle refusals; the portal answers it with 413."""
