"""The one form of a sign-in identity. The user lookup, both sign-in forms, the lockout (django-axes) and
the password-reset limit all read the address through it: if any read it differently, each way of typing
one address would be another account to the lookup or another five guesses to the lockout.
"""

import unicodedata


def login_identity(typed):
    """The address as stored: NFKC (fullwidth ＡＢＣ is ABC), stripped, lower case. Applying it again changes
    nothing, so the forms, the lookup and the lockout may each apply it to what they are given."""
    return unicodedata.normalize("NFKC", typed).strip().lower()
