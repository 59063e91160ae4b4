"""The NHS-number detector (servicedesk/lib/nhs.py): one function for every form, file and channel.

The lists below are what it covers: a separator, an invisible character, a way of writing digits or a
layout that is not a number is added with one line.
"""

import pytest

from servicedesk.lib.nhs import find_nhs_number_spans, find_nhs_numbers, is_valid_nhs_number, normalise

VALID = "9434765919"
SPACED = "943 476 5919"
OTHER = "4010232137"  # a second valid number, for lists
WRONG_CHECK_DIGIT = "9434765918"


def digits(text):
    return "".join(ch for ch in text if ch.isdigit())


# --- Separators between the digit groups (3-3-4) -----------------------------------------------------

SEPARATORS = [
    " ",  # space
    "-",  # hyphen-minus
    "  ",  # a double space
    "\n",  # a line break in a text box
    "\r\n",
    "\t",
    ".",
    "/",
    "_",
    "*",
    "·",  # middle dot
    " - ",
    " / ",
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2012",  # figure dash
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2212",  # minus sign
    "\u00a0",  # no-break space
    "\u2007",  # figure space
    "\u2009",  # thin space
    "\u202f",  # narrow no-break space
    "\u3000",  # ideographic space
    "\u2028",  # line separator
    "\u2800",  # braille blank
]


@pytest.mark.parametrize("separator", SEPARATORS, ids=ascii)
def test_digit_groups_joined_by_any_separator_are_found(separator):
    text = f"Patient 943{separator}476{separator}5919 seen today"

    found = find_nhs_numbers(text)

    assert len(found) == 1
    assert digits(found[0]) == VALID


# --- Other layouts a person reads as one number -----------------------------------------------------------

LAYOUTS = [
    VALID,
    SPACED,
    "943-476-5919",
    "94 34 76 59 19",
    "9434 765 919",
    "9 4 3 4 7 6 5 9 1 9",
    "(943) 476-5919",
    "[943] 476 5919",
    "943.476-5919",
    "9,434,765,919",  # thousands grouping, as a spreadsheet shows a number
    "943\u2013476 5919",
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_any_layout_a_person_reads_as_one_number_is_found_and_shown_as_written(layout):
    assert find_nhs_numbers(f"NHS no: {layout}, seen by Dr Example") == [normalise(layout)]


# After another number, a person still reads the NHS number apart when it is written apart from it.
AFTER_ANOTHER_NUMBER = [
    "1. 943 476-5919",  # a numbered list
    "1) (943) 476-5919",
    "Bed 2 – 94 34 76 59 19",
    "943.476-5919 - 10:30",  # then a time
    "07/12/2026 943 476-5919",  # after a date
    "192.168.0.1 943.476.5919",  # after an address
    "Room 12: 9434 765 919",
    "943 476 5919Female",  # text read from a screen runs together
    "DOB 01/02/1960 9434765919Female",
]


@pytest.mark.parametrize("text", AFTER_ANOTHER_NUMBER)
def test_a_number_written_apart_from_another_number_before_or_after_it_is_found(text):
    assert [digits(number) for number in find_nhs_numbers(f"Seen: {text}, ward round")] == [VALID]


# --- Characters a person does not see, between every digit ------------------------------------------------

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\ufeff",  # byte-order mark (zero-width no-break space)
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u202a",  # left-to-right embedding
    "\u202c",  # pop directional formatting
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2069",  # pop directional isolate
    "\u061c",  # Arabic letter mark
    "\u180e",  # Mongolian vowel separator
    "\u2061",  # function application (invisible operator)
    "\u034f",  # combining grapheme joiner
    "\u0301",  # combining acute accent
    "\ufe0f",  # variation selector
    "\U000e0020",  # tag space
    "\u3164",  # Hangul filler
    "\x00",  # control characters
    "\x1b",
    "\x7f",
]


@pytest.mark.parametrize("invisible", INVISIBLE, ids=lambda ch: f"U+{ord(ch):04X}")
def test_invisible_characters_between_the_digits_are_dropped(invisible):
    assert find_nhs_numbers(f"Patient {invisible.join(VALID)} seen") == [VALID]


@pytest.mark.parametrize("invisible", INVISIBLE, ids=lambda ch: f"U+{ord(ch):04X}")
def test_invisible_characters_within_a_spaced_number_are_dropped(invisible):
    assert find_nhs_numbers(f"943{invisible} 476 {invisible}5919") == [SPACED]


# --- Digits of other forms and scripts -------------------------------------------------------------------

DIGIT_FORMS = [
    "\uff10",  # full-width
    "\u0660",  # Arabic-Indic
    "\u06f0",  # extended Arabic-Indic (Persian)
    "\u0966",  # Devanagari
    "\u09e6",  # Bengali
    "\U0001d7ce",  # mathematical bold
    "\U0001d7f6",  # mathematical monospace
]


@pytest.mark.parametrize("zero", DIGIT_FORMS, ids=lambda ch: f"U+{ord(ch):04X}")
def test_digits_of_any_script_or_style_are_read_as_digits(zero):
    styled = "".join(chr(ord(zero) + int(d)) for d in SPACED if d != " ")
    text = f"Patient {styled[:3]} {styled[3:6]} {styled[6:]}"

    assert find_nhs_numbers(text) == [SPACED]


