"""Finding NHS numbers in free text, so that patient-identifiable data is never stored.

An NHS number is ten digits, written together or spaced 3-3-4, whose last digit is a modulus-11 check
digit over the first nine (weights 10 down to 2). About one ten-digit number in eleven passes the
check by chance, which is why users may confirm that a match is not an NHS number.
"""

import re

# Ten digits, optionally grouped 3-3-4 by spaces or hyphens (up to two such characters between groups,
# to catch a stray double space or line break), not part of a longer run of digits.
_CANDIDATE = re.compile(r"(?<!\d)(\d{3})[\s-]{0,2}(\d{3})[\s-]{0,2}(\d{4})(?!\d)")


def is_valid_nhs_number(digits):
    """True when `digits` (ten digits, no spaces) carries a valid modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_nhs_numbers(text):
    """Every NHS number in `text`, as written there (e.g. '943 476 5919')."""
    if not text:
        return []
    return [
        m.group(0)
        for m in _CANDIDATE.finditer(text)
        if is_valid_nhs_number(m.group(1) + m.group(2) + m.group(3))
    ]
