class InvalidTransition(Exception):
    """A change the incident's current state does not allow, or this person may not make.

    The message is written for the person who asked, in the portal or in admin.
    """
