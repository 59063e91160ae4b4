"""The handbook's password rules for portal accounts, on top of Django's own validators."""

import re

from django.core.exceptions import ValidationError

_RULES = (
    (re.compile(r"[A-Z]"), "password_no_upper", "at least one upper-case letter (A–Z)"),
    (re.compile(r"[a-z]"), "password_no_lower", "at least one lower-case letter (a–z)"),
    (re.compile(r"[0-9]"), "password_no_digit", "at least one digit (0–9)"),
    # Anything that is not a letter, digit or space counts as special: ! £ % : ? and the like.
    (re.compile(r"[^\w\s]|_"), "password_no_special", "at least one special character, such as ! £ % : ?"),
)


class HandbookPasswordValidator:
    """At least one upper-case letter, one lower-case letter, one digit and one special character (the
    minimum length of 8 is Django's MinimumLengthValidator, configured in settings)."""

    def validate(self, password, user=None):
        missing = [(code, text) for pattern, code, text in _RULES if not pattern.search(password)]
        if missing:
            raise ValidationError(
                [ValidationError(f"Your password must contain {text}.", code=code) for code, text in missing]
            )

    def get_help_text(self):
        return "Your password must contain " + ", ".join(text for _, _, text in _RULES) + "."
