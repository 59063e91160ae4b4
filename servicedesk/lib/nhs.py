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
- Digits joined by short runs (one to three characters) of anything but letters and digits form a
  chain: "943 476 5919", "(943) 476-5919", "94.34.76.59.19", "943 / 476 / 5919". A chain is split into
  list items at ", " and ";" (and at a blank line). An item with exactly ten digits is one number,
  unless its layout says it is something else: a time (digits joined by ":"), a date, an IPv4 address,
  or a comma-separated list that is not thousands grouping.
- Inside longer items, ten digits written together and a 3-3-4 grouping with one separator still count,
  so that "2026-12-07 943 476 5919" is found.
- Digits glued to the letters a-f are part of a hexadecimal identifier (GUIDs, hashes), not a number.

What this does not do: read digits spelt out in words, letters standing in for digits ("O" for 0), or
numbers split by four or more characters.
"""

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

# Digits joined by one to three characters that are neither letters nor digits (an underscore counts as a
# separator, as it does in file names).
_CHAIN = re.compile(r"[0-9]+(?:[\W_]{1,3}[0-9]+)*")
_GROUP = re.compile(r"([0-9]+)")  # split keeps the digit groups
_HEX_LETTERS = set("ABCDEFabcdef")
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


@dataclass
class _Item:
    """Digit groups in a row: their texts, where each starts in the normalised text, and what is between."""

    values: list
    starts: list
    separators: list

    def span(self, first, last):
        return self.starts[first], self.starts[last] + len(self.values[last])


def find_nhs_numbers(text):
    """Every NHS number in `text`, as a person reads it there (e.g. '943 476 5919', '(943) 476-5919').

    Takes plain text from anywhere: a form field, a file's text, an email, text read from an image.
    """
    text = normalise(text)
    found = {}
    for chain in _CHAIN.finditer(text):
        if chain.end() - chain.start() < 10:
            continue  # too few digits: most numbers in a log (quick to rule out)
        for item in _items(text, chain):
            for span in _candidates(item):
                if is_valid_nhs_number(_digits(text[span[0] : span[1]])):
                    found.setdefault(span, _as_read(text, *span))
    return [found[span] for span in sorted(found)]


def _digits(text):
    return "".join(ch for ch in text if ch.isdigit())


def _items(text, chain):
    """The chain's list items: split at list punctuation, without groups that belong to a hex string."""
    pieces = _GROUP.split(chain.group())  # '', digits, separator, digits, ..., digits, ''
    values, separators = pieces[1::2], pieces[2:-1:2]
    if sum(map(len, values)) < 10:
        return
    starts, offset = [], chain.start()
    for value, separator in zip(values, [*separators, ""], strict=True):
        starts.append(offset)
        offset += len(value) + len(separator)
    first, last = 0, len(values)
    if chain.start() > 0 and text[chain.start() - 1] in _HEX_LETTERS:
        first += 1
    if chain.end() < len(text) and text[chain.end()] in _HEX_LETTERS:
        last -= 1
    for index in range(first, last):
        if index == last - 1 or _ends_a_list_item(separators[index]):
            yield _Item(values[first : index + 1], starts[first : index + 1], separators[first:index])
            first = index + 1


def _ends_a_list_item(separator):
    """'; ', ', ' and a blank line end a list item; a lone comma may be thousands grouping (9,434,765,919)."""
    if len(separator) == 1:
        return separator == ";"
    has_space = any(ch.isspace() for ch in separator)
    return ";" in separator or ("," in separator and has_space) or separator.count("\n") > 1


def _candidates(item):
    """Spans that may be one NHS number: the whole item, ten digits together, or a 3-3-4 grouping."""
    lengths = [len(value) for value in item.values]
    if sum(lengths) == 10 and _reads_as_one_number(item):
        yield item.span(0, len(lengths) - 1)
    for index, length in enumerate(lengths):
        if length == 10:
            yield item.span(index, index)
        if lengths[index : index + 3] == [3, 3, 4] and item.separators[index] == item.separators[index + 1]:
            yield item.span(index, index + 2)


def _reads_as_one_number(item):
    """False for layouts that a person reads as something else: a time, a date, an IP address, a list."""
    separators, values = item.separators, item.values
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
