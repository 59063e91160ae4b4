"""Finding NHS numbers in text, so that patient-identifiable data is never stored.

An NHS number is ten digits whose last is a modulus-11 check digit over the first nine. About one
ten-digit number in eleven passes by chance, which is why users may confirm that a match is not one.

`find_nhs_numbers(text)` decides for every form, file and channel, reading the number as a person would
on the screen: after `normalise`, digit groups joined by separators are read as list items ("943 476
5919", "(943) 476-5919", "94.34.76.59.19"); an item of exactly ten digits is one number unless its layout
says it is a time, a date, an IPv4 address or a list. Ten digits together, and a 3-3-4 grouping, count
wherever they stand ("2026-12-07 943 476 5919").

It does not read digits spelt out in words, letters standing in for digits ("O" for 0), or numbers split
by four or more characters.
"""

import functools
import operator
import re
import sys
import unicodedata

# A separator: one to three characters that are neither letters nor digits (an underscore counts, as in
# file names). One that holds ";", a comma next to a space, or a blank line ends a list item instead.
_SEPARATOR = r"[\W_]{1,3}"
_LIST_END = r"[\W_]{0,2}(?:;|,\s|\s,|\n[\W_]?\n)"
# Digits glued to a run of 0-9a-f that ends the word belong to a hexadecimal identifier (a GUID, a hash:
# "...5919dead"); a word that merely starts with a-f does not ("943 476 5919Female", text run together).
_HEX_AFTER = r"[0-9A-Fa-f]++(?![G-Zg-z])"
_NOT_HEX_BEFORE, _NOT_HEX_AFTER = r"(?<![0-9A-Fa-f])", rf"(?!{_HEX_AFTER})"
_HEX_GLUED = re.compile(_HEX_AFTER)
_TEN_TOGETHER = re.compile(_NOT_HEX_BEFORE + r"[0-9]{10}" + _NOT_HEX_AFTER)
_THREE_THREE_FOUR = re.compile(
    _NOT_HEX_BEFORE + rf"[0-9]{{3}}({_SEPARATOR})[0-9]{{3}}\1[0-9]{{4}}" + _NOT_HEX_AFTER
)
_LIST_ITEM = re.compile(_NOT_HEX_BEFORE + rf"[0-9]+(?:(?!{_LIST_END}){_SEPARATOR}[0-9]+)*")
_GROUP = re.compile(r"([0-9]+)")  # split keeps the digit groups
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Letters that show nothing: a person reading the text does not see them.
_INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0"
_KEPT_CONTROLS = "\t\n\r"
_DATE_SEPARATORS = {"-", "/", "."}
_WEIGHTS = range(10, 1, -1)  # of the first nine digits, for the check digit


@functools.cache
def _translation():
    """Drops format characters (zero-width spaces, joiners, soft hyphens, direction marks...), combining
    marks, control characters but tabs and line breaks, and the Hangul fillers; maps every decimal digit
    of any script to 0-9."""
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
    # The digits' character codes, weighted 10 down to 2, less what the code of "0" adds (48 × 54): the
    # cheapest form of the sum, since long files call this for every run of ten digits.
    total = sum(map(operator.mul, digits[:9].encode(), _WEIGHTS)) - 48 * sum(_WEIGHTS)
    check = (11 - total % 11) % 11  # 10 matches no digit: such a number is never issued
    return check == int(digits[9])


def find_nhs_numbers(text):
    """Every NHS number in `text`, as a person reads it there (e.g. '943 476 5919', '(943) 476-5919').
    Three patterns run over the whole text, so that a file of millions of numbers stays quick."""
    text = normalise(text)
    return [text[start:end] for start, end in _number_spans(text)]


def find_nhs_number_spans(text):
    """Where the NHS numbers are in `text` as it was typed, not in its normalised form: (start, end) indexes
    into `text`, in order, so that a page can mark them in what the user wrote ("９４３ 476 5919", digits with
    zero-width spaces between them). Each character is normalised on its own to know where it came from;
    that reads digits and separators as `find_nhs_numbers` does."""
    normalised, origins = _normalise_tracking(text)
    return [(origins[start], origins[end - 1] + 1) for start, end in _number_spans(normalised)]


