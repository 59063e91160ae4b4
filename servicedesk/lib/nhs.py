"""Finding NHS numbers in text, so that patient-identifiable data is never stored.

An NHS number is ten digits whose last digit is a modulus-11 check digit over the first nine (weights 10
down to 2). About one ten-digit number in eleven passes the check by chance, which is why users may
confirm that a match is not an NHS number.

`find_nhs_numbers(text)` is the one function that decides, for every form, file and channel. It looks for
the number as a person would read it on the screen:

- The text is first normalised: Unicode compatibility form (NFKC: full-width and other styled digits and
  spaces become plain ones), invisible characters dropped (format characters such as zero-width spaces,
  joiners, soft hyphens, byte-order and direction marks; combining marks; control characters other than
  tabs and line breaks; the Hangul fillers), and every decimal digit of any script mapped to 0-9.
- Digit groups joined by separators (one to three characters that are neither letters nor digits) are
  read as list items, which end at ";", a comma next to a space, or a blank line: "943 476 5919",
  "(943) 476-5919", "94.34.76.59.19", "943 / 476 / 5919". An item with exactly ten digits is one number,
  unless its layout says it is something else: a time (digits joined by ":"), a date, an IPv4 address,
  or a comma-separated list that is not thousands grouping.
- Ten digits written together, and a 3-3-4 grouping with one separator, count wherever they stand, so
  that "2026-12-07 943 476 5919" is found.
- Digits glued to the letters a-f are part of a hexadecimal identifier (GUIDs, hashes), not a number.

What this does not do: read digits spelt out in words, letters standing in for digits ("O" for 0), or
numbers split by four or more characters.
"""

import functools
import re
import sys
import unicodedata

# A separator: one to three characters that are neither letters nor digits (an underscore counts, as in
# file names). One that holds ";", a comma next to a space, or a blank line ends a list item instead.
_SEPARATOR = r"[\W_]{1,3}"
_LIST_END = r"[\W_]{0,2}(?:;|,\s|\s,|\n[\W_]?\n)"
# Digits glued to the letters a-f belong to a hexadecimal identifier (a GUID, a hash), not to a number.
_NOT_HEX_BEFORE, _NOT_HEX_AFTER = r"(?<![0-9A-Fa-f])", r"(?![0-9A-Fa-f])"
_TEN_TOGETHER = re.compile(_NOT_HEX_BEFORE + r"[0-9]{10}" + _NOT_HEX_AFTER)
_THREE_THREE_FOUR = re.compile(
    _NOT_HEX_BEFORE + rf"[0-9]{{3}}({_SEPARATOR})[0-9]{{3}}\1[0-9]{{4}}" + _NOT_HEX_AFTER
)
_LIST_ITEM = re.compile(_NOT_HEX_BEFORE + rf"[0-9]+(?:(?!{_LIST_END}){_SEPARATOR}[0-9]+)*")
_LONGEST_ITEM = 10 + 9 * 3  # ten digits, nine separators of three characters
_GROUP = re.compile(r"([0-9]+)")  # split keeps the digit groups
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Letters that show nothing: a person reading the text does not see them.
_INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0"
_KEPT_CONTROLS = "\t\n\r"
_DATE_SEPARATORS = {"-", "/", "."}


@functools.cache
def _translation():
    """The table that drops invisible characters and maps every decimal digit to 0-9 (built once)."""
    table = {ord(ch): None for ch in _INVISIBLE_LETTERS}
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        category = unicodedata.category(ch)
        if category in ("Cf", "Mn", "Me") or (category == "Cc" and ch not in _KEPT_CONTROLS):
            table[code] = None
        elif category == "Nd" and not ch.isascii():
            table[code] = str(unicodedata.decimal(ch))
    return table


def normalise(text):
    """`text` as a person reads it: compatibility form, invisible characters dropped, digits as 0-9."""
    if not text:
        return ""
    if text.isascii():  # most logs: NFKC changes nothing, and only control characters need dropping
        return _ASCII_CONTROLS.sub("", text)
    # Dropping marks first lets NFKC compose what is left; NFKC can produce new digits ("①" -> "1").
    return unicodedata.normalize("NFKC", text.translate(_translation())).translate(_translation())


def is_valid_nhs_number(digits):
    """True when `digits` (ten digits, no spaces) carries a valid modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit() or not digits.isascii():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_nhs_numbers(text):
    """Every NHS number in `text`, as a person reads it there (e.g. '943 476 5919', '(943) 476-5919').

    Takes plain text from anywhere: a form field, a file's text, an email, text read from an image.
    Three patterns run over the whole text, so that a file of millions of numbers stays quick.
    """
    text = normalise(text)
    spans = {m.span() for m in _TEN_TOGETHER.finditer(text)}
    spans.update(m.span() for m in _THREE_THREE_FOUR.finditer(text))
    spans.update(_whole_items(text))
    return [
        _as_read(text, start, end)
        for start, end in sorted(spans)
        if is_valid_nhs_number(_digits(text[start:end]))
    ]


def _digits(text):
    return "".join(ch for ch in text if ch.isdigit())


def _whole_items(text):
    """The spans of list items of exactly ten digits that read as one number."""
    for item in _LIST_ITEM.finditer(text):
        start, body = item.start(), item.group()
        if item.end() < len(text) and text[item.end()] in "ABCDEFabcdef":
            body = _without_last_group(body)  # its last digits belong to a hexadecimal identifier
        if not 10 <= len(body) <= _LONGEST_ITEM:
            continue
        pieces = _GROUP.split(body)  # '', digits, separator, digits, ..., digits, ''
        values, separators = pieces[1::2], pieces[2:-1:2]
        # The check digit first: it rules out ten in eleven, and costs less than reading the layout.
        if is_valid_nhs_number("".join(values)) and _reads_as_one_number(values, separators):
            yield start, start + len(body)


def _without_last_group(body):
    body = body.rstrip("0123456789")
    while body and not body[-1].isdigit():  # the separator before the group: at most three characters
        body = body[:-1]
    return body


def _reads_as_one_number(values, separators):
    """False for layouts that a person reads as something else: a time, a date, an IP address, a list."""
    if any(":" in separator for separator in separators):
        return False
    if len(values) == 4 and set(separators) == {"."} and all(len(value) <= 3 for value in values):
        return False
    if separators and set(separators) == {","}:
        return len(values[0]) <= 3 and all(len(value) == 3 for value in values[1:])  # 9,434,765,919
    dates = (
        separators[index] == separators[index + 1] in _DATE_SEPARATORS
        and _is_date(*values[index : index + 3])
        for index in range(len(values) - 2)
    )
    return not any(dates)


def _is_date(first, second, third):
    """A year-month-day or day-month-year (either order of day and month) date."""
    if len(first) == 4:
        return 1 <= int(second) <= 12 and 1 <= int(third) <= 31
    if len(first) <= 2 and len(second) <= 2 and len(third) in (2, 4):
        day_month = sorted((int(first), int(second)))
        return 1 <= day_month[0] <= 12 and 1 <= day_month[1] <= 31
    return False


def _as_read(text, start, end):
    """The match as shown to the user, with its opening bracket if the number was written '(943) 476...'."""
    if start > 0 and text[start - 1] in "([" and any(ch in ")]" for ch in text[start:end]):
        start -= 1
    return text[start:end]
