"""A printed incident (issue 16, "Layout, looks and devices"): a practice user prints an incident's page to
keep or to hand on, and the paper shows the record — the reference, the status, the timeline with the
desk's and the practice's entries, the details — without the screen's navigation, footer, skip link,
forms or buttons. Checked with the print media emulated, and in the PDF Chromium prints, read back with
pypdf, for an open incident (following, a note, other actions), a resolved one (confirm or reject) and a
closed one (reopen)."""

import io
import unicodedata

import pypdf
import pytest
from playwright.sync_api import expect

from incidents.services import (
    incident_add_note,
    incident_confirm,
    incident_resolve,
    incident_start_investigation,
    incident_verify,
)
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD, IncidentFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

PRACTICE_NOTE = "The appointments screen froze again at 10:05 on RECEPTION-PC-02."
DESK_NOTE = "We are looking at the appointments server's logs."
DESCRIPTION = "Since this morning the appointments screen freezes when a slot is opened."
# Text that only the screen's controls and surroundings carry.
SCREEN_ONLY = [
    "Skip to main content",
    "Sign out",
    "Log an incident",
    "For a severity 1 incident, always telephone",  # the footer
    "Add a note or a screenshot",
    "Add note",
    "Other actions",
    "Ask for a progress update",
    "Ask for this incident to be escalated",
    "Follow",
    "Confirm: it is resolved",
    "Reject: it is not resolved",
    "Reopen",
    "you can reopen this incident below",  # a closed incident: its form is not printed
]


@pytest.fixture
def incidents(practice_user, agent, product):
    """The practice user's incidents, open, resolved and closed, each with a note from the practice and one
    from the desk."""
    made = {}
    for state in ("open", "resolved", "closed"):
        incident = IncidentFactory(
            reporter=practice_user,
            product=product,
            summary=f"Appointments freeze ({state})",
            description=DESCRIPTION,
        )
        incident_add_note(incident, actor=practice_user, text=PRACTICE_NOTE)
        incident_verify(incident, actor=agent)
        incident_start_investigation(incident, actor=agent)
        incident_add_note(incident, actor=agent, text=DESK_NOTE)
        if state != "open":
            incident_resolve(incident, actor=agent, resolution="Restarted the appointments service.")
        if state == "closed":
            incident_confirm(incident, actor=practice_user)
        incident.refresh_from_db()
        made[state] = incident
    return made


def _pdf_text(page):
    """The printed text, its ligatures (the fi in "confirm") undone and its spaces collapsed."""
    reader = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = unicodedata.normalize("NFKC", " ".join(sheet.extract_text() for sheet in reader.pages))
    return " ".join(text.split())


def _check_printed(page, incident):
    page.goto(f"/incidents/{incident.reference}/")
    label = f"{incident.reference} ({incident.get_status_display()})"
    # On screen, the controls are there...
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("form:visible").first).to_be_visible()
    assert page.get_by_role("button").count() > 0

    page.emulate_media(media="print")
    # ...on paper, the record alone.
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.summary)
    expect(page.locator(".status-tag")).to_be_visible()
    entries = page.locator(".timeline-entry")
    expect(entries.filter(has_text=PRACTICE_NOTE)).to_be_visible()
    expect(entries.filter(has_text=DESK_NOTE)).to_be_visible()
    for entry in entries.all():
        expect(entry).to_be_visible()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text(DESCRIPTION)
    expect(details.get_by_text("Incident contact")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("contentinfo")).to_be_hidden()
    expect(page.get_by_role("link", name="Skip to main content")).to_be_hidden()
    for form in page.locator("form").all():
        expect(form).to_be_hidden()
    expect(page.get_by_role("button")).to_have_count(0)  # only the visible ones count
    for text in SCREEN_ONLY:
        shown = page.get_by_text(text, exact=True).filter(visible=True)
        expect(shown, f"{label}: “{text}” printed").to_have_count(0)

    printed = _pdf_text(page)
    for text in (incident.reference, incident.summary, PRACTICE_NOTE, DESK_NOTE, DESCRIPTION, "Timeline"):
        assert text in printed, f"{label}: the PDF lacks “{text}”:\n{printed}"
    for text in SCREEN_ONLY:
        assert text not in printed, f"{label}: the PDF shows “{text}”:\n{printed}"
    page.emulate_media(media="screen")


def test_a_printed_incident_shows_the_record_without_the_screens_controls(browser_page, colleague, incidents):
    """Printed by a colleague of the reporter, so that the open incident offers to be followed."""
    sign_in(browser_page, colleague.email, PASSWORD, lands_on=r"/incidents/$")
    for incident in incidents.values():
        _check_printed(browser_page, incident)