def _normalise_tracking(text):
    """`normalise(text)`, and for each of its characters the index in `text` of the character it came from."""
    pieces, origins = [], []
    for index, ch in enumerate(text or ""):
        piece = normalise(ch)
        pieces.append(piece)
        origins.extend([index] * len(piece))
    return "".join(pieces), origins


def _number_spans(text):
    """The (start, end) of each NHS number in normalised `text`, in order, as `_as_read` shows it."""
    spans = {m.span() for m in _TEN_TOGETHER.finditer(text)}
    spans.update(m.span() for m in _THREE_THREE_FOUR.finditer(text))
    spans.update(_whole_items(text))
    return [
        _as_read(text, start, end)
        for start, end in sorted(spans)
        if is_valid_nhs_number(digits(text[start:end]))
    ]


def digits(text):
    return "".join(ch for ch in text if ch.isdigit())


def _whole_items(text):
    """The spans of numbers read as one within list items: the whole item when it has exactly ten digits,
    or a run of its digit groups that a person reads apart from the rest (see _number_runs)."""
    for item in _LIST_ITEM.finditer(text):
        start, body = item.start(), item.group()
        if _HEX_GLUED.match(text, item.end()):
            body = _without_last_group(body)  # its last digits belong to a hexadecimal identifier
        if len(body) < 10:
            continue
        pieces = _GROUP.split(body)  # '', digits, separator, digits, ..., digits, ''
        values, separators = pieces[1::2], pieces[2:-1:2]
        for first, last in _number_runs(values, separators):
            before = len("".join(pieces[: 2 * first + 1]))
            yield start + before, start + before + len("".join(pieces[2 * first + 1 : 2 * last + 2]))


def _number_runs(values, separators):
    """(first, last) indexes of the runs of digit groups, ten digits in all with a valid check digit, that a
    person reads as one number: the whole item; or, in a longer item, a run that is not part of a date, a
    time or an address, and whose separators inside differ from those joining it to the groups around
    it ("1. 943 476-5919", "Bed 2 – 94 34 76 59 19"), unlike "+44 1632 960001" or "10.0.19045.1009".
    Only runs that pass the check digit (one in eleven) are read for their layout."""
    if len(values) == 1 or sum(map(len, values)) < 10:
        return  # a lone group of ten digits is found by _TEN_TOGETHER
    other = None
    for first in range(len(values)):
        last, count = first, len(values[first])
        while count < 10 and last + 1 < len(values):
            last += 1
            count += len(values[last])
        if count != 10 or not is_valid_nhs_number("".join(values[first : last + 1])):
            continue
        inside = separators[first:last]
        if not _reads_as_one_number(values[first : last + 1], inside):
            continue
        if first == 0 and last == len(values) - 1:
            yield first, last
            continue
        other = _read_as_something_else(values, separators) if other is None else other
        if other.intersection(range(first, last + 1)):
            continue
        joining = [separators[first - 1] if first and first - 1 not in other else None]
        joining.append(separators[last] if last + 1 < len(values) and last + 1 not in other else None)
        if not set(inside).intersection(joining):
            yield first, last


def _read_as_something_else(values, separators):
    """The indexes of the digit groups that a person reads as part of a date, a time or an IPv4 address."""
    other = set()
    for index, separator in enumerate(separators):
        if separator == ":" and len(values[index]) <= 2 and len(values[index + 1]) <= 2:  # 10:07, 10:15:00
            other.update((index, index + 1))
        date = values[index : index + 3]
        if len(date) == 3 and separator == separators[index + 1] in _DATE_SEPARATORS and _is_date(*date):
            other.update(range(index, index + 3))
        address = values[index : index + 4]
        if len(address) == 4 and set(separators[index : index + 3]) == {"."} and max(map(len, address)) <= 3:
            other.update(range(index, index + 4))
    return other


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
    """The match's span as shown to the user, with its opening bracket if the number was written
    '(943) 476...'."""
    if start > 0 and text[start - 1] in "([" and any(ch in ")]" for ch in text[start:end]):
        start -= 1
    return start, end