def test_compatibility_forms_such_as_circled_digits_are_read_as_digits():
    assert find_nhs_numbers("⑨④③ ④⑦⑥ ⑤⑨①⑨") == [SPACED]


# --- Layouts that are something else (logs are refused outright, so these matter) ---------------------

# Each would be an NHS number if its digits were simply joined (checked below, so no case is idle).
NOT_NHS_NUMBERS = [
    "Started 1/1/2026 10:07",  # a date and a time
    "2026-1-1 10:06",
    "Backup 2026-12-01 10 files",
    "Due 01/02/2026 13 items",
    "2026-12-07 10:15:00,021 INFO Spooler restarted",  # a log timestamp
    "[2026-12-07 10:00:00.000] Request served",
    "07/Dec/2026:10:15:00 +0000",  # a web server's timestamp
    "10:00:00.0222 elapsed",
    "Connected to 10.100.100.18",  # IP addresses
    "Gateway 192.168.10.12 unreachable",
    "Telephone 01632 960001",  # UK telephone numbers have 11 digits
    "Mobile 07700 900000",
    "Call +44 1632 960001",  # its last ten digits pass the check: still one number
    "Logged 12/03/2024 1009 times",  # a date's last groups and the count after it pass the check
    "Windows 10.0.19045.1009",  # a version
    "Columns 10,10,100,106",  # a list, not thousands grouping
    "Build F1000000001A",  # a hexadecimal identifier
    f"Session a{VALID}b",
    f"Hash {VALID}dead",
    f"Hash {SPACED}cafe beef",
    f"Order {VALID}1 shipped",  # longer numbers
    f"Phone 0{VALID}",
]


@pytest.mark.parametrize("text", NOT_NHS_NUMBERS)
def test_dates_times_addresses_phone_numbers_and_identifiers_are_not_flagged(text):
    joined = digits(text)
    assert any(is_valid_nhs_number(joined[i : i + 10]) for i in range(len(joined) - 9))

    assert find_nhs_numbers(text) == []


# --- Several numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"{SPACED}, 401 023 2137",
        f"{VALID}; {OTHER}",
        f"{VALID};{OTHER}",
        f"{VALID} {OTHER}",
        f"{SPACED} 401 023 2137",
        f"{SPACED}\n\n401-023-2137",
        f"Patients {SPACED} and 401 023 2137",
    ],
)
def test_every_number_in_a_list_is_found(text):
    assert [digits(number) for number in find_nhs_numbers(text)] == [VALID, OTHER]


def test_a_number_next_to_a_date_is_found():
    assert find_nhs_numbers(f"Seen 2026-12-07 {SPACED} by Dr Example") == [SPACED]
    assert find_nhs_numbers(f"Seen 07/12/2026 {VALID}") == [VALID]


# --- The check digit -------------------------------------------------------------------------------------


def test_a_wrong_check_digit_is_not_an_nhs_number():
    assert find_nhs_numbers(WRONG_CHECK_DIGIT) == []
    assert find_nhs_numbers("943 476 5918") == []
    assert find_nhs_numbers("943.476.5918") == []


def test_a_remainder_of_eleven_gives_check_digit_zero():
    assert find_nhs_numbers("9434765080") == ["9434765080"]


@pytest.mark.parametrize("last_digit", range(10))
def test_a_check_digit_that_computes_to_ten_is_never_valid(last_digit):
    # 1*10 + 1*2 = 12, remainder 1, so the check digit would be 11 - 1 = 10: no NHS number starts so.
    number = f"100000001{last_digit}"

    assert not is_valid_nhs_number(number)
    assert find_nhs_numbers(number) == []


@pytest.mark.parametrize("text", [f"1{VALID}", f"{VALID}1", f"00{VALID}00", "Phone 019434765919"])
def test_ten_digits_inside_a_longer_run_are_ignored(text):
    assert find_nhs_numbers(text) == []


def test_empty_text_has_no_nhs_numbers():
    assert find_nhs_numbers("") == []
    assert find_nhs_numbers(None) == []


# --- Where each number is in the text as typed (to mark it on a refused form) ----------------------------

TYPED = [
    SPACED,
    "(943) 476\u20135919",
    "\u200b".join(VALID),  # zero-width spaces between the digits
    "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19",  # full-width
    "⑨④③ ④⑦⑥ ⑤⑨①⑨",
    "".join(chr(0x1D7CE + int(d)) for d in VALID),  # mathematical bold: two UTF-16 units each in a browser
]


@pytest.mark.parametrize("typed", TYPED, ids=ascii)
def test_a_number_is_located_as_it_was_typed(typed):
    # Before it, text whose normalised form is longer ("ﬁ" is "fi") or shorter (a combining accent goes).
    text = f"Le ﬁchier de\u0301ja\u0300 vu: {typed}. Fin"

    assert [text[start:end] for start, end in find_nhs_number_spans(text)] == [typed]


@pytest.mark.parametrize("text", [*(f"NHS no: {layout}, seen" for layout in LAYOUTS), *AFTER_ANOTHER_NUMBER])
def test_the_numbers_located_are_the_numbers_found(text):
    located = [normalise(text[start:end]) for start, end in find_nhs_number_spans(text)]

    assert located == find_nhs_numbers(text)
