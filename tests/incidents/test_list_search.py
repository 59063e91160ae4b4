"""Search of the practice's incident list (issue 16): every word, in any order, anywhere in the summary,
description, on-screen messages, workstation name, the practice's visible timeline, or the reference;
highlighted in the results, escaped. Runs the same on SQLite (fallback) and PostgreSQL (full-text)."""

import re

import pytest

from incidents.search import highlight, words
from incidents.services import incident_add_note
from tests.factories import IncidentFactory
from tests.incidents.helpers import LIST_SEARCH_QUERIES


def listed(response):
    return re.findall(r'<td><a href="/incidents/([^/"]+)/">', response.content.decode())


@pytest.fixture
def printer(practice_user, product):
    return IncidentFactory(
        reporter=practice_user,
        product=product,
        summary="Prescriptions will not print",
        description="The printer in room 4 shows a paper jam although there is none.",
        onscreen_messages="Error 0x80070005 access denied",
        machine_name="RECEPTION-PC3",
    )


@pytest.fixture
def scanner(practice_user, product):
    return IncidentFactory(
        reporter=practice_user, product=product, summary="Scanner offline", description="Docman cannot scan."
    )


@pytest.mark.parametrize(
    "query",
    [
        "printer",  # description
        "PRESCRIPTIONS",  # summary, any case
        "denied access",  # on-screen messages, any order
        "reception-pc3",  # workstation name
        "pc3",  # a part of it
        "print jam",  # word starts, across summary and description
        "room prescriptions denied",  # three fields at once
    ],
)
def test_words_are_found_anywhere_in_any_order(user_client, printer, scanner, query):
    assert listed(user_client.get("/incidents/", {"q": query})) == [printer.reference]


@pytest.mark.parametrize("query", ["rint", "printer scanner", "jammed", "ception"])
def test_every_word_must_start_a_word_somewhere(user_client, printer, scanner, query):
    assert listed(user_client.get("/incidents/", {"q": query})) == []


def test_a_visible_note_is_searched_and_an_internal_one_is_not(user_client, printer, scanner, agent):
    incident_add_note(scanner, actor=agent, text="Replaced the TWAIN driver on the scanner PC.")
    incident_add_note(printer, actor=agent, text="Internal: suspect the toner cartridge.", public=False)

    assert listed(user_client.get("/incidents/", {"q": "twain"})) == [scanner.reference]
    assert listed(user_client.get("/incidents/", {"q": "toner"})) == []


def test_words_may_come_from_the_incident_and_its_notes_together(user_client, printer, scanner, agent):
    incident_add_note(scanner, actor=agent, text="The TWAIN driver was out of date.")

    assert listed(user_client.get("/incidents/", {"q": "docman twain"})) == [scanner.reference]


def test_the_reference_is_found_whole_with_other_words(user_client, printer, scanner):
    assert listed(user_client.get("/incidents/", {"q": f"{printer.reference.lower()} printer"})) == [
        printer.reference
    ]
    assert listed(user_client.get("/incidents/", {"q": f"{printer.reference} scanner"})) == []


def test_search_covers_closed_incidents_on_their_tab(user_client, printer, agent):
    from tests.incidents.lifecycle_helpers import drive_to

    drive_to(printer, "closed", agent=agent)

    opened = user_client.get("/incidents/", {"q": "printer"})
    closed = user_client.get("/incidents/", {"q": "printer", "show": "closed"})

    assert listed(opened) == []
    assert re.search(
        r'href="\?q=printer&amp;show=closed">Closed <span[^>]*>1</span>', opened.content.decode()
    )
    assert listed(closed) == [printer.reference]


def test_matches_are_highlighted_and_the_rest_escaped(user_client, practice_user, product, agent):
    incident = IncidentFactory(
        reporter=practice_user,
        product=product,
        summary="<script>alert(1)</script> printing fails",
        description="Nothing here",
    )
    incident_add_note(incident, actor=agent, text="The <b>spooler</b> restarted; printing works again.")

    html = user_client.get("/incidents/", {"q": "print spooler"}).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>printing</mark> fails" in html
    assert "&lt;b&gt;<mark>spooler</mark>&lt;/b&gt;" in html  # the excerpt from the note
    assert "<script>alert(1)" not in html


def test_the_results_say_how_many_and_for_what(user_client, printer, scanner):
    html = user_client.get("/incidents/", {"q": "Printer  ROOM printer"}).content.decode()

    assert "1 open incident with “printer”, “room”." in html


def test_highlight_marks_whole_words_starting_with_a_search_word():
    assert (
        highlight("Reprint the printers & <go>", ["print"])
        == "Reprint the <mark>printers</mark> &amp; &lt;go&gt;"
    )


def test_words_are_letters_and_digits_only():
    assert words("  O'Brien's PC-3: 100% *_* ") == ["o", "brien", "s", "pc", "3", "100"]


def test_a_search_keeps_its_query_count(
    user_client, practice_user, product, agent, django_assert_num_queries
):
    for n in range(30):
        incident = IncidentFactory(reporter=practice_user, product=product, summary=f"Printer fault {n}")
        incident_add_note(incident, actor=agent, text="Spooler restarted.")
    user_client.get("/incidents/")

    with django_assert_num_queries(LIST_SEARCH_QUERIES):
        response = user_client.get("/incidents/", {"q": "spooler printer"})

    assert len(listed(response)) == 25
