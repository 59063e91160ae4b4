"""The one form of a sign-in identity: the email address as it is stored, however it was typed.

The user lookup (UserManager.get_by_natural_key), both sign-in forms (the portal's and admin's), the
lockout (django-axes, through accounts.throttling) and the per-address password-reset limit all read the
address through this function. If any of them read it differently, each way of typing one address would
be another account to the lookup or another five guesses to the lockout.
"""

import unicodedata


def login_identity(typed):
    """The address as stored: Unicode compatibility form (NFKC: fullwidth ＡＢＣ is ABC), without surrounding
    space, in lower case (addresses are stored in lower case).

    Normalising an identity again changes nothing (tests/accounts/test_login_identity.py checks this for
    every character), so the forms, the lookup and the lockout may each apply it to what they are given.
    """
    return unicodedata.normalize("NFKC", typed).strip().lower()
